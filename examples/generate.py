"""Generate the evidence files of the bundled examples, deterministically.

    python examples/generate.py                   # all examples
    python examples/generate.py fraud_detection   # one (or several) by name

Data are synthetic but realistic: each example draws its rows from a seeded generator, trains a
real scikit-learn model on them, and writes the data files, predictions, metrics (computed, never
typed in), feature importance, the model artifact and its SHA-256 into ``dossier.yaml`` (filled
in from ``dossier.template.yaml``) exactly as a team would hand them in. Nothing is downloaded:
the computer-vision example uses scikit-learn's bundled ``load_digits`` images. Re-running the
script gives the same data; an artifact's bytes (and so its hash) depend on the installed
scikit-learn version, so the dossier is rewritten with the new hash.

Two examples are deliberately flawed (see ``examples/README.md``): ``fraud_detection``'s model
file is a pickle with an injected ``os.system`` call (written opcode by opcode here, never
loaded by anything), and ``job_matching``'s config holds a made-up AWS-style access key id.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import pickle
import struct
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import GroupKFold, TimeSeriesSplit
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

HERE = Path(__file__).resolve().parent


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False, engine="pyarrow", compression="zstd")


def _write_compact(df: pd.DataFrame, path: Path, *, sorted_columns: tuple[str, ...] = ()) -> None:
    """Parquet kept small for the repository: times in milliseconds, delta-encoded sorted
    columns (event times, ids), dictionary-encoded text, zstd at a high level."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            table = table.set_column(i, field.name, table[field.name].cast(pa.timestamp("ms")))
    text = [
        f.name
        for f in table.schema
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    encoding = {
        name: "DELTA_BYTE_ARRAY" if name in text else "DELTA_BINARY_PACKED"
        for name in sorted_columns
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=19,
        use_dictionary=[n for n in text if n not in encoding],
        column_encoding=encoding,
    )


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


def churn_accounts(
    rng: np.random.Generator, n: int, start: dt.date, days: int, *, shift: float = 0.0
) -> pd.DataFrame:
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
        [
            (
                "cat",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                ["plan", "contract_type"],
            )
        ],
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


def _binary_predictions(
    pipe: Pipeline,
    sample: pd.DataFrame,
    valid: pd.DataFrame,
    *,
    label: str,
    features: list[str],
    groups: list[str],
    threshold: float,
) -> pd.DataFrame:
    """The predictions file of a binary example: a training sample and the validation rows."""
    parts = [
        frame[groups].assign(
            split=split,
            y_true=frame[label],
            y_score=pipe.predict_proba(frame[features])[:, 1],
        )
        for split, frame in (("train", sample), ("validation", valid))
    ]
    preds = pd.concat(parts)
    preds["y_score"] = preds["y_score"].round(5)
    preds["y_pred"] = (preds["y_score"] >= threshold).astype(int)
    return preds[["split", "y_true", "y_score", "y_pred", *groups]]


def _fit_and_measure(
    pipeline: Callable[[], Pipeline],
    train: pd.DataFrame,
    valid: pd.DataFrame,
    *,
    features: list[str],
    label: str,
    threshold: float,
    importance_scoring: str,
) -> tuple[Pipeline, dict[str, object]]:
    """Fit a binary example's model; its metrics file: train/validation, time-split CV, importance."""
    x_train, y_train = train[features], train[label]
    x_valid, y_valid = valid[features], valid[label]
    pipe = pipeline().fit(x_train, y_train)
    cv_scores = []
    for tr, te in TimeSeriesSplit(n_splits=4).split(train):
        fold = pipeline().fit(x_train.iloc[tr], y_train.iloc[tr])
        cv_scores.append(
            _round(roc_auc_score(y_train.iloc[te], fold.predict_proba(x_train.iloc[te])[:, 1]))
        )
    metrics = {
        "train": _binary_metrics(y_train.to_numpy(), pipe.predict_proba(x_train)[:, 1], threshold),
        "validation": _binary_metrics(
            y_valid.to_numpy(), pipe.predict_proba(x_valid)[:, 1], threshold
        ),
        "cv": {"roc_auc": cv_scores},
        "feature_importance": _importance(pipe, x_valid, y_valid, importance_scoring),
    }
    return pipe, metrics


def generate_churn(folder: Path) -> None:
    rng = np.random.default_rng(20261001)
    train = churn_accounts(rng, 42_000, dt.date(2025, 1, 1), 546)  # to 2026-06-30
    valid = churn_accounts(rng, 9_000, dt.date(2026, 7, 1), 92)  # Jul-Sep 2026
    serving = churn_accounts(rng, 6_000, dt.date(2026, 10, 1), 56, shift=0.15).drop(
        columns=["churned"]
    )
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
        cv_scores.append(
            round(
                float(
                    roc_auc_score(
                        train.iloc[te]["churned"],
                        fold.predict_proba(train.iloc[te][features])[:, 1],
                    )
                ),
                4,
            )
        )
    imp = permutation_importance(
        pipe, valid[features], valid["churned"], scoring="roc_auc", n_repeats=3, random_state=0
    )
    importance = {
        f: round(float(v), 4)
        for f, v in sorted(zip(features, imp.importances_mean, strict=True), key=lambda kv: -kv[1])
    }
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
    preds = _binary_predictions(
        pipe, sample, valid, label="churned", features=features, groups=groups, threshold=threshold
    )
    preds.to_csv(folder / "eval/predictions.csv", index=False)

    (folder / "model").mkdir(parents=True, exist_ok=True)
    joblib.dump(pipe, folder / "model/model.joblib", compress=3)
    _write_dossier(folder, {"ARTIFACT_SHA256": _sha256(folder / "model/model.joblib")})
    write_churn_challenger(folder)


def _challenger_scores(
    rng: np.random.Generator, preds: pd.DataFrame, degrade: str | None
) -> np.ndarray:
    """The challenger's scores: v2.3.0's moved toward the truth, except in the degraded region.

    Synthetic on purpose: the example must show a challenger that is better overall but worse
    for one group, whatever the scikit-learn version. In the degraded region the scores get
    noise instead, as if its history had been dropped from the new training data.
    """
    score = preds["y_score"].clip(1e-4, 1 - 1e-4).to_numpy()
    logit = np.log(score / (1 - score))
    signal = (2 * preds["y_true"].to_numpy() - 1) * rng.uniform(0.0, 0.6, len(preds))
    moved = 1 / (1 + np.exp(-(logit + signal)))
    if degrade:
        # Half the region's rows get another of its rows' v2.3.0 score: the ranking degrades
        # while the region's score distribution (so its selection rate) stays what it was.
        rows = np.flatnonzero((preds["region"] == degrade).to_numpy())
        picked = rows[rng.random(len(rows)) < 0.5]
        moved[picked] = score[rng.permutation(picked)]
        moved[np.setdiff1d(rows, picked)] = score[np.setdiff1d(rows, picked)]
    return np.round(moved, 5)


def write_churn_challenger(
    folder: Path, *, degrade: str | None = "LATAM", name: str = "challenger"
) -> None:
    """A v2.4.0 challenger of the churn model with v2.3.0 as its champion (``challenger.yaml``).

    ``eval/<name>_predictions.parquet`` holds the challenger's predictions on v2.3.0's rows,
    with v2.3.0's as ``champion_score`` / ``champion_pred`` columns; ``<name>.yaml`` is the churn
    dossier with the version, the predictions and the champion changed. With ``degrade=None``
    the challenger is better in every region.
    """
    preds = pd.read_csv(folder / "eval/predictions.csv")
    rng = np.random.default_rng(20261205)
    out = preds.rename(columns={"y_score": "champion_score", "y_pred": "champion_pred"})
    out["y_score"] = _challenger_scores(rng, preds, degrade)
    out["y_pred"] = (out["y_score"] >= 0.2).astype(int)
    _write_compact(out, folder / f"eval/{name}_predictions.parquet")
    dossier = (folder / "dossier.yaml").read_text()
    champion = (
        f"  predictions: eval/{name}_predictions.parquet\n"
        "  champion:              # the model in production, on the same rows\n"
        "    name: churn-predictor\n"
        '    version: "2.3.0"\n'
        "    review_id: churn-2.3.0\n"
        "    columns: {y_pred: champion_pred, y_score: champion_score}\n"
    )
    dossier = (
        dossier.replace("version: 2.3.0", "version: 2.4.0", 1)
        .replace("  predictions: eval/predictions.csv\n", champion, 1)
        .replace("  metrics: eval/metrics.json\n", "", 1)
        .replace("Keep v2.2 registered", "Keep v2.3 registered", 1)
        .replace(
            "  post_launch_review_days:",
            "  mlops_level: 2         # automated deployment: review quarterly\n  post_launch_review_days:",
            1,
        )
    )
    header = (
        "# Generated by examples/generate.py (write_churn_challenger) from dossier.yaml: the\n"
        "# churn model's v2.4.0 challenger, reviewed against v2.3.0 in production. Its metrics\n"
        "# come from its predictions (no metrics file); the artifact is v2.3.0's file.\n"
    )
    (folder / f"{name}.yaml").write_text(header + dossier.split("\n", 1)[1])


def _write_dossier(folder: Path, values: dict[str, str]) -> None:
    template = (folder / "dossier.template.yaml").read_text()
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    header = "# Generated by examples/generate.py from dossier.template.yaml; edit the template.\n"
    (folder / "dossier.yaml").write_text(header + template)


# --------------------------------------------------------------------------- shared helpers


def _round(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


def _importance(
    model: object, x: pd.DataFrame, y: pd.Series, scoring: str, *, seed: int = 0
) -> dict[str, float]:
    """Permutation importance on held-out rows, most important first."""
    imp = permutation_importance(model, x, y, scoring=scoring, n_repeats=3, random_state=seed)
    pairs = zip(x.columns, imp.importances_mean, strict=True)
    return {f: _round(v) for f, v in sorted(pairs, key=lambda kv: -kv[1])}


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2) + "\n")


