"""Each new scan path: what it catches, what it passes, and how it fails closed.

Samples are built here in ``tmp_path`` from bytes (no Keras, TensorFlow or PyTorch needed);
nothing is loaded or unpickled.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import py7zr
import pytest

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.evidence import artifact_scan, hdf5_reader
from langgraph_gates.evidence.artifact_scan import scan_artifact
from langgraph_gates.evidence.pickle_allowlist import judge_global
from langgraph_gates.evidence.pickle_scan import scan_pickle_bytes
from langgraph_gates.state import Outcome

from ..conftest import MakeCtx, run_one

EVAL = (
    b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R."
)
BENIGN = pickle.dumps({"w": [1.0, 2.0]}, protocol=4)


def _stack_global(module: str, name: str) -> bytes:
    m, n = module.encode(), name.encode()
    return b"\x8c" + bytes([len(m)]) + m + b"\x8c" + bytes([len(n)]) + n + b"\x93"


# -- FRAME consistency ----------------------------------------------------------------------


def _framed(body: bytes, declared: int) -> bytes:
    return b"\x80\x05\x95" + struct.pack("<Q", declared) + body


@pytest.mark.parametrize(
    "payload",
    [
        _framed(b"B" + struct.pack("<I", 20) + b"A" * 20 + b".", 5),
        _framed(b"\x8c\x14" + b"A" * 20 + b".", 3),
        b"\x80\x05\x95" + struct.pack("<Q", 30) + b"N\x95" + struct.pack("<Q", 2) + b"N.",
    ],
    ids=["bytes across the frame end", "string across the frame end", "frame in a frame"],
)
def test_forged_frames_are_problems(payload: bytes) -> None:
    scan = scan_pickle_bytes(payload)
    assert any("FRAME" in p for p in scan.problems), scan.problems


@pytest.mark.parametrize("protocol", [4, 5])
@pytest.mark.parametrize(
    "obj", [[1, 2, 3], b"x" * 100_000, [1, b"y" * 100_000, 2], list(range(200_000))]
)
def test_well_formed_frames_pass(obj: object, protocol: int) -> None:
    assert scan_pickle_bytes(pickle.dumps(obj, protocol=protocol)).problems == []


# -- zip members read as PyTorch reads them -------------------------------------------------


def _zip(members: dict[str, bytes], *, deflate: bool = False) -> bytes:
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _set_flags(data: bytes, bits: int) -> bytes:
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = out.find(sig)
        while i >= 0:
            flags = struct.unpack_from("<H", out, i + offset)[0] | bits
            struct.pack_into("<H", out, i + offset, flags)
            i = out.find(sig, i + 4)
    return bytes(out)


@pytest.mark.parametrize("bits", [0x20, 0x40])
def test_zip_flag_bits_do_not_hide_a_payload(tmp_path: Path, bits: int) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(_set_flags(_zip({"archive/data.pkl": EVAL}), bits))
    with zipfile.ZipFile(path) as z, pytest.raises(NotImplementedError):
        z.open("archive/data.pkl")  # what the standard library does
    scan = scan_artifact(path)
    assert scan.verdict == "unsafe" and scan.blocked[0].callable == "builtins.eval"


def test_zip_flag_bits_on_a_benign_model_are_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(_set_flags(_zip({"archive/data.pkl": BENIGN}, deflate=True), 0x40))
    assert scan_artifact(path).verdict == "pickle"


def test_zip_with_a_wrong_crc_is_still_read(tmp_path: Path) -> None:
    data = bytearray(_zip({"data.pkl": EVAL}))
    i = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, i + 16, 0xDEADBEEF)  # central directory CRC
    path = tmp_path / "m.zip"
    path.write_bytes(bytes(data))
    assert scan_artifact(path).verdict == "unsafe"


@pytest.mark.parametrize("deflate", [False, True])
def test_zip_inside_a_zip_is_scanned(tmp_path: Path, deflate: bool) -> None:
    inner = _zip({"archive/data.pkl": EVAL})
    path = tmp_path / "outer.zip"
    path.write_bytes(_zip({"model/inner.pt": inner}, deflate=deflate))
    scan = scan_artifact(path)
    assert scan.verdict == "unsafe", scan.problems
    benign = tmp_path / "benign.zip"
    benign.write_bytes(_zip({"model/inner.pt": _zip({"a/data.pkl": BENIGN})}, deflate=deflate))
    assert scan_artifact(benign).verdict == "pickle"


def test_an_encrypted_member_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "m.zip"
    path.write_bytes(_set_flags(_zip({"notes.txt": b"\x00garbage"}), 0x1))
    scan = scan_artifact(path)
    assert scan.verdict == "unparseable"
    assert any("encrypted" in p for p in scan.problems)


# -- 7z -------------------------------------------------------------------------------------


def _seven_zip(path: Path, members: dict[str, bytes], password: str | None = None) -> None:
    with py7zr.SevenZipFile(path, "w", password=password) as z:
        for name, data in members.items():
            z.writestr(data, name)


def test_7z_members_are_scanned(tmp_path: Path) -> None:
    _seven_zip(tmp_path / "bad.7z", {"data.pkl": EVAL})
    _seven_zip(tmp_path / "good.7z", {"data.pkl": BENIGN})
    assert scan_artifact(tmp_path / "bad.7z").verdict == "unsafe"
    assert scan_artifact(tmp_path / "good.7z").verdict == "pickle"


def test_7z_without_py7zr_fails_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_ctx: MakeCtx
) -> None:
    _seven_zip(tmp_path / "model.7z", {"data.pkl": BENIGN})
    monkeypatch.setitem(sys.modules, "py7zr", None)  # import py7zr now raises ImportError
    scan = scan_artifact(tmp_path / "model.7z")
    assert scan.verdict == "unparseable" and "py7zr" in scan.problems[0]
    ctx = make_ctx({"security": {"artifact": "model.7z"}})
    f = run_one(check_spec("SEC.ARTIFACT_UNSAFE"), ctx)
    assert f.outcome is Outcome.FAIL and "py7zr" in f.message


def test_encrypted_7z_fails_closed(tmp_path: Path) -> None:
    _seven_zip(tmp_path / "locked.7z", {"data.pkl": BENIGN}, password="secret")
    scan = scan_artifact(tmp_path / "locked.7z")
    assert scan.verdict == "unparseable"


# -- Keras: .keras config, .h5 model config, SavedModel keras_metadata.pb -------------------

LAMBDA_CONFIG = {
    "class_name": "Functional",
    "config": {
        "layers": [
            {"class_name": "InputLayer", "config": {"name": "in"}},
            {"class_name": "Lambda", "config": {"name": "evil", "function": ["4wEA", None]}},
        ]
    },
}
DENSE_CONFIG = {
    "class_name": "Sequential",
    "config": {"layers": [{"class_name": "Dense", "config": {"name": "d", "units": 1}}]},
}


def _weights_h5() -> bytes:
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.zeros((2, 2)))
    return buf.getvalue()


def _keras(config: object | bytes) -> bytes:
    raw = config if isinstance(config, bytes) else json.dumps(config).encode()
    return _zip({"metadata.json": b"{}", "config.json": raw, "model.weights.h5": _weights_h5()})


@pytest.mark.parametrize(
    ("config", "verdict"),
    [(LAMBDA_CONFIG, "unsafe"), (DENSE_CONFIG, "safe"), (b"{not json", "unparseable")],
)
def test_keras_v3_config(tmp_path: Path, config: object, verdict: str) -> None:
    path = tmp_path / "model.keras"
    data = bytearray(_keras(config))
    path.write_bytes(bytes(data))
    scan = scan_artifact(path)
    assert scan.verdict == verdict, (scan.blocked, scan.problems)
    if verdict == "unsafe":
        assert "Lambda" in scan.blocked[0].callable


def test_keras_archive_needs_no_h5py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model.keras").write_bytes(_keras(DENSE_CONFIG))
    monkeypatch.setitem(sys.modules, "h5py", None)
    scan = scan_artifact(tmp_path / "model.keras")
    assert scan.verdict == "safe", scan.problems
    assert any("Keras weights" in m for m in scan.members)


def test_a_renamed_zip_with_only_a_keras_config_is_judged(tmp_path: Path) -> None:
    (tmp_path / "bad.zip").write_bytes(_zip({"config.json": json.dumps(LAMBDA_CONFIG).encode()}))
    assert scan_artifact(tmp_path / "bad.zip").verdict == "unsafe"
    # Outside a .keras archive a root config.json may be any text: it is not a failure.
    (tmp_path / "ok.zip").write_bytes(_zip({"config.json": b"not json", "a.txt": b"x"}))
    assert scan_artifact(tmp_path / "ok.zip").verdict == "safe"


def test_lambda_layer_fails_the_check_naming_the_layer(make_ctx: MakeCtx, tmp_path: Path) -> None:
    (tmp_path / "model.keras").write_bytes(_keras(LAMBDA_CONFIG))
    f = run_one(check_spec("SEC.ARTIFACT_UNSAFE"), make_ctx({"security": {"artifact": "model.keras"}}))
    assert f.outcome is Outcome.FAIL
    assert "code-carrying layers: Keras Lambda layer 'evil'" in f.message


def _h5(path: Path, config: object | None) -> None:
    with h5py.File(path, "w") as f:
        f.create_dataset("w", data=np.zeros(3))
        if config is not None:
            f.attrs["model_config"] = json.dumps(config)


@pytest.mark.parametrize(
    ("config", "verdict"), [(LAMBDA_CONFIG, "unsafe"), (DENSE_CONFIG, "safe"), (None, "safe")]
)
def test_hdf5_model_config(tmp_path: Path, config: object, verdict: str) -> None:
    _h5(tmp_path / "model.h5", config)
    assert scan_artifact(tmp_path / "model.h5").verdict == verdict


def test_hdf5_without_h5py_or_unreadable_fails_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    scan = scan_artifact(tmp_path / "broken.h5")
    assert scan.verdict == "unparseable" and "HDF5" in scan.problems[0]
    _h5(tmp_path / "model.h5", DENSE_CONFIG)
    monkeypatch.setitem(sys.modules, "h5py", None)
    scan = scan_artifact(tmp_path / "model.h5")
    assert scan.verdict == "unparseable" and "h5py" in scan.problems[0]


_READY = "import sys; print('{\"ok\": true, \"ready\": true}', flush=True); "


@pytest.mark.parametrize(
    ("child", "reason"),
    [
        (_READY + "import time; time.sleep(60)", "longer than"),
        (_READY + "sys.stdin.readline(); sys.exit(3)", "died"),
    ],
    ids=["libhdf5 hangs", "libhdf5 crashes"],
)
def test_an_hdf5_reader_that_hangs_or_dies_fails_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, child: str, reason: str
) -> None:
    _h5(tmp_path / "model.h5", DENSE_CONFIG)
    hdf5_reader._stop()  # a fresh child, with the command below
    monkeypatch.setattr(hdf5_reader, "child_command", lambda: [sys.executable, "-c", child])
    monkeypatch.setattr(hdf5_reader, "TIMEOUT_S", 1.0)
    try:
        scan = scan_artifact(tmp_path / "model.h5")
    finally:
        hdf5_reader._stop()
    assert scan.verdict == "unparseable" and reason in scan.problems[0], scan.problems


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (wire type 2); payloads here are < 128 bytes... or
    longer, encoded as a varint."""
    length, out = len(payload), b""
    while True:
        byte = length & 0x7F
        length >>= 7
        out += bytes([byte | (0x80 if length else 0)])
        if not length:
            break
    return bytes([(number << 3) | 2]) + out + payload


