"""Errors raised by langgraph-gates.

Every error a user can cause derives from :class:`GatesError` and carries a short ``code`` and
a one-line message that names the file and the field at fault. The CLI prints that line and
exits with status 2; it never shows a traceback for these.

    GatesError
    ├── DossierError      a dossier that cannot be read, parsed or validated
    ├── PolicyError       a policy file that cannot be read, parsed or validated
    ├── EvidenceError     an evidence file that cannot be read (becomes an ``error`` finding)
    ├── ConfigError       a bad flag, environment variable or model string
    └── ReviewStateError  a review id that does not exist, or an operation it cannot take
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DossierError",
    "EvidenceError",
    "GatesError",
    "PolicyError",
    "ReviewStateError",
]


class GatesError(Exception):
    """Base class of every error that a user of langgraph-gates can cause."""

    code: str = "gates_error"

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.message = message
        self.source = source
        self.field = field
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Return the message as a single line that names the file and the field."""
        where = ""
        if self.source:
            where = f"{self.source}"
            if self.field:
                where += f": {self.field}"
            where += ": "
        elif self.field:
            where = f"{self.field}: "
        return " ".join(f"{where}{self.message}".split())


class DossierError(GatesError):
    """The dossier cannot be read, parsed or validated."""

    code = "dossier_error"


class PolicyError(GatesError):
    """The policy file cannot be read, parsed or validated."""

    code = "policy_error"


class EvidenceError(GatesError):
    """An evidence file cannot be read; checks turn this into an ``error`` finding."""

    code = "evidence_error"


class ConfigError(GatesError):
    """A flag, environment variable or model string is not usable."""

    code = "config_error"


class ReviewStateError(GatesError):
    """A review id is unknown, or the review cannot take the requested operation."""

    code = "review_state_error"
