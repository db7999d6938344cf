"""Generate the evidence files of the bundled examples, deterministically.

    python examples/generate.py            # all examples
    python examples/generate.py churn      # one example

Data are synthetic but realistic: each example draws its rows from a seeded generator, trains a
real scikit-learn model on them, and writes the predictions, metrics, feature importance, the
model artifact (joblib) and its SHA-256 exactly as a team would hand them in. Nothing is
downloaded. Re-running the script gives the same data; the artifact's bytes (and so its hash)
depend on the installed scikit-learn version, so the dossier is rewritten with the new hash.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

HERE = Path(__file__).resolve().parent


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False, engine="pyarrow", compression="zstd")


# --------------------------------------------------------------------------- churn (B2B SaaS)

CHURN_CATEGORICAL = ["plan", "region", "company_size", "contract_type"]
CHURN_NUMERIC = [
    "seats",
    "tenure_months",
    "monthly_spend",
    "support_tickets_90d",
    "logins_30d",
    "nps_score",
    "feature_adoption",
]


def churn_accounts(rng: np.random.Generator, n: int, start: dt.date, days: int, *, shift: float = 0.0) -> pd.DataFrame:
    """B2B SaaS account snapshots with a churn label driven by usage, tenure and support load."""
    region = rng.choice(["NA", "EMEA", "APAC", "LATAM"], size=n, p=[0.45, 0.30, 0.17, 0.08])
    size = rng.choice(["small", "mid", "large"], size=n, p=[0.55, 0.33, 0.12])
    plan = np.where(
        size == "large",
        rng.choice(["pro", "enterprise"], size=n, p=[0.3, 0.7]),
        rng.choice(["starter", "pro", "enterprise"], size=n, p=[0.55, 0.38, 0.07]),
    )
    contract = rng.choice(["monthly", "annual"], size=n, p=[0.6 - shift / 2, 0.4 + shift / 2])
    seats_base = {"small": 8, "mid": 45, "large": 260}
    seats = np.array([max(1, int(rng.lognormal(np.log(seats_base[s]), 0.5))) for s in size])
    tenure = np.clip(rng.gamma(2.0, 11.0, size=n), 1, 120).round()
    price = {"starter": 12.0, "pro": 29.0, "enterprise": 55.0}
    spend = np.array([price[p] for p in plan]) * seats * rng.uniform(0.85, 1.15, size=n)
    tickets = rng.poisson(1.2 + 0.015 * np.sqrt(seats) + shift * 0.8, size=n)
    logins = np.clip(rng.normal(22 - 6 * shift, 8, size=n), 0, None).round()
    adoption = np.clip(rng.beta(4, 3, size=n) - 0.08 * shift, 0, 1)
    nps = np.clip(rng.normal(32 - 4 * tickets, 22), -100, 100).round()
    # NPS comes from a survey: about 1 in 7 accounts never answered it.
    nps = np.where(rng.uniform(size=n) < 0.14, np.nan, nps)
    logit = (
        -3.0
        - 0.06 * (tenure - 20)
        + 0.55 * (tickets - 1.5)
        - 0.10 * (logins - 20)
        - 4.0 * (adoption - 0.55)
        + 1.1 * (contract == "monthly")
        - 0.4 * (size == "large")
        + np.where(np.isnan(nps), 0.4, -0.012 * np.nan_to_num(nps))
        + rng.normal(0, 0.3, size=n)
    )
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    dates = [start + dt.timedelta(days=int(d)) for d in np.sort(rng.integers(0, days, size=n))]
    return pd.DataFrame(
        {
            "account_id": [f"A{100000 + i}" for i in range(n)],
            "snapshot_date": pd.to_datetime(dates),
            "seats": seats,
            "tenure_months": tenure,
            "monthly_spend": spend.round(2),
            "support_tickets_90d": tickets,
            "logins_30d": logins,
            "nps_score": nps,
            "feature_adoption": adoption.round(4),
            "plan": plan,
            "region": region,
            "company_size": size,
            "contract_type": contract,
            "churned": churned,
        }
    )


def _churn_pipeline() -> Pipeline:
    encode = ColumnTransformer(
        [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["plan", "contract_type"])],
        remainder="passthrough",
    )
    model = HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.06, max_leaf_nodes=15, l2_regularization=1.0, random_state=7
    )
    return Pipeline([("encode", encode), ("model", model)])


def _binary_metrics(y: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    pred = (score >= threshold).astype(int)
    return {
        "roc_auc": round(float(roc_auc_score(y, score)), 4),
        "average_precision": round(float(average_precision_score(y, score)), 4),
        "accuracy": round(float(accuracy_score(y, pred)), 4),
        "precision": round(float(precision_score(y, pred, zero_division=0)), 4),
        "recall": round(float(recall_score(y, pred)), 4),
        "f1": round(float(f1_score(y, pred)), 4),
    }


def generate_churn(folder: Path) -> None:
    rng = np.random.default_rng(20261001)
    train = churn_accounts(rng, 42_000, dt.date(2025, 1, 1), 546)  # to 2026-06-30
    valid = churn_accounts(rng, 9_000, dt.date(2026, 7, 1), 92)  # Jul-Sep 2026
    serving = churn_accounts(rng, 6_000, dt.date(2026, 10, 1), 56, shift=0.15).drop(columns=["churned"])
    _write_parquet(train, folder / "data/train.parquet")
    _write_parquet(valid, folder / "data/valid.parquet")
    _write_parquet(serving, folder / "data/serving_sample.parquet")

    features = [c for c in CHURN_NUMERIC] + ["plan", "contract_type"]
    pipe = _churn_pipeline().fit(train[features], train["churned"])
    threshold = 0.2  # the retention team can call about a quarter of flagged accounts
    s_train = pipe.predict_proba(train[features])[:, 1]
    s_valid = pipe.predict_proba(valid[features])[:, 1]

    cv_scores = []
    for tr, te in TimeSeriesSplit(n_splits=5).split(train):
        fold = _churn_pipeline().fit(train.iloc[tr][features], train.iloc[tr]["churned"])
        cv_scores.append(round(float(roc_auc_score(train.iloc[te]["churned"], fold.predict_proba(train.iloc[te][features])[:, 1])), 4))
    imp = permutation_importance(pipe, valid[features], valid["churned"], scoring="roc_auc", n_repeats=3, random_state=0)
    importance = {f: round(float(v), 4) for f, v in sorted(zip(features, imp.importances_mean, strict=True), key=lambda kv: -kv[1])}
    metrics = {
        "train": _binary_metrics(train["churned"].to_numpy(), s_train, threshold),
        "validation": _binary_metrics(valid["churned"].to_numpy(), s_valid, threshold),
        "cv": {"roc_auc": cv_scores},
        "feature_importance": importance,
    }
    (folder / "eval").mkdir(parents=True, exist_ok=True)
    (folder / "eval/metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")

    sample = train.sample(6_000, random_state=3)
    groups = ["region", "company_size", "plan", "contract_type"]
    preds = pd.concat(
        [
            sample[groups].assign(split="train", y_true=sample["churned"], y_score=pipe.predict_proba(sample[features])[:, 1]),
            valid[groups].assign(split="validation", y_true=valid["churned"], y_score=s_valid),
        ]
    )
    preds["y_score"] = preds["y_score"].round(5)
    preds["y_pred"] = (preds["y_score"] >= threshold).astype(int)
    preds[["split", "y_true", "y_score", "y_pred", *groups]].to_csv(folder / "eval/predictions.csv", index=False)

    (folder / "model").mkdir(parents=True, exist_ok=True)
    joblib.dump(pipe, folder / "model/model.joblib", compress=3)
    _write_dossier(folder, {"ARTIFACT_SHA256": _sha256(folder / "model/model.joblib")})


def _write_dossier(folder: Path, values: dict[str, str]) -> None:
    template = (folder / "dossier.template.yaml").read_text()
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    header = "# Generated by examples/generate.py from dossier.template.yaml; edit the template.\n"
    (folder / "dossier.yaml").write_text(header + template)


GENERATORS: dict[str, Callable[[Path], None]] = {
    "churn": generate_churn,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", nargs="*", help=f"any of: {', '.join(GENERATORS)}")
    args = parser.parse_args(argv)
    unknown = [n for n in args.examples if n not in GENERATORS]
    if unknown:
        parser.error(f"unknown example {unknown[0]!r}")
    for name in args.examples or list(GENERATORS):
        GENERATORS[name](HERE / name)
        print(f"generated examples/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