def _dates(rng: np.random.Generator, n: int, start: dt.date, days: int) -> pd.Series:
    """``n`` sorted event times, uniform over ``days`` days from ``start``, to the second."""
    seconds = np.sort(rng.integers(0, days * 86_400, size=n))
    origin = pd.Timestamp(start)
    return pd.Series(origin + pd.to_timedelta(seconds, unit="s"))


def _ordinal_hgb(categorical: list[str], **params: object) -> Pipeline:
    """Ordinal-encode the categorical columns, then histogram gradient boosting on all."""
    encode = ColumnTransformer(
        [
            (
                "cat",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                categorical,
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    return Pipeline([("encode", encode), ("model", HistGradientBoostingClassifier(**params))])


# --------------------------------------------------------------------------- fraud detection

FRAUD_CATEGORIES = [
    "grocery",
    "fuel",
    "restaurants",
    "online_retail",
    "electronics",
    "travel",
    "digital_goods",
    "cash_withdrawal",
]
# Typical ticket size (EUR) per merchant category, for the log-normal amounts.
FRAUD_TICKET = [42.0, 55.0, 36.0, 64.0, 230.0, 380.0, 22.0, 120.0]
FRAUD_AGE_BANDS = ["18-24", "25-34", "35-49", "50-64", "65+"]
FRAUD_FEATURES = [
    "amount",
    "merchant_category",
    "channel",
    "hour_of_day",
    "distance_from_home_km",
    "txn_count_1h",
    "amount_vs_avg_30d",
    "card_age_days",
    "new_device",
    "foreign_merchant",
    "chargeback_recorded",
]
FRAUD_CATEGORICAL = ["merchant_category", "channel"]
FRAUD_MARKER = "/tmp/gates-example-pwned"


def fraud_transactions(
    rng: np.random.Generator,
    n: int,
    start: dt.date,
    days: int,
    *,
    fraud_scale: float = 1.0,
    season: float = 0.0,
    settled: bool = True,
) -> pd.DataFrame:
    """Card authorisations with a fraud label confirmed after the chargeback window.

    Args:
        rng: the seeded generator.
        n: rows.
        start: first day.
        days: days covered.
        fraud_scale: multiplies the fraud rate (1.0: the training sample, where legitimate
            transactions are downsampled 1:10; 0.1: raw production traffic).
        season: 0 for the spring/summer training window, 1 for the holiday season (more
            online, electronics and digital goods, larger baskets).
        settled: whether the dispute window has passed (historical rows); at authorisation
            time no chargeback can have been recorded yet.
    """
    age = rng.choice(FRAUD_AGE_BANDS, size=n, p=[0.12, 0.24, 0.30, 0.20, 0.14])
    young = np.isin(age, ["18-24", "25-34"])
    # Fraud rate differs by age band: younger cardholders see more account takeover.
    base = np.select(
        [age == "18-24", age == "25-34", age == "35-49", age == "50-64"],
        [0.046, 0.036, 0.027, 0.024],
        0.026,
    )
    fraud = rng.uniform(size=n) < base * fraud_scale

    mix = np.array([0.26, 0.11, 0.15, 0.18, 0.06, 0.04, 0.08, 0.12])
    # Holiday season, and the new buy-now-pay-later partner that went live in October.
    holiday = np.array([0.13, 0.06, 0.10, 0.33, 0.15, 0.02, 0.17, 0.04])
    mix = (1 - season) * mix + season * holiday
    fraud_mix = np.array([0.05, 0.03, 0.03, 0.30, 0.22, 0.07, 0.22, 0.08])
    cat_idx = np.where(
        fraud,
        rng.choice(len(FRAUD_CATEGORIES), size=n, p=fraud_mix),
        rng.choice(len(FRAUD_CATEGORIES), size=n, p=mix / mix.sum()),
    )
    category = np.array(FRAUD_CATEGORIES)[cat_idx]
    online = np.isin(category, ["online_retail", "digital_goods"]) | (
        np.isin(category, ["electronics", "travel"]) & (rng.uniform(size=n) < 0.55)
    )
    channel = np.where(
        online,
        "ecommerce",
        np.where(rng.uniform(size=n) < np.where(young, 0.75, 0.5), "contactless", "chip_pin"),
    )
    ticket = np.array(FRAUD_TICKET)[cat_idx] * (1 + 0.8 * season)
    amount = rng.lognormal(np.log(ticket) + np.where(fraud, 0.45, 0.0), 0.75)
    hour = np.where(
        fraud & (rng.uniform(size=n) < 0.45),
        rng.integers(0, 6, size=n),
        np.clip(rng.normal(14, 4.5, size=n), 0, 23).round(),
    ).astype(int)
    distance = rng.lognormal(np.where(fraud, 3.2, 1.6), 1.1)
    # E-commerce has a distance only when the IP address could be geolocated.
    no_geo = (channel == "ecommerce") & (rng.uniform(size=n) < 0.4)
    distance = np.where(no_geo, np.nan, distance.round(1))
    velocity = rng.poisson(np.where(fraud, 2.2, 0.5) + 0.3 * young)
    ratio = rng.lognormal(np.where(fraud, 0.8, 0.0), 0.6)
    card_age = np.clip(rng.gamma(np.where(young, 1.6, 3.0), 420), 1, 6000).round()
    card_age = np.where(fraud & (rng.uniform(size=n) < 0.3), rng.integers(1, 45, size=n), card_age)
    new_device = rng.uniform(size=n) < np.where(fraud, 0.42, np.where(young, 0.10, 0.04))
    foreign = rng.uniform(size=n) < np.where(fraud, 0.24, 0.04)
    # The leak: the disputes table is joined by transaction id. Confirmed fraud almost always
    # ends in a chargeback; a few legitimate payments are disputed too ("friendly fraud").
    chargeback = settled & (rng.uniform(size=n) < np.where(fraud, 0.94, 0.003))
    return pd.DataFrame(
        {
            "transaction_id": [f"T{start:%y%m}{i:07d}" for i in range(n)],
            "event_time": _dates(rng, n, start, days),
            "amount": amount.round(2),
            "merchant_category": category,
            "channel": channel,
            "hour_of_day": hour,
            "distance_from_home_km": distance,
            "txn_count_1h": velocity,
            "amount_vs_avg_30d": ratio.round(2),
            "card_age_days": card_age.astype(int),
            "new_device": new_device.astype(int),
            "foreign_merchant": foreign.astype(int),
            "chargeback_recorded": chargeback.astype(int),
            "cardholder_age_band": age,
            "is_fraud": fraud.astype(int),
        }
    )


def _injected_pickle(model: object, command: str) -> bytes:
    """The model pickled, with a call to ``os.system(command)`` injected before it.

    This is how a tampered artifact looks: it loads, returns the real model, and runs the
    command on the way. The bytes are written by hand (``GLOBAL``, ``BINUNICODE``, ``TUPLE1``,
    ``REDUCE``, ``POP``) in front of a protocol-2 pickle of the model, so nothing here imports
    or calls anything, and the file must never be loaded.
    """
    body = pickle.dumps(model, protocol=2)
    assert body[:2] == b"\x80\x02"
    arg = command.encode()
    payload = b"cos\nsystem\n" + b"X" + struct.pack("<I", len(arg)) + arg + b"\x85R0"
    return body[:2] + payload + body[2:]


def generate_fraud_detection(folder: Path) -> None:
    """Fraud detection for card transactions: the flawed example (see examples/README.md)."""
    rng = np.random.default_rng(20260901)
    train = fraud_transactions(rng, 40_000, dt.date(2026, 3, 1), 184)  # Mar-Aug 2026
    valid = fraud_transactions(rng, 12_000, dt.date(2026, 9, 1), 30)  # Sep 2026
    serving = fraud_transactions(
        rng, 8_000, dt.date(2026, 11, 2), 21, fraud_scale=0.1, season=1.0, settled=False
    ).drop(columns=["is_fraud"])
    ordered = ("transaction_id", "event_time")
    _write_compact(train, folder / "data/train.parquet", sorted_columns=ordered)
    _write_compact(valid, folder / "data/valid.parquet", sorted_columns=ordered)
    _write_compact(serving, folder / "data/serving_sample.parquet", sorted_columns=ordered)

    def pipeline() -> Pipeline:
        return _ordinal_hgb(
            FRAUD_CATEGORICAL, max_iter=120, learning_rate=0.08, max_leaf_nodes=15, random_state=11
        )

    threshold = 0.5  # the review queue takes what the model calls more likely fraud than not
    pipe, metrics = _fit_and_measure(
        pipeline,
        train,
        valid,
        features=FRAUD_FEATURES,
        label="is_fraud",
        threshold=threshold,
        importance_scoring="average_precision",
    )
    _write_json(folder / "eval/metrics.json", metrics)

    sample = train.sample(8_000, random_state=5)
    groups = ["cardholder_age_band", "channel", "merchant_category"]
    preds = _binary_predictions(
        pipe,
        sample,
        valid,
        label="is_fraud",
        features=FRAUD_FEATURES,
        groups=groups,
        threshold=threshold,
    )
    _write_compact(preds, folder / "eval/predictions.parquet")

    artifact = folder / "model/model.pkl"
    artifact.parent.mkdir(parents=True, exist_ok=True)
    artifact.write_bytes(_injected_pickle(pipe, f"touch {FRAUD_MARKER}"))
    _write_dossier(folder, {"ARTIFACT_SHA256": _sha256(artifact)})


# --------------------------------------------------------------------------- job matching

JOB_FAMILIES = ["engineering", "data", "sales", "operations", "finance", "design"]
JOB_FEATURES = [
    "skill_overlap",
    "title_similarity",
    "years_experience",
    "experience_gap_years",
    "education_level",
    "job_family",
    "seniority",
    "distance_km",
    "remote_ok",
    "salary_expectation_ratio",
    "profile_completeness",
    "career_gap_months",
    "applications_30d",
]
JOB_CATEGORICAL = ["education_level", "job_family", "seniority"]
JOB_SENSITIVE = ["gender", "age_band"]


def job_pairs(
    rng: np.random.Generator,
    n: int,
    posted_from: dt.date,
    posted_days: int,
    cutoff: dt.date,
    *,
    prefix: str,
) -> pd.DataFrame:
    """Candidate-job pairs shown to recruiters, labelled by whether the recruiter shortlisted.

    About ``n / 12`` jobs are posted over ``posted_days`` days from ``posted_from``; each pair
    is shown within 60 days of the posting, never after ``cutoff`` (the extract date).
    Candidates mostly see jobs at their own seniority.

    The historical labels carry the bias this example is about: recruiters shortlisted
    candidates with a career gap less often (more women have one), and shortlisted women less
    often than men with the same profile for engineering and data roles.
    """
    n_jobs, n_cand = n // 12, n // 2
    levels = np.array(["junior", "mid", "senior"])
    job_family = rng.choice(JOB_FAMILIES, size=n_jobs, p=[0.28, 0.12, 0.22, 0.18, 0.12, 0.08])
    job_level = rng.choice(3, size=n_jobs, p=[0.3, 0.45, 0.25])
    job_posted = pd.Timestamp(posted_from) + pd.to_timedelta(
        rng.integers(0, posted_days, size=n_jobs), unit="D"
    )
    gender = rng.choice(["female", "male", "undisclosed"], size=n_cand, p=[0.43, 0.53, 0.04])
    age_band = rng.choice(["<30", "30-44", "45+"], size=n_cand, p=[0.36, 0.42, 0.22])
    base_years = np.select([age_band == "<30", age_band == "30-44"], [3.5, 11.0], 21.0)
    years = np.clip(rng.normal(base_years, 3.0), 0, 40).round(1)
    gap_p = np.where(gender == "female", 0.45, np.where(gender == "male", 0.12, 0.22))
    career_gap = np.where(rng.uniform(size=n_cand) < gap_p, rng.gamma(2.0, 8.0, n_cand), 0).round()
    education = rng.choice(
        ["none", "bachelor", "master", "phd"], size=n_cand, p=[0.18, 0.5, 0.27, 0.05]
    )
    completeness = np.clip(rng.beta(5, 2, size=n_cand), 0.2, 1.0)

    # Each pair: a candidate, then a job at the candidate's level three times in four.
    cand = rng.integers(0, n_cand, size=n)
    own = np.select([years[cand] < 3, years[cand] < 8], [0, 1], 2)
    level = np.where(rng.uniform(size=n) < 0.75, own, rng.integers(0, 3, size=n))
    by_level = [np.flatnonzero(job_level == k) for k in range(3)]
    job = np.array(
        [
            by_level[k][i % len(by_level[k])]
            for k, i in zip(level, rng.integers(0, 1 << 30, size=n), strict=True)
        ]
    )
    family = job_family[job]
    required = np.array([1.0, 4.0, 9.0])[job_level[job]]
    yrs = years[cand]
    skill = np.clip(rng.beta(2.2, 2.8, size=n), 0, 1)
    title = np.clip(0.6 * skill + 0.4 * rng.beta(2, 2, size=n), 0, 1)
    remote = rng.uniform(size=n) < 0.35
    distance = np.where(remote, rng.lognormal(4.0, 1.0, size=n), rng.lognormal(2.6, 0.9, size=n))
    salary_ratio = np.clip(rng.lognormal(0.03 * (yrs - required) / 5, 0.18), 0.5, 2.5)
    applications = rng.poisson(6, size=n)
    gap_years = np.abs(yrs - required)
    tech = np.isin(family, ["engineering", "data"])
    gap_c, female = career_gap[cand], gender[cand] == "female"
    logit = (
        -1.0
        + 4.2 * (skill - 0.45)
        + 2.0 * (title - 0.5)
        - 0.35 * np.maximum(required - yrs, 0)  # under-qualified
        + 0.35 * (education[cand] == "master")
        + 0.5 * (education[cand] == "phd") * tech
        - 0.5 * (distance > 60) * ~remote
        - 1.2 * np.maximum(salary_ratio - 1.15, 0)
        + 1.0 * (completeness[cand] - 0.7)
        - 0.07 * gap_c
        - 1.5 * (female & tech)
        + rng.normal(0, 0.25, size=n)
    )
    shortlisted = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    posted = pd.DatetimeIndex(job_posted[job])
    shown = posted + pd.to_timedelta(rng.integers(0, 60 * 86_400, size=n), unit="s")
    last = pd.Timestamp(cutoff) - pd.Timedelta(seconds=1)
    shown = shown.where(shown < pd.Timestamp(cutoff), last)
    frame = pd.DataFrame(
        {
            "candidate_id": [f"{prefix}C{v:06d}" for v in cand],
            "job_id": [f"{prefix}J{v:05d}" for v in job],
            "job_posted_date": posted,
            "shown_at": shown,
            "skill_overlap": skill.round(2),
            "title_similarity": title.round(2),
            "years_experience": yrs,
            "experience_gap_years": gap_years.round(1),
            "education_level": education[cand],
            "job_family": family,
            "seniority": levels[job_level[job]],
            "distance_km": distance.round(1),
            "remote_ok": remote.astype(int),
            "salary_expectation_ratio": salary_ratio.round(2),
            "profile_completeness": completeness[cand].round(2),
            "career_gap_months": gap_c.astype(int),
            "applications_30d": applications,
            "gender": gender[cand],
            "age_band": age_band[cand],
            "shortlisted": shortlisted.astype(int),
        }
    )
    return frame.sort_values("shown_at", kind="stable").reset_index(drop=True)


def _fake_aws_key_id(seed: int) -> str:
    """A made-up AWS-style access key id (``AKIA`` + 16 base-32 characters), never issued."""
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
    return "AKIA" + "".join(np.random.default_rng(seed).choice(alphabet, size=16))


def generate_job_matching(folder: Path) -> None:
    """Job matching for a recruitment platform: the second flawed example."""
    rng = np.random.default_rng(20261015)
    # The split is on the job's posting date (jobs posted from September on are validation),
    # but pairs of older jobs keep being shown until the extract date: training reaches into
    # the validation period. This is the planted temporal leak.
    train = job_pairs(rng, 30_000, dt.date(2026, 1, 1), 243, dt.date(2026, 11, 1), prefix="A")
    valid = job_pairs(rng, 9_000, dt.date(2026, 9, 1), 45, dt.date(2026, 11, 1), prefix="B")
    serving = job_pairs(rng, 6_000, dt.date(2026, 10, 20), 28, dt.date(2026, 11, 25), prefix="C")
    serving = serving.drop(columns=["shortlisted"])
    ordered = ("shown_at",)
    _write_compact(train, folder / "data/train.parquet", sorted_columns=ordered)
    _write_compact(valid, folder / "data/valid.parquet", sorted_columns=ordered)
    _write_compact(serving, folder / "data/serving_sample.parquet", sorted_columns=ordered)

    def pipeline() -> Pipeline:
        return _ordinal_hgb(
            JOB_CATEGORICAL, max_iter=150, learning_rate=0.06, max_leaf_nodes=15, random_state=3
        )

    threshold = 0.3  # recruiters see the candidates scoring at least 0.3 as "recommended"
    pipe, metrics = _fit_and_measure(
        pipeline,
        train,
        valid,
        features=JOB_FEATURES,
        label="shortlisted",
        threshold=threshold,
        importance_scoring="roc_auc",
    )
    _write_json(folder / "eval/metrics.json", metrics)

    sample = train.sample(6_000, random_state=8)
    groups = [*JOB_SENSITIVE, "job_family", "seniority"]
    preds = _binary_predictions(
        pipe,
        sample,
        valid,
        label="shortlisted",
        features=JOB_FEATURES,
        groups=groups,
        threshold=threshold,
    )
    _write_compact(preds, folder / "eval/predictions.parquet")

    config = folder / "config/matching_service.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        JOB_SERVICE_CONFIG.replace("{{AWS_ACCESS_KEY_ID}}", _fake_aws_key_id(20261015))
    )
    artifact = folder / "model/model.joblib"
    artifact.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipe, artifact, compress=3)
    _write_dossier(folder, {"ARTIFACT_SHA256": _sha256(artifact)})


# The service config as the team committed it, with the access key pasted in (the planted
# secret). The key is generated: see examples/job_matching/config/README.md.
JOB_SERVICE_CONFIG = """\
# Matching service: reads candidate CVs from S3, scores candidate-job pairs, writes the
# recommended shortlist to the recruiter inbox.
model_path: s3://talentbridge-models/job-matcher/3.0.2/model.joblib
threshold: 0.3
max_recommendations_per_job: 25
resume_store:
  bucket: talentbridge-cv-store-eu
  region: eu-west-1
  # TODO move to the secret manager before launch
  aws_access_key_id: {{AWS_ACCESS_KEY_ID}}
recruiter_inbox:
  endpoint: https://inbox.talentbridge.example/api/v1/shortlists
  token_env: INBOX_API_TOKEN
"""


# --------------------------------------------------------------------------- defect detection

DEFECT_DIGITS = (3, 5, 8)
DEFECT_PIXELS = [f"px_r{r}_c{c}" for r in range(8) for c in range(8)]
DEFECT_FEATURES = [*DEFECT_PIXELS, "mean_intensity", "ink_area"]


def inspection_images(
    rng: np.random.Generator,
    digits: np.ndarray,
    target: np.ndarray,
    index: np.ndarray,
    start: dt.date,
    days: int,
    *,
    copies: int = 1,
    gain: float = 1.0,
) -> pd.DataFrame:
    """8-bit 8x8 inspection thumbnails with a defect label, one row per image.

    The images are scikit-learn's bundled handwritten digits (``load_digits``, 0-16
    intensities) standing in for camera thumbnails: the digits in :data:`DEFECT_DIGITS` play
    defective parts. Intensities are scaled to 8 bits with a per-image exposure jitter and
    sensor noise on lit pixels. With ``copies > 1`` each capture also yields ``copies - 1``
    photometric variants (wider exposure jitter, fresh noise) as training-set augmentation.
    ``gain`` scales the brightness of every image (a lighting change at the station).
    """
    n = len(index)
    captured = _dates(rng, n, start, days)
    line = rng.choice(["line_1", "line_2"], size=n, p=[0.55, 0.45])
    hours = captured.dt.hour.to_numpy()
    shift = np.where((hours >= 6) & (hours < 18), "day", "night")
    rows = []
    for k, i in enumerate(index):
        base = digits[i].reshape(8, 8)
        # Photometric augmentation only: a shifted copy would change where ink falls and so
        # the training distribution of every border pixel.
        variants = [("none", 0.04)] + [("photometric", 0.10)] * (copies - 1)
        capture = f"IMG-{start:%y%m}-{k:05d}"
        for j, (augmentation, jitter) in enumerate(variants):
            exposure = gain * rng.lognormal(0.0, jitter)
            noise = np.where(base > 0, rng.normal(0, 4, size=(8, 8)), 0)  # dark background
            pixels = base * 15.0 * exposure + noise
            pixels = np.clip(np.round(pixels), 0, 255).astype(np.uint8).ravel()
            rows.append(
                {
                    "image_id": capture if j == 0 else f"{capture}-aug{j}",
                    "capture_id": capture,
                    "captured_at": captured.iloc[k],
                    "line": line[k],
                    "shift": shift[k],
                    "augmentation": augmentation,
                    **dict(zip(DEFECT_PIXELS, pixels, strict=True)),
                    "mean_intensity": round(float(pixels.mean()), 2),
                    "ink_area": round(float((pixels > 64).mean()), 4),
                    "defect": int(target[i] in DEFECT_DIGITS),
                }
            )
    return pd.DataFrame(rows)


def _defect_model() -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "mlp",
                MLPClassifier(
                    hidden_layer_sizes=(48,),
                    alpha=1e-3,
                    max_iter=400,
                    early_stopping=True,
                    n_iter_no_change=15,
                    random_state=21,
                ),
            ),
        ]
    )