def _saved_model(ops: list[str], function_ops: list[str] = ()) -> bytes:  # type: ignore[assignment]
    nodes = b"".join(_field(1, _field(1, b"n") + _field(2, op.encode())) for op in ops)
    fn_nodes = b"".join(_field(3, _field(1, b"f") + _field(2, op.encode())) for op in function_ops)
    library = _field(2, _field(1, fn_nodes)) if function_ops else b""
    graph = _field(2, nodes + library)
    return b"\x08\x01" + _field(2, graph)


@pytest.mark.parametrize(
    ("ops", "function_ops", "verdict"),
    [
        (["Placeholder", "MatMul"], ["SaveV2", "RestoreV2"], "safe"),
        (["Placeholder"], ["WriteFile"], "unsafe"),
        (["ReadFile"], [], "unsafe"),
    ],
)
def test_saved_model_graph_ops(
    tmp_path: Path, ops: list[str], function_ops: list[str], verdict: str
) -> None:
    folder = tmp_path / "export"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(_saved_model(ops, function_ops))
    (folder / "variables" / "variables.index").write_bytes(b"\x00\x01")
    (folder / "variables" / "variables.data-00000-of-00001").write_bytes(b"\x00" * 8)
    scan = scan_artifact(folder)
    assert scan.verdict == verdict, (scan.members, scan.blocked, scan.problems)


