"""Benchmark: the tabular evidence of the data readiness and feature engineering gates.

Generates training, validation and serving Parquet files (30 mixed columns: a binary label, a
timestamp, 18 numeric and 10 categorical features with nulls, shifts, duplicates and unseen
categories) under ``benchmarks/data/`` and measures, each variant in its own subprocess:

* ``gates``: every tabular DR.* and FE.* check of langgraph-gates through a ``CheckContext``
  (DuckDB, out-of-core), cold (empty evidence store), then a re-run on the same store;
* ``gates-spark``: the same checks with the files as Spark tables on a local Spark Connect
  server this script starts (``make bench-spark-evidence``: DuckDB against Spark, time, client
  memory and outcomes);
* ``pandas``: a straightforward pandas/scikit-learn implementation of the same statistics
  (whole files loaded into DataFrames);
* ``evidently``: Evidently's ``DataDriftPreset`` (drift only) on the 1M-row files, run in its
  own virtual environment ``benchmarks/.venv-evidently``.

Wall time is the data work inside the child (file hashing, reading and computing; interpreter
start-up and imports excluded and reported apart); peak RSS is the child's own ``ru_maxrss``.
A guard kills a child whose RSS passes ``--rss-guard-gib`` and records it.

Usage::

    .venv/bin/python benchmarks/bench_evidence.py [--sizes 1000000,10000000]
        [--variants gates,pandas,evidently] [--output benchmarks/evidence.md]

Not a test: it takes minutes and gigabytes of disk.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
EVIDENTLY_PYTHON = HERE / ".venv-evidently" / "bin" / "python"
GENERATOR_VERSION = 1
CHUNK = 1_000_000
N_NUMERIC = 18
CARDINALITIES = (2, 3, 5, 8, 12, 20, 50, 200, 1000, 5000)
LABEL, TIMESTAMP = "y", "ts"
AS_OF = dt.date(2026, 5, 1)
SAMPLE_ROWS = 200_000
TITLE = "Tabular evidence benchmark"
SPARK_TABLES_ENV = "GATES_BENCH_TABLES"  # the child's table names (gates-spark)
SPARK_DRIVER_MEMORY = "6g"  # local[2]: the driver is the whole cluster


# --- data ----------------------------------------------------------------------------------


def numeric_names() -> list[str]:
    return [f"num_{i:02d}" for i in range(N_NUMERIC)]


def categorical_names() -> list[str]:
    return [f"cat_{i:02d}" for i in range(len(CARDINALITIES))]


def paths(size: int) -> dict[str, Path]:
    tag = f"v{GENERATOR_VERSION}_{size}"
    return {
        "train": DATA / f"train_{tag}.parquet",
        "validation": DATA / f"valid_{tag}.parquet",
        "serving": DATA / f"serving_{tag}.parquet",
    }


def _chunk(rng: Any, m: int, kind: str, start: dt.datetime, span_days: int) -> Any:
    """One chunk of rows as a pyarrow table (``kind``: train, validation or serving)."""
    import numpy as np
    import pyarrow as pa

    shift = kind == "serving"
    y = (rng.random(m) < 0.08).astype(np.int8)
    cols: dict[str, Any] = {}
    seconds = rng.integers(0, span_days * 86_400, m)
    cols[TIMESTAMP] = pa.array(np.datetime64(start) + seconds.astype("timedelta64[s]"))
    for i, name in enumerate(numeric_names()):
        kind_i = i % 6
        if kind_i == 0:
            x = rng.normal(0.0, 1.0, m) + 0.6 * y  # informative, not leaky
        elif kind_i == 1:
            x = rng.lognormal(3.0, 1.0, m)
        elif kind_i == 2:
            x = rng.exponential(2.0, m)
        elif kind_i == 3:
            x = rng.poisson(3.0, m).astype(np.float64)
        elif kind_i == 4:
            x = rng.uniform(-5, 5, m)
        else:
            x = rng.normal(100.0, 15.0, m)
        if shift and i == 1:
            x = x * 1.6  # strong drift
        if shift and i == 4:
            x = x + 0.4  # mild drift
        null_rate = (0.0, 0.02, 0.05, 0.15)[i % 4]
        mask = rng.random(m) < null_rate if null_rate else None
        cols[name] = pa.array(x, mask=mask)
    for i, (name, card) in enumerate(zip(categorical_names(), CARDINALITIES, strict=True)):
        weights = 1.0 / np.arange(1, card + 1) ** 0.8  # Zipf-like frequencies
        if shift and i == 3:
            weights = weights[::-1].copy()  # drift in a categorical
        codes = rng.choice(card, m, p=weights / weights.sum()).astype(np.int32)
        if shift and i == 9:
            codes = np.where(rng.random(m) < 0.1, card + codes % 50, codes)  # unseen values
        null_rate = (0.0, 0.03, 0.1)[i % 3]
        mask = rng.random(m) < null_rate if null_rate else None
        dictionary = pa.array([f"{name}_v{k}" for k in range(card + 50)])
        indices = pa.array(codes, mask=mask)
        cols[name] = pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())
    if kind != "serving":
        cols[LABEL] = pa.array(y)
    table = pa.table(cols)
    if kind == "train":
        # About 1% of rows repeat an earlier row of the chunk (ingestion duplicates).
        idx = np.arange(m)
        dup = rng.random(m) < 0.01
        idx[dup] = rng.integers(0, m, int(dup.sum()))
        table = table.take(pa.array(idx))
    return table


def generate(size: int) -> dict[str, Path]:
    """Write the three files for ``size`` training rows, unless they already exist."""
    import numpy as np
    import pyarrow.parquet as pq

    DATA.mkdir(parents=True, exist_ok=True)
    out = paths(size)
    plan = {
        "train": (size, dt.datetime(2025, 1, 1), 365, 1),
        "validation": (max(1, size // 5), dt.datetime(2026, 1, 1), 59, 2),
        "serving": (size, dt.datetime(2026, 3, 1), 60, 3),
    }
    for kind, (rows, start, span, seed) in plan.items():
        target = out[kind]
        if target.exists():
            continue
        started = time.perf_counter()
        rng = np.random.default_rng(seed)
        tmp = target.with_suffix(".tmp")
        writer = None
        for offset in range(0, rows, CHUNK):
            table = _chunk(rng, min(CHUNK, rows - offset), kind, start, span)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
        assert writer is not None
        writer.close()
        tmp.rename(target)
        print(f"  generated {target.name}: {rows:,} rows in {time.perf_counter() - started:.1f} s")
    return out


# --- variants (each runs in a child process) ------------------------------------------------


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds of this process, all threads (DuckDB's workers included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def variant_gates(size: int, tables: dict[str, str] | None = None) -> dict[str, Any]:
    """All tabular DR and FE checks through a CheckContext, cold and then re-run.

    With ``tables`` (``{"train": "spark_catalog.default...", ...}``) the dossier names the same
    rows as Spark tables, and the checks run through Spark Connect (``GATES_SPARK_REMOTE``).
    """
    imported = time.perf_counter()
    from langgraph_gates.checks.base import CheckContext, run_check
    from langgraph_gates.checks.catalog import check_spec
    from langgraph_gates.dossier import validate_dossier
    from langgraph_gates.evidence import _duck
    from langgraph_gates.evidence.store import EvidenceStore
    from langgraph_gates.policy import Policy
    from langgraph_gates.state import GateResult, Status

    import_s = time.perf_counter() - imported
    p = paths(size)
    data: dict[str, Any] = {kind: p[kind].name for kind in ("train", "validation", "serving")}
    if tables is not None:
        data = {kind: {"table": name, "engine": "spark"} for kind, name in tables.items()}
    dossier = validate_dossier(
        {
            "model": {"task": "binary_classification"},
            "data": {
                "label": LABEL,
                "timestamp": TIMESTAMP,
                **data,
                "sensitive_attributes": ["cat_00"],
            },
            "features": {"key": numeric_names()[:4], "excluded": []},
            "performance": {"validation_strategy": "time_split"},
        }
    )
    policy = Policy()
    store = EvidenceStore(policy_fingerprint=policy.fingerprint())
    dr_ids = ("VOLUME", "BALANCE", "MISSINGNESS", "FRESHNESS", "DUPLICATES", "SCHEMA", "DRIFT")
    fe_ids = ("SENSITIVE_FEATURE", "TARGET_LEAKAGE", "TEMPORAL_LEAKAGE", "SPLIT_OVERLAP")
    dr_checks = [check_spec(f"DR.{name}") for name in dr_ids]
    fe_checks = [check_spec(f"FE.{name}") for name in (*fe_ids, "MISSINGNESS_STRATEGY")]

    def one_pass() -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        cpu0 = _cpu_s()
        ctx = CheckContext(
            dossier=dossier,
            policy=policy,
            base_dir=DATA,
            as_of=AS_OF,
            prior={},
            evidence=store,
        )
        per_check: dict[str, Any] = {}
        dr_findings = []
        for spec in dr_checks:
            t = time.perf_counter()
            found = run_check(spec, ctx, owner="bench")
            dr_findings += found
            per_check[spec.id] = {
                "s": round(time.perf_counter() - t, 2),
                "outcome": found[0].outcome.value,
                "message": found[0].message[:200],
            }
        ctx.prior = {
            "data_readiness": GateResult(
                id="data_readiness",
                title="Data Readiness",
                evidence_status=Status.FAIL,
                status=Status.FAIL,
                findings=dr_findings,
            )
        }
        for spec in fe_checks:
            t = time.perf_counter()
            found = run_check(spec, ctx, owner="bench")
            per_check[spec.id] = {
                "s": round(time.perf_counter() - t, 2),
                "outcome": found[0].outcome.value,
                "message": found[0].message[:160],
            }
        per_check["cpu_s"] = _cpu_s() - cpu0
        return time.perf_counter() - started, per_check

    cold, per_check = one_pass()
    cpu_s = per_check.pop("cpu_s")
    computed = list(store.computed)
    warm, _ = one_pass()
    drift = per_check["DR.DRIFT"]["message"]
    leak = per_check["FE.TARGET_LEAKAGE"]["message"].split(" on ")[0]
    dups = per_check["DR.DUPLICATES"]["message"].split(" repeat")[0]
    return {
        "note": f"all 12 checks; drift: {drift} {leak}. Duplicates: {dups}.",
        "wall_s": cold,
        "cpu_s": cpu_s,
        "rerun_s": warm,
        "import_s": import_s,
        "computed": computed,
        "recomputed_on_rerun": store.computed[len(computed) :],
        "checks": per_check,
        "duckdb_threads": _duck.DUCKDB_THREADS,
        "duckdb_memory_limit_mib": _duck.DUCKDB_MEMORY_LIMIT // (1 << 20),
    }


def variant_pandas(size: int) -> dict[str, Any]:
    """The same statistics, straightforwardly: whole files into pandas, then compute."""
    imported = time.perf_counter()
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    import_s = time.perf_counter() - imported
    p = paths(size)
    started, cpu0 = time.perf_counter(), _cpu_s()
    train = pd.read_parquet(p["train"])
    serving = pd.read_parquet(p["serving"])
    valid = pd.read_parquet(p["validation"])
    features = [c for c in train.columns if c not in (LABEL, TIMESTAMP)]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(train[c])]
    categorical = [c for c in features if c not in numeric]
    out: dict[str, Any] = {}
    # Data readiness.
    counts = train[LABEL].value_counts()
    out["min_class"] = int(counts.min())
    out["minority_share"] = float(counts.min() / counts.sum())
    out["missing"] = train[features].isna().mean().round(6).to_dict()
    out["newest"] = str(train[TIMESTAMP].max())
    out["duplicates"] = int(train.duplicated().sum())
    out["schema_missing"] = [c for c in features if c not in serving.columns]
    eps = 1e-4
    levels = np.arange(1, 10) / 10
    psi: dict[str, float] = {}

    def psi_of(a: np.ndarray, b: np.ndarray) -> float:
        pa_, pb = a / a.sum(), b / b.sum()
        pa_ = np.where(a == 0, eps, pa_)
        pb = np.where(b == 0, eps, pb)
        return float(np.sum((pb - pa_) * np.log(pb / pa_)))

    for c in numeric:
        edges = np.unique(train[c].quantile(levels).to_numpy())

        def hist(s: pd.Series, edges: np.ndarray = edges) -> np.ndarray:
            v = s.to_numpy(dtype=float)
            nan = np.isnan(v)
            h = np.bincount(np.searchsorted(edges, v[~nan]), minlength=edges.size + 1)
            return np.append(h, nan.sum())

        psi[c] = psi_of(hist(train[c]), hist(serving[c]))
    for c in categorical:
        train_counts = train[c].value_counts()
        top = train_counts.head(50).index

        def chist(
            s: pd.Series, top: pd.Index = top, known: pd.Index = train_counts.index
        ) -> np.ndarray:
            vc = s.value_counts()
            kept = vc.reindex(top, fill_value=0).to_numpy()
            unseen = vc[~vc.index.isin(known)].sum()
            return np.append(kept, [vc.sum() - kept.sum() - unseen, unseen, s.isna().sum()])

        psi[c] = psi_of(chist(train[c]), chist(serving[c]))
    out["psi_max"] = max(psi.values())
    # Feature engineering: single-feature AUC on a sample, target rates scored on validation.
    sample = train.sample(n=min(SAMPLE_ROWS, len(train)), random_state=0)
    vsample = valid.sample(n=min(SAMPLE_ROWS, len(valid)), random_state=0)
    auc: dict[str, float] = {}
    for c in numeric:
        s = sample[[c, LABEL]].dropna()
        a = roc_auc_score(s[LABEL], s[c])
        auc[c] = max(a, 1 - a)
    prior = float(sample[LABEL].mean())
    for c in categorical:
        rates = sample.groupby(c, dropna=False, observed=True)[LABEL].mean()
        enc = vsample[c].map(rates).fillna(prior)
        a = roc_auc_score(vsample[LABEL], enc)
        auc[c] = max(a, 1 - a)
    out["auc_max"] = max(auc.values())
    out["temporal_ok"] = bool(train[TIMESTAMP].max() <= valid[TIMESTAMP].min())
    cols = [*features, LABEL]
    h_train = pd.util.hash_pandas_object(train[cols], index=False).to_numpy()
    h_valid = pd.util.hash_pandas_object(valid[cols], index=False).to_numpy()
    out["overlap"] = float(np.isin(h_valid, h_train).mean())
    return {
        "wall_s": time.perf_counter() - started,
        "cpu_s": _cpu_s() - cpu0,
        "import_s": import_s,
        "result": out,
        "note": f"pandas {pd.__version__}; max PSI {out['psi_max']:.3f}, "
        f"max AUC {out['auc_max']:.3f}, duplicates {out['duplicates']:,}",
    }


EVIDENTLY_CHILD = r"""
import json, resource, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0 = time.perf_counter()
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
import evidently
import_s = time.perf_counter() - t0
train, serving, method = sys.argv[1], sys.argv[2], sys.argv[3]
started, cpu0 = time.perf_counter(), cpu()
ref = pd.read_parquet(train).drop(columns=["y", "ts"])
cur = pd.read_parquet(serving).drop(columns=["ts"])
preset = DataDriftPreset(method=method) if method != "default" else DataDriftPreset()
snapshot = Report([preset]).run(reference_data=ref, current_data=cur)
result = snapshot.dict()
wall, cpu_s = time.perf_counter() - started, cpu() - cpu0
drifted, values = None, {}
for metric in result.get("metrics", []):
    name = str(metric.get("metric_name", ""))
    if name.startswith("DriftedColumnsCount"):
        drifted = metric.get("value")
    elif name.startswith("ValueDrift(column="):
        values[name.split("=", 1)[1].split(",", 1)[0]] = float(metric.get("value"))