def generate_defect_detection(folder: Path) -> None:
    """Defect detection on an assembly line: a mostly healthy computer-vision example."""
    digits = load_digits()
    rng = np.random.default_rng(20261103)
    order = rng.permutation(len(digits.target))
    n_train, n_valid = 1_080, 360
    train = inspection_images(
        rng, digits.data, digits.target, order[:n_train], dt.date(2026, 6, 1), 122, copies=4
    )  # Jun-Sep 2026, each capture with three augmented copies
    valid = inspection_images(
        rng,
        digits.data,
        digits.target,
        order[n_train : n_train + n_valid],
        dt.date(2026, 10, 1),
        31,
    )
    # November: a new LED panel at the station makes every image a little brighter.
    serving = inspection_images(
        rng,
        digits.data,
        digits.target,
        order[n_train + n_valid :],
        dt.date(2026, 11, 2),
        21,
        gain=1.03,
    ).drop(columns=["defect"])
    ordered = ("captured_at",)
    _write_compact(train, folder / "data/train.parquet", sorted_columns=ordered)
    _write_compact(valid, folder / "data/valid.parquet", sorted_columns=ordered)
    _write_compact(serving, folder / "data/serving_sample.parquet", sorted_columns=ordered)

    x_train, y_train = train[DEFECT_FEATURES], train["defect"]
    x_valid, y_valid = valid[DEFECT_FEATURES], valid["defect"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = _defect_model().fit(x_train, y_train)
        # Folds group a capture with its augmented copies, so no copy is scored by a model
        # that saw its original.
        cv_scores = []
        captures = train["capture_id"]
        for tr, te in GroupKFold(n_splits=5).split(x_train, y_train, groups=captures):
            fold = _defect_model().fit(x_train.iloc[tr], y_train.iloc[tr])
            cv_scores.append(
                _round(roc_auc_score(y_train.iloc[te], fold.predict_proba(x_train.iloc[te])[:, 1]))
            )
    threshold = 0.3  # an escaped defect costs far more than a re-inspection
    s_train = model.predict_proba(x_train)[:, 1]
    s_valid = model.predict_proba(x_valid)[:, 1]
    metrics = {
        "train": _binary_metrics(y_train.to_numpy(), s_train, threshold),
        "validation": _binary_metrics(y_valid.to_numpy(), s_valid, threshold),
        "cv": {"roc_auc": cv_scores},
        "feature_importance": _importance(model, x_valid, y_valid, "roc_auc"),
    }
    _write_json(folder / "eval/metrics.json", metrics)

    originals = train[train["augmentation"] == "none"]
    groups = ["line", "shift"]
    preds = pd.concat(
        [
            originals[groups].assign(
                split="train",
                y_true=originals["defect"],
                y_score=model.predict_proba(originals[DEFECT_FEATURES])[:, 1],
            ),
            valid[groups].assign(split="validation", y_true=y_valid, y_score=s_valid),
        ]
    )
    preds["y_score"] = preds["y_score"].round(5)
    preds["y_pred"] = (preds["y_score"] >= threshold).astype(int)
    (folder / "eval").mkdir(parents=True, exist_ok=True)
    preds[["split", "y_true", "y_score", "y_pred", *groups]].to_csv(
        folder / "eval/predictions.csv", index=False
    )
    artifact = folder / "model/model.joblib"
    artifact.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, artifact, compress=3)
    _write_dossier(folder, {"ARTIFACT_SHA256": _sha256(artifact)})


