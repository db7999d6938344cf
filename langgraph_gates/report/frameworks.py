"""Framework coverage: which items of a framework this review's checks evidence, and how.

The mapping is data (``langgraph_gates/frameworks.yaml``, sources in ``docs/frameworks.md``).
An item is *covered* when at least one mapped check ran; its outcome is the worst outcome of
those checks, so an item is never shown better than the evidence behind it. An item no check
maps to is listed as not covered: the review says nothing about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from pydantic import BaseModel, Field

from langgraph_gates.errors import ConfigError
from langgraph_gates.state import Finding, GateResult, Outcome

__all__ = [
    "FRAMEWORKS",
    "CoverageItem",
    "FrameworkCoverage",
    "FrameworkMap",
    "framework_coverage",
    "load_framework_map",
]

FRAMEWORKS: tuple[str, ...] = ("eu-ai-act", "nist-ai-rmf", "ml-test-score")

# fail before error before missing before warn before pass: the key-risk order of SPEC 3
_WORST_FIRST = (Outcome.FAIL, Outcome.ERROR, Outcome.MISSING, Outcome.WARN, Outcome.PASS)


class FrameworkMap(BaseModel):
    """The reviewed table: each framework's items, and each check's items or why it has none."""

    titles: dict[str, str] = Field(description="Framework id -> its full name.")
    items: dict[str, dict[str, str]] = Field(description="Framework id -> item id -> title.")
    checks: dict[str, dict[str, list[str]]] = Field(
        description="Check id -> framework id -> item ids it evidences."
    )
    unmapped: dict[str, str] = Field(description="Check id -> why it maps to no framework item.")

    def checks_for(self, framework: str, item: str) -> list[str]:
        """The check ids that evidence one item, in table order."""
        return [c for c, per in self.checks.items() if item in per.get(framework, [])]


class CoverageItem(BaseModel):
    """One framework item in a review's coverage table."""

    item: str
    title: str
    checks: list[str] = Field(default_factory=list, description="Mapped checks that ran.")
    outcomes: dict[str, Outcome] = Field(default_factory=dict, description="Check -> outcome.")
    outcome: Outcome | None = Field(
        default=None, description="The worst outcome of those checks; None when not covered."
    )


class FrameworkCoverage(BaseModel):
    """A framework's coverage by one review."""

    framework: str
    title: str
    items: list[CoverageItem] = Field(default_factory=list)

    @property
    def uncovered(self) -> list[CoverageItem]:
        """Items no check of this review evidences."""
        return [i for i in self.items if i.outcome is None]


def _parse(raw: dict[str, Any]) -> FrameworkMap:
    frameworks = raw["frameworks"]
    checks: dict[str, dict[str, list[str]]] = {}
    unmapped: dict[str, str] = {}
    for check_id, entry in raw["checks"].items():
        if "unmapped" in entry:
            unmapped[check_id] = str(entry["unmapped"])
        else:
            checks[check_id] = {fw: [str(i) for i in ids] for fw, ids in entry.items()}
    return FrameworkMap(
        titles={fw: spec["title"] for fw, spec in frameworks.items()},
        items={
            fw: {str(k): v for k, v in spec["items"].items()} for fw, spec in frameworks.items()
        },
        checks=checks,
        unmapped=unmapped,
    )


@cache
def load_framework_map() -> FrameworkMap:
    """The packaged mapping table (read once)."""
    text = files("langgraph_gates").joinpath("frameworks.yaml").read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text))


def _worst(outcomes: Iterable[Outcome]) -> Outcome | None:
    present = set(outcomes)
    return next((o for o in _WORST_FIRST if o in present), None)


def _effective(f: Finding) -> Outcome:
    """A gap that counts as a fail (SPEC 3) is a fail for the item too: never better."""
    return Outcome.FAIL if f.counts_as_fail else f.outcome


def framework_coverage(framework: str, gates: Iterable[GateResult]) -> FrameworkCoverage:
    """Build one framework's coverage table from a review's findings.

    Raises:
        ConfigError: an unknown framework id.
    """
    table = load_framework_map()
    if framework not in table.items:
        msg = f"unknown framework {framework!r} (choose from {', '.join(FRAMEWORKS)})"
        raise ConfigError(msg, field="--framework")
    findings = {f.check_id: f for g in gates for f in g.findings}
    items = []
    for item, title in table.items[framework].items():
        ran = [c for c in table.checks_for(framework, item) if c in findings]
        outcomes = {c: _effective(findings[c]) for c in ran}
        items.append(
            CoverageItem(
                item=item,
                title=title,
                checks=ran,
                outcomes=outcomes,
                outcome=_worst(outcomes.values()),
            )
        )
    return FrameworkCoverage(framework=framework, title=table.titles[framework], items=items)
