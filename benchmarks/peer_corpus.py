"""Build the artifact-scanner corpus from the peers' public test suites (a build step).

Run in the peers' environment (``make bench-artifacts-venv``: torch, tf-keras, dill, h5py,
picklescan, modelscan, fickling ...) with the three repositories checked out somewhere:

    python benchmarks/peer_corpus.py --picklescan DIR --modelscan DIR --fickling DIR \
        --out tests/artifacts/peers

* picklescan (MIT): its committed sample files (``tests/data``, ``tests/data2``) are copied.
* modelscan (Apache-2.0): its own pytest fixtures (``tests/test_modelscan.py``) are called to
  write their samples (pickle, dill, zip, PyTorch, numpy, Keras .h5/.keras, SavedModel).
* fickling (LGPL-3.0): its bypass tests (``test/test_bypasses.py``) are run with
  ``check_safety`` and ``Pickled.load`` recorded, and every pickle they judge is written out.

Nothing is unpickled here except by the peers' own generators, which only *write* samples.
No peer source is copied into this repository: only the generated sample files and a
``MANIFEST.tsv`` (path, label, origin) per set.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# Labels: picklescan's tests/test_scanner.py expects these files to be clean.
_PICKLESCAN_BENIGN = {
    "benign0_v0.pkl",
    "benign0_v3.pkl",
    "benign0_v4.pkl",
    "pytorch_model.bin",
    "new_pytorch_model.bin",
    "bad_pytorch.pt",
    "not_a_pickle.bin",
    "int_array.npy",
    "int_arrays.npz",
    "int_arrays_compressed.npz",
    "object_array.npy",
    "object_arrays.npz",
    "object_arrays_compressed.npz",
}
# Cannot be opened at all (password-protected): may fail closed with that reason.
_ENCRYPTED = {"benign_password_protected.zip", "password_protected.zip"}
# In picklescan's data folder but expected to be unreadable rather than malicious.
_PICKLESCAN_BROKEN = {"broken_model.pkl"}


def _label(name: str, benign: set[str]) -> str:
    if name in _ENCRYPTED:
        return "benign-encrypted"
    if name in _PICKLESCAN_BROKEN:
        return "broken"
    return "benign" if name in benign else "malicious"


def _write_manifest(out: Path, rows: list[tuple[str, str, str]]) -> None:
    lines = ["path\tlabel\torigin"] + [f"{p}\t{lab}\t{o}" for p, lab, o in sorted(rows)]
    (out / "MANIFEST.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_picklescan(repo: Path, out: Path) -> None:
    """Copy picklescan's committed sample files, labelled from its test expectations."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for sub in ("data", "data2"):
        for f in sorted((repo / "tests" / sub).iterdir()):
            if not f.is_file():
                continue
            dest = out / sub / f.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
            origin = f"picklescan tests/{sub}/{f.name}"
            rows.append((f"{sub}/{f.name}", _label(f.name, _PICKLESCAN_BENIGN), origin))
    _write_manifest(out, rows)


