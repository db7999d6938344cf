"""Which callables a pickle may import: the allowlist behind SEC.ARTIFACT_UNSAFE.

A pickle runs code on load through the callables it imports (``GLOBAL``, ``STACK_GLOBAL``,
``INST``) and then calls (``REDUCE``, ``NEWOBJ``, ``OBJ``, ``BUILD``). The scanner collects every
import and judges it here: an *allowlist* (anything else fails), plus a list of callables that
are known to be dangerous so that the finding can say so plainly.

Allowed by default: numpy's array, dtype, scalar and random-generator reconstructors and its
ufuncs; scipy sparse matrices; scikit-learn, xgboost and lightgbm classes; joblib's numpy wrapper;
a few ``collections``, ``datetime`` and ``decimal`` types; a safe subset of builtins;
``copyreg``'s reconstructors; ``_codecs.encode``; PyTorch's tensor rebuild functions, storage
types and dtypes. Package-wide rules (``sklearn`` ...) admit only class-like names that are not
known re-exports of the standard library (``GzipFile``, ``Path``, ``Thread`` ... can write files
or start threads) and never dotted names (with protocol 4+, ``module.os.system`` would walk from
a harmless module to ``os.system``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Judgement", "judge_global", "normalise"]

Status = Literal["allowed", "dangerous", "not_allowed"]


def _words(text: str) -> list[str]:
    return text.split()


_NUMPY_UFUNCS = _words(
    "abs absolute acos acosh add arccos arccosh arcsin arcsinh arctan arctan2 arctanh asin "
    "asinh atan atan2 atanh bitwise_and bitwise_count bitwise_invert bitwise_left_shift "
    "bitwise_not bitwise_or bitwise_right_shift bitwise_xor cbrt ceil conj conjugate copysign "
    "cos cosh deg2rad degrees divide divmod equal exp exp2 expm1 fabs float_power floor "
    "floor_divide fmax fmin fmod frexp gcd greater greater_equal heaviside hypot invert isfinite "
    "isinf isnan isnat lcm ldexp left_shift less less_equal log log10 log1p log2 logaddexp "
    "logaddexp2 logical_and logical_not logical_or logical_xor matmul maximum minimum mod modf "
    "multiply negative nextafter not_equal positive pow power rad2deg radians reciprocal "
    "remainder right_shift rint sign signbit sin sinh spacing sqrt square subtract tan tanh "
    "true_divide trunc"
)

_NUMPY_SCALARS = _words(
    "bool bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 intc uintc intp uintp int_ "
    "uint long ulong longlong ulonglong short ushort byte ubyte float16 float32 float64 half "
    "single double longdouble complex64 complex128 csingle cdouble clongdouble str_ bytes_ "
    "object_ datetime64 timedelta64 void generic number"
)

_NUMPY_DTYPE_CLASSES = _words(
    "BoolDType ByteDType BytesDType CLongDoubleDType Complex128DType Complex64DType "
    "DateTime64DType Float16DType Float32DType Float64DType Int16DType Int32DType Int64DType "
    "Int8DType IntDType LongDType LongDoubleDType LongLongDType ObjectDType ShortDType StrDType "
    "StringDType TimeDelta64DType UByteDType UInt16DType UInt32DType UInt64DType UInt8DType "
    "UIntDType ULongDType ULongLongDType UShortDType VoidDType"
)

_TORCH_STORAGE_KINDS = _words(
    "Float Double Half BFloat16 Long Int Short Char Byte Bool ComplexFloat ComplexDouble QUInt8 "
    "QInt8 QInt32 QUInt4x2 QUInt2x4"
)
_TORCH_TENSOR_KINDS = _words("Float Double Half BFloat16 Long Int Short Char Byte Bool")
_TORCH_DTYPES = _words(
    "float32 float64 float16 bfloat16 float double half int8 int16 int32 int64 uint8 uint16 "
    "uint32 uint64 bool complex64 complex128 cfloat cdouble qint8 quint8 qint32 quint4x2 "
    "quint2x4 float8_e4m3fn float8_e5m2 float8_e4m3fnuz float8_e5m2fnuz long int short"
)
_TORCH_REBUILD = _words(
    "_rebuild_tensor _rebuild_tensor_v2 _rebuild_tensor_v3 _rebuild_parameter "
    "_rebuild_parameter_with_state _rebuild_qtensor _rebuild_sparse_tensor "
    "_rebuild_meta_tensor_no_storage _rebuild_wrapper_subclass "
    "_rebuild_device_tensor_from_cpu_tensor"
)


_SPARSE_FORMATS = _words("csr csc coo bsr dia dok lil")

# The exact allowlist as data: each row is (modules, names), and every module.name of a row is
# allowed. Rows that need a reason carry it in a comment.
_EXACT_ROWS: tuple[tuple[tuple[str, ...], list[str]], ...] = (
    (("numpy.core.multiarray", "numpy._core.multiarray"), ["_reconstruct", "scalar"]),
    (("numpy.core.numeric", "numpy._core.numeric"), ["_frombuffer"]),
    (("numpy",), ["ndarray", "dtype", "matrix", "recarray", "record"]),
    (("numpy",), _NUMPY_UFUNCS + _NUMPY_SCALARS),
    # A ufunc pickles under the module that defines it: numpy 2 writes e.g.
    # 'numpy._core._multiarray_umath.log1p' (FunctionTransformer(np.log1p) in a pipeline).
    (("numpy.core._multiarray_umath", "numpy._core._multiarray_umath"), _NUMPY_UFUNCS),
    (
        ("numpy.core.numeric", "numpy._core.numeric", "numpy.core", "numpy._core"),
        ["dtype", "ndarray"],
    ),
    (("numpy.dtypes",), _NUMPY_DTYPE_CLASSES),
    (("numpy.ma.core",), ["_mareconstruct", "MaskedArray"]),
    (("numpy.ma",), ["MaskedArray"]),
    (
        ("numpy.random._pickle",),
        ["__randomstate_ctor", "__generator_ctor", "__bit_generator_ctor"],
    ),
    (("numpy.random.bit_generator",), ["SeedSequence", "__pyx_unpickle_SeedSequence"]),
    (("numpy.random._mt19937",), ["MT19937"]),
    (("numpy.random._pcg64",), ["PCG64", "PCG64DXSM"]),
    (("numpy.random._philox",), ["Philox"]),
    (("numpy.random._sfc64",), ["SFC64"]),
    (("numpy.random.mtrand",), ["RandomState"]),
    (("numpy.random._generator",), ["Generator"]),
    # scikit-learn functions that its own pickles reference (tree / distance reconstructors,
    # univariate score functions kept by SelectKBest & co).
    (
        (
            "sklearn.neighbors._kd_tree",
            "sklearn.neighbors._ball_tree",
            "sklearn.metrics._dist_metrics",
        ),
        ["newObj"],
    ),
    (
        ("sklearn.feature_selection._univariate_selection",),
        ["f_classif", "f_regression", "chi2", "r_regression", "f_oneway"],
    ),
    (
        ("sklearn.feature_selection._mutual_info",),
        ["mutual_info_classif", "mutual_info_regression"],
    ),
    # scipy's sparse classes have lower-case names, so the class-like rule cannot admit them;
    # scipy.sparse.<fmt> is the module layout of scipy < 1.8.
    *(
        (
            ("scipy.sparse", f"scipy.sparse._{fmt}", f"scipy.sparse.{fmt}"),
            [f"{fmt}_matrix", f"{fmt}_array"],
        )
        for fmt in _SPARSE_FORMATS
    ),
    (("joblib.numpy_pickle",), ["NumpyArrayWrapper"]),
    # Keras' pickle support: allowed because the scanner locates the model archive passed to
    # it and scans that archive too (pickle_scan.EmbeddedModel); if it cannot, the file fails.
    (
        tuple(
            f"{pkg}.saving.pickle_utils"
            for pkg in ("keras", "keras.src", "tf_keras", "tf_keras.src", "keras.src.legacy")
        ),
        ["deserialize_model_from_bytecode"],
    ),
    (("collections",), ["OrderedDict", "defaultdict", "deque", "Counter"]),
    (("copyreg",), ["_reconstructor", "__newobj__", "__newobj_ex__"]),
    (("_codecs",), ["encode"]),
    (("datetime",), ["date", "datetime", "time", "timedelta", "timezone"]),
    (("decimal",), ["Decimal"]),
    (
        ("builtins",),
        _words(
            "set frozenset slice complex bytearray bytes range object int float str list dict "
            "tuple bool Ellipsis NotImplemented"
        ),
    ),
    # Pure functions of their arguments: they neither import, call back, nor touch files
    # (iter, map, filter and getattr are left out: they call what they are given).
    (
        ("builtins",),
        _words(
            "len abs min max sum round pow divmod hash repr ascii chr ord hex oct bin sorted "
            "reversed enumerate zip isinstance issubclass callable id all any"
        ),
    ),
    # Abstract base classes and __future__ feature flags: references, nothing runs.
    (
        ("collections.abc",),
        _words(
            "Iterable Iterator Generator Reversible Container Collection Hashable Sized "
            "Callable Sequence MutableSequence Set MutableSet Mapping MutableMapping "
            "MappingView KeysView ItemsView ValuesView ByteString Awaitable Coroutine "
            "AsyncIterable AsyncIterator AsyncGenerator Buffer"
        ),
    ),
    (
        ("__future__",),
        _words(
            "nested_scopes generators division absolute_import with_statement print_function "
            "unicode_literals barry_as_FLUFL generator_stop annotations _Feature"
        ),
    ),
    (("torch._utils",), _TORCH_REBUILD),
    (("torch", "torch.cuda"), [f"{k}Storage" for k in _TORCH_STORAGE_KINDS]),
    (("torch", "torch.cuda"), [f"{k}Tensor" for k in _TORCH_TENSOR_KINDS]),
    (("torch",), _TORCH_DTYPES),
    (("torch.storage",), ["UntypedStorage", "TypedStorage"]),
    (
        ("torch",),
        _words(
            "UntypedStorage Size Tensor device strided sparse_coo contiguous_format "
            "channels_last preserve_format per_tensor_affine per_tensor_symmetric "
            "per_channel_affine per_channel_symmetric per_channel_affine_float_qparams"
        ),
    ),
    (("torch.serialization",), ["_get_layout"]),
    (("torch.nn.parameter",), ["Parameter"]),
    (("torch._tensor",), ["_rebuild_from_type_v2"]),
)

SAFE_EXACT: frozenset[str] = frozenset(
    f"{module}.{name}" for modules, names in _EXACT_ROWS for module in modules for name in names
)
"""Callables allowed by exact ``module.name`` (the package-wide rules follow)."""

# Packages whose *classes* may appear (estimators, boosters, sparse matrices): class-like
# names only, never dotted, never from the sub-packages below.
# torch.nn.modules: a whole module saved with torch.save pickles its layer classes
# (torch.nn.modules.linear.Linear ...); their __setstate__ only restores attributes.
_CLASS_PACKAGES = ("sklearn", "scipy.sparse", "xgboost", "lightgbm", "torch.nn.modules")
_DENIED_SUBPACKAGES = (
    "sklearn.datasets",
    "sklearn.externals",
    "sklearn.utils._testing",
    "sklearn.utils.estimator_checks",
    "sklearn.utils._show_versions",
    "sklearn.conftest",
    "sklearn._build_utils",
    "sklearn.__check_build",
    "xgboost.testing",
    "xgboost.tracker",
    "xgboost.spark",
    "xgboost.dask",
    "lightgbm.dask",
)
_CLASS_LIKE = re.compile(r"_*[A-Z][A-Za-z0-9_]*")
# Class-like names that these packages import from the standard library or joblib: they open
# or write files, start threads or servers, or build functions, so no wildcard admits them.
_REEXPORTED_CLASSES = frozenset(
    _words(
        "GzipFile NamedTemporaryFile TemporaryDirectory Path PurePath PosixPath WindowsPath "
        "Thread Timer Process Pool HTTPServer BaseHTTPRequestHandler Memory Parallel "
        "ModuleType Namespace MethodType FunctionType CodeType LambdaType Popen PathLike "
        "Request StringIO BytesIO FileIO TextIOWrapper BufferedReader ZipFile TarFile "
        "ThreadPoolExecutor ProcessPoolExecutor CDLL PyDLL"
    )
)

_DANGEROUS_MODULES = frozenset(
    _words(
        "os posix nt subprocess sys runpy importlib webbrowser socket shutil pty ctypes code "
        "codeop pickle _pickle cPickle dill cloudpickle marshal multiprocessing asyncio pdb bdb "
        "timeit cProfile profile trace platform commands popen2 http urllib urllib2 urllib3 "
        "requests httplib ftplib smtplib telnetlib zipimport pkgutil ensurepip venv distutils "
        "setuptools pip _posixsubprocess _winapi signal threading _thread types inspect "
        "tempfile pathlib io _io glob ast"
    )
)
_DANGEROUS_NAMES = frozenset(
    _words(
        "builtins.eval builtins.exec builtins.execfile builtins.compile builtins.open "
        "builtins.getattr builtins.setattr builtins.delattr builtins.__import__ builtins.globals "
        "builtins.locals builtins.vars builtins.input builtins.breakpoint builtins.apply "
        "builtins.file builtins.reload builtins.type builtins.memoryview builtins.help "
        "builtins.exit builtins.quit "
        "operator.methodcaller operator.attrgetter operator.itemgetter functools.partial "
        "functools.reduce functools.partialmethod "
        "numpy.load numpy.loadtxt numpy.genfromtxt numpy.fromfile numpy.save numpy.savez "
        "numpy.savetxt numpy.memmap numpy.core._ufunc_reconstruct numpy._core._ufunc_reconstruct "
        "numpy.testing._private.utils.runstring numpy.ctypeslib.load_library "
        "torch.load torch.hub.load joblib.load joblib.dump"
    )
)

# Python 2 names that the unpickler maps to Python 3 ones (pickle's fix_imports).
# Copies, so the stdlib's tables are never the ones this module hands around.
_IMPORT_MAPPING: dict[str, str]
_NAME_MAPPING: dict[tuple[str, str], tuple[str, str]]
try:
    import _compat_pickle

    _IMPORT_MAPPING = dict(_compat_pickle.IMPORT_MAPPING)
    _NAME_MAPPING = dict(_compat_pickle.NAME_MAPPING)
except ImportError:  # pragma: no cover - part of CPython
    _IMPORT_MAPPING, _NAME_MAPPING = {}, {}


def normalise(module: str, name: str) -> tuple[str, str]:
    """Map a Python 2 module/name (``__builtin__.eval``) to the one Python 3 imports."""
    if (module, name) in _NAME_MAPPING:
        return _NAME_MAPPING[(module, name)]
    return _IMPORT_MAPPING.get(module, module), name


@dataclass(frozen=True)
class Judgement:
    """How one imported callable is judged."""

    status: Status
    reason: str


def _in_package(module: str, packages: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _matches_extra(qualified: str, extra: Iterable[str]) -> bool:
    return any(entry.strip() == qualified for entry in extra)


def _matches_extra_package(module: str, name: str, extra: Iterable[str]) -> bool:
    # A package rule from the policy: any undotted name inside it (checked after the
    # dangerous names, so 'pkg.*' never admits e.g. a module's re-exported 'os').
    packages = [e.strip()[:-2] for e in extra if e.strip().endswith(".*")]
    return "." not in name and _in_package(module, packages)


def _dangerous(module: str, name: str) -> bool:
    top = module.split(".", 1)[0]
    return (
        top in _DANGEROUS_MODULES
        or f"{module}.{name}" in _DANGEROUS_NAMES
        or name.split(".", 1)[0] in _DANGEROUS_MODULES
    )


def judge_global(module: str, name: str, extra: Iterable[str] = ()) -> Judgement:
    """Judge one imported callable (module and name as written in the pickle).

    Args:
        module: the module the pickle imports from (e.g. ``os`` or ``__builtin__``).
        name: the name it imports (may be dotted with protocol 4+).
        extra: policy entries that add to the allowlist: exact ``module.name`` strings or
            ``package.*`` rules (undotted names inside the package).
    """
    module, name = normalise(module, name)
    qualified = f"{module}.{name}"
    if qualified in SAFE_EXACT or _matches_extra(qualified, extra):
        return Judgement("allowed", "on the allowlist")
    if _dangerous(module, name):
        return Judgement("dangerous", "can run commands or code, or touch files, on load")
    if name in _REEXPORTED_CLASSES:
        return Judgement("not_allowed", "not on the allowlist")
    if _matches_extra_package(module, name, extra):
        return Judgement("allowed", "in a package the policy allows")
    if (
        _in_package(module, _CLASS_PACKAGES)
        and not _in_package(module, _DENIED_SUBPACKAGES)
        and ".tests" not in module
        and _CLASS_LIKE.fullmatch(name)
    ):
        return Judgement("allowed", "a class of an allowlisted package")
    return Judgement("not_allowed", "not on the allowlist")