# --------------------------------------------------------------------------- support tickets

TICKET_QUEUES = ["billing", "technical", "account_access", "shipping", "general"]
TICKET_SHARE = [0.26, 0.30, 0.14, 0.18, 0.12]
# Expected keyword-lexicon hits per ticket, by queue (rows) and lexicon (columns).
TICKET_LEXICONS = ["kw_billing", "kw_technical", "kw_account", "kw_shipping"]
TICKET_RATES = np.array(
    [
        [3.4, 0.2, 0.2, 0.3],  # billing: invoice, refund, charged, payment ...
        [0.2, 3.6, 0.4, 0.1],  # technical: error, crash, not working, bug ...
        [0.2, 0.5, 3.2, 0.1],  # account_access: password, login, locked, 2fa ...
        [0.4, 0.1, 0.1, 3.5],  # shipping: delivery, tracking, parcel, courier ...
        [0.4, 0.4, 0.3, 0.3],  # general: anything else
    ]
)
TICKET_NUMERIC = [
    "n_words",
    *TICKET_LEXICONS,
    "n_exclamations",
    "has_order_number",
    "has_error_code",
    "has_attachment",
    "sentiment",
    "hour_of_day",
]
TICKET_CATEGORICAL = ["channel", "customer_tier"]
TICKET_FEATURES = [*TICKET_NUMERIC, *TICKET_CATEGORICAL]