top = sorted(values.items(), key=lambda kv: -kv[1])[:3]
print(json.dumps({
    "wall_s": wall,
    "cpu_s": cpu_s,
    "import_s": import_s,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "note": f"evidently {evidently.__version__}, pandas {pd.__version__}, method={method}; "
            f"drifted columns {drifted}; top {[(k, round(v, 4)) for k, v in top]}",
}, default=str))
"""


def child_main(variant: str, size: int) -> None:
    """Entry point of a child process: run one variant and print its result as JSON."""
    if variant == "gates-spark":
        result = variant_gates(size, json.loads(os.environ[SPARK_TABLES_ENV]))
    else:
        result = {"gates": variant_gates, "pandas": variant_pandas}[variant](size)
    result["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(result, default=str))


def run_child(
    cmd: list[str], guard_bytes: int, timeout_s: float, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run a child, watch its RSS, and return its JSON result (or why it has none)."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    watched = psutil.Process(proc.pid)
    peak = 0
    killed = ""
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        if peak > guard_bytes:
            proc.kill()
            killed = f"killed: RSS passed the {guard_bytes / (1 << 30):.0f} GiB guard"
        elif time.perf_counter() - started > timeout_s:
            proc.kill()
            killed = f"killed: no result within {timeout_s:.0f} s"
        time.sleep(0.1)
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - started
    if killed or proc.returncode != 0:
        tail = " ".join(stderr.strip().splitlines()[-2:])[:300]
        return {
            "error": killed or f"exit code {proc.returncode}: {tail}",
            "process_s": elapsed,
            "peak_rss_mib": peak / (1 << 20),
        }
    lines = [ln for ln in stdout.strip().splitlines() if ln.startswith("{")]
    result: dict[str, Any] = json.loads(lines[-1])
    result["process_s"] = elapsed
    return result


class SparkBench:
    """The gates-spark variant's local Spark Connect server, started once, with tables over the
    generated files (external tables: Spark reads the same Parquet files, nothing is copied)."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.stack = stack
        self.url = ""
        self.pid = 0
        self.session: Any = None
        self.startup_s = 0.0

    def env(self, size: int) -> dict[str, str]:
        """The child's environment: the server's URL and the tables of ``size`` rows."""
        if not self.url:
            import warnings

            sys.path.insert(0, str(ROOT))
            from tests.spark.spark_server import spark_server

            server = self.stack.enter_context(spark_server(SPARK_DRIVER_MEMORY))
            self.url, self.pid, self.startup_s = server.url, server.pid, server.startup_s
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                from pyspark.sql.connect.session import SparkSession
            self.session = SparkSession.builder.remote(self.url).create()
        tables = {}
        for kind, path in paths(size).items():
            name = f"spark_catalog.default.bench_{kind}_{size}"
            self.session.sql(f"DROP TABLE IF EXISTS {name}")
            self.session.sql(f"CREATE TABLE {name} USING parquet OPTIONS (path '{path}')")
            tables[kind] = name
        return {**os.environ, "GATES_SPARK_REMOTE": self.url, SPARK_TABLES_ENV: json.dumps(tables)}

    def usage(self) -> tuple[float, float]:
        """The server's CPU seconds so far and its resident memory now (MiB), JVM included."""
        import psutil

        procs = [psutil.Process(self.pid)]
        procs += procs[0].children(recursive=True)
        cpu = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
        return cpu, sum(p.memory_info().rss for p in procs) / (1 << 20)


