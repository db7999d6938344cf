"""Reading YAML/JSON documents that a user hands us, defensively.

One reader for dossiers and policies: a size cap, UTF-8 only, YAML aliases capped (a
"billion laughs" document expands aliases into exponential work downstream), nesting capped,
and every failure turned into the caller's own :class:`GatesError` subclass with one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from langgraph_gates.errors import GatesError

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "load_structured_file", "parse_structured_text"]

MAX_ALIASES = 50
MAX_DEPTH = 50


# libyaml's parser and composer when PyYAML has them: 5.7 s -> well under 1 s for a 5 MB dossier.
_CLoader: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


class _SafeConstructing:
    """A safe constructor whose errors carry the node's position (mixed into a loader)."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # The safe constructors raise plain Python errors for a scalar that matches a tag's
        # pattern but not its value (2026-13-45, `!!int abc`, a 5,000-digit integer): give
        # them the node's position, as for any other YAML error.
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as exc:
            kind = str(node.tag).rsplit(":", 1)[-1]
            value = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
            shown = repr(value if len(value) <= 40 else value[:37] + "...") if value else "a node"
            problem = f"cannot read {shown} as {kind}"
            if isinstance(exc, ValueError | OverflowError):  # these carry a readable reason
                problem += f" ({' '.join(str(exc).split())[:100]})"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


def _alias_error() -> yaml.YAMLError:
    return yaml.YAMLError(f"more than {MAX_ALIASES} YAML aliases (possible alias bomb)")


class _GuardedLoader(_SafeConstructing, yaml.SafeLoader):
    """The pure-Python SafeLoader, refusing documents with too many aliases as it composes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _alias_error()
        return super().compose_node(parent, index)


class _TooDeepError(Exception):
    """Collections nested deeper than MAX_DEPTH (found on the event stream)."""


def _guard_events(text: str, loader: type[yaml.SafeLoader]) -> None:
    """Refuse alias bombs and deep nesting from libyaml's event stream, before composing.

    libyaml composes in C, where the alias count of :class:`_GuardedLoader` cannot hook in, and
    recursively, so a deep document must be refused before it reaches the composer.
    """
    try:
        _count_events(yaml.parse(text, Loader=loader))
    except yaml.YAMLError as exc:
        # libyaml stops at its own nesting limit with a parser error: say why.
        if "nesting depth" in str(getattr(exc, "problem", "") or exc):
            raise _TooDeepError from None
        raise


def _count_events(events: Any) -> None:
    aliases = depth = 0
    for event in events:
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _alias_error()
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _TooDeepError
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _load(text: str) -> Any:
    if _CLoader is None:
        loader: Any = _GuardedLoader(text)
    else:
        _guard_events(text, _CLoader)
        loader = _CGuardedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


if _CLoader is not None:

    class _CGuardedLoader(_SafeConstructing, _CLoader):  # type: ignore[valid-type,misc]
        """libyaml's SafeLoader; its guards run on the event stream first (:func:`_guard_events`)."""


def _depth(value: Any, limit: int) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_structured_text(text: str, *, source: str, error: type[GatesError]) -> Any:
    """Parse YAML (a superset of JSON) with the guards above.

    Raises:
        GatesError: of type ``error``, naming ``source``.
    """
    try:
        data = _load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"not valid YAML/JSON{where}: {problem}", source=source) from None
    except (RecursionError, _TooDeepError):
        raise error(f"nesting deeper than {MAX_DEPTH} levels", source=source) from None
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise error(f"nesting deeper than {MAX_DEPTH} levels", source=source)
    return data


def load_structured_file(path: Path, *, max_bytes: int, error: type[GatesError], kind: str) -> Any:
    """Read and parse a YAML/JSON file of at most ``max_bytes``.

    Raises:
        GatesError: of type ``error``: missing, unreadable, too large, not UTF-8, not YAML.
    """
    source = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise error(f"{kind} file not found", source=source) from None
    except OSError as exc:
        raise error(f"cannot read {kind} file ({exc.strerror or exc})", source=source) from None
    if path.is_dir():
        raise error(f"expected a {kind} file, found a folder", source=source)
    if size > max_bytes:
        raise error(
            f"{kind} file is {size / 1e6:.1f} MB, larger than the {max_bytes / 1e6:.0f} MB limit",
            source=source,
        )
    try:
        # Bounded: a pipe or a device (`<(cat ...)`, /dev/zero) reports size 0 but may not end.
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"cannot read {kind} file ({exc.strerror or exc})", source=source) from None
    if len(raw) > max_bytes:
        raise error(f"{kind} file is larger than the {max_bytes / 1e6:.0f} MB limit", source=source)
    if b"\x00" in raw:
        raise error(f"{kind} file is binary, not YAML or JSON text", source=source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text (bad byte at offset {exc.start})", source=source) from None
    if not text.strip():
        raise error(f"{kind} file is empty", source=source)
    return parse_structured_text(text, source=source, error=error)
