"""PyTorch's names for things this library has under other names, so that PyTorch programs run
with only the import changed: dtype aliases (``ag.float32``, ``ag.long``...), ``ag.finfo``,
the device API (``ag.device``, ``device=``, ``Tensor.to("cpu")``, ``ag.cuda.is_available()``),
and the ``.data`` habits (``p.data -= lr * p.grad``, ``p.data = tensor``).

Everything runs on the CPU: ``"cpu"`` is the one device, and any other device (``"cuda"``,
``"mps"``...) raises a ``ValueError`` saying so when a tensor would be made or moved there
(``ag.device("cuda")`` itself can be built, as in PyTorch, so that
``device = ag.device("cuda" if ag.cuda.is_available() else "cpu")`` works).
"""
from __future__ import annotations

import types
from typing import Any

import numpy as np

from autograd_lite import dtypes as _dtypes
from autograd_lite.array_module import is_array
from autograd_lite.tensor import Tensor

__all__ = ["device", "check_device", "is_device", "to_args", "finfo", "iinfo", "tensor", "cuda",
           "backends", "accelerator", "DTYPES", "from_numpy", "is_tensor", "inference_mode"]

#: PyTorch's dtype names, as NumPy dtypes (``t.dtype == ag.float32`` works).
DTYPES = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
    "float16": np.float16, "half": np.float16, "int64": np.int64, "long": np.int64,
    "int32": np.int32, "int": np.int32, "int16": np.int16, "short": np.int16,
    "int8": np.int8, "uint8": np.uint8, "bool": np.bool_,
    "complex64": np.complex64, "complex128": np.complex128, "cfloat": np.complex64,
    "cdouble": np.complex128,
}
DTYPES = {k: np.dtype(v) for k, v in DTYPES.items()}

_KNOWN_DEVICES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "mtia", "privateuseone")


