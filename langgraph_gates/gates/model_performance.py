"""Gate 4: Model Performance."""

from __future__ import annotations

from langgraph_gates.checks import champion, metrics_file, predictions
from langgraph_gates.checks.base import CheckContext
from langgraph_gates.checks.unknown_names import UNKNOWN_FIELDS
from langgraph_gates.gates._narrative import findings_for, not_provided, section
from langgraph_gates.gates.spec import GateSpec
from langgraph_gates.state import Finding, Outcome


def _levers(findings: list[Finding]) -> list[str]:
    levers = {
        "MP.OVERFIT": "Reduce overfitting: regularisation, early stopping, simpler model, more data.",
        "MP.SUCCESS_CRITERIA_MET": "Close the gap to the acceptance thresholds before launch.",
        "MP.CALIBRATION": "Calibrate scores (isotonic or Platt) on held-out data.",
        "MP.SLICE_GAP": "Target the weakest slices with data collection or reweighting.",
        "MP.CV_STABILITY": "Stabilise across folds: check leakage and segment shifts.",
        "MP.BASELINE": "Beat a stated baseline by a margin that matters to the KPI.",
    }
    return [
        text
        for cid, text in levers.items()
        if any(f.check_id == cid and f.outcome is not Outcome.PASS for f in findings)
    ]


def _metrics_source(findings: list[Finding]) -> str:
    """Which evidence the metrics came from, as the success-criteria finding recorded it."""
    for f in findings:
        if f.check_id in ("MP.SUCCESS_CRITERIA_MET", "MP.OVERFIT"):
            source = f.measured.get("source")
            if source == "predictions":
                return "Metrics recomputed from the predictions file."
            if source == "metrics file":
                return "Metrics as reported in the metrics file."
    return ""


def write_sections(ctx: CheckContext, findings: list[Finding]) -> dict[str, str]:
    """The seed's Model Performance outputs, written from the dossier and the findings."""
    perf = ctx.dossier.performance
    algos = ctx.dossier.model.algorithms
    task = ctx.dossier.model.task
    criteria = [c.metric for c in ctx.dossier.problem.success_criteria]
    return {
        "Candidate algorithms and architectures": section(
            ("Algorithms: " + ", ".join(algos)) if algos else not_provided("candidate algorithms"),
            f"Task: {task}." if task else not_provided("task type"),
        ),
        "Evaluation metrics aligned to KPIs": section(
            ("Metrics tied to success criteria: " + ", ".join(criteria))
            if criteria
            else not_provided("metrics tied to the KPIs"),
            _metrics_source(findings),
            findings_for(findings, "MP.SUCCESS_CRITERIA_MET", "MP.BASELINE"),
        ),
        "Validation strategy (cross-validation, holdout)": section(
            findings_for(findings, "MP.VALIDATION_STRATEGY", "MP.CV_STABILITY"),
        ),
        "Generalization and overfitting risks": section(
            findings_for(findings, "MP.OVERFIT", "MP.CALIBRATION"),
        ),
        "Error analysis priorities": section(
            perf.error_analysis or not_provided("error analysis"),
            findings_for(findings, "MP.SLICE_GAP"),
        ),
        "Improvement levers": section(
            _levers(findings) or "No blocking performance issue; keep monitoring the KPIs.",
        ),
    }


SPEC = GateSpec(
    id="model_performance",
    number=4,
    title="Model Performance",
    table_name="Model Performance",
    emoji="📈",
    focus="Metrics vs. KPIs, generalization",
    outputs=(
        "Candidate algorithms and architectures",
        "Evaluation metrics aligned to KPIs",
        "Validation strategy (cross-validation, holdout)",
        "Generalization and overfitting risks",
        "Error analysis priorities",
        "Improvement levers",
    ),
    default_owner="ML engineer / data scientist",
    checks=(
        metrics_file.SUCCESS_CRITERIA_MET,
        metrics_file.OVERFIT,
        metrics_file.VALIDATION_STRATEGY,
        metrics_file.CV_STABILITY,
        metrics_file.BASELINE,
        predictions.CALIBRATION,
        predictions.SLICE_GAP,
        champion.CHAMPION,
        UNKNOWN_FIELDS["model_performance"],
    ),
    write_sections=write_sections,
    extra_reads=("model", "problem", "performance"),
)
