"""Archives inside an artifact (zip, tar, 7z): every member is handed back to the scanner.

Zip members are read the way PyTorch reads them, whatever their flag bits and CRC say
(:mod:`~langgraph_gates.evidence.zip_reader`); 7z needs ``py7zr`` and fails closed without it.
Each member is recognised by ``lim.scan_blob`` one level deeper.
"""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from functools import partial
from typing import IO

from langgraph_gates.evidence import zip_reader
from langgraph_gates.evidence.archive_7z import sevenzip_members
from langgraph_gates.evidence.artifact_formats import _keras_config_part
from langgraph_gates.evidence.artifact_io import (
    MAX_NESTED_BYTES,
    Opener,
    _closing_member,
    _guarded,
    _Limits,
    _seekable,
    _UnverifiableError,
)
from langgraph_gates.evidence.artifact_verdict import _Part, _problem_part

MAX_MEMBERS = 10_000
_SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"


def _is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


def _archive_parts(
    name: str, head: bytes, opener: Opener, lim: _Limits, depth: int
) -> list[_Part] | None:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_parts(name, _seekable(opener, lim), lim, depth)
    if head.startswith(_SEVEN_ZIP_MAGIC):
        return _sevenzip_parts(name, opener, lim, depth)
    if _is_tar(head):
        return _tar_parts(name, _seekable(opener, lim), lim, depth)
    return None


def _zip_kind(names: set[str], infos: list[zipfile.ZipInfo]) -> str:
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return "PyTorch zip"
    if "config.json" in names and ("model.weights.h5" in names or "metadata.json" in names):
        return "Keras (.keras)"
    if "schema.json" in names:
        return "skops"
    if infos and all(n.endswith(".npy") for n in names):
        return "numpy .npz"
    return "zip archive"


def _zip_opener(opener: Opener, info: zipfile.ZipInfo, size: int) -> Opener:
    def open_member() -> IO[bytes]:
        # A fresh handle per pass: the archive is reopened, members are streamed.
        if info.compress_type in zip_reader.LENIENT_METHODS:
            return zip_reader.open_member(opener(), info, size)
        outer = opener()
        zf2 = zipfile.ZipFile(outer)
        return _closing_member(zf2.open(info), zf2, outer)

    return open_member


def _zip_parts(name: str, opener: Opener, lim: _Limits, depth: int) -> list[_Part]:
    with opener() as raw:
        size = raw.seek(0, os.SEEK_END)
        raw.seek(0)
        with zipfile.ZipFile(raw) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    names = {i.filename for i in infos}
    if len(infos) > MAX_MEMBERS:
        return [_problem_part(name, "zip archive", f"more than {MAX_MEMBERS:,} members")]
    kind = _zip_kind(names, infos)
    parts = [_Part(name, kind)]
    for info in infos:
        member = f"{name}!{info.filename}"
        open_member = _zip_opener(opener, info, size)
        if kind == "Keras (.keras)" and info.filename == "model.weights.h5":
            # Keras reads only tensors from this file (its config is config.json): no code.
            parts.append(_Part(member, "Keras weights (HDF5 tensors)"))
            continue
        if info.filename == "config.json":
            # Keras loads a root config.json even without its companions (a renamed zip),
            # so every archive's root config.json is read for code-carrying layers.
            strict = kind == "Keras (.keras)"
            parts += _guarded(member, partial(_keras_config_part, member, open_member, strict))
            continue
        found = _guarded(
            member, partial(lim.scan_blob, member, open_member, info.file_size, lim, depth + 1)
        )
        if info.flag_bits & 0x1:
            # PyTorch ignores the flag and reads the bytes: scan them as it would, but a
            # really encrypted member cannot be verified, so it fails closed either way.
            found.append(
                _problem_part(member, "encrypted member", "encrypted, cannot be inspected")
            )
        parts += found
    return parts


def _tar_parts(name: str, opener: Opener, lim: _Limits, depth: int) -> list[_Part]:
    parts = [_Part(name, "tar archive")]
    with opener() as fh, tarfile.open(fileobj=fh, mode="r:*") as tf:
        members = [m for m in tf.getmembers()[: MAX_MEMBERS + 1] if m.isfile()]
    if len(members) > MAX_MEMBERS:
        parts[0].scan.problems.append(f"{name}: more than {MAX_MEMBERS:,} members")
        return parts
    for m in members:

        def open_member(m: tarfile.TarInfo = m) -> IO[bytes]:
            fh2 = opener()
            tf2 = tarfile.open(fileobj=fh2, mode="r:*")  # noqa: SIM115 - closed by _ClosingMember
            member = tf2.extractfile(m)
            if member is None:
                raise _UnverifiableError(f"tar member {m.name!r} cannot be read")
            return _closing_member(member, tf2, fh2)

        member_name = f"{name}!{m.name}"
        parts += _guarded(
            member_name, partial(lim.scan_blob, member_name, open_member, m.size, lim, depth + 1)
        )
    return parts


def _sevenzip_parts(name: str, opener: Opener, lim: _Limits, depth: int) -> list[_Part]:
    from langgraph_gates.evidence.archive_7z import SevenZipError

    seekable = _seekable(opener, lim)
    try:
        with seekable() as fh:
            members = sevenzip_members(fh, max_bytes=min(lim.max_decompressed, MAX_NESTED_BYTES))
    except SevenZipError as exc:
        return [_problem_part(name, "7z archive", str(exc))]
    parts = [_Part(name, "7z archive")]
    for member_name, data in members:
        member = f"{name}!{member_name}"
        parts += _guarded(
            member,
            partial(lim.scan_blob, member, partial(io.BytesIO, data), len(data), lim, depth + 1),
        )
    return parts
