"""Rendering by format name, and writing report files atomically without overwriting."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from langgraph_gates.errors import ConfigError
from langgraph_gates.report.markdown import render_md
from langgraph_gates.report.model import ReviewReport
from langgraph_gates.report.text import render_txt

__all__ = ["EXTENSIONS", "FORMATS", "REPORT_PREFIX", "render", "write_reports"]

REPORT_PREFIX = "ml_production_gate_review_"


def _render_json(report: ReviewReport) -> str:
    return report.sealed().model_dump_json(indent=2) + "\n"


def _render_html(report: ReviewReport) -> str:
    from langgraph_gates.report.html import render_html  # optional renderer, imported on use

    return render_html(report)


def _render_junit(report: ReviewReport) -> str:
    from langgraph_gates.report.junit import render_junit

    return render_junit(report)


def _render_sarif(report: ReviewReport) -> str:
    from langgraph_gates.report.sarif import render_sarif

    return render_sarif(report)


def _render_modelcard(report: ReviewReport) -> str:
    from langgraph_gates.report.modelcard import render_modelcard

    return render_modelcard(report)


FORMATS: dict[str, Callable[[ReviewReport], str]] = {
    "txt": render_txt,
    "md": render_md,
    "json": _render_json,
    "html": _render_html,
    "junit": _render_junit,
    "sarif": _render_sarif,
    "modelcard": _render_modelcard,
}
# File extensions where the format name is not one (CI tools look for *.xml and *.sarif).
EXTENSIONS: dict[str, str] = {"junit": "junit.xml", "sarif": "sarif", "modelcard": "model_card.md"}


def render(report: ReviewReport, fmt: str) -> str:
    """Render a report in one format (a key of :data:`FORMATS`, e.g. ``md`` or ``junit``).

    Raises:
        ConfigError: unknown format.
    """
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        msg = f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})"
        raise ConfigError(msg, field="--format") from None
    return renderer(report)


def _ext(fmt: str) -> str:
    return EXTENSIONS.get(fmt, fmt)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _link_new(tmp: Path, final: Path) -> bool:
    """Publish ``tmp`` as ``final`` only if ``final`` does not exist (atomic, no overwrite)."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        return False
    return True


def write_reports(
    report: ReviewReport,
    output_dir: str | Path,
    formats: Sequence[str] = ("txt", "md", "json"),
    *,
    now: dt.datetime | None = None,
) -> dict[str, Path]:
    """Write the report in each format as ``ml_production_gate_review_<YYYYmmdd_HHMMSS>.<ext>``.

    Each file is written to a temporary file and hard-linked into place, so a reader never sees
    a half-written report and an existing report is never overwritten (a ``_2``, ``_3`` ...
    suffix is added instead).

    Raises:
        ConfigError: unknown format, or the folder cannot be written.
    """
    bodies = {fmt: render(report, fmt) for fmt in dict.fromkeys(formats)}
    out = Path(output_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create output folder ({exc.strerror})", source=str(out)
        ) from None
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d_%H%M%S")
    written: dict[str, Path] = {}
    temps: dict[str, Path] = {}
    try:
        for fmt, body in bodies.items():
            fd, name = tempfile.mkstemp(dir=out, prefix=".tmp-", suffix=f".{_ext(fmt)}")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body)
            os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600; reports are for sharing
            temps[fmt] = Path(name)
        for attempt in range(1, 1000):
            stem = f"{REPORT_PREFIX}{stamp}" + ("" if attempt == 1 else f"_{attempt}")
            targets = {fmt: out / f"{stem}.{_ext(fmt)}" for fmt in bodies}
            if any(t.exists() for t in targets.values()):
                continue
            published = []
            for fmt, target in targets.items():
                if not _link_new(temps[fmt], target):
                    break
                published.append(fmt)
            if len(published) == len(targets):
                written = targets
                break
            for fmt in published:  # lost a race with another writer: try the next stem
                targets[fmt].unlink(missing_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write reports ({exc.strerror})", source=str(out)) from None
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return written
