"""Graph nodes and the one op-definition helper.

An [`Op`][autograd_lite.node.Op] is a forward on ndarrays plus one vector-Jacobian product (VJP)
rule per input, written in a vocabulary that works on Tensors and ndarrays alike (see
[`Op`][autograd_lite.node.Op]). Calling an op runs the forward; when grad mode is on and some input
requires grad, it also records a [`Node`][autograd_lite.node.Node] (the output's ``grad_fn``).

Read-only introspection surface of a node (what ``viz`` and users may rely on):

- ``node.name``            op name, e.g. ``"Mul"``; ``str(node)`` is ``"MulBackward"``
- ``node.next_functions``  one entry per input: the input's ``Node``, the leaf ``Tensor`` that
                           requires grad, or ``None`` for a constant input
- ``node.inputs``          the input Tensors (``None`` once backward freed the graph)
- ``node.output``          the Tensor this node produced, if it is still alive, else ``None``
- ``node.scope``           the module-scope path the op ran in (see ``scope.py``) or ``None``
- ``node.freed``           True once backward released the saved values
- ``node.trace``           creation stack (only recorded under ``detect_anomaly``)
- ``node.saved_arrays()``  ``(label, ndarray)`` pairs the node keeps for its backward
- ``node.explain``         the op's step template (`Explain`)
                           for the stepper, or ``None``
"""
from __future__ import annotations

import os
import traceback
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from autograd_lite import _dtypes
from autograd_lite import scope as _scope
from autograd_lite.grad_mode import _state
from autograd_lite.tensor import Tensor, _clock, buffer_stamp

__all__ = ["Op", "Node", "as_tensor", "arr", "dual", "unbroadcast", "promote",
           "promote_types", "result_type"]

_wrap = Tensor._wrap
# Shared by every node recorded without keyword arguments (never mutated): one allocation less
# per op, which also means less work for Python's garbage collector on big graphs.
_NO_KWARGS: dict = {}
_scopes = _scope._scopes


def arr(x: Any) -> np.ndarray:
    """The ndarray behind ``x`` (a Tensor or already an ndarray): for masks in VJP rules."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def dual(np_fn: Callable, op: "Op") -> Callable:
    """A rule-vocabulary function: ``np_fn`` on an ndarray, the recorded ``op`` on a Tensor."""
    def f(x: Any) -> Any:
        return op.unary(x) if isinstance(x, Tensor) else np_fn(x)
    f.__name__ = op.name.lower()
    return f


# ----------------------------------------------------------------------------- type promotion
# PyTorch's rules (torch.result_type), where NumPy's would silently give other numbers:
# operands are ranked dimensioned tensors > 0-d tensors > Python/NumPy scalars, and a lower rank
# only decides the dtype when its category (bool < integer < float < complex) is higher. So a
# float32 tensor stays float32 next to an int tensor, a 0-d float64 tensor or np.float64(2);
# an int tensor next to a float scalar gives the default dtype. ndarrays count as tensors.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_COMPLEX_OF = {np.dtype(np.float16): np.dtype(np.complex64),  # (NumPy has no complex32)
               np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128),
               np.dtype(np.longdouble): np.dtype(np.clongdouble)}


def _default_float() -> np.dtype:
    return _dtypes.get_default_dtype()


def _default_complex() -> np.dtype:
    return _COMPLEX_OF[_dtypes.get_default_dtype()]


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """``torch.promote_types``: within a category and between float and complex as NumPy;
    otherwise the higher category's dtype (int64 with float32 is float32, not float64)."""
    ka, kb = _CATEGORY.get(a.kind), _CATEGORY.get(b.kind)
    if ka is None or kb is None or ka == kb or ka + kb == 5:
        return np.promote_types(a, b)
    return a if ka > kb else b


