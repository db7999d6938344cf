"""Write the example notebooks from the cells below (outputs cleared).

The notebooks are generated so that they stay small, reviewable and free of outputs in git:
edit the cells here, then run ``.venv/bin/python notebooks/build_notebooks.py``. The test suite
(tests/integration/test_notebooks.py) executes every notebook top to bottom with ``notebooks/``
as the working folder and checks that the committed files match this script.
"""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.notebooknode import NotebookNode

HERE = Path(__file__).resolve().parent

Cell = tuple[str, str]  # ("md" | "code", source)


def md(text: str) -> Cell:
    """A Markdown cell."""
    return ("md", dedent(text).strip())


def code(text: str) -> Cell:
    """A code cell."""
    return ("code", dedent(text).strip())


QUICKSTART: list[Cell] = [
    md(
        """
        # Quickstart: review a model from a notebook

        `langgraph-gates` reviews an ML model for production readiness through seven gates and
        ends with **Go / Conditional Go / No-Go**. Every status comes from checks computed on
        the model's evidence files against a policy; this notebook runs offline, with no API key.

        It reviews the bundled churn example (`../examples/churn/dossier.yaml`): first in one
        call, then by driving the LangGraph graph and streaming its progress, and finally it
        reads the gate table and the report.
        """
    ),
    code(
        """
        from pathlib import Path
        import tempfile

        import pandas as pd
        from IPython.display import Markdown, display

        from langgraph_gates import (
            GatesError,
            Outcome,
            ReviewReport,
            RunContext,
            build_graph,
            review,
        )
        from langgraph_gates.report import render

        pd.set_option("display.max_colwidth", 90)
        DOSSIER = Path("../examples/churn/dossier.yaml")
        # The review date drives the freshness check. It is fixed here so the notebook gives the
        # same answer every day; leave it out to review as of today.
        AS_OF = "2026-11-28"
        """
    ),
    md(
        """
        ## 1. Review in one call

        `review()` takes a dossier file, a mapping or a `Dossier`, runs the seven gates and
        returns a `ReviewResult`: the recommendation and the full `ReviewReport`.
        """
    ),
    code(
        """
        result = review(DOSSIER, as_of=AS_OF)
        print(result.recommendation)
        print(result.report.rationale)
        # The bundled example's evidence is complete and readable: no check may have errored.
        findings = [f for g in result.report.gates for f in g.findings]
        errors = [f.message for f in findings if f.outcome is Outcome.ERROR]
        assert not errors, errors
        """
    ),
    md(
        """
        ## 2. The gate table

        One row per gate, as in the written report: status, the key risk (the most severe
        finding, with its check id), the suggested mitigation and the owner.
        """
    ),
    code(
        """
        def gate_table(report: ReviewReport) -> pd.DataFrame:
            return pd.DataFrame(
                [
                    {
                        "gate": g.title,
                        "status": g.status.value,
                        "key risk": g.key_risk,
                        "mitigation": g.mitigation,
                        "owner": g.owner,
                    }
                    for g in report.gates
                ]
            )


        table = gate_table(result.report)
        assert len(table) == 7
        table
        """
    ),
    md(
        """
        Each gate keeps its findings: one per check, with the outcome (`pass`, `warn`, `fail`,
        `missing`, `error`), what was measured and the message a reviewer reads.
        """
    ),
    code(
        """
        gate = result.report.gate("data_readiness")
        pd.DataFrame(
            [
                {"check": f.check_id, "outcome": f.outcome.value, "message": f.message}
                for f in gate.findings
            ]
        )
        """
    ),
    md(
        """
        ## 3. Drive the graph and stream progress

        `build_graph()` returns the compiled LangGraph graph. Its input is one of
        `dossier_path`, `dossier` (an inline mapping, with `base_dir`) or `text`. Each gate
        emits a `gate_completed` event on the `custom` stream; the `values` stream carries the
        state, whose last value is the finished review.
        """
    ),
    code(
        """
        graph = build_graph()  # no checkpointer: nothing is persisted (see notebook 02)
        final = None
        for mode, chunk in graph.stream(
            {"dossier_path": str(DOSSIER), "as_of": AS_OF},
            stream_mode=["custom", "values"],
            context=RunContext(),
        ):
            if mode == "custom" and chunk["event"] == "gate_completed":
                print(
                    f"[{chunk['number']}/7] {chunk['title']:<28} {chunk['status']:<12} "
                    f"{chunk['duration_s']:5.2f}s  {chunk['key_risk'][:60]}"
                )
            elif mode == "values":
                final = chunk

        report = ReviewReport.from_state(final)
        print("Recommendation:", report.recommendation.value)
        assert report.recommendation == result.report.recommendation  # same evidence, same call
        """
    ),
    md(
        """
        ## 4. The report

        `render(report, fmt)` renders `txt`, `md`, `json` or `html` without writing anything;
        `review(..., output_dir=...)` writes the files (atomically, never overwriting one).
        """
    ),
    code(
        """
        print("\\n".join(report.executive_summary))
        """
    ),
    code(
        """
        out = Path(tempfile.mkdtemp())
        written = review(DOSSIER, as_of=AS_OF, output_dir=out, formats=("md", "json"))
        for fmt, path in written.files.items():
            print(f"{fmt:5} {path.name}  {path.stat().st_size:,} bytes")
        """
    ),
    code(
        """
        # The Markdown report, from the gate table on (the seven gate sections come before it).
        markdown = render(report, "md")
        display(Markdown(markdown[markdown.index("| Gate |") :]))
        """
    ),
    md(
        """
        ## 5. Bad input is one clear line

        Every error a user can cause is a `GatesError` whose message names the file and field.
        """
    ),
    code(
        """
        for bad in ("../examples/no_such_dossier.yaml", {"model": {"task": "astrology"}}):
            try:
                review(bad)
            except GatesError as exc:
                print(f"{type(exc).__name__}: {exc.one_line()}")
        """
    ),
]