# --- report --------------------------------------------------------------------------------


def _cmd(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine() -> dict[str, str]:
    import duckdb
    import numpy
    import pandas
    import pyarrow
    import sklearn

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / (1 << 20):.1f} GiB"
    return {
        "nproc": _cmd(["nproc"]),
        "ram": mem,
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pyarrow": pyarrow.__version__,
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
    }


METHOD = """\
## Method

Data (generated by this script, `benchmarks/data/`, git-ignored): a training file of N rows,
a validation file of N/5 rows (the two months after training, so the time split is clean) and
a serving file of N rows, in Parquet. 30 columns: a binary label `y` (8% positives), a
timestamp `ts`, 18 numeric features (normal, log-normal, exponential, Poisson, uniform; 0-15%
nulls; one informative feature) and 10 string features (2 to 5,000 categories, Zipf-like, 0-10%
nulls). Serving has three drifted features (a scaled numeric, a shifted numeric, a reversed
categorical) and 10% unseen categories in one column; about 1% of training rows are duplicates.

Variants, each in its own subprocess (`python bench_evidence.py --child ...`):

* **gates**: the 12 tabular checks of langgraph-gates (DR.VOLUME, DR.BALANCE, DR.MISSINGNESS,
  DR.FRESHNESS, DR.DUPLICATES, DR.SCHEMA, DR.DRIFT, FE.SENSITIVE_FEATURE, FE.TARGET_LEAKAGE,
  FE.TEMPORAL_LEAKAGE, FE.SPLIT_OVERLAP, FE.MISSINGNESS_STRATEGY) through a `CheckContext` with
  an empty in-memory evidence store: hashing the files for the cache keys, three DuckDB profiles
  (train, serving, validation), the leakage sample (200k rows) and the overlap join. DuckDB runs
  with `threads` = CPUs and `memory_limit` = min(1 GiB, RAM/4). "re-run" is the same checks
  again on the same store (served from the cache: nothing recomputed).
* **gates-spark**: the same 12 checks on the same rows as Spark tables (external tables over
  the same Parquet files), through Spark Connect to a local server this script starts
  (`local[2]`, 6 GiB driver: on one machine the driver is the whole cluster). "peak RSS" is
  the reviewing client's; the server's CPU seconds and resident memory are in the notes.
  The policy's default samples: a 1M-row quantile sample, a 200k-row leakage sample; above
  those sizes DuckDB keys its sample on row number and Spark on a row hash, so the sampled
  statistics agree within sampling error, not exactly (counts are exact on both).
* **pandas**: the same statistics written the straightforward way: `pd.read_parquet` of the
  three files, `isna().mean()`, `value_counts`, `duplicated()`, quantile bins with
  `np.searchsorted` and PSI, top-50 categories, single-feature `roc_auc_score` on a 200k-row
  `sample()`, target rates via `groupby` scored on a validation sample, row hashes via
  `pd.util.hash_pandas_object` for overlap.
* **evidently** / **evidently:psi**: Evidently 0.7.23 `Report([DataDriftPreset()])` on the
  training vs serving frames (features only), with its default drift tests or with
  `method="psi"`; drift only, a subset of what the other two compute. Installed in
  `benchmarks/.venv-evidently` (`pip install 'evidently==0.7.23' 'pandas<3'`).

"wall s" and "CPU s" cover the data work inside the child (reading files and computing;
interpreter start-up and imports excluded, listed as "import s"). "CPU s" is user + system time
of all threads; on a shared machine it is the steadier number. "peak RSS" is the child's own
`ru_maxrss`. A guard kills a child whose RSS passes the `--rss-guard-gib` limit. Rows can come
from separate runs (`--update` re-measures some variants and keeps the others); the machine
section gives each row's load average and start time.
"""


