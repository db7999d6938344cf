"""The static pickle scanner and the artifact inspection (SEC.ARTIFACT_UNSAFE's evidence).

Malicious artifacts carry payloads that would create a marker file if loaded; every test
asserts the scanner names the callable and that the marker never appears.
"""

from __future__ import annotations

import io
import pickle
import pickletools
import struct
import tracemalloc
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import scipy.sparse as sps
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from langgraph_gates.evidence.artifact_scan import scan_artifact
from langgraph_gates.evidence.pickle_allowlist import judge_global
from langgraph_gates.evidence.pickle_scan import Source, iter_opcodes, scan_pickle_bytes

from . import malicious_artifacts as ma

COMPRESSIONS: list[Any] = [0, 3, ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)]


@pytest.fixture(scope="module")
def fitted() -> dict[str, Any]:
    """Real fitted scikit-learn models and plain data, as a team would save them."""
    x, y = load_breast_cancer(return_X_y=True)
    x, y = x[:200], y[:200]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "logistic": LogisticRegression(max_iter=300).fit(x, y),
            "forest": RandomForestClassifier(n_estimators=3, random_state=0).fit(x, y),
            "pipeline": Pipeline(
                [("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=300))]
            ).fit(x, y),
            "arrays": {
                "f8": np.arange(10.0),
                "i4": np.arange(6, dtype="i4").reshape(2, 3),
                "fortran": np.asfortranarray(np.ones((3, 2))),
                "str": np.array(["ab", "c"]),
                "dates": np.array(["2026-01-01"], dtype="M8[D]"),
                "record": np.zeros(2, dtype=[("a", "i4"), ("b", "f8")]),
                "objects": np.array([1, "x", None], dtype=object),
                "sparse": sps.csr_matrix(np.eye(3)),
            },
            "dict": {"threshold": 0.25, "features": ["seats", "tenure"], "version": (2, 3)},
        }


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "MARKER"
    yield path
    assert not path.exists(), "a payload ran: the marker file exists"


# -- the opcode decoder ---------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(6))
def test_decoder_matches_genops(fitted: dict[str, Any], protocol: int) -> None:
    for obj in fitted.values():
        data = pickle.dumps(obj, protocol=protocol)
        expected = [(op.name, arg, pos) for op, arg, pos in pickletools.genops(data)]
        src = Source(io.BytesIO(data), seekable_size=len(data))
        got = [(op.name, arg, pos) for op, arg, pos in iter_opcodes(src)]
        # Big payloads are skipped (a placeholder instead of the bytes); all else is equal.
        assert [g[0] for g in got] == [e[0] for e in expected]
        assert [g[2] for g in got] == [e[2] for e in expected]
        small = [(g, e) for g, e in zip(got, expected, strict=True) if not hasattr(g[1], "size")]
        assert all(g[1] == e[1] for g, e in small)


# -- benign artifacts -----------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(6))
def test_benign_pickles_all_protocols(fitted: dict[str, Any], protocol: int) -> None:
    for name, obj in fitted.items():
        scan = scan_pickle_bytes(pickle.dumps(obj, protocol=protocol))
        assert not scan.problems, (name, scan.problems)
        assert not scan.blocked, (name, [g.qualified for g in scan.blocked])
        assert scan.imports or name == "dict"


@pytest.mark.parametrize("compress", COMPRESSIONS, ids=str)
def test_benign_joblib_files(fitted: dict[str, Any], tmp_path: Path, compress: Any) -> None:
    for name, obj in fitted.items():
        path = tmp_path / f"{name}.joblib"
        joblib.dump(obj, path, compress=compress)
        scan = scan_artifact(path)
        assert scan.verdict == "pickle", (name, compress, scan.problems, scan.blocked)
        assert scan.format.startswith("joblib") or name == "dict"
        assert "joblib.numpy_pickle.NumpyArrayWrapper" in scan.imports or name == "dict"


def test_joblib_arrays_are_skipped_by_their_size(tmp_path: Path) -> None:
    # The payload after each wrapper is exactly shape x itemsize (+ alignment padding), so the
    # scan lands on the next opcode; a wrong size would end in a parse error.
    arrays = {
        f"a{i}": np.arange(i * 7 + 1, dtype=dt) for i, dt in enumerate(["f8", "i2", "u1", "c16"])
    }
    path = tmp_path / "arrays.joblib"
    joblib.dump(arrays, path)
    scan = scan_artifact(path)
    assert scan.verdict == "pickle" and scan.arrays == 4


def test_example_model_is_pickle_based_but_allowed() -> None:
    example = Path(__file__).resolve().parents[2] / "examples/churn/model/model.joblib"
    scan = scan_artifact(example)
    assert scan.verdict == "pickle"
    assert scan.format == "joblib (zlib)"
    assert any(name.startswith("sklearn.") for name in scan.imports)


# -- malicious artifacts --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ma.MALICIOUS))
def test_malicious_pickles_are_named(name: str, marker: Path, tmp_path: Path) -> None:
    build, expected = ma.MALICIOUS[name]
    data = build(marker)
    scan = scan_pickle_bytes(data)
    assert expected in [g.qualified for g in scan.blocked]
    path = tmp_path / "model.pkl"
    path.write_bytes(data)
    art = scan_artifact(path)
    assert art.verdict == "unsafe"
    assert expected in [b.callable for b in art.blocked]


def test_methodcaller_chain_names_both_callables(marker: Path) -> None:
    scan = scan_pickle_bytes(ma.methodcaller_import_module(marker))
    names = {g.qualified for g in scan.blocked}
    assert {"operator.methodcaller", "importlib.import_module"} <= names
    assert all(g.status == "dangerous" for g in scan.blocked)


def test_getattr_chain_maps_python2_names(marker: Path) -> None:
    names = {g.qualified for g in scan_pickle_bytes(ma.getattr_import_chain(marker)).blocked}
    assert names == {"builtins.getattr", "builtins.__import__"}


@pytest.mark.parametrize("compress", COMPRESSIONS, ids=str)
def test_malicious_object_inside_joblib(tmp_path: Path, marker: Path, compress: Any) -> None:
    scan = scan_artifact(ma.joblib_with_object(tmp_path / "m.joblib", marker, compress=compress))
    assert scan.verdict == "unsafe"
    assert [b.callable for b in scan.blocked] == ["posix.system"]


def test_malicious_object_inside_joblib_object_array(tmp_path: Path, marker: Path) -> None:
    scan = scan_artifact(ma.joblib_object_array(tmp_path / "m.joblib", marker, compress=3))
    assert scan.verdict == "unsafe"
    assert scan.blocked[0].callable == "posix.system"
    assert "object array" in scan.blocked[0].where


def test_payload_hidden_in_joblib_array_data(tmp_path: Path, marker: Path) -> None:
    # joblib.load would return a uint8 array; pickle.load would run os.system.
    scan = scan_artifact(ma.hidden_in_joblib_array(tmp_path / "m.pkl", marker))
    assert scan.verdict == "unsafe"
    assert [b.callable for b in scan.blocked] == ["posix.system"]
    assert any("pickle.load instead of joblib.load" in n for n in scan.notes)


def test_pytorch_zip(tmp_path: Path, marker: Path) -> None:
    benign = scan_artifact(ma.torch_zip(tmp_path / "ok.pt"))
    assert benign.verdict == "pickle" and benign.format == "PyTorch zip"
    assert "torch._utils._rebuild_tensor_v2" in benign.imports

    evil = pickle.dumps(ma.Exec(marker), protocol=2)
    in_data = scan_artifact(ma.torch_zip(tmp_path / "a.pt", data_pkl=evil))
    assert in_data.verdict == "unsafe" and in_data.blocked[0].callable == "builtins.exec"
    # A malicious pickle anywhere in the archive fails it, whatever it is called.
    elsewhere = ma.torch_zip(tmp_path / "b.pt", extra={"archive/extra/hook.pkl": evil})
    scan = scan_artifact(elsewhere)
    assert scan.verdict == "unsafe"
    assert scan.blocked[0].where.startswith("b.pt!archive/extra/hook.pkl")


def test_truncated_and_garbage_pickles_fail(fitted: dict[str, Any], tmp_path: Path) -> None:
    data = pickle.dumps(fitted["forest"], protocol=4)
    for cut in (len(data) // 2, len(data) - 1, 3):
        scan = scan_pickle_bytes(data[:cut])
        assert scan.problems and "truncated" in scan.problems[0]
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x04 this is not a pickle at all")
    assert scan_artifact(path).verdict == "unparseable"
    joblib.dump(fitted["forest"], path)
    path.write_bytes(path.read_bytes()[:-100])
    assert scan_artifact(path).verdict == "unparseable"


def test_calls_before_a_parse_error_still_count(marker: Path) -> None:
    data = pickle.dumps(ma.System(marker), protocol=4)[:-1] + b"\xff"
    scan = scan_pickle_bytes(data)
    assert scan.problems and [g.qualified for g in scan.blocked] == ["posix.system"]


def test_trailing_pickle_is_scanned(fitted: dict[str, Any], marker: Path) -> None:
    data = pickle.dumps(fitted["dict"], protocol=4) + pickle.dumps(ma.System(marker), protocol=4)
    scan = scan_pickle_bytes(data)
    assert [g.qualified for g in scan.blocked] == ["posix.system"]


def test_unresolvable_stack_global_is_blocked() -> None:
    # The module name is the result of a call, so no scanner can know what it imports.
    data = (
        ma.Asm(4)
        .raw(pickle.GLOBAL + b"builtins\nstr\n")
        .text("os")
        .op(pickle.TUPLE1, pickle.REDUCE)
        .text("system")
        .op(pickle.STACK_GLOBAL, pickle.STOP)
        .bytes()
    )
    scan = scan_pickle_bytes(data)
    assert scan.blocked and scan.blocked[0].module == "<unresolved>"


def test_extension_registry_is_blocked() -> None:
    scan = scan_pickle_bytes(ma.Asm(2).raw(pickle.EXT1 + b"\x07").op(pickle.STOP).bytes())
    assert scan.blocked and "extension registry" in scan.blocked[0].name


# -- the allowlist --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name", "status"),
    [
        ("numpy._core.multiarray", "_reconstruct", "allowed"),
        ("sklearn.ensemble._forest", "RandomForestClassifier", "allowed"),
        ("sklearn.tree._tree", "Tree", "allowed"),
        ("scipy.sparse._csr", "csr_matrix", "allowed"),
        ("xgboost.sklearn", "XGBClassifier", "allowed"),
        ("torch._utils", "_rebuild_tensor_v2", "allowed"),
        ("__builtin__", "set", "allowed"),
        ("copy_reg", "_reconstructor", "allowed"),
        ("os", "system", "dangerous"),
        ("posix", "system", "dangerous"),
        ("nt", "system", "dangerous"),
        ("subprocess", "Popen", "dangerous"),
        ("builtins", "getattr", "dangerous"),
        ("__builtin__", "eval", "dangerous"),
        ("webbrowser", "open", "dangerous"),
        ("importlib", "import_module", "dangerous"),
        ("numpy.core", "_ufunc_reconstruct", "dangerous"),
        # A harmless module's re-export, a dotted walk, a file-writing class: never admitted.
        ("sklearn.utils", "os.system", "dangerous"),
        ("sklearn.datasets._svmlight_format_io", "GzipFile", "not_allowed"),
        ("sklearn.tree._export", "export_graphviz", "not_allowed"),
        ("sklearn.utils._testing", "TempMemmap", "not_allowed"),
        ("numpy", "load", "dangerous"),
        ("mypackage.model", "Net", "not_allowed"),
    ],
)
def test_allowlist(module: str, name: str, status: str) -> None:
    assert judge_global(module, name).status == status


def test_policy_additions() -> None:
    assert judge_global("mypackage.model", "Net", ["mypackage.model.Net"]).status == "allowed"
    assert judge_global("pandas.core.frame", "DataFrame", ["pandas.*"]).status == "allowed"
    # A package rule never admits dotted names or a dangerous re-export.
    assert judge_global("pandas.core.frame", "np.load", ["pandas.*"]).status != "allowed"
    assert judge_global("pandas.io.common", "os", ["pandas.*"]).status == "dangerous"


# -- other formats --------------------------------------------------------------------------


def test_non_executable_formats(tmp_path: Path) -> None:
    assert scan_artifact(ma.write_safetensors(tmp_path / "m.safetensors")).verdict == "safe"
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"\x08\x07\x12\x07pytorch")
    assert scan_artifact(onnx).verdict == "safe"
    npy = tmp_path / "w.npy"
    np.save(npy, np.arange(4.0))
    assert scan_artifact(npy).verdict == "safe"
    skops = tmp_path / "m.skops"
    with zipfile.ZipFile(skops, "w") as zf:
        zf.writestr("schema.json", '{"__class__": "LogisticRegression"}')
    scan = scan_artifact(skops)
    assert scan.verdict == "safe" and scan.format == "skops"