def test_saved_model_that_is_not_protobuf_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "saved_model.pb").write_bytes(b"\x0a\xff\xff\xff\x0f")
    scan = scan_artifact(tmp_path / "m")
    assert scan.verdict == "unparseable" and "saved_model.pb" in scan.problems[0]


def test_keras_metadata_lambda(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    record = _field(5, json.dumps(LAMBDA_CONFIG["config"]["layers"][1]).encode())  # type: ignore[index]
    (tmp_path / "m" / "keras_metadata.pb").write_bytes(_field(1, record))
    assert scan_artifact(tmp_path / "m").verdict == "unsafe"


# -- a Keras model pickled (its .keras archive embedded as bytes) ---------------------------

_DESERIALIZER = ("tf_keras.src.saving.pickle_utils", "deserialize_model_from_bytecode")


def _pickled_keras(archive: bytes) -> bytes:
    head = b"\x80\x04" + _stack_global(*_DESERIALIZER)
    if len(archive) < 256:
        payload = b"C" + bytes([len(archive)]) + archive
    else:
        payload = b"B" + struct.pack("<I", len(archive)) + archive
    return head + payload + b"\x85R."


@pytest.mark.parametrize(
    ("config", "verdict"), [(LAMBDA_CONFIG, "unsafe"), (DENSE_CONFIG, "pickle")]
)
def test_pickled_keras_model_scans_the_embedded_archive(
    tmp_path: Path, config: object, verdict: str
) -> None:
    archive = _keras({**config, "pad": "x" * 70_000})  # type: ignore[dict-item]
    (tmp_path / "model.pkl").write_bytes(_pickled_keras(archive))
    assert scan_artifact(tmp_path / "model.pkl").verdict == verdict


def test_pickled_keras_model_with_a_hidden_archive_fails_closed(tmp_path: Path) -> None:
    data = b"\x80\x04" + _stack_global(*_DESERIALIZER) + b"N\x85R."
    (tmp_path / "model.pkl").write_bytes(data)
    scan = scan_artifact(tmp_path / "model.pkl")
    assert scan.verdict == "unparseable" and "Keras" in scan.problems[0]


# -- allowlist and plain data ---------------------------------------------------------------


@pytest.mark.parametrize(
    "qualified",
    [
        "numpy._core._multiarray_umath.log1p",
        "numpy.core._multiarray_umath.sqrt",
        "torch.nn.modules.linear.Linear",
        "torch.nn.modules.container.Sequential",
        "builtins.len",
        "collections.abc.Iterable",
        "__future__.annotations",
        "__future__._Feature",
    ],
)
def test_harmless_names_are_allowed(qualified: str) -> None:
    module, name = qualified.rsplit(".", 1)
    assert judge_global(module, name).status == "allowed"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("builtins", "getattr"),
        ("numpy._core._multiarray_umath", "_reload_guard"),
        ("torch.nn.modules.module", "os.system"),
        ("__future__", "_ssl.RAND_bytes"),
        ("collections.abc", "os"),
    ],
)
def test_lookalikes_stay_blocked(module: str, name: str) -> None:
    assert judge_global(module, name).status != "allowed"


def test_png_named_pt_is_not_a_model_failure(tmp_path: Path) -> None:
    (tmp_path / "model.pt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    assert scan_artifact(tmp_path / "model.pt").verdict == "safe"


# -- a scanner error never improves a verdict -----------------------------------------------


def test_a_scanner_bug_fails_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_ctx: MakeCtx
) -> None:
    (tmp_path / "model.pkl").write_bytes(BENIGN)

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("reader exploded")

    monkeypatch.setattr(artifact_scan, "_blob_parts", boom)
    scan = scan_artifact(tmp_path / "model.pkl")
    assert scan.verdict == "unparseable" and "reader exploded" in scan.problems[0]
    monkeypatch.setattr(artifact_scan, "_file_parts", boom)
    assert scan_artifact(tmp_path / "model.pkl").verdict == "unparseable"
    ctx = make_ctx({"security": {"artifact": "model.pkl"}})
    assert run_one(check_spec("SEC.ARTIFACT_UNSAFE"), ctx).outcome is Outcome.FAIL
