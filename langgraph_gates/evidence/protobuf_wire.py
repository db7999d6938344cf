"""A minimal protobuf wire-format reader (no schema, no protobuf package, no TensorFlow).

Enough to walk a SavedModel's ``saved_model.pb`` and a tf-keras ``keras_metadata.pb`` by field
number: varints, fixed 32/64-bit values and length-delimited fields (returned as memoryviews, to be
decoded again by the caller when the schema says they are messages). Malformed input raises
:class:`ProtobufError`; nothing is executed.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["ProtobufError", "fields"]


class ProtobufError(Exception):
    """The bytes are not a well-formed protobuf message."""


def _varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            msg = "truncated varint"
            raise ProtobufError(msg)
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            msg = "varint longer than 10 bytes"
            raise ProtobufError(msg)


def fields(data: bytes | memoryview) -> Iterator[tuple[int, int | memoryview]]:
    """Yield ``(field_number, value)``: an int for varint/fixed fields, else a memoryview.

    Length-delimited values are zero-copy views into ``data`` (a model graph nests messages
    several levels deep; copying each level would copy the graph as many times).
    """
    data = data if isinstance(data, memoryview) else memoryview(data)
    pos = 0
    end = len(data)
    while pos < end:
        key = data[pos]
        if key < 0x80:  # one-byte keys are the rule (field numbers below 16)
            pos += 1
        else:
            key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            msg = "field number 0"
            raise ProtobufError(msg)
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == 1:
            if pos + 8 > end:
                raise ProtobufError("truncated fixed64")
            yield number, int.from_bytes(data[pos : pos + 8], "little")
            pos += 8
        elif wire == 2:
            if pos < end and data[pos] < 0x80:
                length = data[pos]
                pos += 1
            else:
                length, pos = _varint(data, pos)
            if pos + length > end:
                raise ProtobufError("a length-delimited field runs past the end")
            yield number, data[pos : pos + length]
            pos += length
        elif wire == 5:
            if pos + 4 > end:
                raise ProtobufError("truncated fixed32")
            yield number, int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        else:
            msg = f"unsupported wire type {wire}"
            raise ProtobufError(msg)