def support_tickets(rng: np.random.Generator, n: int, start: dt.date, days: int) -> pd.DataFrame:
    """Support tickets with text-derived features and the queue an agent finally resolved them in.

    The text itself is not kept (it is personal data); the features are computed from the
    subject and body after machine translation to English.
    """
    queue_idx = rng.choice(len(TICKET_QUEUES), size=n, p=TICKET_SHARE)
    queue = np.array(TICKET_QUEUES)[queue_idx]
    language = rng.choice(["en", "de", "fr", "es"], size=n, p=[0.55, 0.2, 0.12, 0.13])
    channel = rng.choice(["email", "chat", "web_form"], size=n, p=[0.45, 0.3, 0.25])
    tier = rng.choice(["free", "pro", "business"], size=n, p=[0.5, 0.35, 0.15])
    # Chat messages are short, so they carry fewer keyword hits.
    length = np.where(channel == "chat", rng.lognormal(3.0, 0.5, n), rng.lognormal(4.2, 0.6, n))
    scale = np.clip(length / 60, 0.35, 2.0) ** 0.5
    counts = rng.poisson(TICKET_RATES[queue_idx] * scale[:, None])
    order_number = rng.uniform(size=n) < np.select(
        [queue == "shipping", queue == "billing"], [0.75, 0.45], 0.12
    )
    error_code = rng.uniform(size=n) < np.where(queue == "technical", 0.4, 0.05)
    attachment = rng.uniform(size=n) < np.where(np.isin(queue, ["technical", "billing"]), 0.3, 0.1)
    sentiment = np.clip(
        rng.normal(
            np.select([queue == "billing", queue == "account_access"], [-0.35, -0.3], -0.1), 0.35
        ),
        -1,
        1,
    )
    exclamations = rng.poisson(np.where(sentiment < -0.4, 1.5, 0.3))
    hour = np.clip(rng.normal(13, 4, size=n), 0, 23).round().astype(int)
    frame = pd.DataFrame(
        {
            "ticket_id": [f"TK-{start:%y%m}-{i:06d}" for i in range(n)],
            "created_at": _dates(rng, n, start, days),
            "n_words": length.round().astype(int),
            **{name: counts[:, j] for j, name in enumerate(TICKET_LEXICONS)},
            "n_exclamations": exclamations,
            "has_order_number": order_number.astype(int),
            "has_error_code": error_code.astype(int),
            "has_attachment": attachment.astype(int),
            "sentiment": sentiment.round(3),
            "hour_of_day": hour,
            "channel": channel,
            "customer_tier": tier,
            "language": language,
            "queue": queue,
        }
    )
    return frame


