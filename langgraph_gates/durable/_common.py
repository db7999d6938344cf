"""What every durable operation shares: the reviewer's name, the clock and recurring messages.

Each message a user meets in more than one place is built here once, so ``gates review``,
``gates resume`` and the Python API word it the same way.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph_gates.errors import ConfigError, ReviewStateError
from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.state import utc_now

__all__ = [
    "check_gates",
    "default_reviewer",
    "human_text",
    "id_taken",
    "require_name_and_reason",
    "reviewer",
    "unknown_gate",
    "utc_now",
]


def default_reviewer() -> str:
    """The name recorded for a human action when none is given: the OS user."""
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no passwd entry (containers) must not stop a review
        return "unknown"


def human_text(text: str | None) -> str:
    """Free text typed by a person (a reason), stripped and with any secret in it masked.

    It goes into the checkpoints, the audit trail and every report: a key pasted into
    ``--reason`` must not be stored in the clear.
    """
    from langgraph_gates.evidence.secrets import redact_text  # detect-secrets: only when used

    stripped = (text or "").strip()
    return redact_text(stripped)[0] if stripped else ""


def reviewer(by: str | None) -> str:
    """The name recorded for a human action (``--by``, else the OS user), secrets masked."""
    return human_text(by) or default_reviewer()


def unknown_gate(name: str) -> str:
    """The message for a gate id that is not one of the seven."""
    return f"unknown gate {name!r} (choose from {', '.join(GATES_BY_ID)})"


def check_gates(gates: Sequence[str], field: str) -> list[str]:
    """The gate ids without duplicates, in the order given.

    Raises:
        ConfigError: an unknown gate id (``field`` names the flag or argument).
    """
    unknown = [g for g in gates if g not in GATES_BY_ID]
    if unknown:
        raise ConfigError(unknown_gate(unknown[0]), field=field)
    return list(dict.fromkeys(gates))


def require_name_and_reason(
    overrides: Mapping[str, Any] | None, by: str | None, reason: str | None
) -> None:
    """An override is a human decision: refuse one without who made it and why.

    Raises:
        ConfigError: overrides without a non-blank ``by`` or ``reason``.
    """
    if overrides and (not (by or "").strip() or not (reason or "").strip()):
        msg = "an override needs --by NAME and --reason TEXT (who decided, and why)"
        raise ConfigError(msg, field="--override")


def id_taken(review_id: str) -> ReviewStateError:
    """The error for starting a review under an id the database already holds."""
    msg = "a review with this id exists; use `gates resume` or `gates rerun`"
    return ReviewStateError(msg, source=review_id)