def goals(rows: list[dict[str, Any]]) -> list[str]:
    """The brief's goals, checked against the measured rows."""
    gates = [r for r in rows if r["variant"] == "gates" and "wall_s" in r]
    out = []
    for r in sorted(gates, key=lambda g: (g["size"], g["variant"])):
        size = r["size"]
        rss = r["peak_rss_mib"]
        if size >= 10_000_000:
            met = r["wall_s"] < 60 and rss < 2048
            out.append(
                f"- {r['variant']}, {size:,} rows: {r['wall_s']:.1f} s (goal < 60 s), "
                f"{r.get('cpu_s', 0):.1f} CPU s, peak RSS {rss:.0f} MiB (goal < 2,048 MiB), "
                f"load {r.get('load', '?')}: {'met' if met else 'NOT met'}."
            )
        elif size == 2_000_000:
            out.append(
                f"- {r['variant']}, {size:,} rows: peak RSS {rss:.0f} MiB (goal < 1,024 MiB): "
                f"{'met' if rss < 1024 else 'NOT met'}."
            )
        if r["variant"] != "gates":
            continue
        for peer in rows:
            if peer["size"] != size or peer["variant"].startswith("gates"):
                continue
            if "wall_s" in peer:
                factor = peer["wall_s"] / r["wall_s"]
                out.append(
                    f"- {size:,} rows vs {peer['variant']}: {r['wall_s']:.1f} s vs "
                    f"{peer['wall_s']:.1f} s ({factor:.1f}x faster), {rss:.0f} vs "
                    f"{peer['peak_rss_mib']:.0f} MiB peak RSS."
                )
            else:
                out.append(f"- {size:,} rows vs {peer['variant']}: {peer.get('error')}.")
    return out + engine_ratios(rows)