def _ticket_model() -> Pipeline:
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), TICKET_NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), TICKET_CATEGORICAL),
        ],
        verbose_feature_names_out=False,
    )
    return Pipeline([("encode", encode), ("model", LogisticRegression(C=1.0, max_iter=2000))])


def _multiclass_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {
        "accuracy": _round(accuracy_score(y, pred)),
        "balanced_accuracy": _round(balanced_accuracy_score(y, pred)),
        "f1_macro": _round(f1_score(y, pred, average="macro")),
        "f1_weighted": _round(f1_score(y, pred, average="weighted")),
        "precision_macro": _round(precision_score(y, pred, average="macro")),
        "recall_macro": _round(recall_score(y, pred, average="macro")),
    }


def _keyword_rules(frame: pd.DataFrame) -> np.ndarray:
    """The incumbent router: the queue whose lexicon has most hits, else 'general'."""
    hits = frame[TICKET_LEXICONS].to_numpy()
    best = np.array(TICKET_QUEUES[:4])[hits.argmax(axis=1)]
    return np.where(hits.max(axis=1) == 0, "general", best)


def generate_support_ticket_routing(folder: Path) -> None:
    """Customer-support ticket routing (document classification): a healthy NLP example."""
    rng = np.random.default_rng(20261020)
    train = support_tickets(rng, 24_000, dt.date(2026, 3, 1), 184)  # Mar-Aug 2026
    valid = support_tickets(rng, 6_000, dt.date(2026, 9, 1), 30)  # Sep 2026
    test = support_tickets(rng, 6_000, dt.date(2026, 10, 1), 31)  # Oct 2026
    serving = support_tickets(rng, 5_000, dt.date(2026, 11, 2), 21).drop(columns=["queue"])
    ordered = ("ticket_id", "created_at")
    for frame, name in ((train, "train"), (valid, "valid"), (test, "test")):
        _write_compact(frame, folder / f"data/{name}.parquet", sorted_columns=ordered)
    _write_compact(serving, folder / "data/serving_sample.parquet", sorted_columns=ordered)

    model = _ticket_model().fit(train[TICKET_FEATURES], train["queue"])
    cv_scores = []
    for tr, te in TimeSeriesSplit(n_splits=5).split(train):
        fold = _ticket_model().fit(train.iloc[tr][TICKET_FEATURES], train.iloc[tr]["queue"])
        pred = fold.predict(train.iloc[te][TICKET_FEATURES])
        cv_scores.append(_round(f1_score(train.iloc[te]["queue"], pred, average="macro")))
    predicted = {
        name: model.predict(frame[TICKET_FEATURES])
        for name, frame in (("train", train), ("validation", valid), ("test", test))
    }
    truth = {"train": train["queue"], "validation": valid["queue"], "test": test["queue"]}
    metrics: dict[str, object] = {
        name: _multiclass_metrics(truth[name].to_numpy(), predicted[name]) for name in truth
    }
    metrics["cv"] = {"f1_macro": cv_scores}
    metrics["feature_importance"] = _importance(
        model, valid[TICKET_FEATURES], valid["queue"], "f1_macro"
    )
    rules = _keyword_rules(test)
    metrics["baseline_keyword_rules"] = {
        "test": _multiclass_metrics(test["queue"].to_numpy(), rules)
    }
    _write_json(folder / "eval/metrics.json", metrics)

    groups = ["language", "channel", "customer_tier"]
    sample = train.sample(6_000, random_state=4)
    preds = pd.concat(
        [
            sample[groups].assign(
                split="train", y_true=sample["queue"], y_pred=model.predict(sample[TICKET_FEATURES])
            ),
            valid[groups].assign(
                split="validation", y_true=valid["queue"], y_pred=predicted["validation"]
            ),
            test[groups].assign(split="test", y_true=test["queue"], y_pred=predicted["test"]),
        ]
    )
    _write_compact(
        preds[["split", "y_true", "y_pred", *groups]], folder / "eval/predictions.parquet"
    )

    artifact = folder / "model/model.joblib"
    artifact.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, artifact, compress=3)
    baseline = metrics["baseline_keyword_rules"]["test"]["f1_macro"]  # type: ignore[index]
    _write_dossier(
        folder, {"ARTIFACT_SHA256": _sha256(artifact), "BASELINE_F1_MACRO": f"{baseline}"}
    )


# --------------------------------------------------------------------------- dynamic pricing

PRICE_ACTIONS = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.5])  # share of the list price
PRICE_SLOTS = np.array([8, 10, 12, 14, 16, 18])  # decision hours; the bakery closes at 20:00
PRICE_DEMAND_CURVE = np.array([14.0, 18.0, 24.0, 15.0, 19.0, 16.0])  # buyers per slot at list
PRICE_LIST_EUR, PRICE_UNIT_COST_EUR, PRICE_ELASTICITY = 3.2, 1.4, 2.6
PRICE_STATE = [
    "slot_hour",
    "inventory_left",
    "inventory_share",
    "planned_units",
    "demand_index",
    "footfall_index",
    "competitor_price_index",
    "temperature_anomaly_c",
    "is_weekend",
]
PRICE_STORES = 20