HUMAN_IN_THE_LOOP: list[Cell] = [
    md(
        """
        # Human in the loop: pause, edit, override, resume, re-run, diff

        A durable review checkpoints every step in a database (SQLite here, PostgreSQL with a
        `postgresql://` URL; the review id is the LangGraph thread id). A reviewer can pause it
        after any gate, edit the dossier, override a gate's status with a reason, resume, and
        re-run it from any gate; every run stays in the history and two runs can be diffed.
        The `gates resume | edit | rerun | history | diff | show | list` commands do the same
        on the same database.
        """
    ),
    code(
        """
        import contextlib
        import subprocess
        import sys
        import tempfile
        from pathlib import Path

        import pandas as pd

        from langgraph_gates import ReviewReport, open_reviews

        pd.set_option("display.max_colwidth", 90)
        DOSSIER = "../examples/churn/dossier.yaml"
        AS_OF = "2026-11-28"  # fixed review date, so the notebook's answers do not move
        REVIEW = "churn-demo"

        workdir = Path(tempfile.mkdtemp())
        DB = workdir / "reviews.sqlite"  # a throwaway database; ":memory:" works too
        stack = contextlib.ExitStack()  # keeps the database open across cells
        reviews = stack.enter_context(open_reviews(DB, cache_dir=workdir / "evidence-cache"))


        def gates(values: dict) -> pd.DataFrame:
            \"\"\"The gate table of a review's state (finished or not).\"\"\"
            return pd.DataFrame(
                [
                    {
                        "gate": g["title"],
                        "status": g["status"],
                        "evidence": g["evidence_status"],
                        "override": (g.get("override") or {}).get("by", ""),
                        "run": g["run"],
                        "key risk": g["key_risk"],
                    }
                    for g in values["gates"].values()
                ]
            )
        """
    ),
    md(
        """
        ## 1. Start and pause after a gate

        `pause_after` stops the review after the listed gates. The pause plan is stored with
        the review, so a later `resume` (in this process or another) keeps honouring it.
        """
    ),
    code(
        """
        status = reviews.start(
            DOSSIER, review_id=REVIEW, as_of=AS_OF, pause_after=["data_readiness"]
        )
        print("done:", status.completed_gates)
        print("next:", status.next)
        assert status.next == ("feature_engineering",)
        gates(status.values)
        """
    ),
    md(
        """
        ## 2. Edit the dossier while paused

        `edit` takes dotted paths. It validates the whole dossier first (nothing is written if
        the result is invalid), records who changed what in the audit trail, and says which
        gates read the edited sections. Here the reviewer removes the labeling-QC description
        (read by data readiness, which already ran) and changes the rollout to a big-bang
        release (read by deployment, still to run).
        """
    ),
    code(
        """
        edit = reviews.edit(
            REVIEW,
            {"data.labeling_qc": None, "deployment.rollout": {"strategy": "big_bang"}},
            by="ana",
            reason="What the team will actually ship",
        )
        for change in edit.changes:
            print(change.describe())
        print("gates that read them:", edit.affected)
        print("re-run on resume:   ", edit.rerun_on_resume)
        assert edit.rerun_on_resume == ["data_readiness"]
        """
    ),
    md(
        """
        ## 3. Resume with an approval and an override

        An override replaces a gate's status; it needs the reviewer's name and a reason, and it
        keeps the evidence's own status beside it. `resume` first re-runs the gates made stale
        by the edit, then goes on to the end.
        """
    ),
    code(
        """
        status = reviews.resume(
            REVIEW,
            approve=True,
            overrides={"responsible_ai": "Pass"},
            by="ana",
            reason="The model-risk committee accepted the regional selection-rate gap",
        )
        print("executed:", status.executed)
        print("recommendation:", status.recommendation.value)
        assert status.finished and status.executed[0] == "data_readiness"
        gates(status.values)
        """
    ),
    code(
        """
        # The finished review's report carries the audit trail: who did what, when and why.
        report = reviews.report(REVIEW)
        errors = [f.message for g in report.gates for f in g.findings if f.outcome.value == "error"]
        assert not errors, errors
        pd.DataFrame([a.model_dump() for a in report.audit])
        """
    ),
    md(
        """
        ## 4. Fix the dossier and re-run

        A re-run is a new run of the same review. Without `from_gate` it starts at the earliest
        gate that reads a field edited since it ran; gates before it keep their results, and
        evidence of unchanged files comes from the cache instead of being recomputed. (The
        security gate reads every section, because it scans the whole dossier for secrets, so
        a rollout edit re-runs security and deployment.)
        """
    ),
    code(
        """
        fix = reviews.edit(
            REVIEW,
            {"deployment.rollout": {"strategy": "canary", "stages": [5, 25, 50, 100]}},
            by="ana",
            reason="Canary rollout agreed with the platform team",
        )
        print("stale after the edit:", fix.stale)
        rerun = reviews.rerun(REVIEW, by="ana", reason="Rollout plan fixed")
        print("run", rerun.run, "executed:", rerun.executed)
        print("recommendation:", rerun.recommendation.value)
        assert rerun.run == 2 and rerun.executed[0] == fix.stale[0]
        assert "problem_framing" not in rerun.executed  # earlier gates kept their results
        """
    ),
    md(
        """
        ## 5. Diff two runs, read the history

        The diff lists recommendation, status and finding changes per gate and the dossier
        fields that differ between the runs. The history lists every run and checkpoint.
        """
    ),
    code(
        """
        diff = reviews.diff(REVIEW)  # the last two runs; diff(REVIEW, 1, 2) names them
        print(diff.render())
        assert diff.recommendation_a != diff.recommendation_b
        """
    ),
    code(
        """
        history = reviews.history(REVIEW)
        columns = {"run", "from_gate", "state", "recommendation", "gates_run"}
        pd.DataFrame([r.model_dump(include=columns) for r in history.runs])
        """
    ),
    code(
        """
        # Every checkpoint, oldest first; source: loop = a node wrote it, update = a human.
        columns = {"run", "source", "next", "event", "on_branch"}
        pd.DataFrame([c.model_dump(include=columns) for c in history.checkpoints]).tail(12)
        """
    ),
    md(
        """
        ## 6. The same review from another process

        The database outlives this notebook's objects: close it, and the CLI (a separate
        process) lists the same review; `gates history`, `gates diff` and `gates show` read it
        too.
        """
    ),
    code(
        """
        stack.close()
        cli = [sys.executable, "-m", "langgraph_gates"]
        listing = subprocess.run(
            [*cli, "list", "--db", str(DB)], capture_output=True, text=True, check=True
        )
        print(listing.stdout)
        assert REVIEW in listing.stdout
        print(f"Go on from a shell: gates history {REVIEW} --db {DB}")
        """
    ),
    md(
        """
        In LangGraph Studio the same steps are a breakpoint after a node, **Edit** on the paused
        state, and **Continue**; see the README section "LangGraph Studio".
        """
    ),
]