class _TmpFactory:
    def __init__(self, root: Path) -> None:
        self.root = root

    def mktemp(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def _unwrap(fixture: Any) -> Any:
    for attr in ("__wrapped__",):
        if hasattr(fixture, attr):
            return getattr(fixture, attr)
    if hasattr(fixture, "_get_wrapped_function"):
        return fixture._get_wrapped_function()
    return fixture.__pytest_wrapped__.obj


def _modelscan_label(rel: str) -> str:
    name = Path(rel).name
    if name in _ENCRYPTED:
        return "benign-encrypted"
    if rel.startswith("zip/"):
        return "malicious"  # the zip fixture holds an eval payload in data.pkl
    if "unsafe" in name or "malicious" in name:
        return "malicious"
    return "benign"


def build_modelscan(repo: Path, out: Path) -> None:
    """Call modelscan's own pytest fixtures so that they write their samples into ``out``."""
    work = Path(tempfile.mkdtemp(prefix="modelscan-tests-"))
    for f in ("test_modelscan.py", "test_utils.py"):
        shutil.copyfile(repo / "tests" / f, work / f)
    shutil.copytree(repo / "tests" / "data", work / "data")
    sys.path.insert(0, str(work))
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    mod = importlib.import_module("test_modelscan")
    gen = Path(tempfile.mkdtemp(prefix="modelscan-gen-"))
    factory = _TmpFactory(gen)
    _unwrap(mod.zip_file_path)(factory)
    _unwrap(mod.pytorch_file_path)(factory)
    _unwrap(mod.file_path)(factory)
    _unwrap(mod.tensorflow_file_path)(factory)
    _unwrap(mod.keras_file_path)(factory, ["h5", "keras", "pb"])
    _unwrap(mod.numpy_file_path)(factory)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(gen, out)
    rows = []
    for top in sorted(out.iterdir()):
        for entry in sorted(top.rglob("*")):
            rel = entry.relative_to(out).as_posix()
            parts = rel.split("/")
            # A SavedModel folder is one sample; everything else is one file.
            model_dir = next((p for p in parts[:-1] if p.startswith("saved_model_")), None)
            if model_dir is not None:
                sample = "/".join(parts[: parts.index(model_dir) + 1])
                if sample not in {r[0] for r in rows}:
                    label = "malicious" if "unsafe" in model_dir else "benign"
                    rows.append((sample, label, f"modelscan fixture {parts[0]}/{model_dir}"))
                continue
            if entry.is_file():
                label = _modelscan_label(rel)
                rows.append((rel, label, f"modelscan fixture {parts[0]}"))
    _write_manifest(out, rows)


_RECORDER = """
import fickling.analysis as analysis
import fickling.fickle as fickle
import hashlib, os, pytest

OUT = os.environ["PEER_CORPUS_OUT"]
_load = fickle.Pickled.load
_check = analysis.check_safety
_current = {"test": "?"}


@pytest.fixture(autouse=True)
def _name(request):
    _current["test"] = request.node.name


def load(data, *args, **kwargs):
    result = _load(data, *args, **kwargs)
    if isinstance(data, (bytes, bytearray)):
        result._raw_bytes = bytes(data)
        _record(bytes(data), "loaded")
    return result


def _record(raw, severity):
    digest = hashlib.sha256(raw).hexdigest()[:12]
    name = f"{_current['test']}-{digest}.pkl"
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(raw)
    with open(os.path.join(OUT, "verdicts.tsv"), "a") as fh:
        fh.write(f"{name}\\t{_current['test']}\\t{severity}\\n")


def check_safety(pickled, *args, **kwargs):
    result = _check(pickled, *args, **kwargs)
    raw = getattr(pickled, "_raw_bytes", None)
    if raw is None:
        try:
            raw = pickled.dumps()
        except Exception:
            raw = None
    if raw is not None:
        _record(raw, result.severity.name)
    return result


fickle.Pickled.load = staticmethod(load)
analysis.check_safety = check_safety
"""

# Tests of test_bypasses.py whose pickles the test expects to be judged safe.
_FICKLING_BENIGN_TESTS = {
    "test_safe_builtins_not_flagged",
    "test_safe_builtin_dict_not_flagged",
    "test_well_formed_frames_are_not_flagged",
}
# This test expects `_codecs.encode` and `__future__.annotations` to be judged safe and a
# dotted `__future__._ssl.RAND_bytes` unsafe.
_FICKLING_MIXED_TEST = "test_private_stdlib_allowlist"


def build_fickling(repo: Path, out: Path) -> None:
    """Run fickling's bypass tests and record every pickle they judge."""
    work = Path(tempfile.mkdtemp(prefix="fickling-tests-"))
    shutil.copytree(repo / "test", work / "test")
    (work / "test" / "conftest.py").write_text(_RECORDER, encoding="utf-8")
    raw = Path(tempfile.mkdtemp(prefix="fickling-gen-"))
    env = {**os.environ, "PEER_CORPUS_OUT": str(raw)}
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test/test_bypasses.py"],
        cwd=work,
        env=env,
        check=False,
    )
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rows = []
    seen: set[str] = set()
    for line in (raw / "verdicts.tsv").read_text().splitlines():
        name, test, _severity = line.split("\t")
        data = (raw / name).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        shutil.copyfile(raw / name, out / name)
        if test in _FICKLING_BENIGN_TESTS:
            label = "benign"
        elif test == _FICKLING_MIXED_TEST:
            label = "malicious" if b"_ssl" in data else "benign"
        else:
            label = "malicious"
        rows.append((name, label, f"fickling test/test_bypasses.py::{test}"))
    _write_manifest(out, rows)