@dataclass(frozen=True)
class PricingDays:
    """The exogenous context of a set of store-days (one row per episode)."""

    store: np.ndarray
    day: np.ndarray  # datetime64[D]
    weekend: np.ndarray
    planned: np.ndarray
    demand: np.ndarray
    footfall: np.ndarray
    competitor: np.ndarray
    competitor_seen: np.ndarray  # what the price scraper saw: NaN on days it failed
    temperature: np.ndarray
    seed: int  # demand noise; the same seed gives every policy the same customers

    @property
    def n(self) -> int:
        return len(self.store)


def pricing_days(rng: np.random.Generator, start: dt.date, days: int) -> PricingDays:
    """Every store on every day of the window, with its weather, demand and competition."""
    size = np.random.default_rng(7).lognormal(0.0, 0.25, size=PRICE_STORES)  # fixed per store
    store = np.tile(np.arange(PRICE_STORES), days)
    day = np.repeat(np.datetime64(start) + np.arange(days), PRICE_STORES)
    weekend = (day.astype("datetime64[D]").view("int64") - 4) % 7 >= 5
    n = len(store)
    competitor = np.clip(rng.normal(1.0, 0.05, size=n), 0.8, 1.2)
    demand = rng.lognormal(0.0, 0.22, size=n) * np.where(weekend, 1.2, 1.0)
    # The bakery plans production from its own forecast: close to demand, never exact.
    planned = np.round(110 * size[store] * demand * rng.lognormal(0.1, 0.2, size=n))
    return PricingDays(
        store=store,
        day=day,
        weekend=weekend,
        planned=planned,
        demand=demand,
        footfall=rng.lognormal(0.0, 0.1, size=n),
        competitor=competitor,
        competitor_seen=np.where(rng.uniform(size=n) < 0.04, np.nan, competitor.round(4)),
        temperature=rng.normal(0.0, 3.0, size=n),
        seed=int(rng.integers(1 << 31)),
    )


def _incumbent(slot: int, share: np.ndarray) -> np.ndarray:
    """Today's markdown rule, as action indexes: 20% off at 16:00 and 40% off at 18:00 when
    much is left."""
    if PRICE_SLOTS[slot] < 16:
        return np.zeros(len(share), dtype=int)
    if PRICE_SLOTS[slot] == 16:
        return np.where(share > 0.3, 2, 0)
    return np.where(share > 0.15, 4, 2)


def _state(days: PricingDays, slot: int, left: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "slot_hour": np.full(days.n, PRICE_SLOTS[slot]),
            "inventory_left": left,
            "inventory_share": np.round(left / np.maximum(days.planned, 1), 4),
            "planned_units": days.planned,
            "demand_index": days.demand.round(4),
            "footfall_index": days.footfall.round(4),
            "competitor_price_index": days.competitor_seen,
            "temperature_anomaly_c": days.temperature.round(1),
            "is_weekend": days.weekend.astype(int),
        }
    )


def simulate_pricing(
    days: PricingDays,
    choose: Callable[[int, pd.DataFrame], np.ndarray],
    *,
    explore: float = 0.0,
    explore_seed: int = 0,
) -> pd.DataFrame:
    """Run a pricing policy through the store-days; one row per decision.

    Args:
        days: the store-days (their ``seed`` fixes the customers, so two policies meet the
            same demand).
        choose: the policy: (slot, states) -> action indexes.
        explore: with this probability the action is drawn uniformly instead (the logging
            policy's exploration), and the propensity of the logged action is recorded.
        explore_seed: seed of the exploration draws.
    """
    demand_rng = np.random.default_rng(days.seed)
    explore_rng = np.random.default_rng(explore_seed)
    left = days.planned.copy()
    rows = []
    for slot in range(len(PRICE_SLOTS)):
        state = _state(days, slot, left)
        greedy = choose(slot, state)
        action = greedy
        propensity = np.ones(days.n)
        if explore > 0:
            random = explore_rng.integers(0, len(PRICE_ACTIONS), size=days.n)
            action = np.where(explore_rng.uniform(size=days.n) < explore, random, greedy)
            propensity = (1 - explore) * (action == greedy) + explore / len(PRICE_ACTIONS)
        price = PRICE_ACTIONS[action]
        rate = (
            PRICE_DEMAND_CURVE[slot]
            * days.planned
            / 110
            * days.footfall
            * np.exp(-PRICE_ELASTICITY * (price - 1.0) + 2.0 * (days.competitor - 1.0))
            * (1 + 0.02 * days.temperature)
        )
        sold = np.minimum(demand_rng.poisson(np.maximum(rate, 0)), left)
        left = left - sold
        reward = sold * price * PRICE_LIST_EUR
        if slot == len(PRICE_SLOTS) - 1:
            reward = reward - left * PRICE_UNIT_COST_EUR  # unsold units are written off
        stamp = days.day.astype("datetime64[h]") + PRICE_SLOTS[slot]
        rows.append(
            state.assign(
                episode_id=[f"S{s:02d}-{d}" for s, d in zip(days.store, days.day, strict=True)],
                store_id=[f"S{s:02d}" for s in days.store],
                decision_time=pd.to_datetime(stamp),
                price_multiplier=price,
                behaviour_propensity=np.round(propensity, 4),
                units_sold=sold.astype(int),
                reward_eur=np.round(reward, 2),
                units_left_after=left.astype(int),
            )
        )
    log = pd.concat(rows, ignore_index=True)
    return log.sort_values(["decision_time", "store_id"], kind="stable").reset_index(drop=True)


def _q_inputs(states: pd.DataFrame, action: np.ndarray) -> pd.DataFrame:
    return states[PRICE_STATE].assign(price_multiplier=PRICE_ACTIONS[action])


def fitted_q_iteration(log: pd.DataFrame) -> list[HistGradientBoostingRegressor]:
    """Finite-horizon fitted Q iteration (Ernst et al., 2005) on logged transitions.

    One gradient-boosting Q model per decision slot, fitted backwards from closing time: the
    target of slot t is its reward plus the best value the slot t+1 model gives the next
    state, over all prices. The greedy policy of these models is the learned policy.
    """
    by_slot = [
        log[log["slot_hour"] == hour]
        .sort_values("episode_id", kind="stable")
        .reset_index(drop=True)
        for hour in PRICE_SLOTS
    ]
    models: list[HistGradientBoostingRegressor] = []
    later: HistGradientBoostingRegressor | None = None
    for slot in reversed(range(len(PRICE_SLOTS))):
        rows = by_slot[slot]
        target = rows["reward_eur"].to_numpy().copy()
        if later is not None:
            nxt = by_slot[slot + 1]
            assert (nxt["episode_id"].to_numpy() == rows["episode_id"].to_numpy()).all()
            target += np.max(
                [
                    later.predict(_q_inputs(nxt, np.full(len(nxt), a)))
                    for a in range(len(PRICE_ACTIONS))
                ],
                axis=0,
            )
        action = np.searchsorted(-PRICE_ACTIONS, -rows["price_multiplier"].to_numpy())
        later = HistGradientBoostingRegressor(
            max_iter=100,
            learning_rate=0.1,
            max_leaf_nodes=12,
            min_samples_leaf=40,
            random_state=17,
        ).fit(_q_inputs(rows, action), target)
        models.insert(0, later)
    return models