def test_numpy_object_array_is_a_pickle(tmp_path: Path, marker: Path) -> None:
    path = tmp_path / "w.npy"
    np.save(path, np.array([1, "x"], dtype=object), allow_pickle=True)
    assert scan_artifact(path).verdict == "pickle"
    np.save(path, np.array([ma.System(marker)], dtype=object), allow_pickle=True)
    assert scan_artifact(path).blocked[0].callable == "posix.system"


def test_unknown_and_folder_artifacts(tmp_path: Path, marker: Path) -> None:
    blob = tmp_path / "model.weights"
    blob.write_bytes(bytes(range(7, 200)))
    assert scan_artifact(blob).verdict == "unknown"
    folder = tmp_path / "hf"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}')
    ma.write_safetensors(folder / "model.safetensors")
    assert scan_artifact(folder).verdict == "safe"
    (folder / "extra.pkl").write_bytes(pickle.dumps(ma.Popen(marker)))
    scan = scan_artifact(folder, display="hf/")
    assert scan.verdict == "unsafe" and scan.blocked[0].where.startswith("hf/extra.pkl")


def test_size_caps(tmp_path: Path, fitted: dict[str, Any]) -> None:
    path = tmp_path / "m.joblib"
    joblib.dump(fitted["forest"], path, compress=3)
    assert scan_artifact(path, max_bytes=100).verdict == "too_large"
    # A decompression bomb guard: the content expands past the cap.
    scan = scan_artifact(path, max_decompressed_bytes=1000)
    assert scan.verdict == "unparseable" and "size cap" in scan.problems[0]


def test_memory_stays_bounded_on_a_large_payload(tmp_path: Path) -> None:
    # 64 MB of array data, in a plain pickle (BINBYTES8) and in a joblib file.
    size = 64 * 2**20
    path = tmp_path / "big.pkl"
    with path.open("wb") as fh:
        fh.write(pickle.PROTO + b"\x05" + pickle.BINBYTES8 + struct.pack("<Q", size))
        chunk = b"\x00" * 2**20
        for _ in range(size // len(chunk)):
            fh.write(chunk)
        fh.write(pickle.STOP)
    big_joblib = tmp_path / "big.joblib"
    joblib.dump({"w": np.zeros(size // 8)}, big_joblib)
    for artifact in (path, big_joblib):
        tracemalloc.start()
        scan = scan_artifact(artifact)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert scan.verdict == "pickle", scan.problems
        assert peak < 8 * 2**20, f"{artifact.name}: peak {peak / 2**20:.1f} MB"
