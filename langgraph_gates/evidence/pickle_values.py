"""The value model of the symbolic pickle machine, and what the scan reports.

Literals are kept (small ones), imports become :class:`_Global` values, calls become
:class:`_Instance` values with their ``BUILD`` state, and everything whose content does not
matter is :data:`OPAQUE`. Reading joblib's array metadata (shape, dtype) back from these
values is here too, as is the scan's result (:class:`StreamScan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langgraph_gates.evidence.pickle_allowlist import normalise
from langgraph_gates.evidence.pickle_opcodes import PickleScanError

__all__ = ["OPAQUE", "EmbeddedModel", "ImportedGlobal", "StreamScan"]

MAX_CONTAINER_ITEMS = 64
"""Items kept per symbolic tuple or dict (only small metadata needs to be read back)."""


@dataclass(frozen=True)
class _Global:
    module: str
    name: str
    pos: int


class _Instance:
    """The symbolic result of a call (``REDUCE``, ``NEWOBJ``, ``OBJ``, ``INST``)."""

    __slots__ = ("args", "func", "state")

    def __init__(self, func: Any, args: Any) -> None:
        self.func = func
        self.args = args
        self.state: Any = None


class _Opaque:
    """A value whose content does not matter to the scan (lists, sets, arrays, buffers ...)."""

    __slots__ = ()


OPAQUE = _Opaque()


class _Dict:
    """A symbolic dict keeping its first items (enough for joblib's wrapper state)."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[tuple[Any, Any]] = []

    def set(self, key: Any, value: Any) -> None:
        for i, (k, _) in enumerate(self.items):
            if type(k) is type(key) and k == key:
                self.items[i] = (key, value)
                return
        if len(self.items) < MAX_CONTAINER_ITEMS:
            self.items.append((key, value))

    def get(self, key: str) -> Any:
        for k, v in self.items:
            if k == key and isinstance(k, str):
                return v
        return None

    def has(self, key: str) -> bool:
        return any(k == key and isinstance(k, str) for k, _ in self.items)


@dataclass(frozen=True)
class ImportedGlobal:
    """One callable a pickle imports, where, and how it is judged."""

    module: str
    name: str
    stream: str
    pos: int
    status: str
    reason: str

    @property
    def qualified(self) -> str:
        """``module.name`` after mapping Python 2 names (``__builtin__`` -> ``builtins``)."""
        module, name = normalise(self.module, self.name)
        return f"{module}.{name}"


@dataclass(frozen=True)
class EmbeddedModel:
    """A model archive embedded in a pickle as bytes (Keras' pickle support).

    ``keras``/``tf_keras`` pickle a model as ``deserialize_model_from_bytecode(<.keras zip>)``,
    which loads the archive with ``safe_mode=False``: the archive must be scanned too.
    """

    stream: str
    pos: int
    data: bytes | None = None
    start: int = -1
    size: int = 0


_KERAS_DESERIALIZERS = frozenset(
    f"{pkg}.saving.pickle_utils.deserialize_model_from_bytecode"
    for pkg in ("keras", "keras.src", "tf_keras", "tf_keras.src", "keras.src.legacy")
)


def _is_keras_deserializer(value: Any) -> bool:
    return isinstance(value, _Global) and f"{value.module}.{value.name}" in _KERAS_DESERIALIZERS


@dataclass
class StreamScan:
    """What scanning one or more pickle streams found."""

    imports: list[ImportedGlobal] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    streams: int = 0
    opcodes: int = 0
    arrays: int = 0
    joblib: bool = False
    trailing_bytes: int = 0
    embedded: list[EmbeddedModel] = field(default_factory=list)
    """Model archives passed as bytes to a Keras deserializer (scanned by the caller)."""

    @property
    def blocked(self) -> list[ImportedGlobal]:
        """Imports that are dangerous or not on the allowlist."""
        return [g for g in self.imports if g.status != "allowed"]

    def merge(self, other: StreamScan) -> None:
        """Add another scan's results to this one."""
        self.imports += other.imports
        self.problems += other.problems
        self.notes += other.notes
        self.streams += other.streams
        self.opcodes += other.opcodes
        self.arrays += other.arrays
        self.joblib = self.joblib or other.joblib
        self.trailing_bytes += other.trailing_bytes
        self.embedded += other.embedded


def _class_of(value: Any) -> _Global | None:
    """The class an instance was made from (directly, or through copyreg's reconstructors)."""
    if not isinstance(value, _Instance):
        return None
    func = value.func
    if isinstance(func, _Global):
        module, name = normalise(func.module, func.name)
        if module == "copyreg" and name in ("_reconstructor", "__newobj__", "__newobj_ex__"):
            args = value.args
            if isinstance(args, tuple) and args and isinstance(args[0], _Global):
                return args[0]
            return None
        return func
    return None


def _is_joblib_wrapper(value: Any) -> bool:
    cls = _class_of(value)
    return (
        cls is not None
        and cls.name == "NumpyArrayWrapper"
        and cls.module.split(".")[-1] == "numpy_pickle"
    )


_DTYPE_CODE_SIZES = {"?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "l": 8, "L": 8}


def _dtype_info(dtype: Any, depth: int = 0) -> tuple[int, bool]:
    """Item size and whether a symbolic ``numpy.dtype(...)`` instance holds Python objects."""
    if depth > 8 or not isinstance(dtype, _Instance) or not isinstance(dtype.args, tuple):
        raise PickleScanError("a joblib array has a dtype that cannot be read statically")
    descr = dtype.args[0] if dtype.args else None
    if not isinstance(descr, str) or not descr:
        raise PickleScanError("a joblib array has a dtype that cannot be read statically")
    body = descr.lstrip("<>|=")
    kind = body[:1]
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    has_object = kind == "O"
    subarray = state[2] if len(state) > 2 else None
    if isinstance(subarray, tuple) and subarray:
        has_object = has_object or _dtype_info(subarray[0], depth + 1)[1]
    fields = state[4] if len(state) > 4 else None
    if isinstance(fields, _Dict):
        for _, spec in fields.items:
            if isinstance(spec, tuple) and spec:
                has_object = has_object or _dtype_info(spec[0], depth + 1)[1]
    elsize = state[5] if len(state) > 5 else None
    if isinstance(elsize, int) and not isinstance(elsize, bool) and elsize > 0:
        return elsize, has_object
    digits = body[1:]
    if digits.isdigit():
        return int(digits), has_object
    if body in _DTYPE_CODE_SIZES:
        return _DTYPE_CODE_SIZES[body], has_object
    raise PickleScanError(f"a joblib array has an unknown dtype {descr[:20]!r}")


def _array_count(shape: Any) -> int:
    if not isinstance(shape, tuple):
        raise PickleScanError("a joblib array has a shape that is not a tuple")
    count = 1
    for dim in shape:
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 0:
            raise PickleScanError("a joblib array has a shape that is not made of integers")
        count *= dim
    return count