def _greedy(
    models: list[HistGradientBoostingRegressor],
) -> Callable[[int, pd.DataFrame], np.ndarray]:
    def choose(slot: int, states: pd.DataFrame) -> np.ndarray:
        q = models[slot]
        values = [
            q.predict(_q_inputs(states, np.full(len(states), a))) for a in range(len(PRICE_ACTIONS))
        ]
        return np.argmax(values, axis=0)

    return choose


def _pricing_metrics(policy: pd.DataFrame, incumbent: pd.DataFrame) -> dict[str, float]:
    """Offline evaluation of a policy's rollout against the rule's on the same store-days.

    The reward of a store-day is its sales revenue minus the write-off of unsold units at unit
    cost, so the uplift counts the waste saved as well as the sales.
    """
    per_day = policy.groupby("episode_id")["reward_eur"].sum()
    per_day_incumbent = incumbent.groupby("episode_id")["reward_eur"].sum()
    last = policy[policy["slot_hour"] == PRICE_SLOTS[-1]]
    changes = (
        policy.sort_values(["episode_id", "slot_hour"])
        .groupby("episode_id")["price_multiplier"]
        .apply(lambda p: float((p.diff().fillna(0) != 0).sum()))
    )
    return {
        "avg_reward_per_episode": _round(per_day.mean(), 2),
        "incumbent_reward_per_episode": _round(per_day_incumbent.mean(), 2),
        "revenue_uplift_vs_incumbent": _round(per_day.sum() / per_day_incumbent.sum() - 1),
        "waste_rate": _round(last["units_left_after"].sum() / last["planned_units"].sum()),
        "avg_price_multiplier": _round(
            np.average(policy["price_multiplier"], weights=policy["units_sold"].clip(lower=1e-9))
        ),
        "price_changes_per_day": _round(changes.mean(), 3),
    }


def _pdwis(
    log: pd.DataFrame, choose: Callable[[int, pd.DataFrame], np.ndarray]
) -> tuple[float, float]:
    """Per-decision weighted importance sampling (off-policy evaluation) of a policy's reward
    per episode on logged data, and the effective number of episodes behind the estimate."""
    log = log.sort_values(["episode_id", "slot_hour"], kind="stable")
    weight = np.ones(log["episode_id"].nunique())
    total = 0.0
    for slot, hour in enumerate(PRICE_SLOTS):
        step = log[log["slot_hour"] == hour]
        chosen = PRICE_ACTIONS[choose(slot, step)]
        match = chosen == step["price_multiplier"].to_numpy()
        weight = weight * match / step["behaviour_propensity"].to_numpy()
        if weight.sum() == 0:
            break
        total += float(np.sum(weight * step["reward_eur"].to_numpy()) / np.sum(weight))
    effective = float(weight.sum() ** 2 / np.sum(weight**2)) if weight.sum() > 0 else 0.0
    return total, effective


def _policy_importance(
    models: list[HistGradientBoostingRegressor], days: PricingDays, seed: int
) -> dict[str, float]:
    """How much reward per episode the policy loses when it sees one state feature shuffled
    across store-days (the customers and the stock are unchanged)."""
    choose = _greedy(models)
    base = simulate_pricing(days, choose).groupby("episode_id")["reward_eur"].sum().mean()
    out = {}
    for feature in PRICE_STATE:
        order = np.random.default_rng(seed).permutation(days.n)

        def blind(
            slot: int, states: pd.DataFrame, feature: str = feature, order: np.ndarray = order
        ) -> np.ndarray:
            seen = states.copy()
            seen[feature] = seen[feature].to_numpy()[order]
            return choose(slot, seen)

        reward = simulate_pricing(days, blind).groupby("episode_id")["reward_eur"].sum().mean()
        out[feature] = _round((base - reward) / base)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def generate_dynamic_pricing(folder: Path) -> None:
    """Markdown pricing of fresh bakery goods, learned offline: the reinforcement-learning example."""
    rng = np.random.default_rng(20261101)
    train_days = pricing_days(rng, dt.date(2026, 1, 1), 243)  # Jan-Aug 2026
    valid_days = pricing_days(rng, dt.date(2026, 9, 1), 61)  # Sep-Oct 2026
    test_days = pricing_days(rng, dt.date(2026, 11, 2), 21)  # Nov 2026, the shadow period

    def rule(slot: int, states: pd.DataFrame) -> np.ndarray:
        return _incumbent(slot, states["inventory_share"].to_numpy())

    # The logs: the markdown rule with 20% uniform exploration, propensities recorded.
    train_log = simulate_pricing(train_days, rule, explore=0.2, explore_seed=11)
    valid_log = simulate_pricing(valid_days, rule, explore=0.2, explore_seed=12)
    # In shadow mode the rule still sets prices; the serving sample is the states it met.
    shadow = simulate_pricing(test_days, rule)
    keys = ["episode_id", "store_id", "decision_time"]
    ordered = ("decision_time",)
    _write_compact(train_log, folder / "data/train.parquet", sorted_columns=ordered)
    _write_compact(valid_log, folder / "data/valid.parquet", sorted_columns=ordered)
    _write_compact(
        shadow[[*keys, *PRICE_STATE]],
        folder / "data/serving_sample.parquet",
        sorted_columns=ordered,
    )

    models = fitted_q_iteration(train_log)
    policy = _greedy(models)
    metrics: dict[str, object] = {}
    for name, days in (("train", train_days), ("validation", valid_days), ("test", test_days)):
        # Both policies meet the same simulated customers (the days' seed), so the uplift is
        # a paired comparison.
        metrics[name] = _pricing_metrics(
            simulate_pricing(days, policy), simulate_pricing(days, rule)
        )
    estimate, effective = _pdwis(valid_log, policy)
    validation: dict[str, float] = metrics["validation"]  # type: ignore[assignment]
    validation["ope_pdwis_reward_per_episode"] = _round(estimate, 2)
    validation["ope_effective_episodes"] = _round(effective, 1)
    metrics["feature_importance"] = _policy_importance(models, valid_days, seed=5)
    metrics["evaluation"] = {
        "method": "policy rolled out in the demand simulator calibrated on the logs; "
        "ope_pdwis is per-decision weighted importance sampling on the validation logs",
        "episodes": {"train": train_days.n, "validation": valid_days.n, "test": test_days.n},
    }
    _write_json(folder / "eval/metrics.json", metrics)

    artifact = folder / "model/policy.joblib"
    artifact.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(
        {"actions": PRICE_ACTIONS.tolist(), "slots": PRICE_SLOTS.tolist(), "q_models": models},
        artifact,
        compress=9,
    )
    incumbent = metrics["test"]["incumbent_reward_per_episode"]  # type: ignore[index]
    _write_dossier(
        folder, {"ARTIFACT_SHA256": _sha256(artifact), "INCUMBENT_REWARD": f"{incumbent}"}
    )


GENERATORS: dict[str, Callable[[Path], None]] = {
    "churn": generate_churn,
    "fraud_detection": generate_fraud_detection,
    "job_matching": generate_job_matching,
    "defect_detection": generate_defect_detection,
    "support_ticket_routing": generate_support_ticket_routing,
    "dynamic_pricing": generate_dynamic_pricing,
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
