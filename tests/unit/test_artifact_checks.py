"""SEC.ARTIFACT_UNSAFE and SEC.ARTIFACT_INTEGRITY, as checks and through a whole review."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pytest
import yaml

from langgraph_gates import review
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Outcome, Severity

from ..conftest import MakeCtx, run_one
from . import malicious_artifacts as ma


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "MARKER"
    yield path
    assert not path.exists(), "a payload ran: the marker file exists"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- SEC.ARTIFACT_UNSAFE --------------------------------------------------------------------


def test_no_artifact_is_missing(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx()).outcome is Outcome.MISSING
    assert run_one(check_spec("SEC.ARTIFACT_INTEGRITY"), make_ctx()).outcome is Outcome.MISSING


def test_artifact_not_found_is_an_error(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"security": {"artifact": "model/nope.pkl"}})
    assert run_one(check_spec("SEC.ARTIFACT_UNSAFE"), ctx).outcome is Outcome.ERROR
    assert run_one(check_spec("SEC.ARTIFACT_INTEGRITY"), ctx).outcome is Outcome.ERROR


def test_artifact_outside_the_dossier_folder_is_an_error(make_ctx: MakeCtx) -> None:
    f = run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx({"security": {"artifact": "../x.pkl"}}))
    assert f.outcome is Outcome.ERROR and "leaves" in f.message


@pytest.mark.parametrize("name", ["os.system", "methodcaller + import_module", "getattr chain"])
def test_malicious_artifact_fails(
    make_ctx: MakeCtx, tmp_path: Path, marker: Path, name: str
) -> None:
    build, expected = ma.MALICIOUS[name]
    (tmp_path / "model.pkl").write_bytes(build(marker))
    f = run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx({"security": {"artifact": "model.pkl"}}))
    assert f.outcome is Outcome.FAIL and f.severity is Severity.HIGH
    assert expected in f.message and expected in f.measured["imports_blocked"]
    assert "known dangerous" in f.message


def test_pickle_with_allowed_imports_warns(make_ctx: MakeCtx, tmp_path: Path) -> None:
    joblib.dump({"w": np.arange(4.0)}, tmp_path / "model.joblib", compress=3)
    f = run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx({"security": {"artifact": "model.joblib"}}))
    assert f.outcome is Outcome.WARN and f.severity is Severity.MEDIUM
    assert "pickle-based" in f.message and "safetensors" in f.message
    assert f.measured["format"] == "joblib (zlib)" and f.measured["imports_blocked"] == []


def test_policy_allowed_globals(make_ctx: MakeCtx, tmp_path: Path) -> None:
    data = ma.Asm(4).raw(pickle.GLOBAL + b"acme.models\nChurnNet\n").op(pickle.EMPTY_TUPLE)
    (tmp_path / "model.pkl").write_bytes(data.op(pickle.REDUCE, pickle.STOP).bytes())
    dossier = {"security": {"artifact": "model.pkl"}}
    f = run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx(dossier))
    assert f.outcome is Outcome.FAIL and "acme.models.ChurnNet" in f.message
    assert "known dangerous" not in f.message
    policy = {"security": {"allowed_globals": ["acme.models.ChurnNet"]}}
    assert (
        run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx(dossier, policy=policy)).outcome is Outcome.WARN
    )


def test_unparseable_artifact_fails(make_ctx: MakeCtx, tmp_path: Path) -> None:
    data = pickle.dumps({"w": list(range(100))}, protocol=4)
    (tmp_path / "model.pkl").write_bytes(data[: len(data) // 2])
    f = run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx({"security": {"artifact": "model.pkl"}}))
    assert f.outcome is Outcome.FAIL and "cannot be verified" in f.message


def test_non_executable_and_unknown_formats(make_ctx: MakeCtx, tmp_path: Path) -> None:
    ma.write_safetensors(tmp_path / "model.safetensors")
    f = run_one(
        check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx({"security": {"artifact": "model.safetensors"}})
    )
    assert f.outcome is Outcome.PASS and "non-executable" in f.message
    (tmp_path / "model.weights").write_bytes(bytes(range(7, 250)))
    f = run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx({"security": {"artifact": "model.weights"}}))
    assert f.outcome is Outcome.WARN and "not recognised" in f.message


def test_artifact_above_the_size_cap_is_an_error(make_ctx: MakeCtx, tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(list(range(2000))))
    size_mb = (tmp_path / "model.pkl").stat().st_size / 2**20
    dossier = {"security": {"artifact": "model.pkl"}}
    below = {"security": {"max_artifact_mb": size_mb * 0.99}}
    above = {"security": {"max_artifact_mb": size_mb * 1.01}}
    assert (
        run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx(dossier, policy=below)).outcome is Outcome.ERROR
    )
    assert (
        run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx(dossier, policy=above)).outcome is Outcome.WARN
    )


# -- SEC.ARTIFACT_INTEGRITY -----------------------------------------------------------------


def test_integrity(make_ctx: MakeCtx, tmp_path: Path) -> None:
    data = pickle.dumps({"w": [1.0, 2.0]})
    (tmp_path / "model.pkl").write_bytes(data)
    digest = _sha(data)

    def outcome(declared: str | None) -> tuple[Outcome, dict]:
        f = run_one(
            check_spec("SEC.ARTIFACT_INTEGRITY"),
            make_ctx({"security": {"artifact": "model.pkl", "artifact_sha256": declared}}),
        )
        return f.outcome, {**f.measured, "message": f.message}

    none_declared = outcome(None)
    assert none_declared[0] is Outcome.WARN
    assert none_declared[1]["sha256"] == digest and digest in none_declared[1]["message"]
    assert outcome(digest)[0] is Outcome.PASS
    assert outcome(f"sha256:{digest.upper()}")[0] is Outcome.PASS
    flipped = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    failed = outcome(flipped)
    assert failed[0] is Outcome.FAIL and failed[1]["matches"] is False
    assert outcome("not-a-hash")[0] is Outcome.ERROR


def test_integrity_of_a_folder(make_ctx: MakeCtx, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    files = {"config.json": b"{}", "sub/weights.bin": b"\x00\x01\x02"}
    for rel, data in files.items():
        (folder / rel).write_bytes(data)
    manifest = "".join(f"{_sha(files[rel])}  {rel}\n" for rel in sorted(files))
    expected = _sha(manifest.encode())
    ctx = make_ctx({"security": {"artifact": "model", "artifact_sha256": expected}})
    assert run_one(check_spec("SEC.ARTIFACT_INTEGRITY"), ctx).outcome is Outcome.PASS
    (folder / "sub/weights.bin").write_bytes(b"\x00\x01\x03")
    assert run_one(check_spec("SEC.ARTIFACT_INTEGRITY"), ctx).outcome is Outcome.FAIL


# -- through a whole review -----------------------------------------------------------------


def _dossier_folder(tmp_path: Path, artifact: str, sha: str | None = None) -> Path:
    folder = tmp_path / "dossier"
    folder.mkdir(exist_ok=True)
    doc = {
        "model": {"name": "churn", "task": "binary_classification"},
        "security": {"artifact": artifact, "artifact_sha256": sha},
    }
    (folder / "dossier.yaml").write_text(yaml.safe_dump(doc))
    return folder / "dossier.yaml"


@pytest.mark.parametrize(
    "build",
    [
        lambda folder, marker: ma.joblib_with_object(folder / "model.joblib", marker, compress=3),
        lambda folder, marker: ma.hidden_in_joblib_array(folder / "model.joblib", marker),
        lambda folder, marker: ma.torch_zip(
            folder / "model.joblib",
            extra={"archive/x.pkl": ma.methodcaller_import_module(marker)},
        ),
    ],
    ids=["object-in-joblib", "hidden-in-array-data", "member-of-torch-zip"],
)
def test_review_of_a_malicious_artifact(tmp_path: Path, marker: Path, build) -> None:  # type: ignore[no-untyped-def]
    dossier = _dossier_folder(tmp_path, "model.joblib")
    path = build(dossier.parent, marker)
    dossier.write_text(
        dossier.read_text().replace(
            "artifact_sha256: null", f"artifact_sha256: {_sha(path.read_bytes())}"
        )
    )
    result = review(dossier, as_of="2026-11-28")
    gate = next(g for g in result.report.gates if g.id == "security_robustness")
    unsafe = gate.finding("SEC.ARTIFACT_UNSAFE")
    assert unsafe is not None and unsafe.outcome is Outcome.FAIL
    assert unsafe.measured["imports_blocked"]
    assert gate.finding("SEC.ARTIFACT_INTEGRITY").outcome is Outcome.PASS  # type: ignore[union-attr]
    assert gate.status.value == "Fail" and result.recommendation == "No-Go"
