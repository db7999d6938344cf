"""Hard-coded secrets: find them with detect-secrets, and never let a value out.

Two uses:

* :func:`scan_secret_paths` scans the files under ``security.scan_paths`` with detect-secrets'
  default plugins and filters (``SecretsCollection().scan_file`` inside its settings), bounded
  in file count and size, skipping binary files and links that leave the dossier's folder.
* :func:`redact_dossier_secrets` scans every string of a dossier mapping with the
  *high-signal* plugins only (keys, tokens, private keys, URL passwords, ``password: ...``
  assignments; not the entropy-only plugins, which flag every hash and id in free text), and
  replaces each secret by a marker such as ``‹redacted:AWS Access Key:AK…LE›`` before the
  dossier reaches the checkpointed state. SEC.SECRETS later finds those markers.

Strings are scanned by writing them to an in-memory file (``memfd``; a private temporary file
where that does not exist) and running ``scan_file`` on it: ``scan_line`` switches filters off
and searches eagerly, which is far too noisy for prose.

Results carry masked previews only (at most the first and last two characters of a long
secret), never a value. detect-secrets keeps its settings in a process-wide singleton, so
every use goes through one lock.
"""

from __future__ import annotations

import bisect
import collections
import copy
import functools
import hashlib
import itertools
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "MARKER_RE",
    "SecretHit",
    "SecretsScan",
    "find_redaction_markers",
    "mask",
    "plugin_names",
    "redact_dossier_secrets",
    "redact_text",
    "scan_secret_paths",
]

_LOCK = threading.RLock()

# Plugins that judge by entropy alone (or flag public IPs) are left out for prose: they flag
# hashes, ids and paths. The other default plugins look for a concrete secret shape.
_PROSE_EXCLUDED = frozenset({"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"})
MARKER_RE = re.compile(r"‹redacted:([^:›]+)(?::([^›]*))?›")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.~]")
_TOKEN_START_CHARS = re.compile(r"[A-Za-z0-9_\-+/.~]")  # '=' only pads the end of base64
_PEM_BLOCK = re.compile(
    r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)",
    re.DOTALL,
)
# Passwords in URLs that detect-secrets' BasicAuthDetector skips (it refuses RFC 3986
# sub-delimiters such as '!' or '$' in the password, which people still write unencoded).
_URL_CREDENTIALS = re.compile(
    r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/?#@'\"<>]+:(?P<pw>[^\s/?#@'\"<>]+)@[^\s/?#@'\"<>]"
)
_TEMPLATED = re.compile(r"^(\$\{?|\{\{|%\(|<|\*+$|x+$|X+$|\.\.\.$)")
_KEY_VALUE = re.compile(
    r"^\s*(?P<key>[A-Za-z_][\w.\-]*)\s*[:=]\s*(?P<value>[^\s'\"()\[\]{}<>]+)\s*$"
)
# ``api_key = <token>`` inside a sentence (free text written on one line): only token-like values
# (long, no spaces) are offered to the keyword rules, so prose such as "password: see vault"
# stays prose.
_INLINE_KEY_VALUE = re.compile(
    r"(?<![\w.\-])(?P<key>[A-Za-z_][\w.\-]*)\s*[:=]\s*['\"]?(?P<value>[A-Za-z0-9_\-+/=.~]{12,})"
)
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv"})