def build_benign(out: Path) -> None:
    """Real benign models, one or more per format the README lists (our own generator)."""
    import collections.abc
    import pickle
    import tarfile
    import zipfile

    os.environ["TF_USE_LEGACY_KERAS"] = "0"
    import joblib
    import numpy as np
    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rows: list[tuple[str, str, str]] = []

    def add(rel: str, origin: str) -> Path:
        rows.append((rel, "benign", origin))
        return out / rel

    rng = np.random.default_rng(0)
    x, y = rng.random((60, 4)), rng.integers(0, 2, 60)
    pipe = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression())
    pipe.fit(x, y)
    add("sklearn_log1p_pipeline.pkl", "scikit-learn pipeline, pickle").write_bytes(
        pickle.dumps(pipe, protocol=5)
    )
    joblib.dump(pipe, add("sklearn_log1p_pipeline.joblib", "scikit-learn pipeline, joblib"))
    joblib.dump(pipe, add("sklearn_pipeline_z.joblib", "joblib, zlib"), compress=3)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    torch.save(net, add("torch_whole_module.pt", "torch.save of an nn.Module (zip)"))
    torch.save(net.state_dict(), add("torch_state_dict.pt", "torch.save state_dict (zip)"))
    torch.save(
        net.state_dict(),
        add("torch_state_dict_legacy.pt", "torch.save state_dict (legacy)"),
        _use_new_zipfile_serialization=False,
    )
    np.save(add("numpy_array.npy", "np.save"), x)
    np.savez_compressed(add("numpy_arrays.npz", "np.savez_compressed"), a=x, b=y)
    from safetensors.numpy import save_file

    save_file({"w": x.astype("float32")}, str(add("weights.safetensors", "safetensors")))
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    onnx.save(helper.make_model(graph), str(add("relu.onnx", "onnx.helper model")))
    import skops.io as sio

    sio.dump(LogisticRegression().fit(x, y), add("logreg.skops", "skops.io.dump"))
    harmless = [len, collections.abc.Iterable, __import__("__future__").annotations]
    add("builtins_abc_future.pkl", "pickle of len, Iterable, __future__").write_bytes(
        pickle.dumps(harmless, protocol=4)
    )
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.save(add("keras3_model.keras", "Keras 3 .keras"))
    model.save(add("keras3_model.h5", "Keras 3 legacy .h5"))
    model.save_weights(add("keras3.weights.h5", "Keras 3 weights .h5"))
    import tf_keras

    legacy = tf_keras.Sequential([tf_keras.Input((4,)), tf_keras.layers.Dense(2)])
    legacy.save(add("tf_keras_model.h5", "tf-keras .h5"))
    legacy.save(str(out / "tf_keras_savedmodel"))
    rows.append(("tf_keras_savedmodel", "benign", "tf-keras SavedModel folder"))
    add("tf_keras_model.pkl", "pickle of a tf-keras model").write_bytes(pickle.dumps(legacy))
    inner = out / "torch_state_dict.pt"
    with zipfile.ZipFile(add("zip_in_zip.zip", "a PyTorch zip inside a deflated zip"), "w") as z:
        z.write(inner, "model/torch_state_dict.pt", compress_type=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(
        add("zip_in_zip_stored.zip", "a PyTorch zip inside a stored zip"), "w"
    ) as z:
        z.write(inner, "model/torch_state_dict.pt")
    with tarfile.open(add("model_folder.tar.gz", "tar.gz of a joblib and a .pt"), "w:gz") as t:
        t.add(out / "sklearn_log1p_pipeline.joblib", "m/model.joblib")
        t.add(inner, "m/model.pt")
    import py7zr

    with py7zr.SevenZipFile(add("model.7z", "7z of a joblib model"), "w") as z:
        z.write(out / "sklearn_log1p_pipeline.joblib", "model.joblib")
    _write_manifest(out, rows)


def main() -> None:
    """Build the requested sample sets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--picklescan", type=Path)
    parser.add_argument("--modelscan", type=Path)
    parser.add_argument("--fickling", type=Path)
    parser.add_argument("--benign", action="store_true", help="real benign models")
    parser.add_argument("--out", type=Path, default=Path("tests/artifacts/peers"))
    args = parser.parse_args()
    if args.picklescan:
        build_picklescan(args.picklescan, args.out / "picklescan")
    if args.fickling:
        build_fickling(args.fickling, args.out / "fickling")
    if args.modelscan:
        build_modelscan(args.modelscan, args.out / "modelscan")
    if args.benign:
        build_benign(args.out / "benign-models")


if __name__ == "__main__":
    main()