class device:  # noqa: N801  (PyTorch's spelling)
    """``torch.device``: ``ag.device("cpu")``, ``ag.device("cuda", 0)``, ``ag.device("cuda:1")``.

    Any device type PyTorch knows can be named; only ``"cpu"`` can hold tensors (the others
    raise when used). Compares equal to another device of the same type and index, and to its
    string (``ag.device("cpu") == "cpu"``).
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if isinstance(type, int) and not isinstance(type, bool):
            raise ValueError(f"device: ordinal {type} names a CUDA device; autograd_lite runs "
                             "on the CPU only (device 'cpu')")
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string like 'cpu', got {type!r}")
        name, _, idx = type.partition(":")
        if name not in _KNOWN_DEVICES:
            raise ValueError(f"device: unknown device type {name!r} (autograd_lite supports "
                             "only 'cpu')")
        if idx:
            if index is not None:
                raise ValueError(f"device: index given twice in device({type!r}, {index})")
            if not idx.isdigit():
                raise ValueError(f"device: invalid device string {type!r}")
            index = int(idx)
        self.type = name
        self.index = index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (TypeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


_CPU = device("cpu")


def is_device(x: Any) -> bool:
    """Whether ``x`` names a device (an ``ag.device`` or a string like ``"cpu"``,
    ``"cuda:0"``), rather than a dtype."""
    if isinstance(x, device):
        return True
    return isinstance(x, str) and x.partition(":")[0] in _KNOWN_DEVICES


def check_device(d: Any, op: str = "tensor") -> None:
    """Accept ``None``, ``"cpu"`` or ``ag.device("cpu")``; raise a ``ValueError`` for any
    other device (autograd_lite has no GPU backend)."""
    if d is None:
        return
    if isinstance(d, (int, np.integer)) and not isinstance(d, bool):
        d = f"cuda:{int(d)}"  # PyTorch reads a bare ordinal as a CUDA device
    dev = d if isinstance(d, device) else device(d)
    if dev.type != "cpu":
        raise ValueError(f"{op}: device {str(dev)!r} is not available: autograd_lite runs on "
                         "the CPU only (use device='cpu', or leave device out)")


def finfo(dtype: Any = None) -> np.finfo:
    """``torch.finfo``: NumPy's ``finfo`` (``eps``, ``max``, ``min``, ``tiny``, ``bits``) of a
    floating dtype, the default dtype when none is given."""
    return np.finfo(_dtypes.get_default_dtype() if dtype is None else dtype)


def iinfo(dtype: Any) -> np.iinfo:
    """``torch.iinfo``: NumPy's ``iinfo`` (``min``, ``max``, ``bits``) of an integer dtype."""
    return np.iinfo(dtype)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, *, device: Any = None,
           pin_memory: bool = False) -> Tensor:
    """A new Tensor holding a copy of ``data`` (``torch.tensor``): Python floats get the
    default dtype (float32 unless [`set_default_dtype`][autograd_lite.set_default_dtype]),
    ints int64, bools bool; arrays keep theirs. ``device`` may only be ``"cpu"``;
    ``pin_memory`` is accepted and ignored."""
    check_device(device, "tensor")
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """``torch.from_numpy``: a Tensor sharing ``array``'s memory and dtype (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    from autograd_lite.factories import as_tensor
    return as_tensor(array)


def is_tensor(obj: Any) -> bool:
    """``torch.is_tensor``: whether ``obj`` is a Tensor."""
    return isinstance(obj, Tensor)


def inference_mode(mode: Any = True) -> Any:
    """``torch.inference_mode``: here the same as ``no_grad()`` (``enable_grad()`` for
    ``mode=False``); a context manager or decorator, with or without the parentheses."""
    from autograd_lite.grad_mode import enable_grad, no_grad
    if callable(mode):  # @inference_mode without parentheses
        return no_grad()(mode)
    return no_grad() if mode else enable_grad()


# ----------------------------------------------------------------------------- Tensor methods
def to_args(args: tuple, dtype: Any, device: Any, op: str) -> Any:
    """The dtype of a ``.to(*args, dtype=, device=)`` call (None: unchanged), after checking
    that the device, given positionally or by keyword, is the CPU."""
    for a in args:
        if is_device(a) or (isinstance(a, int) and not isinstance(a, bool)):
            if device is not None:
                raise TypeError(f"{op}: unexpected argument {a!r} (device given twice)")
            device = a
        elif dtype is not None:
            raise TypeError(f"{op}: unexpected argument {a!r} (dtype given twice)")
        else:
            dtype = a._data.dtype if isinstance(a, Tensor) else a
    check_device(device, op)
    return dtype


def _device(self: Tensor) -> device:
    """The tensor's device: always ``ag.device("cpu")``."""
    return _CPU


def _cpu(self: Tensor, memory_format: Any = None) -> Tensor:
    """``x.cpu()``: ``x`` itself (every tensor is on the CPU)."""
    return self


def _cuda(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    raise ValueError("cuda: autograd_lite runs on the CPU only (no CUDA device); use .cpu() "
                     "or .to('cpu')")


def _to(self: Tensor, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False,
        non_blocking: bool = False, memory_format: Any = None) -> Tensor:
    """``x.to(dtype)``, ``x.to(device)``, ``x.to(device, dtype)``, ``x.to(other)`` (other's
    dtype), as PyTorch: ``x`` itself when nothing changes and ``copy`` is false. A cast between
    floating dtypes is differentiable. The device must be ``"cpu"`` (``ValueError`` otherwise).
    """
    dtype = to_args(args, dtype, device, "to")
    if dtype is None:
        return self.clone() if copy else self
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"to: {dtype!r} is neither a dtype nor a device (e.g. ag.float32, "
                        "'cpu')") from None
    if dt == self._data.dtype:
        return self.clone() if copy else self
    from autograd_lite.ops import astype
    return astype(self, dt)


_ndarray = np.ndarray


def _set_data(self: Tensor, value: Any) -> None:
    """``t.data = value``: a Tensor stores its array (PyTorch's ``p.data = p.data - lr * g``);
    arrays are stored as they are."""
    if value.__class__ is not _ndarray:  # every op's result passes here: one check
        if isinstance(value, Tensor):
            value = value._data
        elif not isinstance(value, np.ndarray) and not is_array(value):  # (CuPy arrays stay)
            value = np.asarray(value)
    self._data = value


