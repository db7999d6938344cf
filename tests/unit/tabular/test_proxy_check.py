"""FE.PROXY: features that stand in for a declared sensitive attribute, by data or by name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from sklearn.datasets import load_diabetes
from sklearn.metrics import roc_auc_score

from langgraph_gates.checks import proxy
from langgraph_gates.checks.base import run_check
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.evidence.proxy import contingency, cramers_v
from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.state import Finding, Outcome

from ...conftest import MakeCtx, run_one
from .conftest import data_dossier

N = 4000


def _sym(auc: float) -> float:
    return max(auc, 1.0 - auc)


def _bergsma(table: np.ndarray) -> float:
    """Bias-corrected Cramér's V written out from Bergsma (2013), chi-square from SciPy."""
    chi2 = chi2_contingency(table, correction=False).statistic
    n = table.sum()
    r, k = table.shape
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    r_corr = r - (r - 1) ** 2 / (n - 1)
    k_corr = k - (k - 1) ** 2 / (n - 1)
    return float(np.sqrt(phi2 / min(r_corr - 1, k_corr - 1)))


def _frame(seed: int = 0, n: int = N) -> pd.DataFrame:
    """Region is the sensitive attribute; postcode is a function of it, tenure is independent."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1])
    postcode = np.array([f"{r[:2].upper()}{rng.integers(0, 3)}" for r in region])
    return pd.DataFrame(
        {
            "region": region,
            "postcode": postcode,  # three codes per region, none shared: a perfect proxy
            "tenure": rng.normal(24, 6, n),
            "plan": rng.choice(["basic", "pro"], n),
            "y": rng.integers(0, 2, n),
        }
    )


def _run(make_ctx: MakeCtx, frame: pd.DataFrame, sensitive: list[str], **kw: Any) -> Finding:
    policy = kw.pop("policy", None)
    name = kw.pop("name", "train.parquet")
    path = make_ctx().base_dir / name
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    dossier = data_dossier(train=name, sensitive=sensitive, **kw)
    return run_one(check_spec("FE.PROXY"), make_ctx(dossier, policy=policy))


def _assoc(finding: Finding, attribute: str) -> dict[str, dict[str, float | None]]:
    return finding.measured["associations"][attribute]  # type: ignore[index,return-value]


def _flagged(finding: Finding) -> set[tuple[str, str, str]]:
    proxies = finding.measured["proxies"]
    assert isinstance(proxies, list)
    return {(p["feature"], p["attribute"], p["statistic"]) for p in proxies}  # type: ignore[index]


# --- the statistics against independent computations --------------------------------------


def test_cramers_v_matches_bergsma_written_out() -> None:
    rng = np.random.default_rng(3)
    for shape in [(2, 2), (3, 5), (10, 4)]:
        table = rng.integers(1, 60, size=shape).astype(float)
        assert cramers_v(table) == pytest.approx(_bergsma(table), abs=1e-12), shape
    # A perfect one-to-one association is 1; independence is floored at 0 by the correction.
    assert cramers_v(np.diag([500.0, 300.0, 200.0])) == pytest.approx(1.0, abs=1e-2)
    assert cramers_v(np.full((3, 3), 50.0)) == 0.0
    assert cramers_v(np.array([[10.0, 20.0]])) is None  # one row: nothing to associate


def test_an_id_like_feature_is_not_called_a_proxy() -> None:
    """Many small categories fit any attribute well by chance; the correction removes that."""
    rng = np.random.default_rng(0)
    ids = np.arange(2000) % 400  # 400 accounts of five rows each
    attribute = rng.integers(0, 2, 2000)
    table = contingency(ids, attribute)
    naive = np.sqrt(chi2_contingency(table, correction=False).statistic / 2000)
    assert naive > 0.3
    assert (cramers_v(table) or 0.0) < 0.1
    # One row per value: the corrected table has no degrees of freedom left, so no V at all.
    assert cramers_v(contingency(np.arange(2000), attribute)) is None


def test_statistics_match_sklearn_and_scipy(make_ctx: MakeCtx) -> None:
    frame = _frame()
    finding = _run(make_ctx, frame, ["region"])
    got = _assoc(finding, "region")
    assert set(got) == {"postcode", "tenure", "plan"}  # the attribute itself is not a feature
    # Numeric feature: macro one-vs-rest symmetrised AUC over the four regions.
    per_region = [
        _sym(roc_auc_score(frame["region"] == r, frame["tenure"])) for r in frame["region"].unique()
    ]
    assert got["tenure"]["auc"] == pytest.approx(float(np.mean(per_region)), abs=1e-6)
    # Categorical feature: Cramér's V of the raw crosstab.
    table = pd.crosstab(frame["plan"], frame["region"]).to_numpy(dtype=float)
    assert got["plan"]["cramers_v"] == pytest.approx(_bergsma(table), abs=1e-6)
    # Numeric feature: Cramér's V over decile bins of the feature.
    deciles = pd.qcut(frame["tenure"], 10, labels=False)
    table = pd.crosstab(deciles, frame["region"]).to_numpy(dtype=float)
    assert got["tenure"]["cramers_v"] == pytest.approx(_bergsma(table), abs=1e-6)


def test_real_data_sex_in_the_diabetes_study(make_ctx: MakeCtx) -> None:
    """442 patients (scikit-learn's copy of Efron et al. 2004) with sex declared sensitive.

    HDL (s3) and the cholesterol ratio (s4) differ by sex, as physiology says, but none of the
    blood values identifies it: the default bands pass, and a stricter band flags exactly the
    features that scikit-learn's AUC puts beyond it.
    """
    frame = load_diabetes(as_frame=True, scaled=False).frame
    features = [c for c in frame.columns if c not in ("sex", "target")]
    expected = {c: _sym(roc_auc_score(frame["sex"] == 2, frame[c])) for c in features}
    finding = _run(make_ctx, frame, ["sex"], label="target", task="regression")
    got = _assoc(finding, "sex")
    for name in features:
        assert got[name]["auc"] == pytest.approx(expected[name], abs=1e-6), name
    # Cramér's V of a continuous feature over its deciles, cut here with pandas.
    edges = np.unique(np.quantile(frame["s5"], np.linspace(0, 1, 11)[1:-1]))
    deciles = pd.cut(frame["s5"], [-np.inf, *edges, np.inf], right=False)
    table = pd.crosstab(deciles, frame["sex"]).to_numpy(dtype=float)
    assert got["s5"]["cramers_v"] == pytest.approx(_bergsma(table), abs=1e-6)
    strongest_v = max(v["cramers_v"] or 0.0 for v in got.values())
    by_default = max(expected.values()) >= 0.8 or strongest_v >= 0.5
    assert (finding.outcome is Outcome.WARN) is by_default
    line = sorted(expected.values())[-2] + 1e-3  # between the two best features
    strict = {"features": {"proxy_auc": {"warn": line}, "proxy_cramers_v": {"warn": 1.0}}}
    finding = _run(
        make_ctx, frame, ["sex"], label="target", task="regression", policy=strict, name="s.parquet"
    )
    assert {f for f, _, _ in _flagged(finding)} == {c for c, v in expected.items() if v >= line}
    assert len(_flagged(finding)) == 1


# --- the statistical case ----------------------------------------------------------------


def test_a_function_of_the_attribute_warns_and_an_independent_feature_passes(
    make_ctx: MakeCtx,
) -> None:
    finding = _run(make_ctx, _frame(), ["region"])
    assert finding.outcome is Outcome.WARN
    flagged = _flagged(finding)
    assert ("postcode", "region", "Cramér's V") in flagged
    assert ("postcode", "region", "AUC") in flagged
    assert {f for f, _, _ in flagged} == {"postcode"}
    got = _assoc(finding, "region")
    assert got["postcode"]["cramers_v"] == pytest.approx(1.0, abs=0.01)
    assert "postcode" in finding.message and "region" in finding.message
    assert "Cramér's V" in finding.message
    assert finding.threshold is not None and finding.threshold.fail is None  # warn only
    assert [e.column for e in finding.evidence] == ["postcode"]

    independent = _frame().drop(columns=["postcode"])
    finding = _run(make_ctx, independent, ["region"], name="independent.parquet")
    assert finding.outcome is Outcome.PASS, finding.message
    assert _flagged(finding) == set()


def test_a_feature_missing_for_one_group_only_is_a_proxy(make_ctx: MakeCtx) -> None:
    frame = _frame()
    # Present for everyone but the west region: whether it is missing reveals the region.
    frame["tenure"] = np.where(frame["region"] == "west", np.nan, frame["tenure"])
    finding = _run(make_ctx, frame.drop(columns=["postcode"]), ["region"])
    assert ("tenure", "region", "Cramér's V") in _flagged(finding)


def test_multi_valued_attribute_with_a_categorical_proxy(make_ctx: MakeCtx) -> None:
    rng = np.random.default_rng(5)
    country = rng.choice(["de", "fr", "it", "es", "pl", "se"], N)
    language = pd.Series(country).map(
        {
            "de": "german",
            "fr": "french",
            "it": "italian",
            "es": "spanish",
            "pl": "polish",
            "se": "swedish",
        }
    )
    noise = rng.random(N) < 0.1  # one row in ten with another language
    language[noise] = rng.choice(["english", "german"], int(noise.sum()))
    frame = pd.DataFrame(
        {"country": country, "language": language, "spend": rng.gamma(2, 10, N), "y": 0}
    )
    finding = _run(make_ctx, frame, ["country"], task="multiclass_classification")
    got = _assoc(finding, "country")
    assert got["language"]["auc"] is not None and got["language"]["auc"] > 0.9
    assert got["spend"]["auc"] is not None and got["spend"]["auc"] < 0.6
    assert {f for f, _, _ in _flagged(finding)} == {"language"}
    assert finding.outcome is Outcome.WARN


def test_many_valued_numeric_attribute_is_binned(make_ctx: MakeCtx) -> None:
    rng = np.random.default_rng(2)
    birth_year = rng.integers(1940, 2005, N)
    frame = pd.DataFrame(
        {
            "birth_year": birth_year,
            "years_of_credit_history": 2026 - birth_year - 18 + rng.integers(0, 3, N),
            "balance": rng.normal(size=N),
            "y": rng.integers(0, 2, N),
        }
    )
    finding = _run(make_ctx, frame, ["birth_year"])
    got = _assoc(finding, "birth_year")
    assert got["years_of_credit_history"]["auc"] is None  # one-vs-rest over 65 years: not scored
    assert (got["years_of_credit_history"]["cramers_v"] or 0) > 0.7
    assert (got["balance"]["cramers_v"] or 0) < 0.1
    assert {f for f, _, _ in _flagged(finding)} == {"years_of_credit_history"}
    notes = finding.measured["notes"]
    assert isinstance(notes, list) and "quantile bins" in str(notes[0])


# --- threshold edges ---------------------------------------------------------------------


@pytest.mark.parametrize("statistic", ["cramers_v", "auc"])
@pytest.mark.parametrize(
    ("offset", "outcome"),
    [(+1e-6, Outcome.PASS), (0.0, Outcome.WARN), (-1e-6, Outcome.WARN)],
)
def test_band_edges_around_the_measured_value(
    make_ctx: MakeCtx, statistic: str, offset: float, outcome: Outcome
) -> None:
    rng = np.random.default_rng(11)
    frame = _frame().drop(columns=["postcode"])
    # A partial proxy: tenure moves with the region, with noise.
    shift = frame["region"].map({"north": 0.0, "south": 3.0, "east": 6.0, "west": 9.0})
    frame["tenure"] = shift + rng.normal(0, 4, len(frame))
    measured = _assoc(_run(make_ctx, frame, ["region"]), "region")["tenure"][statistic]
    assert measured is not None and 0.1 < measured < 0.95
    other = "auc" if statistic == "cramers_v" else "cramers_v"
    policy = {
        "features": {
            f"proxy_{statistic}": {"warn": measured + offset},
            f"proxy_{other}": {"warn": 1.0},
        }
    }
    finding = _run(make_ctx, frame, ["region"], policy=policy, name="edge.parquet")
    assert finding.outcome is outcome
    assert (("tenure", "region") in {(f, a) for f, a, _ in _flagged(finding)}) is (
        outcome is Outcome.WARN
    )


def test_a_fail_level_in_the_policy_makes_a_proxy_fail(make_ctx: MakeCtx) -> None:
    policy = {"features": {"proxy_cramers_v": {"warn": 0.5, "fail": 0.9}}}
    finding = _run(make_ctx, _frame(), ["region"], policy=policy)
    assert finding.outcome is Outcome.FAIL
    assert finding.threshold is not None and finding.threshold.fail == 0.9


# --- the name case -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feature", "attribute", "word"),
    [
        ("age", "age_group", "age"),
        ("sex_code", "sex", "sex"),
        ("gender", "gender_bucket", "gender"),
        ("ageGroup", "age", "age"),
        ("AgeBand", "age_band", "age"),
        ("age2", "age", "age"),
        ("applicant-race", "race", "race"),
        ("personal_status_sex", "sex", "sex"),
        ("Genders", "gender", "gender"),
        ("age_years", "age_group", "age"),  # a unit is not a word of its own
        ("applicant_age", "age", "age"),
        ("card_age_days", "cardholder_age_band", None),  # siblings: the card's age, not theirs
        ("agency", "age", None),  # whole words only
        ("account_status", "marital_status", None),  # a generic coding word links nothing
        ("income", "age_group", None),
        ("group_id", "age_group", None),
    ],
)
def test_name_links(feature: str, attribute: str, word: str | None) -> None:
    assert proxy.name_link(feature, attribute) == word


def test_age_next_to_age_group_warns_by_name_and_by_data(make_ctx: MakeCtx) -> None:
    """The German credit case: age is a feature, age_group the declared attribute."""
    rng = np.random.default_rng(7)
    age = rng.integers(19, 75, N)
    frame = pd.DataFrame(
        {
            "age": age,
            "age_group": np.where(age < 25, "young", np.where(age < 60, "adult", "senior")),
            "duration": rng.integers(4, 72, N),
            "y": rng.integers(0, 2, N),
        }
    )
    finding = _run(make_ctx, frame, ["age_group"], excluded=["age_group"])
    assert finding.outcome is Outcome.WARN
    flagged = _flagged(finding)
    assert ("age", "age_group", "name") in flagged
    assert ("age", "age_group", "Cramér's V") in flagged
    assert "its name derives from age_group's (the word 'age')" in finding.message
    assert {f for f, _, _ in flagged} == {"age"}


def test_a_name_link_warns_even_when_the_data_do_not(make_ctx: MakeCtx) -> None:
    frame = _frame().drop(columns=["postcode"])
    frame["region_code_v2"] = np.random.default_rng(1).integers(0, 5, len(frame))
    finding = _run(make_ctx, frame, ["region"])
    assert finding.outcome is Outcome.WARN
    assert _flagged(finding) == {("region_code_v2", "region", "name")}
    assert (_assoc(finding, "region")["region_code_v2"]["cramers_v"] or 0) < 0.1
    ignored = _run(
        make_ctx,
        frame,
        ["region"],
        policy={"features": {"proxy_name_match": "ignore"}},
        name="ignored.parquet",
    )
    assert ignored.outcome is Outcome.PASS


def test_a_sensitive_attribute_used_as_a_feature_is_not_reported_again(
    make_ctx: MakeCtx,
) -> None:
    """region and region_label are both declared; neither is a proxy of the other here."""
    frame = _frame()
    frame["region_label"] = frame["region"].str.upper()
    finding = _run(make_ctx, frame, ["region", "region_label"])
    for attribute in ("region", "region_label"):
        assert set(_assoc(finding, attribute)) == {"postcode", "tenure", "plan"}
    assert {f for f, _, _ in _flagged(finding)} == {"postcode"}


# --- failure modes -----------------------------------------------------------------------


def test_no_sensitive_attributes_declared_is_missing(make_ctx: MakeCtx) -> None:
    frame = _frame()
    finding = _run(make_ctx, frame, None)  # type: ignore[arg-type]
    assert finding.outcome is Outcome.MISSING
    assert "declare data.sensitive_attributes" in finding.message
    empty = _run(make_ctx, frame, [], name="empty.parquet")
    assert empty.outcome is Outcome.MISSING


def test_an_empty_list_with_a_justification_is_not_applicable(make_ctx: MakeCtx) -> None:
    _frame().to_parquet(make_ctx().base_dir / "train.parquet")
    dossier = data_dossier(train="train.parquet", sensitive=[])
    dossier["data"]["sensitive_justification"] = "Machine telemetry only: no people in the data."
    finding = run_one(check_spec("FE.PROXY"), make_ctx(dossier))
    assert finding.outcome is Outcome.PASS
    assert finding.measured["applicable"] is False


def test_no_training_file_is_missing(make_ctx: MakeCtx) -> None:
    finding = run_one(check_spec("FE.PROXY"), make_ctx(data_dossier(sensitive=["region"])))
    assert finding.outcome is Outcome.MISSING
    assert "data.train" in finding.message


def test_an_unreadable_training_file_is_an_error(make_ctx: MakeCtx) -> None:
    (make_ctx().base_dir / "train.parquet").write_bytes(b"PAR1 not really parquet")
    finding = run_one(
        check_spec("FE.PROXY"), make_ctx(data_dossier(train="train.parquet", sensitive=["region"]))
    )
    assert finding.outcome is Outcome.ERROR
    assert "train.parquet" in finding.message


def test_an_attribute_not_in_the_file_is_an_error_and_names_still_count(
    make_ctx: MakeCtx,
) -> None:
    """age_group is declared but only derived later in the pipeline; age is in the file."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {"age": rng.integers(19, 75, N), "duration": rng.integers(4, 72, N), "y": 0}
    )
    frame.to_csv(make_ctx().base_dir / "train.csv", index=False)
    ctx = make_ctx(data_dossier(train="train.csv", sensitive=["age_group"]))
    findings = run_check(check_spec("FE.PROXY"), ctx, owner="owner")
    assert [f.outcome for f in findings] == [Outcome.ERROR, Outcome.WARN]
    problem, by_name = findings
    assert "age_group" in problem.message and "train.csv" in problem.message
    assert "columns: age, duration, y" in problem.message
    assert _flagged(by_name) == {("age", "age_group", "name")}