def _combine(higher: np.dtype, lower: np.dtype) -> np.dtype:
    """The dtype of an operand group of higher rank (dimensioned tensors) next to one of lower
    rank (0-d tensors or scalars): PyTorch's ``combine_categories``."""
    kh, kl = _CATEGORY.get(higher.kind), _CATEGORY.get(lower.kind)
    if kh is None or kl is None:
        return np.promote_types(higher, lower)
    if kh == 3:
        return higher
    if kl == 3:  # a complex lower rank keeps a float higher rank's precision
        return _COMPLEX_OF.get(higher, lower) if kh == 2 else lower
    if kh == 2:
        return higher
    if kh == 0 or kl == 2:
        return promote_types(higher, lower)
    return higher


def result_type(*arrays: np.ndarray) -> np.dtype:
    """``torch.result_type`` of ndarrays (0-d ones rank as 0-d tensors)."""
    dim = zero = None
    for a in arrays:
        d = a.dtype
        if a.ndim:
            dim = d if dim is None else promote_types(dim, d)
        else:
            zero = d if zero is None else promote_types(zero, d)
    if dim is None or zero is None:
        return dim if zero is None else zero
    return _combine(dim, zero)


def _scalar_dtype(x: Any, like: np.dtype) -> np.dtype | None:
    """The dtype a Python or NumPy scalar takes next to an operand of dtype ``like`` (PyTorch's
    "wrapped number" rule), or None if ``x`` is not a scalar."""
    k = like.kind
    if isinstance(x, (bool, np.bool_)):
        return like  # the lowest category: never changes the other operand's dtype
    if isinstance(x, (int, np.integer)):
        return np.dtype(np.int64) if k == "b" else like
    if isinstance(x, (float, np.floating)):
        return like if k in "fc" else _default_float()
    if isinstance(x, (complex, np.complexfloating)):
        if k == "c":
            return like
        return _COMPLEX_OF.get(like, np.dtype(np.complex128)) if k == "f" else _default_complex()
    return None