def engine_ratios(rows: list[dict[str, Any]]) -> list[str]:
    """The same checks on DuckDB and on Spark Connect: time and client memory, and outcomes."""
    done = {(r["variant"], r["size"]): r for r in rows if "wall_s" in r}
    out = []
    for size in sorted({size for variant, size in done if variant == "gates-spark"}):
        duck, spark = done.get(("gates", size)), done[("gates-spark", size)]
        if duck is None:
            continue
        checks = [c for c in duck["checks"] if c in spark["checks"]]
        differ = [
            f"{c}: {duck['checks'][c]['outcome']} on DuckDB, {spark['checks'][c]['outcome']} "
            "on Spark"
            for c in checks
            if duck["checks"][c]["outcome"] != spark["checks"][c]["outcome"]
        ]
        out.append(
            f"- {size:,} rows, DuckDB vs Spark Connect (local, same machine): "
            f"{duck['wall_s']:.1f} s vs {spark['wall_s']:.1f} s (Spark "
            f"{spark['wall_s'] / duck['wall_s']:.1f}x the time); client peak RSS "
            f"{duck['peak_rss_mib']:.0f} vs {spark['peak_rss_mib']:.0f} MiB (Spark "
            f"{spark['peak_rss_mib'] / duck['peak_rss_mib']:.2f}x); same outcome on "
            f"{len(checks) - len(differ)} of {len(checks)} checks"
            + (f" ({'; '.join(differ)})" if differ else "")
            + "."
        )
    return out