EVIDENCE: list[Cell] = [
    md(
        """
        # Evidence: review a model from its data and predictions

        Every finding carries what was **measured**, the policy **threshold** it was judged
        against, and the **evidence** it came from (file and column). This notebook reviews
        the churn model from its files alone (training, validation and serving data, a
        predictions file and a metrics file, no written documentation), then reads the
        findings, builds a per-feature drift and missingness table, checks two numbers by hand,
        and shows how a stricter policy changes the verdict.
        """
    ),
    code(
        """
        from pathlib import Path

        import pandas as pd

        from langgraph_gates import Outcome, Policy, review

        pd.set_option("display.max_colwidth", 80)
        CHURN = Path("../examples/churn")
        AS_OF = "2026-11-28"  # fixed review date for the freshness check
        """
    ),
    md(
        """
        ## 1. A dossier that is only evidence

        An inline dossier (a mapping) with file paths relative to `base_dir`. Sections left
        out (problem framing, rollout, ...) become `missing` findings, never a crash.
        """
    ),
    code(
        """
        dossier = {
            "model": {
                "name": "churn-predictor",
                "version": "2.3.0",
                "task": "binary_classification",
            },
            "data": {
                "label": "churned",
                "timestamp": "snapshot_date",
                "sensitive_attributes": ["region"],
                "train": "data/train.parquet",
                "validation": "data/valid.parquet",
                "serving": "data/serving_sample.parquet",
            },
            "features": {"excluded": ["account_id", "region", "company_size"]},
            "performance": {
                "predictions": "eval/predictions.csv",
                "metrics": "eval/metrics.json",
                "validation_strategy": "time_split",
                "baseline": {"metric": "roc_auc", "value": 0.70},
            },
        }
        result = review(dossier, base_dir=CHURN, as_of=AS_OF)
        print(result.recommendation)
        # Every referenced file was read: nothing is `error` (left-out sections are `missing`).
        findings = [f for g in result.report.gates for f in g.findings]
        errors = [f.message for f in findings if f.outcome is Outcome.ERROR]
        assert not errors, errors
        pd.DataFrame([{"gate": g.title, "status": g.status.value} for g in result.report.gates])
        """
    ),
    md(
        """
        ## 2. The findings: measured value, threshold, evidence

        `Threshold.describe()` shows the band a value was judged against; `EvidenceRef` says
        where it came from.
        """
    ),
    code(
        """
        def short(value, width=70):
            text = str(value)
            return text if len(text) <= width else text[: width - 1] + "…"


        findings = pd.DataFrame(
            [
                {
                    "check": f.check_id,
                    "outcome": f.outcome.value,
                    "measured": short(f.measured),
                    "threshold": f.threshold.describe() if f.threshold else "",
                    "evidence": ", ".join(
                        e.source + (f" [{e.column}]" if e.column else "") for e in f.evidence
                    ),
                }
                for g in result.report.gates
                for f in g.findings
            ]
        )
        findings[findings.check.str.match(r"DR\\.|FE\\.|MP\\.|RAI\\.")]
        """
    ),
    code(
        """
        # What stops the model, and what is merely undocumented.
        print(findings.outcome.value_counts().to_string())
        findings[findings.outcome.isin([Outcome.FAIL.value, Outcome.WARN.value])]
        """
    ),
    md(
        """
        ## 3. Drift and missingness per feature

        `DR.DRIFT` measures the population stability index (PSI) of every feature between
        training and serving data; `DR.MISSINGNESS` the share of missing values;
        `FE.TARGET_LEAKAGE` how well each feature alone predicts the label (AUC).
        """
    ),
    code(
        """
        def finding(check_id, report=result.report):
            return next(f for g in report.gates for f in g.findings if f.check_id == check_id)


        drift = finding("DR.DRIFT")
        missing = finding("DR.MISSINGNESS")
        leakage = finding("FE.TARGET_LEAKAGE")
        per_feature = pd.DataFrame(
            {
                "psi": pd.Series(drift.measured["psi"]),
                "missing_fraction": pd.Series(missing.measured["missing_fraction"]),
                "single_feature_auc": pd.Series(leakage.measured["scores"]),
            }
        ).sort_values("psi", ascending=False)
        assert not per_feature.empty
        for f in (drift, missing, leakage):
            print(f"{f.check_id:<18} {f.outcome.value:<5} {f.threshold.describe()}")
        per_feature
        """
    ),
    md(
        """
        ## 4. Check two numbers by hand

        The evidence is plain files, so any number can be recomputed independently. Missing
        fractions come straight from the training data; selection rates per region from the
        predictions file (`keep_default_na=False`, because pandas would otherwise read the
        region code `NA`, North America, as a missing value).
        """
    ),
    code(
        """
        train = pd.read_parquet(CHURN / "data/train.parquet")
        by_hand = train[list(missing.measured["missing_fraction"])].isna().mean()
        pd.testing.assert_series_equal(
            by_hand.round(4),
            pd.Series(missing.measured["missing_fraction"]).round(4),
            check_names=False,
        )
        by_hand.rename("missing fraction (pandas)").to_frame()
        """
    ),
    code(
        """
        impact = finding("RAI.DISPARATE_IMPACT")
        predictions = pd.read_csv(CHURN / "eval/predictions.csv", keep_default_na=False)
        validation = predictions[predictions["split"] == impact.measured["split"]]
        rates = validation.groupby("region")["y_pred"].mean()
        reported = pd.DataFrame(impact.measured["groups"]).set_index("group")["selection_rate"]
        comparison = pd.DataFrame({"by hand": rates, "reported": reported})
        assert (comparison["by hand"] - comparison["reported"]).abs().max() < 1e-4
        ratio = rates.min() / rates.max()
        reported_ratio = impact.measured["selection_rate_ratio"]
        print(f"selection-rate ratio by hand {ratio:.4f}, reported {reported_ratio}")
        print(f"{impact.threshold.describe()} -> {impact.outcome.value}")
        comparison
        """
    ),
    md(
        """
        ## 5. Thresholds are policy, not code

        The same evidence under a stricter policy: a partial mapping (or a YAML file) is merged
        onto the defaults. The findings show the new thresholds, and the verdict follows.
        """
    ),
    code(
        """
        strict_policy = {
            "data": {"psi": {"warn": 0.01, "fail": 0.05}},
            "fairness": {"selection_rate_ratio": {"warn": 0.95, "fail": 0.9}},
        }
        strict = review(dossier, base_dir=CHURN, as_of=AS_OF, policy=strict_policy)
        def judged(f):
            return f"{f.outcome.value} ({f.threshold.describe()})"


        compare = pd.DataFrame(
            [
                {
                    "check": check_id,
                    "default policy": judged(finding(check_id)),
                    "strict policy": judged(finding(check_id, strict.report)),
                }
                for check_id in ("DR.DRIFT", "RAI.DISPARATE_IMPACT")
            ]
        )
        assert (compare["default policy"] != compare["strict policy"]).all()
        print(f"default policy: {result.recommendation}; strict policy: {strict.recommendation}")
        compare
        """
    ),
    code(
        """
        # Each feature's PSI judged by the effective policy each report carries.
        default_psi = Policy.model_validate(result.report.policy).data.psi
        strict_psi = Policy.model_validate(strict.report.policy).data.psi
        print(finding("DR.DRIFT", strict.report).message)
        per_feature.assign(
            default=[default_psi.judge(v).value for v in per_feature["psi"]],
            strict=[strict_psi.judge(v).value for v in per_feature["psi"]],
        )[["psi", "default", "strict"]]
        """
    ),
]


NOTEBOOKS: dict[str, list[Cell]] = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_human_in_the_loop.ipynb": HUMAN_IN_THE_LOOP,
    "03_evidence.ipynb": EVIDENCE,
}


def build(name: str, cells: list[Cell]) -> NotebookNode:
    """One notebook with deterministic cell ids and no outputs."""
    stem = name.removesuffix(".ipynb").replace("_", "-")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source) in enumerate(cells):
        cell_id = f"{stem}-{i:02d}"
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(source, id=cell_id))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(source, id=cell_id))
    nbformat.validate(nb)
    return nb


def main(folder: Path = HERE) -> list[Path]:
    """Write every notebook into ``folder``; return their paths."""
    written = []
    for name, cells in NOTEBOOKS.items():
        path = folder / name
        nbformat.write(build(name, cells), path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