def as_tensor(x: Any, like: np.ndarray | None = None) -> Tensor:
    """Wrap a non-Tensor operand. A Python or NumPy scalar next to ``like`` takes the dtype
    PyTorch gives it (so ``float32_tensor * 2.0``, ``* np.float64(2)`` and ``* 2`` stay
    float32, ``int_tensor * 0.5`` is the default dtype, ``* 1j`` complex); arrays are used as
    they are (the op then promotes them as tensors, see `result_type`)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return _wrap(x)
    if like is not None:
        tx = type(x)
        # the common case first: a Python number next to a floating tensor keeps its dtype
        if (tx is float or tx is int) and like.dtype.kind in "fc":
            return _wrap(np.array(x, dtype=like.dtype))
        dt = _scalar_dtype(x, like.dtype)
        if dt is not None:
            try:
                return _wrap(np.array(x, dtype=dt))
            except OverflowError as e:  # e.g. int8_tensor + 1000: as NumPy (NEP 50), loudly
                raise OverflowError(f"{e} (a Python int operand next to a {like.dtype} "
                                    "tensor takes its dtype)") from None
    if isinstance(x, (list, tuple, int, float, complex, bool, np.generic)):
        return Tensor(x)
    raise TypeError(f"expected a Tensor, array or number, got {type(x).__name__}")


def _cast(t: Tensor, dtype: np.dtype) -> Tensor:
    """``t`` in ``dtype`` for type promotion: recorded (differentiable) if it requires grad."""
    if t.requires_grad and _state.enabled:
        return t.astype(dtype)
    return _wrap(t.data.astype(dtype))


def promote(ts: Sequence[Tensor]) -> list:
    """The operands of an op, cast where PyTorch's `result_type` differs from what NumPy
    would compute with them (only those that NumPy would not bring to it by itself)."""
    arrays = [t.data for t in ts]
    rt = result_type(*arrays)
    if np.result_type(*[a.dtype for a in arrays]) == rt:
        return list(ts)
    return [t if np.promote_types(t.data.dtype, rt) == rt else _cast(t, rt) for t in ts]


class Node:
    """One recorded op application: the ``grad_fn`` of the tensor it produced."""

    __slots__ = ("op", "inputs", "next_functions", "kwargs", "saved", "_out", "_out_data",
                 "_epoch", "_hooks", "_retain", "scope", "trace", "anomaly", "__weakref__")

    def __init__(self, op: "Op", inputs: tuple, next_functions: tuple, kwargs: dict,
                 saved: Any = None) -> None:
        self.op = op
        self.inputs = inputs
        self.next_functions = next_functions
        self.kwargs = kwargs
        self.saved = saved
        self._out = None
        self._out_data = None
        # The in-place clock now: an input stamped later was changed after it was saved.
        # (None turns the check off: custom Functions check what they saved themselves.)
        self._epoch = _clock[0]
        self._hooks = None
        self._retain = None
        st = _scopes.stack
        self.scope = st[-1] if st else None
        self.trace = _user_stack() if _state.anomaly else None
        # Under anomaly mode: the node whose forward first made the NaN/Inf in this output
        # from finite inputs (itself or an upstream one), if the output still holds it.
        self.anomaly = None

    @property
    def name(self) -> str:
        return self.op.name

    def __repr__(self) -> str:
        return self.op.name + "Backward"

    @property
    def output(self) -> Tensor | None:
        return self._out() if self._out is not None else None

    @property
    def explain(self) -> Any:
        """The op's step template (an `Explain`) or ``None``:
        how its VJP rules read, for ``viz.BackwardStepper``. Never used by backward."""
        return getattr(self.op, "explain", None)

    # ---- hooks and retained grads on non-leaf tensors live on their node
    def add_hook(self, fn: Callable) -> Callable[[], None]:
        if self._hooks is None:
            self._hooks = []
        hooks = self._hooks
        hooks.append(fn)
        return lambda: hooks.remove(fn) if fn in hooks else None

    def retain(self, t: Tensor) -> None:
        self._retain = weakref.ref(t)

    def out_tensor(self) -> Tensor:
        """The output as a Tensor for VJP rules: the live tensor, or one rebuilt from the saved
        array whose ``grad_fn`` is this node (so double backward still flows through it)."""
        t = self._out()
        if t is None:
            t = _wrap(self._out_data, True, self)
        return t

    def apply(self, grad: Any) -> list:
        """The gradients for each input (``None`` where an input needs none), shaped like the
        inputs. Raises if the graph was freed or a saved input was changed in place."""
        if self.inputs is None:
            raise RuntimeError(
                f"{self}: trying to backward through the graph a second time (or to use "
                "values that were already freed). Pass retain_graph=True to the first "
                "backward() or autograd.grad() if you need to backward twice.")
        epoch = self._epoch
        if epoch is not None and _clock[0] != epoch:  # something changed in place since
            self._check_versions(epoch)
        op = self.op
        if op.plain or _state.enabled:
            return op.vjp(self, grad)
        # A plain backward passes ndarrays; ops whose rules expect Tensors (custom Functions)
        # get them wrapped, and their results unwrapped.
        if isinstance(grad, (np.ndarray, np.generic)):
            grad = _wrap(np.asarray(grad))
        return [r.data if isinstance(r, Tensor) else r for r in op.vjp(self, grad)]

    def _check_versions(self, epoch: int) -> None:
        """Raise if an input (or the saved output) changed in place after ``epoch``, through
        the tensor itself or through a view or detached alias sharing its memory."""
        reads = getattr(self.op, "reads", None)
        for i, t in enumerate(self.inputs):
            if reads is not None and i not in reads:
                continue  # its value is not used by the gradient (only its shape, if at all)
            if t._stamp > epoch or buffer_stamp(t.data) > epoch:
                raise RuntimeError(
                    f"{self}: input {i} (shape {t.shape}), needed for the gradient, was "
                    f"modified by an in-place operation after it was saved (directly: it is "
                    f"at version {t._version}, or through a view or detached alias of its "
                    "data). Clone it before changing it, or change it out of place.")
        for key, value in self.kwargs.items():  # saved arguments: indices, targets, bounds
            for a in (value if type(value) is tuple else (value,)):
                if isinstance(a, Tensor):
                    changed = a._stamp > epoch or buffer_stamp(a.data) > epoch
                else:
                    changed = isinstance(a, np.ndarray) and buffer_stamp(a) > epoch
                if changed:
                    raise RuntimeError(
                        f"{self}: its argument {key!r} (shape {np.shape(a)}), saved for the "
                        "gradient, was modified by an in-place operation after it was saved "
                        "(directly or through a view or detached alias). Clone it before "
                        "changing it, or change it out of place.")
        out = self._out_data
        if out is not None:  # a saved output (exp, tanh, ...)
            o = self._out()
            if (o is not None and o._stamp > epoch) or buffer_stamp(out) > epoch:
                raise RuntimeError(
                    f"{self}: its output (shape {out.shape}), saved for the gradient, was "
                    f"modified by an in-place operation (directly or through a view or "
                    "detached alias). Clone it before changing it, or change it out of place.")

    def saved_arrays(self) -> list:
        """What this node keeps alive for its backward, as ``(label, ndarray)`` pairs: the
        inputs its rules read (``"input 0"``), its saved output (``"output"``) and array
        arguments (``"target"``, ``"index[0]"``). A custom Function lists what it saved with
        ``ctx.save_for_backward``. Empty once backward freed the graph. (What viz's
        ``saved_bytes`` overlay adds up; arrays shared by several nodes appear in each.)"""
        if self.inputs is None:
            return []
        found: list = []
        ids: set = set()

        def add(label: str, a: Any) -> None:
            if isinstance(a, Tensor):
                a = a.data
            if isinstance(a, np.ndarray) and id(a) not in ids:
                ids.add(id(a))
                found.append((label, a))

        ctx = self.saved[0] if type(self.saved) is tuple and self.saved else None
        if hasattr(ctx, "_saved"):  # a custom Function: what its ctx saved
            for i, t in enumerate(ctx.saved_tensors):
                add(f"saved {i}", t)
            return found
        reads = getattr(self.op, "reads", None)
        for i, t in enumerate(self.inputs):
            if reads is None or i in reads:
                add(f"input {i}", t)
        add("output", self._out_data)
        for key, value in self.kwargs.items():
            if type(value) is tuple:
                for j, a in enumerate(value):
                    add(f"{key}[{j}]", a)
            else:
                add(key, value)
        return found

    @property
    def freed(self) -> bool:
        """True once backward released the saved values (``inputs`` is then ``None``)."""
        return self.inputs is None

    def free(self) -> None:
        """Release the saved values (what backward does unless ``retain_graph``)."""
        self.inputs = None
        self.saved = None
        self._out_data = None


class Op:
    """A differentiable primitive: ``forward`` on ndarrays and one VJP rule per input.

    ``Op(name, forward, *vjps, save_out=False)``. Each rule is called as
    ``rule(g, out, *inputs, **kwargs)`` and returns the gradient for its input; the engine sums
    it back over any broadcast dimensions. ``out`` is ``None`` unless ``save_out``.
    ``vjp_all`` instead takes ``(g, out, inputs, needs, **kwargs)`` and returns a list (for ops
    with a variable number of inputs). ``reads`` lists the inputs whose values the rules use
    (default: all); the others may change in place before backward. Two-operand ops
    ([`binary`][autograd_lite.node.Op.binary]) promote their operands' dtypes as PyTorch
    ([`promote`][autograd_lite.node.Op.promote]); ``promote`` names the inputs that
    [`apply`][autograd_lite.node.Op.apply] promotes together (``True``: all; default: none).
    ``explain`` is the op's step template (`Explain`), written beside its rules for the stepper; the
    engine never reads it.

    Rules are written once, in a vocabulary that works on Tensors and on ndarrays alike
    (operators, ``.sum/.reshape/.swapaxes``, indexing, `arr` for masks and `dual`
    functions, like HIPS autograd's ``anp``): with ``create_graph=True`` they get Tensors and are
    recorded (double backward); in a plain backward they get the ndarrays, so a gradient costs
    what the NumPy expression costs.
    """

    __slots__ = ("name", "forward", "vjps", "vjp_all", "save_out", "reads", "promote",
                 "explain")
    plain = True  # rules accept ndarrays too (see the class docstring)

    def __init__(self, name: str, forward: Callable, *vjps: Callable | None,
                 vjp_all: Callable | None = None, save_out: bool = False,
                 reads: tuple | None = None, promote: bool | tuple = False,
                 explain: Any = None) -> None:
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

    def __repr__(self) -> str:
        return f"Op({self.name})"

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        """Apply to Tensors (other operands are wrapped with `as_tensor`)."""
        if len(args) == 1 and not kwargs and isinstance(args[0], Tensor):
            return self.unary(args[0])
        if len(args) == 2:
            return self.binary(args[0], args[1], kwargs)
        like = None
        for a in args:
            if isinstance(a, Tensor):
                like = a.data
                break
        return self.apply([a if isinstance(a, Tensor) else as_tensor(a, like) for a in args],
                          kwargs)

    def unary(self, x: Tensor) -> Tensor:
        """Fast path for one Tensor input and no keyword arguments."""
        try:
            out = self.forward(x.data)
        except Exception as e:  # noqa: BLE001 - re-raised with the op's name and shapes
            raise _op_error(self.name, (x,), e) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if x.requires_grad and _state.enabled and out.dtype.kind in "fc":
            return self._record((x,), ((x.grad_fn or x),), _NO_KWARGS, out)
        return _wrap(out)

    def binary(self, a: Any, b: Any, kwargs: dict | None = None) -> Tensor:
        """Fast path for two operands (Tensors, arrays or numbers)."""
        if not isinstance(a, Tensor):
            a = as_tensor(a, b.data if isinstance(b, Tensor) else None)
        if not isinstance(b, Tensor):
            b = as_tensor(b, a.data)
        if a.data.dtype is not b.data.dtype:  # (equal dtypes, the common case: one comparison)
            a, b = promote((a, b))
        try:
            out = self.forward(a.data, b.data, **kwargs) if kwargs else self.forward(a.data, b.data)
        except Exception as e:  # noqa: BLE001 - re-raised with the op's name and shapes
            raise _op_error(self.name, (a, b), e) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if (a.requires_grad or b.requires_grad) and _state.enabled and out.dtype.kind in "fc":
            return self._record((a, b), ((a.grad_fn or a) if a.requires_grad else None,
                                         (b.grad_fn or b) if b.requires_grad else None),
                                kwargs or _NO_KWARGS, out)
        return _wrap(out)

    def apply(self, ts: Sequence[Tensor], kwargs: dict) -> Tensor:
        """Apply to a sequence of Tensors with keyword arguments for the forward."""
        if self.promote:
            ts = self._promote(ts)
        try:
            out = self.forward(*[t.data for t in ts], **kwargs)
        except Exception as e:  # noqa: BLE001 - re-raised with the op's name and shapes
            raise _op_error(self.name, ts, e) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if _state.enabled and out.dtype.kind in "fc":
            for t in ts:
                if t.requires_grad:
                    return self._record(tuple(ts), tuple(
                        [(t.grad_fn or t) if t.requires_grad else None for t in ts]), kwargs, out)
        return _wrap(out)

    def _promote(self, ts: Sequence[Tensor]) -> Sequence[Tensor]:
        which = self.promote
        if which is True:
            if len(ts) < 2 or all(t.data.dtype is ts[0].data.dtype for t in ts):
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
        if _state.anomaly:
            _check_forward(node, out)
        return res

    def vjp(self, node: Node, g: Any) -> list:
        """Gradients for each input from the upstream ``g`` (an ndarray in a plain backward,
        a Tensor under ``create_graph``), each shaped like its input (``None`` if not needed)."""
        inputs = node.inputs
        if not isinstance(g, Tensor):
            xs: Any = [t.data for t in inputs]
            out = node._out_data
        else:
            xs = inputs
            out = node.out_tensor() if self.save_out else None
        kw = node.kwargs
        nexts = node.next_functions
        if self.vjp_all is not None:
            grads = self.vjp_all(g, out, xs, [n is not None for n in nexts], **kw)
            for i, gi in enumerate(grads):
                if gi is not None and gi.shape != inputs[i].data.shape:
                    grads[i] = unbroadcast(gi, inputs[i].data.shape, self.name)
            return grads
        grads = []
        for n, rule, t in zip(nexts, self.vjps, inputs):
            if n is None:
                grads.append(None)
                continue
            gi = rule(g, out, *xs, **kw)
            # Rules may return NumPy scalars for 0-d inputs: they have .shape and flow on.
            if gi.shape != t.data.shape:
                gi = unbroadcast(gi, t.data.shape, self.name)
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
    if stretched:
        g = g.sum(tuple(range(lead)) + stretched, keepdims=True)
    elif lead:  # only added leading dims (a bias): summing them away leaves ``shape``
        return g.sum(tuple(range(lead)))
    if g.shape != shape:
        g = g.reshape(shape)
    return g


def _shapes(ts: Sequence[Tensor]) -> str:
    return ", ".join(str(t.data.shape) for t in ts)


def _op_error(name: str, ts: Sequence[Tensor], e: Exception) -> Exception:
    """Turn a NumPy failure inside an op's forward into the library's error for users."""
    if str(e).startswith(name.lower() + ":"):  # already the library's message for this op
        return e
    if isinstance(e, IndexError) and not isinstance(e, ValueError):
        # an index out of range stays an IndexError, as for Python sequences and PyTorch
        return IndexError(f"{name.lower()}: {e} (input shapes {_shapes(ts)})")
    dtypes = ", ".join(str(t.data.dtype) for t in ts)
    if isinstance(e, (ValueError, IndexError)):
        if "broadcast" in str(e) or "shape" in str(e):
            return ValueError(f"{name.lower()}: invalid input shapes ({_shapes(ts)}): {e}")
        return ValueError(f"{name.lower()}: {e} (input shapes {_shapes(ts)}, dtypes {dtypes})")
    if isinstance(e, TypeError):
        return TypeError(f"{name.lower()}: unsupported input dtypes ({dtypes}): {e}")
    if isinstance(e, ArithmeticError):  # OverflowError (inf into an int), ZeroDivisionError
        return ValueError(f"{name.lower()}: {e} (input shapes {_shapes(ts)}, dtypes {dtypes})")
    return e


def _check_forward(node: Node, out: np.ndarray) -> None:
    """Anomaly mode, forward: note on ``node`` which op made the NaN/Inf its output holds.

    An op that makes NaN/Inf from finite inputs is the origin; an output that still holds
    NaN/Inf from an input inherits that input's origin; a finite output (the NaN masked out,
    as in ``where(x > 0, log(x), 0)``) has none. Backward raises, naming the origin and its
    line, only when a root it starts from holds one (see ``backward._check_forward_anomaly``),
    so only NaN/Inf that reach a result count. NaN the user put in is nobody's anomaly."""
    if out.dtype.kind not in "fc" or np.all(np.isfinite(out)):
        return
    finite = True
    for t in node.inputs:
        if t.data.dtype.kind in "fc" and not np.all(np.isfinite(t.data)):
            finite = False
            n = t.grad_fn
            if n is not None and n.anomaly is not None:
                node.anomaly = n.anomaly
                return
    if finite:
        node.anomaly = node


_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_stack() -> list:
    """The current stack without the library's own frames (recorded under anomaly mode)."""
    stack = traceback.extract_stack()
    frames = [f for f in stack if not os.path.abspath(f.filename).startswith(_PKG_DIR)]
    return frames or stack


def format_trace(node: Node) -> str:
    """Where the op of ``node`` was created (last user frames), for error messages."""
    if not node.trace:
        return "  (unknown: enable ag.detect_anomaly() before the forward pass)"
    return "".join(traceback.format_list(node.trace[-4:]))

