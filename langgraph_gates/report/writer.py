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

__all__ = ["FORMATS", "REPORT_PREFIX", "render", "write_reports"]

REPORT_PREFIX = "ml_production_gate_review_"


def _render_json(report: ReviewReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


def _render_html(report: ReviewReport) -> str:
    from langgraph_gates.report.html import render_html  # optional renderer, imported on use

    return render_html(report)


FORMATS: dict[str, Callable[[ReviewReport], str]] = {
    "txt": render_txt,
    "md": render_md,
    "json": _render_json,
    "html": _render_html,
}


def render(report: ReviewReport, fmt: str) -> str:
    """Render a report in one format (``txt``, ``md``, ``json`` or ``html``).

    Raises:
        ConfigError: unknown format.
    """
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        msg = f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})"
        raise ConfigError(msg, field="--format") from None
    return renderer(report)


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
            fd, name = tempfile.mkstemp(dir=out, prefix=".tmp-", suffix=f".{fmt}")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body)
            os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600; reports are for sharing
            temps[fmt] = Path(name)
        for attempt in range(1, 1000):
            stem = f"{REPORT_PREFIX}{stamp}" + ("" if attempt == 1 else f"_{attempt}")
            targets = {fmt: out / f"{stem}.{fmt}" for fmt in bodies}
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