def test_an_absent_attribute_without_any_name_link_is_one_error(make_ctx: MakeCtx) -> None:
    _frame().to_parquet(make_ctx().base_dir / "train.parquet")
    ctx = make_ctx(data_dossier(train="train.parquet", sensitive=["ethnicity"]))
    findings = run_check(check_spec("FE.PROXY"), ctx, owner="owner")
    assert [f.outcome for f in findings] == [Outcome.ERROR]


def test_no_feature_besides_the_attributes_is_an_error(make_ctx: MakeCtx) -> None:
    frame = _frame()[["region", "y"]]
    assert _run(make_ctx, frame, ["region"]).outcome is Outcome.ERROR


# --- sampling, caching, CSV and the gate -------------------------------------------------


def test_the_sample_is_bounded_and_the_same_on_every_run(make_ctx: MakeCtx) -> None:
    frame = _frame(n=20_000)
    policy = {"features": {"leakage_sample_rows": 2_000}}
    first = _run(make_ctx, frame, ["region"], policy=policy, name="train.csv")
    rows = first.measured["rows_sampled"]
    assert isinstance(rows, dict) and 1_500 < rows["region"] < 2_500
    assert first.measured["rows_total"] == {"region": 20_000}
    again = _run(make_ctx, frame, ["region"], policy=policy, name="again.csv")
    assert again.measured == first.measured
    assert ("postcode", "region", "Cramér's V") in _flagged(first)


def test_the_report_is_cached_in_the_evidence_store(make_ctx: MakeCtx) -> None:
    _frame().to_parquet(make_ctx().base_dir / "train.parquet")
    ctx = make_ctx(data_dossier(train="train.parquet", sensitive=["region"]))
    run_one(check_spec("FE.PROXY"), ctx)
    run_one(check_spec("FE.PROXY"), ctx)
    assert ctx.evidence.computed.count("tabular-proxy") == 1


def test_the_feature_engineering_gate_runs_and_writes_the_check() -> None:
    gate = GATES_BY_ID["feature_engineering"]
    assert check_spec("FE.PROXY") in gate.checks