def write_markdown(
    path: Path, info: dict[str, str], rows: list[dict[str, Any]], title: str = TITLE
) -> None:
    """Write the results as Markdown: method, machine, table, per-check timings."""
    lines = [
        f"# {title}",
        "",
        f"Written by `.venv/bin/python benchmarks/bench_evidence.py {' '.join(sys.argv[1:])}` on "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        METHOD,
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        "- load average (1, 5, 15 min) when each variant started (and the time, UTC): "
        + "; ".join(
            f"{r['variant']} {r['size']:,}: {r.get('load', '?')} ({r.get('at', '?')})" for r in rows
        ),
        "- the machine is shared with other jobs, so wall times carry their load; CPU s less so",
        "",
        "## Results",
        "",
        "| variant | train rows | wall s | CPU s | re-run s | peak RSS MiB | import s | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]

    def num(r: dict[str, Any], key: str, fmt: str) -> str:
        value = r.get(key)
        return format(value, fmt) if isinstance(value, int | float) else "-"

    for r in rows:
        note = str(r.get("error") or r.get("note", "")).replace("|", "/")
        lines.append(
            f"| {r['variant']} | {r['size']:,} | {num(r, 'wall_s', '.1f')} | "
            f"{num(r, 'cpu_s', '.1f')} | {num(r, 'rerun_s', '.2f')} | "
            f"{num(r, 'peak_rss_mib', '.0f')} | {num(r, 'import_s', '.1f')} | {note} |"
        )
    lines += ["", "## Goals", "", *goals(rows)]
    gates = [r for r in rows if r["variant"].startswith("gates") and "checks" in r]
    if gates:
        lines += ["", "## Per check (gates, cold run)", ""]
        heads = [f"{r['variant']} {r['size']:,} rows s" for r in gates]
        lines.append("| check | " + " | ".join(heads) + " | outcome |")
        lines.append("|---|" + "---:|" * len(gates) + "---|")
        for cid in gates[0]["checks"]:
            times = " | ".join(f"{r['checks'][cid]['s']:.2f}" for r in gates)
            lines.append(f"| {cid} | {times} | {gates[-1]['checks'][cid]['outcome']} |")
        lines += [
            "",
            "A check's time includes the evidence it is the first to need (DR.VOLUME: hashing "
            "and profiling the training file; DR.SCHEMA: the serving profile; "
            "FE.TARGET_LEAKAGE: the leakage sample; FE.TEMPORAL_LEAKAGE: the validation "
            "profile; FE.SPLIT_OVERLAP: the overlap join); the others read cached profiles.",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run_sizes(
    args: argparse.Namespace,
    sizes: list[int],
    variants: list[str],
    evidently_sizes: set[int],
    guard: int,
    spark: SparkBench,
    rows: list[dict[str, Any]],
) -> None:
    """Run every variant at every size, appending each child's result to ``rows``."""
    for size in sizes:
        print(f"size {size:,}")
        generate(size)
        p = paths(size)
        for variant in variants:
            if variant.startswith("evidently"):
                if size not in evidently_sizes:
                    continue
                if not EVIDENTLY_PYTHON.exists():
                    rows.append(
                        {
                            "variant": variant,
                            "size": size,
                            "error": f"not run: {EVIDENTLY_PYTHON} does not exist",
                        }
                    )
                    continue
                method = variant.partition(":")[2] or "default"
                cmd = [
                    str(EVIDENTLY_PYTHON),
                    "-c",
                    EVIDENTLY_CHILD,
                    str(p["train"]),
                    str(p["serving"]),
                    method,
                ]
            else:
                cmd = [sys.executable, __file__, "--child", variant, str(size)]
            env = spark.env(size) if variant == "gates-spark" else None
            server_before = spark.usage() if env else (0.0, 0.0)
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"  {variant} ...", flush=True)
            result = run_child(cmd, guard, args.timeout, env)
            if env:
                cpu, rss = spark.usage()
                result |= {"server_cpu_s": cpu - server_before[0], "server_rss_mib": rss}
                result["note"] = (
                    f"Spark Connect, local[2], {SPARK_DRIVER_MEMORY} driver (started in "
                    f"{spark.startup_s:.0f} s); server CPU {cpu - server_before[0]:.0f} s, "
                    f"server RSS after {rss:,.0f} MiB; " + str(result.get("note", ""))
                )
            result |= {
                "variant": variant,
                "size": size,
                "load": load,
                "at": dt.datetime.now(dt.UTC).strftime("%H:%M UTC"),
            }
            rows.append(result)
            shown = {k: v for k, v in result.items() if k not in ("checks", "result")}
            print("   ", json.dumps(shown, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,2000000,10000000")
    parser.add_argument(
        "--variants",
        default="gates,pandas,evidently,evidently:psi",
        help="gates, gates-spark (the same checks on a local Spark Connect server), pandas, "
        "evidently (default drift tests), evidently:psi (PSI tests)",
    )
    parser.add_argument("--evidently-sizes", default="1000000")
    parser.add_argument("--rss-guard-gib", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--output", default=str(HERE / "evidence.md"))
    parser.add_argument("--title", default=TITLE, help="the Markdown's title")
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the saved results of other variants/sizes and replace those run now",
    )
    parser.add_argument(
        "--markdown-only",
        action="store_true",
        help="rewrite the Markdown from benchmarks/data/evidence_results.json without running",
    )
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child[0], int(args.child[1]))
        return
    raw = DATA / f"{Path(args.output).stem}_results.json"  # evidence.md: evidence_results.json
    if args.markdown_only:
        saved = json.loads(raw.read_text())
        write_markdown(Path(args.output), saved["machine"], saved["rows"], args.title)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    variants = [v for v in args.variants.split(",") if v]
    evidently_sizes = {int(s) for s in args.evidently_sizes.split(",") if s}
    guard = int(args.rss_guard_gib * (1 << 30))
    info = machine()
    print(json.dumps(info, indent=1))
    rows: list[dict[str, Any]] = []
    saved: list[dict[str, Any]] = []
    if args.update and raw.exists():
        saved = json.loads(raw.read_text())["rows"]
    stack = contextlib.ExitStack()
    spark = SparkBench(stack)
    with stack:
        _run_sizes(args, sizes, variants, evidently_sizes, guard, spark, rows)
    fresh = {(r["variant"], r["size"]) for r in rows}
    kept = [r for r in saved if (r["variant"], r["size"]) not in fresh]
    variant_order = ["gates", "gates-spark", "pandas", "evidently", "evidently:psi"]
    order = {v: i for i, v in enumerate(variant_order)}
    rows = sorted([*kept, *rows], key=lambda r: (r["size"], order.get(r["variant"], 9)))
    raw.write_text(json.dumps({"machine": info, "rows": rows}, indent=1, default=str))
    write_markdown(Path(args.output), info, rows, args.title)
    print(f"results: {args.output} (raw: {raw})")


if __name__ == "__main__":
    main()
