"""A model card in the sections of Mitchell et al. (2019), as the Hugging Face template uses them.

Filled only from the dossier and the review's findings: every value is a dossier field or a
finding's message, and names where it came from, so an auditor can trace each line. A section
the dossier leaves empty says so instead of being padded with boilerplate. The whole card goes
through the secret redactor, since dossier text is printed verbatim.
"""

from __future__ import annotations

from typing import Any

from langgraph_gates.evidence.secrets import redact_text
from langgraph_gates.report.model import ReviewReport
from langgraph_gates.state import Outcome

__all__ = ["CARD_SECTIONS", "dossier_value", "render_modelcard"]

# (section, what it means to a reader, its facts): a fact is (label, "dossier:<dotted path>")
# or (label, "finding:<check id>").
CARD_SECTIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Model Details",
        "who built the model, what it is and who answers for it",
        (
            ("Name", "dossier:model.name"),
            ("Version", "dossier:model.version"),
            ("Task", "dossier:model.task"),
            ("Description", "dossier:model.description"),
            ("Algorithms", "dossier:model.algorithms"),
            ("Owners", "dossier:owners"),
            ("Governance", "dossier:responsible_ai.governance"),
        ),
    ),
    (
        "Intended Use",
        "primary uses and users, and uses that are out of scope",
        (
            ("Use case", "dossier:model.use_case"),
            ("Objective", "dossier:problem.objective"),
            ("In scope", "dossier:problem.in_scope"),
            ("Out-of-scope uses", "dossier:problem.out_of_scope"),
        ),
    ),
    (
        "Factors",
        "groups, slices and conditions performance may vary over",
        (
            ("Sensitive attributes", "dossier:data.sensitive_attributes"),
            ("Why none are declared", "dossier:data.sensitive_justification"),
            ("Evaluated slices", "dossier:performance.slices"),
            ("Feature groups", "dossier:features.groups"),
        ),
    ),
    (
        "Metrics",
        "the measures the model is judged by, and the thresholds",
        (
            ("Success criteria", "dossier:problem.success_criteria"),
            ("Baseline", "dossier:performance.baseline"),
            ("Business KPIs", "dossier:problem.kpis"),
            ("Fairness metrics", "dossier:responsible_ai.fairness_metrics"),
            ("Monitored quality metrics", "dossier:deployment.monitoring.quality"),
        ),
    ),
    (
        "Evaluation Data",
        "the data the model was evaluated on",
        (
            ("Validation data", "dossier:data.validation"),
            ("Test data", "dossier:data.test"),
            ("Predictions", "dossier:performance.predictions"),
            ("Validation strategy", "dossier:performance.validation_strategy"),
        ),
    ),
    (
        "Training Data",
        "the data the model was trained on, and how it was prepared",
        (
            ("Training data", "dossier:data.train"),
            ("Sources", "dossier:data.sources"),
            ("Label", "dossier:data.label"),
            ("Label quality control", "dossier:data.labeling_qc"),
            ("Transformations", "dossier:features.transformations"),
            ("Missing values", "dossier:features.missingness_strategy"),
            ("Volume", "finding:DR.VOLUME"),
            ("Class balance", "finding:DR.BALANCE"),
        ),
    ),
    (
        "Quantitative Analyses",
        "measured results, overall and per group, with intervals where computed",
        (
            ("Success criteria", "finding:MP.SUCCESS_CRITERIA_MET"),
            ("Against the baseline", "finding:MP.BASELINE"),
            ("Train/validation gap", "finding:MP.OVERFIT"),
            ("Calibration", "finding:MP.CALIBRATION"),
            ("Slices", "finding:MP.SLICE_GAP"),
            ("Selection-rate ratio", "finding:RAI.DISPARATE_IMPACT"),
            ("Equalized odds", "finding:RAI.EQUALIZED_ODDS"),
        ),
    ),
    (
        "Ethical Considerations",
        "harms considered, sensitive data and their mitigations",
        (
            ("Harm scenarios", "dossier:responsible_ai.harms"),
            ("Bias mitigation", "dossier:responsible_ai.bias_mitigation"),
            ("Sensitive features", "finding:FE.SENSITIVE_FEATURE"),
            ("Proxies", "finding:FE.PROXY"),
            ("Group coverage", "finding:RAI.GROUP_COVERAGE"),
        ),
    ),
    (
        "Caveats and Recommendations",
        "assumptions, open questions and known limits",
        (
            ("Assumptions", "dossier:problem.assumptions"),
            ("Open questions", "dossier:problem.open_questions"),
            ("Error analysis", "dossier:performance.error_analysis"),
        ),
    ),
)


def _text(value: Any) -> str:
    """A dossier value as plain text: lists joined by '; ', mappings as 'key value'."""
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value if v not in (None, "", [], {}))
    if isinstance(value, dict):
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    return " ".join(str(value).split())


def dossier_value(dossier: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted path of the dossier, or None."""
    value: Any = dossier
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _fact(report: ReviewReport, dossier: dict[str, Any], source: str) -> str:
    kind, _, ref = source.partition(":")
    if kind == "dossier":
        return _text(dossier_value(dossier, ref) or "")
    # A check can yield one finding per attribute (fairness per sensitive column): all shown.
    found = [
        f
        for g in report.gates
        for f in g.findings
        if f.check_id == ref and f.outcome is not Outcome.MISSING
    ]
    return " ".join(f"{f.outcome.value}: {f.message}" for f in found)


def _section(
    report: ReviewReport, dossier: dict[str, Any], title: str, about: str, facts: Any
) -> list[str]:
    out = [f"## {title}", ""]
    lines = []
    for label, source in facts:
        value = _fact(report, dossier, source)
        if value:
            lines.append(f"- **{label}:** {value} _({source})_")
    if lines:
        return [*out, *lines, ""]
    asked = ", ".join(f"`{s.split(':', 1)[1]}`" for _, s in facts)
    return [*out, f"_Empty: the dossier and the review say nothing about {about} ({asked})._", ""]


def _open_findings(report: ReviewReport) -> list[str]:
    out = ["### Open findings of the review", ""]
    for gate in report.gates:
        for f in gate.findings:
            if f.outcome is not Outcome.PASS:
                action = f" Mitigation: {f.mitigation}" if f.mitigation else ""
                out.append(
                    f"- **{f.check_id}:** {f.outcome.value}: {f.message}{action} "
                    f"_(finding:{f.check_id})_"
                )
    if len(out) == 2:
        out.append("_None: every check passed._")
    return [*out, ""]


def render_modelcard(report: ReviewReport) -> str:
    """Render a Markdown model card from the dossier and the findings (nothing else)."""
    dossier = report.dossier.model_dump(mode="json") if report.dossier else {}
    name = " ".join(p for p in (report.model.name, report.model.version) if p) or "(unnamed model)"
    out = [
        f"# Model Card: {name}",
        "",
        f"Filled by langgraph-gates from the review dossier and the findings of review "
        f"`{report.review_id or 'not saved'}` ({report.generated_at}); recommendation "
        f"**{report.recommendation.value}**. Each value names its source in parentheses; "
        "sections the dossier leaves empty say so.",
        "",
    ]
    for title, about, facts in CARD_SECTIONS:
        out += _section(report, dossier, title, about, facts)
    out += _open_findings(report)
    return redact_text("\n".join(out))[0]