class SecretHit(BaseModel):
    """One secret found: where, which kind, and a masked preview (never the value)."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="File (relative to the dossier) or 'dossier'.")
    line: int | None = Field(default=None, description="Line in the file (1-based).")
    field: str | None = Field(default=None, description="Dossier field, for dossier hits.")
    type: str = Field(description="Kind of secret, as detect-secrets names it.")
    masked: str = Field(default="", description="At most the first and last 2 characters.")

    @property
    def where(self) -> str:
        """``config/app.yaml:3`` or ``dossier: security.threat_model``."""
        if self.field is not None:
            suffix = f" (line {self.line})" if self.line and self.line > 1 else ""
            return f"dossier: {self.field}{suffix}"
        return f"{self.source}:{self.line}" if self.line else self.source


class SecretsScan(BaseModel):
    """The result of scanning files for secrets (masked previews only)."""

    hits: list[SecretHit] = Field(default_factory=list)
    files_scanned: int = 0
    skipped: list[str] = Field(default_factory=list, description="Files not scanned, and why.")
    truncated: bool = Field(default=False, description="More files than the cap were found.")


def mask(token: str) -> str:
    """A preview that cannot give a secret away: first and last 2 characters of long ones."""
    token = token.strip()
    if len(token) >= 16:
        return f"{token[:2]}…{token[-2:]}"
    return ""


def _marker(kind: str, preview: str) -> str:
    return f"‹redacted:{kind}:{preview}›" if preview else f"‹redacted:{kind}›"


@functools.cache
def _default_config() -> dict[str, Any]:
    from detect_secrets.settings import default_settings

    with _LOCK, default_settings() as settings:
        config: dict[str, Any] = settings.json()
    return config


def _settings_config(excluded: frozenset[str]) -> dict[str, Any]:
    config = copy.deepcopy(_default_config())
    config["plugins_used"] = [p for p in config["plugins_used"] if p["name"] not in excluded]
    return config


def plugin_names() -> list[str]:
    """Names of detect-secrets' default plugins (for validating a policy's exclusions)."""
    return [p["name"] for p in _default_config()["plugins_used"]]


@dataclass(frozen=True)
class _Raw:
    """A detection with its raw token; lives only inside this module, never returned."""

    line: int
    type: str
    token: str


def _expand(line: str, value: str) -> str:
    """The whole token around a detected value (GitHub tokens come back as 'ghp' only)."""
    idx = line.find(value)
    if idx < 0 or not value:
        return value
    start, end = idx, idx + len(value)
    while start > 0 and _TOKEN_START_CHARS.match(line[start - 1]):
        start -= 1
    while end < len(line) and _TOKEN_CHARS.match(line[end]):
        end += 1
    return line[start:end]


def _url_credentials(lines: Sequence[str]) -> Iterator[_Raw]:
    for number, line in enumerate(lines, start=1):
        for m in _URL_CREDENTIALS.finditer(line):
            pw = m.group("pw")
            if not _TEMPLATED.match(pw):
                yield _Raw(number, "Basic Auth Credentials", pw)


# What a keyword hit's value looks like when it names a secret instead of holding one: an
# environment variable (DB_PASSWORD), a ${VAR} reference, or a secret manager path
# (prod/router/mt). Real secrets have mixed case, digits or symbols and no such shape.
_ENV_NAME = re.compile(r"^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Z][A-Z0-9]*(_[A-Z0-9]+)+)$")
_SECRET_PATH = re.compile(r"^[a-z0-9_.-]+(/[a-z0-9_.-]+)+$")


def _is_reference(value: str) -> bool:
    """Whether a keyword-detector value is a reference to a secret rather than a secret."""
    stripped = value.strip().strip("'\"")
    return bool(_ENV_NAME.match(stripped) or _SECRET_PATH.match(stripped))


def _scan_file_raw(filename: str, lines: Sequence[str], config: dict[str, Any]) -> list[_Raw]:
    """Run detect-secrets on one file (already read as ``lines``) plus the URL rule."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import transient_settings

    found: list[_Raw] = []
    with _LOCK, transient_settings(config):
        collection = SecretsCollection()
        collection.scan_file(filename)
        for _, secret in collection:
            number = secret.line_number
            text = lines[number - 1] if 0 < number <= len(lines) else ""
            value = secret.secret_value or ""
            if secret.type == "Secret Keyword" and _is_reference(value):
                continue  # `password_env: DB_PASSWORD` names where a secret lives, not the secret
            token = _expand(text, value) if value else ""
            found.append(_Raw(number, secret.type, token))
    seen = {(r.line, r.token) for r in found}
    found += [r for r in _url_credentials(lines) if (r.line, r.token) not in seen]
    found.sort(key=lambda r: (r.line, r.type))
    return found


