"""Unknown names (dossier fields, metrics keys), misnamed evidence failing closed, the
predictions/metrics fallback, MP.BASELINE tolerance, the favourable outcome and small dossier
rules (issue: verdicts that fail closed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.checks.unknown_names import UNKNOWN_FIELDS
from langgraph_gates.dossier import Dossier, load_dossier, validate_dossier_unknown
from langgraph_gates.errors import DossierError
from langgraph_gates.evidence.metrics import read_metrics
from langgraph_gates.state import Outcome
from langgraph_gates.template import DOSSIER_TEMPLATE

from ..conftest import MakeCtx, run_one, write_csv

# --- unknown dossier fields ----------------------------------------------------------------


def test_all_unknown_fields_at_once_with_suggestions() -> None:
    data = {
        "model": {"name": "m", "version": 2.3},
        "data": {"servng": "s.csv", "train": "t.csv"},
        "deployment": {"rollout": {"strategy": "canary", "stage_duration_days": 3}},
        "governance": {"review_cadence": "quarterly"},
    }
    dossier, unknown = validate_dossier_unknown(data)
    assert dossier.model.version == "2.3" and dossier.data.train == "t.csv"
    by_path = {u.path: u for u in unknown}
    assert set(by_path) == {"data.servng", "deployment.rollout.stage_duration_days", "governance"}
    assert by_path["data.servng"].suggestion == "data.serving" and by_path["data.servng"].meant_is_absent
    assert by_path["data.servng"].gate == "data_readiness"
    assert by_path["deployment.rollout.stage_duration_days"].suggestion is None
    assert by_path["deployment.rollout.stage_duration_days"].gate == "deployment_monitoring"
    with pytest.raises(DossierError) as exc:
        validate_dossier_unknown(data, strict=True)
    text = str(exc.value)
    assert "3 unknown field(s)" in text and "did you mean data.serving?" in text
    assert "stage_duration_days" in text and "governance" in text


def test_unknown_fields_are_a_warn_of_the_owning_gate(make_ctx: MakeCtx) -> None:
    _, unknown = validate_dossier_unknown({"deployment": {"rollout": {"stage_duration_days": 3}}})
    ctx = make_ctx({})
    ctx.unknown = tuple(unknown)
    f = run_one(UNKNOWN_FIELDS["deployment_monitoring"], ctx)
    assert f.outcome is Outcome.WARN and "stage_duration_days" in f.message and not f.counts_as_fail
    # Other gates have nothing to say about it.
    from langgraph_gates.checks.base import run_check

    [other] = run_check(UNKNOWN_FIELDS["data_readiness"], ctx, owner="o")
    assert other.outcome is Outcome.PASS


def test_misnamed_evidence_fails_its_check_closed(make_ctx: MakeCtx) -> None:
    data = {"deployment": {"rollback_paln": "redeploy the previous image"}}
    valid, unknown = validate_dossier_unknown(data)
    ctx = make_ctx(valid.model_dump(mode="json", exclude_defaults=True))
    ctx.unknown = tuple(unknown)
    f = run_one(check_spec("DEP.ROLLBACK"), ctx)  # fail already: stays fail
    assert f.outcome is Outcome.FAIL
    data = {"security": {"artifcat": "model.pkl"}}
    valid, unknown = validate_dossier_unknown(data)
    ctx = make_ctx({})
    ctx.unknown = tuple(unknown)

    f = run_one(check_spec("SEC.ARTIFACT_UNSAFE"), ctx)
    assert f.outcome is Outcome.ERROR and f.counts_as_fail
    assert "security.artifcat (did you mean security.artifact?)" in f.message


def test_yaml_float_version_is_text(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text("model:\n  name: m\n  version: 2.3\n")
    assert load_dossier(tmp_path / "d.yaml").dossier.model.version == "2.3"


def test_every_schema_field_has_a_description() -> None:
    schema = Dossier.model_json_schema()
    undocumented = []
    for name, definition in [("Dossier", schema), *schema.get("$defs", {}).items()]:
        for field, prop in definition.get("properties", {}).items():
            # A field that is a model is a $ref: its description is the model's docstring.
            ref = prop.get("$ref", "").rsplit("/", 1)[-1]
            described = prop.get("description") or schema["$defs"].get(ref, {}).get("description")
            if not described:
                undocumented.append(f"{name}.{field}")
    assert undocumented == []


def test_template_uses_only_known_fields() -> None:
    _, unknown = validate_dossier_unknown(yaml.safe_load(DOSSIER_TEMPLATE))
    assert unknown == []


# --- metrics file ----------------------------------------------------------------------------


def _metrics(tmp_path: Path, content: dict[str, Any]) -> str:
    (tmp_path / "metrics.json").write_text(json.dumps(content))
    return "metrics.json"


def _dossier(**performance: Any) -> dict[str, Any]:
    return {
        "model": {"task": "binary_classification"},
        "problem": {"success_criteria": [{"metric": "roc_auc", "threshold": 0.8}]},
        "performance": performance,
    }


def test_metrics_file_typos_are_reported_and_custom_metrics_kept(tmp_path: Path) -> None:
    _metrics(tmp_path, {"train": {"roc_auc": 0.9, "revenue_lift": 3}, "validaton": {"roc_auc": 0.7}, "test": {"roc_acu": 0.7}})
    m = read_metrics(tmp_path / "metrics.json", display="metrics.json")
    paths = {u.path: u.suggestion for u in m.unknown}
    assert paths == {"validaton": "validation", "test.roc_acu": "test.roc_auc"}
    assert {u.path for u in m.misnamed} == set(paths)


def test_misspelt_split_cannot_move_overfit_to_a_kinder_split(make_ctx: MakeCtx, tmp_path: Path) -> None:
    # Intact: train 0.95 vs validation 0.70 fails; test 0.93 would pass.
    intact = {"train": {"roc_auc": 0.95}, "validation": {"roc_auc": 0.70}, "test": {"roc_auc": 0.93}}
    _metrics(tmp_path, intact)
    assert run_one(check_spec("MP.OVERFIT"), make_ctx(_dossier(metrics="metrics.json"))).outcome is Outcome.FAIL
    typo = {"train": {"roc_auc": 0.95}, "validaton": {"roc_auc": 0.70}, "test": {"roc_auc": 0.93}}
    _metrics(tmp_path, typo)
    f = run_one(check_spec("MP.OVERFIT"), make_ctx(_dossier(metrics="metrics.json")))
    assert f.outcome is Outcome.ERROR and f.counts_as_fail
    assert "validaton (did you mean validation?)" in f.message


def test_misspelt_metric_cannot_swap_the_judged_metric(make_ctx: MakeCtx, tmp_path: Path) -> None:
    _metrics(tmp_path, {"train": {"roc_acu": 0.99, "accuracy": 0.8}, "validation": {"roc_acu": 0.7, "accuracy": 0.79}})
    f = run_one(check_spec("MP.OVERFIT"), make_ctx(_dossier(metrics="metrics.json")))
    assert f.outcome is Outcome.ERROR and f.counts_as_fail and "accuracy" not in f.measured.get("metric", "")
    s = run_one(check_spec("MP.SUCCESS_CRITERIA_MET"), make_ctx(_dossier(metrics="metrics.json")))
    assert s.fails_gate


def test_predictions_without_y_true_fall_back_to_the_metrics_file(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_csv(tmp_path / "predictions.csv", {"y_pred": [0, 1, 1, 0], "sex": ["f", "m", "m", "f"]})
    _metrics(tmp_path, {"train": {"roc_auc": 0.97}, "validation": {"roc_auc": 0.78}})
    ctx = make_ctx(_dossier(predictions="predictions.csv", metrics="metrics.json"))
    f = run_one(check_spec("MP.OVERFIT"), ctx)
    assert f.outcome is Outcome.FAIL and f.measured["source"] == "metrics file"
    assert "no y_true column" in f.message


def test_baseline_tolerance_and_advice(make_ctx: MakeCtx, tmp_path: Path) -> None:
    def judge(model: float, base: float) -> Any:
        _metrics(tmp_path, {"validation": {"roc_auc": model}})
        d = _dossier(metrics="metrics.json", baseline={"metric": "roc_auc", "value": base})
        return run_one(check_spec("MP.BASELINE"), make_ctx(d))

    assert judge(0.7499, 0.75).outcome is Outcome.WARN  # 0.0001 short: within tolerance
    within = judge(0.7451, 0.75)
    assert within.outcome is Outcome.WARN and "no lift" in within.message
    far = judge(0.74, 0.75)
    assert far.outcome is Outcome.FAIL and "state a baseline" not in far.mitigation.lower()
    assert judge(0.76, 0.75).outcome is Outcome.PASS


def test_shadow_stage_zero_counts_as_staged(make_ctx: MakeCtx) -> None:
    d = {"deployment": {"rollout": {"strategy": "shadow", "stages": [0, 5, 25, 100]}}}
    f = run_one(check_spec("DEP.ROLLOUT"), make_ctx(d))
    assert f.outcome is Outcome.PASS and "0% (shadow)" in f.message
    bad = {"deployment": {"rollout": {"strategy": "canary", "stages": [0, 0, 100]}}}
    assert run_one(check_spec("DEP.ROLLOUT"), make_ctx(bad)).outcome is Outcome.WARN


# --- favourable outcome ------------------------------------------------------------------------


def _fair_dossier(favorable: int | None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "model": {"task": "binary_classification"},
        "data": {"sensitive_attributes": ["sex"]},
        "performance": {"predictions": "predictions.csv"},
    }
    if favorable is not None:
        d["responsible_ai"] = {"favorable_label": favorable}
    return d


def _fairness_findings(make_ctx: MakeCtx, tmp_path: Path, recode: bool) -> list[tuple[Any, ...]]:
    rng = np.random.default_rng(11)
    n = 600
    sex = rng.choice(["f", "m"], n)
    y = rng.integers(0, 2, n)
    # Women get the favourable decision (1) less often.
    pred = np.where(rng.random(n) < np.where(sex == "f", 0.35, 0.55), 1, 0)
    if recode:
        y, pred = 1 - y, 1 - pred
    write_csv(tmp_path / "predictions.csv", {"y_true": y.tolist(), "y_pred": pred.tolist(), "sex": sex.tolist()})
    ctx = make_ctx(_fair_dossier(0 if recode else None))
    out = []
    for spec in (check_spec("RAI.DISPARATE_IMPACT"), check_spec("RAI.EQUALIZED_ODDS")):
        f = run_one(spec, ctx)
        # The favourable label itself is named differently (1 vs 0); everything else is equal.
        m = {k: v for k, v in f.measured.items() if k not in ("favorable_label", "label")}
        out.append((f.outcome, f.value, json.dumps(m, sort_keys=True)))
    return out


def test_recoding_labels_with_the_favourable_label_gives_identical_findings(
    make_ctx: MakeCtx, tmp_path: Path
) -> None:
    plain = _fairness_findings(make_ctx, tmp_path, recode=False)
    recoded = _fairness_findings(make_ctx, tmp_path, recode=True)
    assert plain == recoded
    assert plain[0][0] in (Outcome.WARN, Outcome.FAIL)  # the planted gap is seen


def test_recoding_without_the_favourable_label_changes_the_finding(make_ctx: MakeCtx, tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    n = 600
    sex = rng.choice(["f", "m"], n)
    pred = np.where(rng.random(n) < np.where(sex == "f", 0.35, 0.55), 1, 0)
    write_csv(tmp_path / "predictions.csv", {"y_pred": (1 - pred).tolist(), "sex": sex.tolist()})
    f = run_one(check_spec("RAI.DISPARATE_IMPACT"), make_ctx(_fair_dossier(None)))
    g = run_one(check_spec("RAI.DISPARATE_IMPACT"), make_ctx(_fair_dossier(0)))
    assert f.value != pytest.approx(g.value)
    assert "favourable outcome 0" in g.message and g.measured["favorable_label"] == "0"


def test_selection_rates_need_only_y_pred(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_csv(tmp_path / "predictions.csv", {"y_pred": [1, 1, 1, 0] * 50 + [1, 0, 0, 0] * 50, "sex": ["m"] * 200 + ["f"] * 200})
    ctx = make_ctx(_fair_dossier(None))
    di = run_one(check_spec("RAI.DISPARATE_IMPACT"), ctx)
    assert di.outcome is Outcome.FAIL and di.value == pytest.approx(0.25 / 0.75)
    eo = run_one(check_spec("RAI.EQUALIZED_ODDS"), ctx)
    assert eo.outcome is Outcome.ERROR and eo.counts_as_fail and "y_true" in eo.message


def test_fairness_charts_say_which_outcome_is_favourable(make_ctx: MakeCtx, tmp_path: Path) -> None:
    from langgraph_gates.report.html import _odds, _selection_rates

    rng = np.random.default_rng(5)
    sex = rng.choice(["f", "m"], 400)
    y = rng.integers(0, 2, 400)
    write_csv(tmp_path / "predictions.csv", {"y_true": y.tolist(), "y_pred": y.tolist(), "sex": sex.tolist()})
    ctx = make_ctx(_fair_dossier(0))
    di, eo = run_one(check_spec("RAI.DISPARATE_IMPACT"), ctx), run_one(check_spec("RAI.EQUALIZED_ODDS"), ctx)
    assert "Selection rate by sex (favourable outcome: 0)" in _selection_rates(di)
    assert "TPR and FPR by sex (favourable outcome: 0)" in _odds(eo)


def test_template_example_text_left_as_is_documents_nothing(make_ctx: MakeCtx) -> None:

    template = yaml.safe_load(DOSSIER_TEMPLATE)
    objective = template["problem"]["objective"]
    f = run_one(check_spec("PF.OBJECTIVE"), make_ctx({"problem": {"objective": objective}}))
    assert f.fails_gate
    own = "Reduce voluntary churn of B2B accounts by targeting the riskiest ones each month"
    assert not run_one(check_spec("PF.OBJECTIVE"), make_ctx({"problem": {"objective": own}})).fails_gate
    rollback = template["deployment"]["rollback_plan"]
    assert run_one(check_spec("DEP.ROLLBACK"), make_ctx({"deployment": {"rollback_plan": rollback}})).fails_gate
    qc = template["data"]["labeling_qc"]
    assert run_one(check_spec("DR.LABEL_QC"), make_ctx({"data": {"labeling_qc": qc}})).outcome is Outcome.WARN


def test_unknown_fields_with_an_unreadable_metrics_file_lists_the_dossier_names(
    make_ctx: MakeCtx, tmp_path: Path
) -> None:
    (tmp_path / "metrics.json").write_text("{not json")
    valid, unknown = validate_dossier_unknown({"performance": {"metrics": "metrics.json", "predictons": "p.csv"}})
    ctx = make_ctx(valid.model_dump(mode="json", exclude_defaults=True))
    ctx.unknown = tuple(unknown)
    f = run_one(UNKNOWN_FIELDS["model_performance"], ctx)
    assert f.outcome is Outcome.WARN and "performance.predictons (did you mean performance.predictions?)" in f.message
    # The unreadable file itself is the performance checks' finding, and it fails closed there.
    assert run_one(check_spec("MP.OVERFIT"), ctx).fails_gate
