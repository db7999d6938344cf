"""SEC.SECRETS and the redaction of secrets before they reach the state, reports or checkpoints.

Secret values are generated at test time (random), so no literal secret lives in this file.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from langgraph_gates import review
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.evidence.secrets import (
    find_redaction_markers,
    mask,
    redact_dossier_secrets,
    redact_text,
    scan_secret_paths,
)
from langgraph_gates.nodes import dispatcher
from langgraph_gates.report import render
from langgraph_gates.state import Outcome, ReviewState

from ..conftest import EXAMPLES, MakeCtx, run_one

_ALNUM = string.ascii_letters + string.digits


def _rand(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class Seeded:
    """Secret values planted in a config folder, and where each one is."""

    aws: str
    github: str
    url_password: str
    keyword_password: str
    pem_body: list[str]

    @property
    def values(self) -> list[str]:
        return [self.aws, self.github, self.url_password, self.keyword_password, *self.pem_body]


def _pem(body: list[str]) -> str:
    # Built from pieces so that this source file itself holds no private-key header.
    kind = "RSA " + "PRIVATE" + " KEY"
    return "\n".join([f"-----BEGIN {kind}-----", *body, f"-----END {kind}-----"]) + "\n"


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    """A dossier folder whose config/ holds an AWS key, a private key, a GitHub token, a
    password in a URL and a password assignment, next to clean files."""
    body = base64.b64encode(os.urandom(144)).decode()  # 192 characters, no padding
    s = Seeded(
        aws="AKIA" + _rand(string.ascii_uppercase + string.digits, 16),
        github="ghp_" + _rand(_ALNUM, 36),
        url_password=_rand(_ALNUM, 20),
        keyword_password=_rand(_ALNUM, 18),
        pem_body=[body[i : i + 64] for i in range(0, len(body), 64)],
    )
    config = tmp_path / "config"
    (config / "keys").mkdir(parents=True)
    (config / "serving.yaml").write_text(
        "model_alias: churn@champion\n"
        "warehouse:\n"
        f"  url: postgres://svc_churn:{s.url_password}@db.internal:5432/prod\n"
        "threshold: 0.25\n"
    )
    (config / "aws.env").write_text(f"REGION=eu-west-1\nAWS_ACCESS_KEY_ID={s.aws}\n")
    (config / "ci.yaml").write_text(f"steps:\n  - run: deploy\ngithub_token: {s.github}\n")
    (config / "app.yaml").write_text(f"user: scoring\npassword: {s.keyword_password}\n")
    (config / "keys" / "deploy.pem").write_text(_pem(s.pem_body))
    (config / "clean.yaml").write_text(
        "retries: 3\ntimeout_s: 30\nendpoint: https://crm.acme.example/api\n"
    )
    (config / "blob.bin").write_bytes(b"\x00\x01" + s.aws.encode())
    return s


def _hits_by_type(scan_hits: list) -> dict[str, set[str]]:  # type: ignore[type-arg]
    out: dict[str, set[str]] = {}
    for h in scan_hits:
        out.setdefault(h.type, set()).add(h.where)
    return out


# -- scanning files -------------------------------------------------------------------------


def test_scan_finds_each_seeded_secret_with_file_and_line(tmp_path: Path, seeded: Seeded) -> None:
    scan = scan_secret_paths([("config/", tmp_path / "config")], base_dir=tmp_path)
    found = _hits_by_type(scan.hits)
    assert "config/aws.env:2" in found["AWS Access Key"]
    assert "config/ci.yaml:3" in found["GitHub Token"]
    assert "config/serving.yaml:3" in found["Basic Auth Credentials"]
    assert "config/app.yaml:2" in found["Secret Keyword"]
    assert "config/keys/deploy.pem:1" in found["Private Key"]
    assert not any(h.source == "config/clean.yaml" for h in scan.hits)
    assert scan.files_scanned == 6 and any("blob.bin: binary" in s for s in scan.skipped)
    dumped = scan.model_dump_json()
    assert not any(v in dumped for v in seeded.values)
    previews = {h.masked for h in scan.hits if h.type == "AWS Access Key"}
    assert previews == {f"{seeded.aws[:2]}…{seeded.aws[-2:]}"}


def test_scan_skips_links_leaving_the_folder_and_allowlisted_lines(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = "ghp_" + _rand(_ALNUM, 36)
    (outside / "token.txt").write_text(f"token: {secret}\n")
    folder = tmp_path / "dossier" / "config"
    folder.mkdir(parents=True)
    (folder / "link.txt").symlink_to(outside / "token.txt")
    (folder / "ok.yaml").write_text(f"token: {secret}  # pragma: allowlist secret\n")
    scan = scan_secret_paths([("config/", folder)], base_dir=tmp_path / "dossier")
    assert scan.hits == []
    assert any("link.txt: a link that leaves" in s for s in scan.skipped)


def test_scan_bounds(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(5):
        (folder / f"f{i}.txt").write_text("nothing secret here\n")
    (folder / "big.txt").write_text("x" * 3000)
    scan = scan_secret_paths(
        [("many/", folder)], base_dir=tmp_path, max_files=3, max_file_bytes=2048
    )
    assert scan.files_scanned == 3 and scan.truncated
    assert any("big.txt: larger than" in s for s in scan.skipped)


# -- the check ------------------------------------------------------------------------------


def test_check_fails_with_file_and_line_and_no_value(make_ctx: MakeCtx, seeded: Seeded) -> None:
    f = run_one(check_spec("SEC.SECRETS"), make_ctx({"security": {"scan_paths": ["config/"]}}))
    assert f.outcome is Outcome.FAIL
    assert "config/aws.env:2" in f.message and "AWS Access Key" in f.message
    assert f.measured["in_files"] >= 5 and f.measured["in_dossier"] == 0
    dumped = f.model_dump_json()
    assert not any(v in dumped for v in seeded.values)


def test_check_outcomes(make_ctx: MakeCtx, tmp_path: Path) -> None:
    assert run_one(check_spec("SEC.SECRETS"), make_ctx()).outcome is Outcome.MISSING
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "serving.yaml").write_text("threshold: 0.25\nretries: 3\n")
    clean = run_one(check_spec("SEC.SECRETS"), make_ctx({"security": {"scan_paths": ["config/"]}}))
    assert clean.outcome is Outcome.PASS and clean.measured["files_scanned"] == 1
    gone = run_one(check_spec("SEC.SECRETS"), make_ctx({"security": {"scan_paths": ["config/", "src/"]}}))
    assert gone.outcome is Outcome.ERROR and gone.measured["not_found"] == ["src/"]
    for i in range(3):
        (tmp_path / "config" / f"x{i}.yaml").write_text("a: 1\n")
    capped = make_ctx(
        {"security": {"scan_paths": ["config/"]}}, policy={"security": {"secrets_max_files": 2}}
    )
    assert run_one(check_spec("SEC.SECRETS"), capped).outcome is Outcome.WARN
    bad_plugin = make_ctx(
        {"security": {"scan_paths": ["config/"]}},
        policy={"security": {"secrets_excluded_plugins": ["Nope"]}},
    )
    assert run_one(check_spec("SEC.SECRETS"), bad_plugin).outcome is Outcome.ERROR


def test_check_reports_dossier_secrets(make_ctx: MakeCtx) -> None:
    token = "ghp_" + _rand(_ALNUM, 36)
    # A dossier that reached the check unredacted is redacted before it is reported...
    f = run_one(check_spec("SEC.SECRETS"), make_ctx({"model": {"description": f"CI uses {token}"}}))
    assert f.outcome is Outcome.FAIL and "dossier: model.description" in f.message
    assert token not in f.model_dump_json()
    # ...and a redacted one is reported from its markers.
    redacted, _ = redact_dossier_secrets({"model": {"description": f"CI uses {token}"}})
    f = run_one(check_spec("SEC.SECRETS"), make_ctx(redacted))
    assert f.outcome is Outcome.FAIL and f.measured["in_dossier"] == 1


# -- redaction ------------------------------------------------------------------------------


def test_mask() -> None:
    assert mask("AKIA" + "B" * 16) == "AK…BB"
    assert mask("short-secret") == ""


def test_redact_dossier_secrets(seeded: Seeded) -> None:
    url = f"postgres://svc:{seeded.url_password}@db.internal/prod"
    dossier = {
        "model": {"name": "churn", "description": f"Deploy key:\n{_pem(seeded.pem_body)}done"},
        "security": {
            "artifact_sha256": "ab" * 32,
            "threat_model": f"Reads {url} with {seeded.aws}; CI token {seeded.github}.",
            "input_validation": f"password: {seeded.keyword_password}",
        },
        "problem": {"assumptions": [f"Same key {seeded.aws} everywhere"]},
    }
    original = json.dumps(dossier)
    redacted, hits = redact_dossier_secrets(dossier)
    assert json.dumps(dossier) == original, "the input must not be modified"
    text = json.dumps(redacted, ensure_ascii=False)
    assert not any(v in text for v in seeded.values)
    assert redacted["security"]["artifact_sha256"] == "ab" * 32
    assert "done" in redacted["model"]["description"]
    kinds = {(h.field, h.type) for h in hits}
    assert ("security.threat_model", "AWS Access Key") in kinds
    assert ("security.threat_model", "GitHub Token") in kinds
    assert ("security.threat_model", "Basic Auth Credentials") in kinds
    assert ("model.description", "Private Key") in kinds
    assert ("security.input_validation", "Secret Keyword") in kinds
    assert ("problem.assumptions[0]", "AWS Access Key") in kinds
    assert f"‹redacted:AWS Access Key:{seeded.aws[:2]}…{seeded.aws[-2:]}›" in text
    assert len(find_redaction_markers(redacted)) == len(hits)
    again, more = redact_dossier_secrets(redacted)
    assert again == redacted and more == []


def test_example_dossier_has_no_false_positive() -> None:
    dossier = yaml.safe_load((EXAMPLES / "churn" / "dossier.yaml").read_text())
    _, hits = redact_dossier_secrets(json.loads(json.dumps(dossier, default=str)))
    assert hits == []


def test_dispatcher_redacts_dossier_and_text(tmp_path: Path) -> None:
    token = "ghp_" + _rand(_ALNUM, 36)
    state = ReviewState(
        dossier={"model": {"name": "m", "description": f"uses {token}"}},
        text=f"free text with {token}",
        base_dir=str(tmp_path),
    )
    out = dispatcher(state, None)  # type: ignore[arg-type]
    assert token not in json.dumps(out, ensure_ascii=False)
    assert "‹redacted:GitHub Token:" in out["dossier"]["model"]["description"]
    assert "‹redacted:GitHub Token:" in out["text"]
    assert redact_text(f"x {token}")[1][0].field == "text"


# -- end to end: nothing leaks into reports or checkpoints ----------------------------------


def test_review_keeps_secrets_out_of_reports_and_checkpoints(
    tmp_path: Path, seeded: Seeded
) -> None:
    dossier = {
        "model": {
            "name": "churn",
            "task": "binary_classification",
            "description": f"Scores accounts nightly. Legacy key {seeded.aws} still in use.",
        },
        "security": {
            "scan_paths": ["config/"],
            "threat_model": f"CI token {seeded.github} rotates yearly",
        },
    }
    path = tmp_path / "dossier.yaml"
    path.write_text(yaml.safe_dump(dossier))
    db = tmp_path / "r.sqlite"
    result = review(
        path,
        text=f"Churn model; db password {seeded.url_password} per postgres://svc:{seeded.url_password}@db/x",
        db=db,
        output_dir=tmp_path / "out",
        cache_dir=tmp_path / "cache",
        as_of="2026-11-28",
    )
    gate = next(g for g in result.report.gates if g.id == "security_robustness")
    finding = gate.finding("SEC.SECRETS")
    assert finding is not None and finding.outcome is Outcome.FAIL
    assert "config/aws.env:2" in finding.message
    assert finding.measured["in_dossier"] >= 2
    assert "redaction markers" in gate.sections["Credential and secret safeguards"]
    rendered = [render(result.report, fmt) for fmt in ("txt", "md", "json")]
    assert any("config/keys/deploy.pem:1" in r for r in rendered)
    blobs = {f"render:{i}": r.encode() for i, r in enumerate(rendered)}
    for folder in (tmp_path / "out", tmp_path / "cache"):
        blobs |= {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    blobs |= {str(p): p.read_bytes() for p in tmp_path.glob("r.sqlite*")}
    assert len([k for k in blobs if "r.sqlite" in k]) >= 1
    for name, blob in blobs.items():
        for value in seeded.values:
            assert value.encode() not in blob, f"a secret leaked into {name}"


def test_references_to_secrets_are_not_secrets() -> None:
    from langgraph_gates.evidence.secrets import redact_text

    for line in ("password_env: DB_PASSWORD", "api_key_env: MT_API_KEY", "secret_name: prod/router/mt",
                 "webhook_secret: ${HELPDESK_WEBHOOK_SECRET}"):
        assert redact_text(line)[1] == [], line
    for line in ('password = "Xy7kLm90qPzT3"', "api_key: PASSWORD123"):
        assert redact_text(line)[1], line
