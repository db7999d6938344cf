"""Secrets planted at test time, and the search for them in everything a review leaves behind.

:func:`seed` writes a dossier folder whose dossier and ``config/`` files hold secrets of several
kinds (an AWS access key, an RSA private key, a GitHub token, a password inside a database URL
and a generic ``api_key = <high-entropy>``), every value freshly random, so no secret is ever
committed. :func:`leaks` searches text and raw bytes (reports, SQLite files with their ``-wal``
and ``-shm``, the evidence cache, LLM request bodies) for any of the values.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = ["Planted", "blobs_under", "leaks", "seed"]

_ALNUM = string.ascii_letters + string.digits
# Table borders and wrapping could split a leaked value across lines of console output.
_SQUEEZE = re.compile(r"[\s│┃║┆┊|─━╭╮╰╯┌┐└┘├┤┬┴┼]+")


def _rand(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _pem(lines: list[str]) -> str:
    # Assembled from pieces so that no source file holds a private-key header.
    kind = "RSA " + "PRIVATE" + " KEY"
    return "\n".join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"]) + "\n"


@dataclass(frozen=True)
class Planted:
    """The secret values of one seeded folder (generated, never printed)."""

    aws_key: str
    github_token: str
    url_password: str
    api_key: str
    pem_lines: tuple[str, ...]
    dossier: Path
    text: str

    @property
    def values(self) -> dict[str, str]:
        """Kind -> value for every planted secret (each PEM body line counts)."""
        out = {
            "aws access key": self.aws_key,
            "github token": self.github_token,
            "password in a url": self.url_password,
            "generic api_key": self.api_key,
        }
        out |= {f"private key line {i}": line for i, line in enumerate(self.pem_lines)}
        return out


def seed(folder: Path, *, with_text: bool = True) -> Planted:
    """Write ``folder/dossier.yaml`` and ``folder/config/`` with fresh random secrets."""
    body = base64.b64encode(os.urandom(144)).decode()  # 192 characters, no padding
    planted = {
        "aws": "AKIA" + _rand(string.ascii_uppercase + string.digits, 16),
        "github": "ghp_" + _rand(_ALNUM, 36),
        "url_password": _rand(_ALNUM, 22),
        "api_key": _rand("0123456789abcdef", 40),
        "pem": [body[i : i + 64] for i in range(0, len(body), 64)],
    }
    config = folder / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "aws.env").write_text(
        f"REGION=eu-west-1\nAWS_ACCESS_KEY_ID={planted['aws']}\n", encoding="utf-8"
    )
    (config / "ci.yaml").write_text(
        f"steps:\n  - run: deploy\ngithub_token: {planted['github']}\n", encoding="utf-8"
    )
    (config / "serving.yaml").write_text(
        "warehouse:\n"
        f"  url: postgres://svc_churn:{planted['url_password']}@db.internal:5432/prod\n",
        encoding="utf-8",
    )
    (config / "settings.py").write_text(
        f'TIMEOUT_S = 30\nAPI_KEY = "{planted["api_key"]}"\n', encoding="utf-8"
    )
    (config / "deploy.pem").write_text(_pem(planted["pem"]), encoding="utf-8")
    (config / "clean.yaml").write_text("retries: 3\ntimeout_s: 30\n", encoding="utf-8")
    dossier = {
        "model": {
            "name": "leaky-churn",
            "version": "1.0.0",
            "task": "binary_classification",
            "description": f"Scores accounts nightly. The legacy key {planted['aws']} is still used.",
        },
        "problem": {
            "objective": "Reduce voluntary churn of B2B accounts",
            "kpis": [{"name": "monthly churn", "baseline": 0.05, "target": 0.04}],
            "assumptions": [f"CI pushes with token {planted['github']} until Q3"],
        },
        "features": {
            # A secret as a mapping key, not only as a value.
            "groups": {planted["github"]: ["seats"]},
        },
        "responsible_ai": {"harms": [f"The deploy key is kept here:\n{_pem(planted['pem'])}"]},
        "security": {
            "scan_paths": ["config/"],
            "threat_model": "Scoring calls the CRM API.\n"
            f"api_key = {planted['api_key']}\n"
            "The key is rotated yearly.",
            "input_validation": "Great Expectations suite before scoring.",
        },
        "deployment": {
            "rollback_plan": "Restore the tables from "
            f"postgres://svc_churn:{planted['url_password']}@db.internal:5432/prod first.",
            "on_call": "ml-oncall",
        },
    }
    path = folder / "dossier.yaml"
    path.write_text(yaml.safe_dump(dossier, sort_keys=False), encoding="utf-8")
    text = (
        f"Churn model for B2B accounts; it reads postgres://svc:{planted['url_password']}@db/x "
        f"with api_key = {planted['api_key']} and deploys with {planted['github']} "
        f"(AWS {planted['aws']})."
        if with_text
        else ""
    )
    return Planted(
        aws_key=planted["aws"],
        github_token=planted["github"],
        url_password=planted["url_password"],
        api_key=planted["api_key"],
        pem_lines=tuple(planted["pem"]),
        dossier=path,
        text=text,
    )


def blobs_under(*folders: Path) -> dict[str, bytes]:
    """Raw bytes of every file under the folders (reports, SQLite with -wal/-shm, cache)."""
    out: dict[str, bytes] = {}
    for folder in folders:
        if folder.is_file():
            out[str(folder)] = folder.read_bytes()
        elif folder.is_dir():
            out |= {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return out


def leaks(
    planted: Planted, places: Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]]
) -> list[str]:
    """``"kind in place"`` for every planted value found in any place (empty: nothing leaked).

    Text is searched as written and with whitespace and table borders squeezed out (a console
    may wrap a value); bytes are searched raw and as UTF-16 (SQLite can store text so).
    """
    items = places.items() if isinstance(places, Mapping) else places
    found = []
    for where, content in items:
        if isinstance(content, bytes):
            haystacks = [content]
            needles = lambda v: (v.encode(), v.encode("utf-16-le"))  # noqa: E731
        else:
            haystacks = [content, _SQUEEZE.sub("", content)]
            needles = lambda v: (v,)  # noqa: E731
        for kind, value in planted.values.items():
            if any(n in h for h in haystacks for n in needles(value)):  # type: ignore[operator]
                found.append(f"{kind} in {where}")
    return found
