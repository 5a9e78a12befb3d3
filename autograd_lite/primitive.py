"""The one op-definition helper: [`Op`][autograd_lite.primitive.Op] and the op list.

An ``Op`` is a forward on ndarrays plus one vector-Jacobian product (VJP) rule per input.
Calling it runs the forward; when grad mode is on and some input requires grad, it also
records a [`Node`][autograd_lite.node.Node] (the output's ``grad_fn``). Rules are written in one
dialect that runs on ndarrays (plain backward) and on Tensors (``create_graph``): see ``Op``.

The op list: every public op function is declared once, in its family file under ``ops/``,
with the [`export`][autograd_lite.primitive.export] decorator. ``ag.<name>``, the method
forms ``Tensor.<name>`` and the completeness tests (catalog, docs) are derived from
[`OPS`][autograd_lite.primitive.OPS].
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from autograd_lite.anomaly import check_forward
from autograd_lite.array_module import as_data, asarray, is_array
from autograd_lite.dtypes import result_type, scalar_dtype
from autograd_lite.grad_mode import _state
from autograd_lite.node import Node
from autograd_lite.tensor import Tensor

__all__ = ["Op", "OPS", "OpInfo", "export", "operand", "arr", "unbroadcast", "promote"]

_wrap = Tensor._wrap
# Shared by every node recorded without keyword arguments (never mutated): one allocation less
# per op, which also means less work for Python's garbage collector on big graphs.
_NO_KWARGS: dict = {}
# The number of open forward-mode dual levels (set by ``autograd_lite.forward_ad``): the one test
# that forward mode adds to every op, a module global (cheaper than a thread-local attribute).
_dual = 0


def arr(x: Any) -> np.ndarray:
    """The ndarray behind ``x`` (a Tensor or already an ndarray): for constant masks in VJP
    rules (``g * (arr(x) > 0)``), which are never differentiated."""
    return x._data if isinstance(x, Tensor) else as_data(x)


def operand(x: Any, like: np.ndarray | None = None, shared: bool = False) -> Tensor:
    """Wrap a non-Tensor operand. A Python or NumPy scalar next to ``like`` takes the dtype
    PyTorch gives it (so ``float32_tensor * 2.0``, ``* np.float64(2)`` and ``* 2`` stay
    float32, ``int_tensor * 0.5`` is the default dtype, ``* 1j`` complex); arrays are used as
    they are (the op then promotes them as tensors, see `result_type`). ``shared``: a Python
    number next to a floating ``like`` may be a shared read-only array (for ops whose forward
    is a ufunc, which never returns an operand's array: see `_number`)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return _wrap(x)
    if like is not None:
        tx = type(x)
        # the common case first: a Python number next to a floating tensor keeps its dtype
        if (tx is float or tx is int) and like.dtype.kind in "fc":
            if shared and type(like) is np.ndarray:
                a = _NUMBERS.get(x)
                return _wrap(a if a is not None and a.dtype is like.dtype else
                             _number(x, like.dtype))
            return _wrap(np.array(x, dtype=like.dtype) if type(like) is np.ndarray else
                         asarray(x, like, like.dtype))
        dt = scalar_dtype(x, like.dtype)
        if dt is not None:
            try:
                return _wrap(asarray(x, like, dt))
            except OverflowError as e:  # e.g. int8_tensor + 1000: as NumPy (NEP 50), loudly
                raise OverflowError(f"{e} (a Python int operand next to a {like.dtype} "
                                    "tensor takes its dtype)") from None
    if isinstance(x, (list, tuple, int, float, complex, bool, np.generic)):
        return Tensor(x)
    if is_array(x):  # another module's array (CuPy)
        return _wrap(x)
    raise TypeError(f"expected a Tensor, array or number, got {type(x).__name__}")


#: Python numbers of ``x * 0.9``, ``1 - x`` as 0-d arrays in a floating dtype, made once per value
#: (the last dtype asked for): read-only, so sharing them between nodes is safe.
_NUMBERS: dict = {}


def _number(x: float | int, dtype: np.dtype) -> np.ndarray:
    """``np.array(x, dtype)``, kept in ``_NUMBERS`` if it is finite and not zero (the sign of
    zero would be lost: ``-0.0 == 0.0``), read-only; at most 256 values are kept."""
    a = np.array(x, dtype=dtype)
    if x != 0 and np.isfinite(a):
        if len(_NUMBERS) >= 256:
            _NUMBERS.clear()
        a.flags.writeable = False
        _NUMBERS[x] = a
    return a


def _cast(t: Tensor, dtype: np.dtype) -> Tensor:
    """``t`` in ``dtype`` for type promotion: recorded (differentiable) if it requires grad."""
    if t.requires_grad and _state.enabled:
        return t.astype(dtype)
    return _wrap(t._data.astype(dtype))


def promote(ts: Sequence[Tensor]) -> list:
    """The operands of an op, cast where PyTorch's `result_type` differs from what NumPy
    would compute with them (only those that NumPy would not bring to it by itself)."""
    arrays = [t._data for t in ts]
    rt = result_type(*arrays)
    if np.result_type(*[a.dtype for a in arrays]) == rt:
        return list(ts)
    return [t if np.promote_types(t._data.dtype, rt) == rt else _cast(t, rt) for t in ts]




class Op:
    """A differentiable primitive: ``forward`` on ndarrays and one VJP rule per input.

    ``Op(name, forward, *vjps, save_out=False)``. Each rule is called as
    ``rule(g, out, *inputs, **kwargs)`` and returns the gradient for its input; the engine sums
    it back over any broadcast dimensions. ``out`` is ``None`` unless ``save_out``.
    ``vjp_all`` instead takes ``(g, out, inputs, needs, **kwargs)`` and returns a list (for ops
    with a variable number of inputs). ``reads`` lists the inputs whose values the rules use
    (default: all); the others may change in place before backward. Two-operand ops
    ([`binary`][autograd_lite.primitive.Op.binary]) promote their operands' dtypes as PyTorch
    ([`promote`][autograd_lite.primitive.promote]); ``promote`` names the inputs that
    [`apply`][autograd_lite.primitive.Op.apply] promotes together (``True``: all; default: none).
    ``explain`` is the op's step template (`Explain`), written beside its rules for the stepper; the
    engine never reads it.

    **One dialect for rules.** A rule is written once and runs on two kinds of values: in a
    plain backward it gets ndarrays (so a gradient costs what the NumPy expression costs), under
    ``create_graph=True`` it gets Tensors and is recorded (double backward). The vocabulary
    that works on both: operators, ``.sum/.reshape/.swapaxes/.shape``, indexing,
    [`arr`][autograd_lite.primitive.arr]``(x)`` for constant masks, and, to use another op
    inside a rule, [`in_rule`][autograd_lite.primitive.Op.in_rule]: ``Exp.in_rule(x)`` is
    ``np.exp(x)`` on an ndarray and the recorded op on a Tensor. There is no other way
    (no ``isinstance`` tests in rules). Custom Functions (``ag.Function``), whose backward is
    user code on Tensors, have an op of their own whose
    [`vjp`][autograd_lite.primitive.Op.vjp] wraps and unwraps the arrays of a plain backward.
    """

    __slots__ = ("name", "forward", "vjps", "vjp_all", "save_out", "reads", "promote",
                 "explain", "jvp", "jvp_batched", "ufunc")

    def __init__(self, name: str, forward: Callable, *vjps: Callable | None,
                 vjp_all: Callable | None = None, save_out: bool = False,
                 reads: tuple | None = None, promote: bool | tuple = False,
                 explain: Any = None, jvp: Any = None, jvp_batched: bool = False) -> None:
        self.name = name
        self.forward = forward
        self.vjps = vjps
        self.vjp_all = vjp_all
        self.save_out = save_out
        # Which inputs' values the rules read (None: all). Only those must not change in place
        # before backward; e.g. Add reads none (PyTorch's saved-variable rule).
        self.reads = reads
        self.promote = promote
        self.explain = explain  # read by viz only (never on the forward/backward path)
        # Forward mode (``autograd_lite.forward_ad``, docs/forward_mode.md): "elementwise" (the
        # VJP rules are the JVP rules), "linear" (the op applied to the tangents), a tuple of
        # per-input rules ``rule(t, out, *inputs, **kw)`` whose results are summed, or one
        # ``rule(tangents, out, *inputs, **kw)`` (None for inputs without a tangent).
        # ``jvp_batched``: the rules also take tangents with a leading batch dimension.
        self.jvp = jvp
        self.jvp_batched = jvp_batched
        # a NumPy ufunc forward never returns an operand: Python numbers may be shared arrays
        self.ufunc = isinstance(forward, np.ufunc)

    def __repr__(self) -> str:
        return f"Op({self.name})"

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        """Apply to Tensors (other operands are wrapped with `operand`)."""
        if len(args) == 1 and not kwargs and isinstance(args[0], Tensor):
            return self.unary(args[0])
        if len(args) == 2:
            return self.binary(args[0], args[1], kwargs)
        like = None
        for a in args:
            if isinstance(a, Tensor):
                like = a._data
                break
        return self.apply([a if isinstance(a, Tensor) else operand(a, like) for a in args],
                          kwargs)

    def in_rule(self, *args: Any, **kwargs: Any) -> Any:
        """Use this op inside a VJP rule (the one dialect, see the class docstring): on
        ndarrays, the forward alone (nothing recorded, an ndarray back); if some argument is a
        Tensor (``create_graph``), the recorded op, other arguments taken as constants."""
        for a in args:
            if isinstance(a, Tensor):
                return self(*args, **kwargs)
        return self.forward(*args, **kwargs)

    def unary(self, x: Tensor) -> Tensor:
        """Fast path for one Tensor input and no keyword arguments."""
        if _dual:  # forward mode (a dual level is open): the only test it costs
            return _fwd.unary(self, x)
        try:
            out = self.forward(x._data)
        except Exception as e:  # noqa: BLE001 - re-raised with the op's name and shapes
            raise _op_error(self.name, (x,), e) from None
        if type(out) is not np.ndarray:
            out = as_data(out)
        if x.requires_grad and _state.enabled and out.dtype.kind in "fc":
            return self._record((x,), ((x.grad_fn or x),), _NO_KWARGS, out)
        return _wrap(out)

    def binary(self, a: Any, b: Any, kwargs: dict | None = None) -> Tensor:
        """Fast path for two operands (Tensors, arrays or numbers)."""
        if _dual:
            return _fwd.binary(self, a, b, kwargs)
        if not isinstance(a, Tensor):
            a = operand(a, b._data if isinstance(b, Tensor) else None, self.ufunc)
        if not isinstance(b, Tensor):
            b = operand(b, a._data, self.ufunc)
        if a._data.dtype is not b._data.dtype:  # (equal dtypes, the common case: one comparison)
            a, b = promote((a, b))
        try:
            ad, bd = a._data, b._data
            out = self.forward(ad, bd, **kwargs) if kwargs else self.forward(ad, bd)
        except Exception as e:  # noqa: BLE001 - re-raised with the op's name and shapes
            raise _op_error(self.name, (a, b), e) from None
        if type(out) is not np.ndarray:
            out = as_data(out)
        if (a.requires_grad or b.requires_grad) and _state.enabled and out.dtype.kind in "fc":
            return self._record((a, b), ((a.grad_fn or a) if a.requires_grad else None,
                                         (b.grad_fn or b) if b.requires_grad else None),
                                kwargs or _NO_KWARGS, out)
        return _wrap(out)

    def apply(self, ts: Sequence[Tensor], kwargs: dict) -> Tensor:
        """Apply to a sequence of Tensors with keyword arguments for the forward."""
        if _dual:
            return _fwd.apply(self, ts, kwargs)
        if self.promote:
            ts = self._promote(ts)
        try:
            out = self.forward(*[t._data for t in ts], **kwargs)
        except Exception as e:  # noqa: BLE001 - re-raised with the op's name and shapes
            raise _op_error(self.name, ts, e) from None
        if type(out) is not np.ndarray:
            out = as_data(out)
        if _state.enabled and out.dtype.kind in "fc":
            for t in ts:
                if t.requires_grad:
                    return self._record(tuple(ts), tuple(
                        [(t.grad_fn or t) if t.requires_grad else None for t in ts]), kwargs, out)
        return _wrap(out)

    def _promote(self, ts: Sequence[Tensor]) -> Sequence[Tensor]:
        which = self.promote
        if which is True:
            if len(ts) < 2 or all(t._data.dtype is ts[0]._data.dtype for t in ts):
                return ts
            return promote(ts)
        ts = list(ts)
        for i, t in zip(which, promote([ts[i] for i in which])):
            ts[i] = t
        return ts

    def _record(self, ts: tuple, nexts: tuple, kwargs: dict, out: np.ndarray) -> Tensor:
        node = Node(self, ts, nexts, kwargs)
        res = _wrap(out, True, node)
        node._out = weakref.ref(res)
        if self.save_out:
            node._out_data = out
        if node.trace is not None:  # (set under anomaly mode only: no second grad-mode read)
            check_forward(node, out)
        return res

    def vjp(self, node: Any, g: Any) -> list:
        """Gradients for each input from the upstream ``g`` (an ndarray in a plain backward,
        a Tensor under ``create_graph``), each shaped like its input (``None`` if not needed).
        The engine calls this for every node; it runs the rules on what ``g`` is."""
        inputs = node.inputs
        kw = node.kwargs
        nexts = node.next_functions
        if not isinstance(g, Tensor):
            out = node._out_data
            rules = self.vjps
            n = len(inputs)
            if n == len(rules) and self.vjp_all is None and n <= 2:
                # one or two inputs on ndarrays, unrolled (positional calls, no list building)
                x = inputs[0]._data
                if n == 2:
                    y = inputs[1]._data
                    gx = gy = None
                    # (the second input first: when it is the broadcast one, as in x * w, its
                    # reduced gradient is made before the first's full-size one exists)
                    if nexts[1] is not None:
                        gy = rules[1](g, out, x, y, **kw) if kw else rules[1](g, out, x, y)
                        if gy.shape != y.shape:
                            gy = unbroadcast(gy, y.shape, self.name)
                    if nexts[0] is not None:
                        gx = rules[0](g, out, x, y, **kw) if kw else rules[0](g, out, x, y)
                        if gx.shape != x.shape:
                            gx = unbroadcast(gx, x.shape, self.name)
                    return [gx, gy]
                if nexts[0] is None:
                    return [None]
                gx = rules[0](g, out, x, **kw) if kw else rules[0](g, out, x)
                if gx.shape != x.shape:
                    gx = unbroadcast(gx, x.shape, self.name)
                return [gx]
            xs: Any = [t._data for t in inputs]
        else:
            xs = inputs
            out = node.out_tensor() if self.save_out else None
        if self.vjp_all is not None:
            grads = self.vjp_all(g, out, xs, [n is not None for n in nexts], **kw)
            for i, gi in enumerate(grads):
                if gi is not None and gi.shape != inputs[i]._data.shape:
                    grads[i] = unbroadcast(gi, inputs[i]._data.shape, self.name)
            return grads
        grads = []
        for n, rule, t in zip(nexts, self.vjps, inputs):
            if n is None:
                grads.append(None)
                continue
            gi = rule(g, out, *xs, **kw)
            # Rules may return NumPy scalars for 0-d inputs: they have .shape and flow on.
            if gi.shape != t._data.shape:
                gi = unbroadcast(gi, t._data.shape, self.name)
            grads.append(gi)
        return grads


def unbroadcast(g: Any, shape: tuple, op: str = "?") -> Any:
    """Sum ``g`` (Tensor or ndarray) over the dimensions that broadcasting added or stretched,
    so that it has ``shape``. The only place broadcasting is undone; on Tensors it is written
    with Tensor ops, so it is differentiable."""
    gshape = g.shape
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise RuntimeError(f"{op}Backward: gradient of shape {gshape} cannot be reduced to the "
                           f"input's shape {shape}")
    stretched = tuple(i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1)
    for i, n in enumerate(shape):
        if n != 1 and gshape[i + lead] != n:
            raise RuntimeError(f"{op}Backward: gradient of shape {gshape} does not match the "
                               f"input's shape {shape}")
    nd = type(g) is np.ndarray  # (then the ufunc's reduce: what ndarray.sum runs, unwrapped)
    if stretched:
        axes = tuple(range(lead)) + stretched
        g = np.add.reduce(g, axes, keepdims=True) if nd else g.sum(axes, keepdims=True)
    elif lead:  # only added leading dims (a bias): summing them away leaves ``shape``
        axes = tuple(range(lead))
        return np.add.reduce(g, axes) if nd else g.sum(axes)
    if g.shape != shape:
        g = g.reshape(shape)
    return g


def _shapes(ts: Sequence[Tensor]) -> str:
    return ", ".join(str(t._data.shape) for t in ts)


def _op_error(name: str, ts: Sequence[Tensor], e: Exception) -> Exception:
    """Turn a NumPy failure inside an op's forward into the library's error for users."""
    if str(e).startswith(name.lower() + ":"):  # already the library's message for this op
        return e
    if isinstance(e, IndexError) and not isinstance(e, ValueError):
        # an index out of range stays an IndexError, as for Python sequences and PyTorch
        return IndexError(f"{name.lower()}: {e} (input shapes {_shapes(ts)})")
    dtypes = ", ".join(str(t._data.dtype) for t in ts)
    if isinstance(e, (ValueError, IndexError)):
        if "broadcast" in str(e) or "shape" in str(e):
            return ValueError(f"{name.lower()}: invalid input shapes ({_shapes(ts)}): {e}")
        return ValueError(f"{name.lower()}: {e} (input shapes {_shapes(ts)}, dtypes {dtypes})")
    if isinstance(e, TypeError):
        return TypeError(f"{name.lower()}: unsupported input dtypes ({dtypes}): {e}")
    if isinstance(e, ArithmeticError):  # OverflowError (inf into an int), ZeroDivisionError
        return ValueError(f"{name.lower()}: {e} (input shapes {_shapes(ts)}, dtypes {dtypes})")
    return e



# ----------------------------------------------------------------------------- the op list
@dataclass(frozen=True)
class OpInfo:
    """One entry of the op list: the public function ``fn`` (``ag.<name>``), its family (the
    ``ops/`` file it is declared in) and the names of its ``Tensor`` method forms."""

    name: str
    fn: Callable
    family: str
    methods: tuple = ()


#: The op list, in declaration order: public name -> [`OpInfo`][autograd_lite.primitive.OpInfo].
#: ``autograd_lite.ops`` exports every entry as ``ag.<name>`` and attaches the method forms.
OPS: dict = {}
#: Called with each ``OpInfo`` declared after ``autograd_lite`` was imported (so an op declared
#: later, e.g. by a plugin, is exported and attached at once); set by ``autograd_lite.ops``.
_on_export: list = []


def export(fn: Callable | None = None, *, method: bool | str | tuple = False,
           name: str | None = None) -> Any:
    """Declare a public op function (decorator), once, in its family file::

        @export(method=True)          # ag.atan(x) and x.atan()
        def atan(x): ...

    ``method``: ``True`` for a ``Tensor`` method of the same name, a name or a tuple of names
    for others (``method=("clip", "clamp")``), ``False`` for a function only (``ag.cat``). The
    method form is the function itself, called with the tensor as first argument, so the
    function's first parameter must be the tensor. ``name`` defaults to the function's."""
    def register(f: Callable) -> Callable:
        key = name or f.__name__
        if key in OPS and OPS[key].fn is not f:
            raise ValueError(f"export: op {key!r} is declared twice "
                             f"({OPS[key].fn.__module__} and {f.__module__})")
        methods = (key,) if method is True else (method,) if isinstance(method, str) else \
            tuple(method or ())
        OPS[key] = info = OpInfo(key, f, f.__module__.rsplit(".", 1)[-1], methods)
        for listener in _on_export:
            listener(info)
        return f
    return register if fn is None else register(fn)


from autograd_lite import forward_ad as _fwd  # noqa: E402  (it imports Op from here)