def _in_memory_file(data: bytes) -> tuple[str, Any]:
    """A readable path holding ``data``: a memfd on Linux, else a private temp file."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("gates-secret-scan")
        os.write(fd, data)
        return f"/proc/self/fd/{fd}", lambda: os.close(fd)
    handle, path = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(handle, "wb") as fh:
        fh.write(data)
    return path, lambda: os.unlink(path)


def _scan_strings(values: Sequence[str]) -> list[list[_Raw]]:
    """Detections per string (line numbers relative to the string)."""
    lines: list[str] = []
    origin: list[tuple[int, int]] = []
    for i, value in enumerate(values):
        # Markers of an earlier round are blanked: keyword rules would take them for secrets,
        # and one detection stops detect-secrets from trying its other passes on the file.
        for j, line in enumerate(MARKER_RE.sub("", value).splitlines() or [""], start=1):
            lines.append(line)
            origin.append((i, j))
            # detect-secrets quotes ``key: value`` lines only when a whole file parses as an
            # ini file, which prose never does; add the quoted form so keyword rules see it.
            kv = _KEY_VALUE.match(line)
            pairs = [(kv.group("key"), kv.group("value"))] if kv else []
            pairs += [
                (m.group("key"), m.group("value"))
                for m in _INLINE_KEY_VALUE.finditer(line)
                if not kv or m.start() > 0
            ]
            for key, value in pairs:
                lines.append(f'{key} = "{value}"')
                origin.append((i, j))
    out: list[list[_Raw]] = [[] for _ in values]
    # Only lines that one of the plugins could fire on are scanned: detect-secrets runs every
    # plugin's regexes on every line, 0.6 ms a line, 34 s for a 5 MB dossier of list items.
    keep = _candidate_lines(lines)
    if not keep:
        return out
    scanned = [lines[k] for k in keep]
    path, cleanup = _in_memory_file("\n".join(scanned).encode("utf-8", "surrogatepass") + b"\n")
    try:
        raws = _scan_file_raw(path, scanned, _settings_config(_PROSE_EXCLUDED))
    finally:
        cleanup()
    for raw in raws:
        i, j = origin[keep[raw.line - 1]]
        out[i].append(_Raw(j, raw.type, raw.token))
    return out


def _candidate_lines(lines: Sequence[str]) -> list[int]:
    """Indexes of the lines any prose plugin could report, in order.

    A superset by construction: each regex plugin reports only matches of its own patterns
    within a line, the keyword plugin only lines holding one of its keywords, and our URL rule
    only its own matches. Each pattern scans the joined text once (one alternation of all of
    them backtracks: 0.2 ms a line), and matches map back to lines by offset.
    """
    text = "\n".join(lines)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    found: set[int] = set()
    keyword, others = _candidate_patterns()
    lowered = text.lower()
    if len(lowered) == len(text):  # lower() keeps offsets (it does not for a few letters)
        keyword_matches = re.finditer(keyword.pattern, lowered)
    else:
        keyword_matches = keyword.finditer(text)
    for m in itertools.chain(keyword_matches, *(rx.finditer(text) for rx in others)):
        first = bisect.bisect_right(starts, m.start()) - 1
        last = bisect.bisect_right(starts, max(m.start(), m.end() - 1)) - 1
        found.update(range(first, last + 1))
    return sorted(found)


@functools.cache
def _candidate_patterns() -> tuple[re.Pattern[str], tuple[re.Pattern[str], ...]]:
    """Collect the patterns that can start a secret candidate.

    These are the keyword plugin's keywords (matched without case, as it does), and every
    regex plugin's own patterns with their own flags (``^``/``$`` per line, as on one line).
    """
    from detect_secrets.plugins import keyword
    from detect_secrets.settings import get_plugins, transient_settings

    patterns = [_URL_CREDENTIALS]
    with _LOCK, transient_settings(_settings_config(_PROSE_EXCLUDED)):
        for plugin in get_plugins():
            for regex in getattr(plugin, "denylist", ()):
                patterns.append(re.compile(regex.pattern, regex.flags | re.MULTILINE))
    return re.compile(keyword.DENYLIST_REGEX, re.IGNORECASE), tuple(patterns)


def _redact_one(value: str, raws: Sequence[_Raw]) -> tuple[str, list[tuple[int, str, str]]]:
    """Replace each detected secret in ``value``; return the text and (line, type, preview)."""
    markers = [(m.start(), m.end()) for m in MARKER_RE.finditer(value)]

    def inside_marker(start: int, end: int) -> bool:
        return any(start < m_end and end > m_start for m_start, m_end in markers)

    spans: list[tuple[int, int, str, str]] = []
    for raw in raws:
        if raw.type == "Private Key":
            spans += [(m.start(), m.end(), raw.type, "") for m in _PEM_BLOCK.finditer(value)]
            continue
        if not raw.token:
            continue
        start = 0
        while (idx := value.find(raw.token, start)) >= 0:
            spans.append((idx, idx + len(raw.token), raw.type, mask(raw.token)))
            start = idx + len(raw.token)
    # A marker left by an earlier round is not a secret (keyword rules may match it).
    spans = sorted(sp for sp in spans if not inside_marker(sp[0], sp[1]))
    if not spans:
        return value, []
    merged: list[tuple[int, int, str, str]] = []
    for span in spans:
        if merged and span[0] < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], span[1]), last[2], last[3])
        else:
            merged.append(span)
    out, cursor, found = [], 0, []
    for start, end, kind, preview in merged:
        out.append(value[cursor:start])
        out.append(_marker(kind, preview))
        cursor = end
        found.append((value.count("\n", 0, start) + 1, kind, preview))
    out.append(value[cursor:])
    return "".join(out), found


def redact_text(text: str) -> tuple[str, list[SecretHit]]:
    """Redact the secrets of one free-text string (e.g. ``--text``)."""
    redacted, hits = redact_dossier_secrets({"text": text})
    return str(redacted["text"]), [h.model_copy(update={"field": "text"}) for h in hits]


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            key = f"{path}.{k}" if path else str(k)
            if isinstance(k, str):
                yield f"{key} (key)", k
            yield from _strings(v, key)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def _replace(value: Any, path: str, new: dict[str, str]) -> Any:
    if isinstance(value, str):
        return new.get(path, value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = f"{path}.{k}" if path else str(k)
            new_key = new.get(f"{key} (key)", k) if isinstance(k, str) else k
            out[new_key] = _replace(v, key, new)
        return out
    if isinstance(value, list | tuple):
        return [_replace(v, f"{path}[{i}]", new) for i, v in enumerate(value)]
    return value


# The hash field holds a hex digest by design; it is not a secret.
_NOT_SECRET_FIELDS = frozenset({"security.artifact_sha256"})
_MAX_ROUNDS = 4
_SHARED_TOKEN_MIN = 6


# Redactions of this process by content (see redact_dossier_secrets): digest of the input's
# JSON -> (the output's JSON, the hits). Bounded; oldest out first.
_MEMO: collections.OrderedDict[bytes, tuple[bytes, list[SecretHit]]] = collections.OrderedDict()
_MEMO_SIZE = 16


def _json_bytes(mapping: dict[str, Any]) -> bytes | None:
    """The mapping as JSON, or ``None`` when JSON would not give it back exactly (no memo)."""
    stack: list[Any] = [mapping]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(type(k) is str for k in item):
                return None
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
        elif item is not None and type(item) not in (str, int, float, bool):
            return None
    try:
        text = json.dumps(mapping, ensure_ascii=False, allow_nan=False)
    except ValueError:  # NaN or infinity
        return None
    return text.encode("utf-8", "surrogatepass")


def redact_dossier_secrets(mapping: dict[str, Any]) -> tuple[dict[str, Any], list[SecretHit]]:
    """Replace every secret in the strings of a dossier mapping by a redaction marker.

    Redaction is memoized by content within the process: a review redacts its dossier when
    the input is prepared and again in the graph's dispatcher (which must, for callers that
    invoke the graph directly), and a pass over a 5 MB dossier takes seconds. The memo keeps,
    for each mapping redacted, its output; and, when the last scan of that redaction found
    nothing more, also the output as its own fixed point (a scan of the output *was* that last
    scan), so the dispatcher's call on an already redacted dossier is a hit. No caller flag is
    trusted: a mapping this process has not redacted, or that differs by one character, is
    scanned.

    Args:
        mapping: the dossier as plain JSON values (e.g. ``Dossier.model_dump(mode="json")``).

    Returns:
        The redacted mapping (the input is not modified) and the hits, masked, with the
        dotted field of each.
    """
    raw = _json_bytes(mapping)
    if raw is None:
        return _redact_mapping(mapping)[:2]
    key = hashlib.sha256(raw).digest()
    with _LOCK:
        memo = _MEMO.get(key)
        if memo is not None:
            _MEMO.move_to_end(key)
    if memo is not None:
        return json.loads(memo[0]), list(memo[1])
    redacted, hits, converged = _redact_mapping(mapping)
    out = raw if redacted is mapping else _json_bytes(redacted)
    if out is not None:
        with _LOCK:
            _MEMO[key] = (out, list(hits))
            if converged:
                _MEMO[hashlib.sha256(out).digest()] = (out, [])
            while len(_MEMO) > _MEMO_SIZE:
                _MEMO.popitem(last=False)
    return redacted, hits


def _redact_mapping(
    mapping: dict[str, Any],
) -> tuple[dict[str, Any], list[SecretHit], bool]:
    """The redaction itself: (redacted mapping, hits, whether the last scan found nothing new)."""
    pairs = [(p, s) for p, s in _strings(mapping, "") if p not in _NOT_SECRET_FIELDS and s.strip()]
    if not pairs:
        return mapping, [], True
    current = [s for _, s in pairs]
    hits: list[SecretHit] = []
    # detect-secrets tries its "eager" transformers (``key: value`` lines) only on a file where
    # the plain pass found nothing; scanning again after each redaction round reaches them.
    for _ in range(_MAX_ROUNDS):
        detections = _scan_strings(current)
        # detect-secrets reports a value once per file: redact each found token in every string.
        shared = {
            (r.type, r.token)
            for raws in detections
            for r in raws
            if r.type != "Private Key" and len(r.token) >= _SHARED_TOKEN_MIN
        }
        changed = False
        for i, raws in enumerate(detections):
            extra = [_Raw(0, kind, tok) for kind, tok in shared if tok in current[i]]
            if not raws and not extra:
                continue
            redacted, found = _redact_one(current[i], [*raws, *extra])
            if redacted == current[i]:
                continue
            changed = True
            current[i] = redacted
            path = pairs[i][0]
            hits += [
                SecretHit(source="dossier", field=path, line=line, type=kind, masked=preview)
                for line, kind, preview in found
            ]
        if not changed:
            break
    new = {path: value for (path, old), value in zip(pairs, current, strict=True) if value != old}
    if not new:
        return mapping, [], not changed
    return _replace(mapping, "", new), hits, not changed


def find_redaction_markers(mapping: dict[str, Any]) -> list[SecretHit]:
    """The secrets already redacted from a dossier mapping, from their markers."""
    hits = []
    for path, value in _strings(mapping, ""):
        for m in MARKER_RE.finditer(value):
            line = value.count("\n", 0, m.start()) + 1
            hits.append(
                SecretHit(
                    source="dossier",
                    field=path,
                    line=line,
                    type=m.group(1),
                    masked=m.group(2) or "",
                )
            )
    return hits


def _is_binary(path: Path) -> bool:
    with path.open("rb") as fh:
        return b"\x00" in fh.read(8192)


def _iter_files(root: Path, base: Path | None) -> Iterator[tuple[Path, str | None]]:
    """Files under ``root`` (or ``root`` itself), with a reason when one must be skipped."""
    if root.is_file():
        yield root, None
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if p.is_symlink():
                try:
                    target = p.resolve()
                except (RuntimeError, OSError):  # a symlink loop
                    yield p, "a link that cannot be resolved (a loop)"
                    continue
                if base is not None and not target.is_relative_to(base):
                    yield p, "a link that leaves the dossier's folder"
                    continue
            if not p.is_file():
                yield p, "not a regular file"
            else:
                yield p, None


def scan_secret_paths(
    paths: Sequence[tuple[str, Path]],
    *,
    base_dir: Path | None,
    max_files: int = 2000,
    max_file_bytes: int = 1 << 20,
    excluded_plugins: Sequence[str] = (),
) -> SecretsScan:
    """Scan files and folders for hard-coded secrets.

    Args:
        paths: ``(shown name, resolved path)`` pairs, e.g. ``("config/", /abs/config)``.
        base_dir: the dossier's folder; links leading out of it are skipped (``None``: none).
        max_files: files scanned at most (the rest is reported as truncated).
        max_file_bytes: larger files are skipped.
        excluded_plugins: detect-secrets plugins not to run.
    """
    config = _settings_config(frozenset(excluded_plugins))
    result = SecretsScan()
    base = base_dir.resolve() if base_dir is not None else None
    for shown, root in paths:
        for file, reason in _iter_files(root, base):
            rel = _display(shown, root, file)
            if reason is None:
                reason = _skip_reason(file, max_file_bytes)
            if reason is not None:
                if len(result.skipped) < 50:
                    result.skipped.append(f"{rel}: {reason}")
                continue
            if result.files_scanned >= max_files:
                result.truncated = True
                break
            result.files_scanned += 1
            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
            for raw in _scan_file_raw(str(file), lines, config):
                result.hits.append(
                    SecretHit(source=rel, line=raw.line, type=raw.type, masked=mask(raw.token))
                )
    return result


def _skip_reason(file: Path, max_file_bytes: int) -> str | None:
    size = file.stat().st_size
    if size > max_file_bytes:
        return f"larger than {max_file_bytes:,} bytes"
    if _is_binary(file):
        return "binary"
    return None


def _display(shown: str, root: Path, file: Path) -> str:
    if file == root:
        return shown
    return f"{shown.rstrip('/')}/{file.relative_to(root).as_posix()}"
