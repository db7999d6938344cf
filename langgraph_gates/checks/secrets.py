"""SEC.SECRETS: hard-coded secrets in the code/config paths and in the dossier itself.

Values never leave :mod:`langgraph_gates.evidence.secrets`: findings carry the file, the line,
the kind of secret and at most the first and last two characters of a long value.
Secrets in the dossier were already replaced by redaction markers before the dossier entered
the review state (see the dispatcher); this check reports those markers, and redacts anything
still raw (a dossier that reached the check another way) before reporting it.
"""

from __future__ import annotations

import json
from pathlib import Path

from langgraph_gates.checks.base import CheckContext, Verdict, error, fail, missing, ok, warn
from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence.secrets import (
    SecretHit,
    SecretsScan,
    find_redaction_markers,
    plugin_names,
    redact_dossier_secrets,
    scan_secret_paths,
)
from langgraph_gates.state import EvidenceRef

__all__ = [
    "check_secrets",
]

_SHOWN = 8


def _dossier_hits(ctx: CheckContext) -> list[SecretHit]:
    dumped = ctx.dossier.model_dump(mode="json")
    hits = find_redaction_markers(dumped)
    _, raw_hits = redact_dossier_secrets(dumped)
    return hits + raw_hits


def _file_scan(ctx: CheckContext, paths: list[tuple[str, Path]]) -> SecretsScan:
    sec = ctx.policy.security
    unknown = sorted(set(sec.secrets_excluded_plugins) - set(plugin_names()))
    if unknown:
        msg = f"unknown detect-secrets plugin(s) {', '.join(unknown)}"
        raise EvidenceError(msg, source="policy", field="security.secrets_excluded_plugins")

    def compute() -> SecretsScan:
        return scan_secret_paths(
            paths,
            base_dir=None if ctx.allow_outside else ctx.base_dir,
            max_files=sec.secrets_max_files,
            max_file_bytes=sec.secrets_max_file_kb * 1024,
            excluded_plugins=sec.secrets_excluded_plugins,
        )

    params = json.dumps([shown for shown, _ in paths])
    return ctx.evidence.cached(
        "secrets_scan", [p for _, p in paths], SecretsScan, compute, params=params
    )


def _describe(hits: list[SecretHit]) -> str:
    shown = [f"{h.type} at {h.where}" for h in hits[:_SHOWN]]
    more = len(hits) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def check_secrets(ctx: CheckContext) -> Verdict:
    """Judges SEC.SECRETS: hard-coded secrets in the scan paths and the dossier."""
    values = ctx.dossier.security.scan_paths
    resolved: list[tuple[str, Path]] = []
    not_found: list[str] = []
    for i, value in enumerate(values):
        path = ctx.path(f"security.scan_paths[{i}]", value)
        (resolved.append((value, path)) if path.exists() else not_found.append(value))
    scan = _file_scan(ctx, resolved) if resolved else SecretsScan()
    dossier_hits = _dossier_hits(ctx)
    hits = scan.hits + dossier_hits
    measured = {
        "files_scanned": scan.files_scanned,
        "secrets_found": len(hits),
        "in_files": len(scan.hits),
        "in_dossier": len(dossier_hits),
        "hits": [{"where": h.where, "type": h.type, "preview": h.masked} for h in hits[:50]],
        "skipped": scan.skipped[:20],
        "not_found": not_found,
        "truncated": scan.truncated,
    }
    scanned_refs = [EvidenceRef(source=v) for v, _ in resolved] or [
        EvidenceRef(source="security.scan_paths")
    ]
    if hits:
        evidence = [
            EvidenceRef(
                source=h.source if h.field is None else "dossier",
                detail=f"line {h.line}: {h.type}" if h.field is None else f"{h.field}: {h.type}",
            )
            for h in hits[:20]
        ]
        return fail(
            f"{len(hits)} hard-coded secret(s) found (values redacted): {_describe(hits)}.",
            measured=measured,
            evidence=evidence,
            mitigation=(
                "Revoke and rotate every secret listed, remove it from the files (and their "
                "history), and load credentials from a secret manager or the environment at "
                "run time; mark a false positive with '# pragma: allowlist secret'."
            ),
        )
    if not values:
        return missing(
            "No code or config paths to scan are given (security.scan_paths); only the "
            "dossier was scanned, and it holds no secret.",
            measured=measured,
            evidence=EvidenceRef(source="security.scan_paths"),
        )
    if not_found:
        return error(
            f"Scan path(s) not found: {', '.join(not_found)}; no secret in the "
            f"{scan.files_scanned} file(s) that were scanned.",
            measured=measured,
            evidence=[EvidenceRef(source=v) for v in not_found],
        )
    if scan.truncated:
        return warn(
            f"Only the first {scan.files_scanned} files were scanned (policy "
            "security.secrets_max_files); no secret in them.",
            measured=measured,
            evidence=scanned_refs,
            mitigation="Narrow security.scan_paths to code and config, or raise the cap.",
        )
    skipped = f" ({len(scan.skipped)} skipped: binary, too large or links)" if scan.skipped else ""
    return ok(
        f"No hard-coded secret in {scan.files_scanned} scanned file(s){skipped} nor in the "
        "dossier.",
        measured=measured,
        evidence=scanned_refs,
    )