# the getter reads the slot ``_data`` in C (the library itself uses the slot directly)
_DATA = property(Tensor.data.fget, _set_data, None,
                 "The tensor's values, a NumPy array (assigning a Tensor stores its array).")

_REFLECTED = {np.add: "__radd__", np.subtract: "__rsub__", np.multiply: "__rmul__",
              np.true_divide: "__rtruediv__", np.power: "__rpow__", np.matmul: "__rmatmul__",
              np.floor_divide: "__rfloordiv__", np.remainder: "__rmod__",
              np.bitwise_and: "__rand__", np.bitwise_or: "__ror__", np.bitwise_xor: "__rxor__",
              np.less: "__gt__", np.less_equal: "__ge__", np.greater: "__lt__",
              np.greater_equal: "__le__", np.equal: "__eq__", np.not_equal: "__ne__"}


def _array_ufunc(self: Tensor, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """NumPy operating on a Tensor. ``arr op= tensor`` (``p.data -= lr * p.grad``) updates the
    array in place with the tensor's values; ``arr op tensor`` / ``np.float64(2) * tensor``
    give the Tensor's reflected operator (a Tensor, as before). Any other NumPy function on a
    Tensor is refused (use the library's ops, or ``t.numpy()``)."""
    out = kwargs.get("out")
    if method == "__call__" and out is not None and all(isinstance(o, np.ndarray) for o in out):
        args = [i._data if isinstance(i, Tensor) else i for i in inputs]
        return ufunc(*args, **kwargs)
    if (method == "__call__" and not kwargs and len(inputs) == 2 and inputs[1] is self
            and not isinstance(inputs[0], Tensor) and ufunc in _REFLECTED):
        fn = getattr(type(self), _REFLECTED[ufunc], None)
        if fn is not None:
            return fn(self, inputs[0])
    return NotImplemented


def attach() -> None:
    """Set ``Tensor.device``, ``.cpu``, ``.cuda``, ``.is_cuda``, ``.to``, the ``.data`` setter
    and NumPy's in-place operators on Tensors."""
    Tensor.device = property(_device)
    Tensor.is_cuda = False
    Tensor.cpu = _cpu
    Tensor.cuda = _cuda
    Tensor.to = _to
    Tensor.data = _DATA
    Tensor.__array_ufunc__ = _array_ufunc


# ----------------------------------------------------------------------------- namespaces
def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _zero(*args: Any, **kwargs: Any) -> int:
    return 0


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


def _no_cuda(*args: Any, **kwargs: Any) -> Any:
    raise ValueError("cuda: autograd_lite runs on the CPU only (no CUDA device)")


#: ``ag.cuda``: no CUDA here. ``is_available()`` is False, ``device_count()`` 0; the seeding
#: and synchronisation calls programs make unconditionally do nothing.
cuda = types.SimpleNamespace(
    is_available=_false, device_count=_zero, is_initialized=_false, manual_seed=_nothing,
    manual_seed_all=_nothing, synchronize=_nothing, empty_cache=_nothing,
    current_device=_no_cuda, get_device_name=_no_cuda, set_device=_no_cuda)

#: ``ag.backends``: ``mps.is_available()`` / ``cuda.is_built()`` are False; the cuDNN flags
#: programs set (``backends.cudnn.deterministic = True``) are accepted and have no effect.
backends = types.SimpleNamespace(
    mps=types.SimpleNamespace(is_available=_false, is_built=_false),
    cuda=types.SimpleNamespace(is_built=_false),
    cudnn=types.SimpleNamespace(is_available=_false, deterministic=False, benchmark=False,
                                enabled=True))

#: ``ag.accelerator`` (PyTorch 2.6+): no accelerator.
accelerator = types.SimpleNamespace(is_available=_false, current_accelerator=_nothing,
                                    device_count=_zero)
