r"""Text bound for a terminal: control characters made visible, so dossier text cannot drive it.

A dossier's free text (a model's name, an objective, a key risk quoted from a file) reaches the
terminal through Rich. Rich escapes markup when asked and drops a few control codes (BEL, BS,
CR), but it passes ESC and the C1 codes through: ``\x1b]0;title\x07`` would retitle the window
and ``\x1b[2J`` clear the screen. :func:`safe_text` shows every such character as a ``\xNN``
escape instead; :class:`SafeConsole` applies it to every string it renders, so a print that
forgets it is still safe. Reports written to disk keep the text (each format escapes its own).
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.text import Text

__all__ = ["SafeConsole", "safe_json", "safe_text"]

# C0 controls but newline and tab, DEL, and the C1 controls (0x9b is a one-byte CSI, 0x9d OSC).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_text(text: str) -> str:
    r"""``text`` with every control character but newline and tab shown as ``\xNN``.

    Args:
        text: any text, typically from a dossier, a data file or a model.

    Returns:
        The text with ESC, BEL, CR, NUL, DEL and C1 codes replaced by visible escapes; the
        replacement holds no ``[`` or trailing backslash, so Rich markup escaping is unaffected
        whichever runs first.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def safe_json(text: str) -> str:
    r"""JSON text with the control characters that ``json.dumps`` leaves raw written as ``\uNNNN``.

    ``json.dumps(..., ensure_ascii=False)`` escapes C0 controls but not DEL or the C1 codes
    (``\x9b`` is a one-byte CSI). Those can only stand inside JSON strings, where a ``\u``
    escape decodes to the same character: the JSON means the same, the terminal sees no code.
    """
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class SafeConsole(Console):
    """A Rich console whose rendered strings never carry raw control characters.

    Rich's own styling (the escape sequences for colours) is added after this step, so it is
    untouched; only the text handed to the console is neutralised.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Rich's :meth:`~rich.console.Console.render_str` on the neutralised text."""
        return super().render_str(safe_text(text), **kwargs)
