"""User-defined differentiable ops, PyTorch style (``ag.Function``).

>>> import autograd_lite as ag
>>> class Cube(ag.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x * x * x
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return g * 3 * x * x
>>> x = ag.tensor(2.0, requires_grad=True)
>>> y = Cube.apply(x)
>>> str(y.grad_fn)
'CubeBackward'
>>> y.backward()
>>> x.grad.item()
12.0

How a call is recorded. ``MyOp.apply(*args, **kwargs)`` runs ``forward`` with grad mode off
(so it records nothing), then, if grad mode is on and some Tensor argument requires grad,
records one graph [`Node`][autograd_lite.node.Node] per differentiable output, named after the
class (``str(out.grad_fn) == "MyOpBackward"``). The node's inputs are the Tensor arguments
(in order); other arguments are passed to ``forward`` but are not part of the graph. From then
on the node is handled by the engine exactly like a built-in op: hooks, ``retain_graph``,
``create_graph``, anomaly mode, ``iter_backward`` and ``viz`` see no difference.

When the engine reaches the node it calls ``MyOp.backward(ctx, *grad_outputs)`` and checks the
result: one gradient per positional argument of ``forward`` (``None`` for arguments that are
not Tensors or need no gradient), each shaped exactly like its input. Anything else is a
``RuntimeError`` naming the function, the input index and both shapes.

A multi-output Function records one node per output. By linearity of the VJP, each node calls
``backward`` with the gradient of its own output and zeros for the others, and the engine sums
the results; so ``backward`` runs once per output that receives a gradient.
"""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from autograd_lite import function_forward as _fw
from autograd_lite import primitive as _P
from autograd_lite.anomaly import check_forward
from autograd_lite.grad_mode import _state, no_grad
from autograd_lite.node import Node
from autograd_lite.tensor import Tensor
from autograd_lite.versions import buffer_tick, now

__all__ = ["Function", "FunctionCtx"]

_wrap = Tensor._wrap


class _OutputSlot:
    """Stands in ``ctx``'s saved tuple for output ``k`` of the forward (no reference cycle)."""

    __slots__ = ("k",)

    def __init__(self, k: int) -> None:
        self.k = k


class FunctionCtx:
    """The ``ctx`` of a custom Function.

    - ``ctx.save_for_backward(*tensors)`` keeps Tensors (inputs, outputs or intermediates) for
      ``backward``; read them back with ``ctx.saved_tensors``. Changing a saved tensor in place
      afterwards makes ``saved_tensors`` raise (the gradient would silently be wrong).
    - ``ctx.needs_input_grad``: one bool per positional argument of ``forward``, True where the
      argument is a Tensor that requires grad (skip work in ``backward`` where it is False).
    - ``ctx.mark_non_differentiable(*outputs)``: outputs that get no gradient (e.g. indices).
    - ``ctx.save_for_forward(*tensors)`` keeps Tensors for ``jvp`` (forward mode); inside
      ``jvp``, ``ctx.saved_tensors`` returns these (``()`` if none were saved), as PyTorch.
    - Any other attribute (``ctx.alpha = 2.0``) keeps non-tensor state for ``backward``.
    """

    def __init__(self, needs_input_grad: tuple, name: str = "Function") -> None:
        self.needs_input_grad = needs_input_grad
        self._name = name
        self._saved: tuple = ()
        self._versions: tuple = ()
        self._tick = 0
        self._outs: list = []  # per output: (weakref to the result, data, weakref to its node)
        self._non_diff: list = []
        self._fwd_saved: tuple | None = None  # save_for_forward's tensors (None: not called)
        self._in_jvp = False
        self._out_tangents: dict = {}  # output index -> its forward-mode tangent entry

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or None) for ``backward``; changing them in place later is an error."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"{self._name}: save_for_backward expects Tensors or None, got "
                                f"{type(t).__name__} at position {i}; keep other values as "
                                f"ctx attributes (ctx.name = value)")
        self._saved = tensors
        self._versions = tuple(None if t is None else t._version for t in tensors)
        self._tick = now()  # a change through an alias stamps the buffer later than this

    def save_for_forward(self, *tensors: Any) -> None:
        """Keep tensors (or None) for ``jvp`` (PyTorch's ``ctx.save_for_forward``); ``jvp``
        reads them back with ``ctx.saved_tensors``."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"{self._name}: save_for_forward expects Tensors or None, got "
                                f"{type(t).__name__} at position {i}; keep other values as "
                                f"ctx attributes (ctx.name = value)")
        self._fwd_saved = tensors

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Declare outputs of ``forward`` that have no gradient (they get no ``grad_fn``)."""
        self._non_diff.extend(outputs)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, in order. A saved output comes back
        attached to the graph (its ``grad_fn`` is this Function's node), so a ``backward``
        that uses it is still differentiable. Inside ``jvp``: the tensors given to
        ``save_for_forward``."""
        if self._in_jvp:
            return () if self._fwd_saved is None else tuple(self._fwd_saved)
        out = []
        for t, v in zip(self._saved, self._versions, strict=True):
            if isinstance(t, _OutputSlot):
                ref, data, node_ref = self._outs[t.k]
                live = ref()
                if live is None:  # rebuilt from the saved array, still attached to its node
                    node = node_ref()
                    live = _wrap(data, node is not None, node)
                    e = self._out_tangents.get(t.k)
                    if e is not None:  # forward over reverse: the rebuilt output keeps its tangent
                        _fw.reattach(live, e)
                elif live._version != v or buffer_tick(data) > self._tick:
                    raise RuntimeError(
                        f"{self._name}Backward: output {t.k} of {self._name}.forward (shape "
                        f"{live.shape}) was saved for backward and then modified in place "
                        f"(version {v} -> {live._version}, or through a view or detached "
                        "alias of its data); clone it before changing it")
                t = live
            elif t is not None and (t._version != v or buffer_tick(t.data) > self._tick):
                raise RuntimeError(
                    f"{self._name}Backward: a tensor saved for backward (shape {t.shape}) was "
                    f"modified in place after it was saved (version {v} -> {t._version}, or "
                    "through a view or detached alias of its data); clone it before changing "
                    "it, or change it out of place")
            out.append(t)
        return tuple(out)


class _FunctionOp:
    """The op behind every node a custom Function class records (``node.name`` = class name).

    ``node.saved`` holds ``(ctx, k, out_specs, arg_specs)``: the shared ctx, which output the
    node stands for, (shape, dtype) of every output, and per positional argument of ``forward``
    either ``(position among the node's inputs, shape)`` or, for a non-Tensor, its type name.
    """

    save_out = False
    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.name = cls.__name__

    def __repr__(self) -> str:
        return f"FunctionOp({self.name})"

    @property
    def explain(self) -> Any:
        """The stepper's template: the class attribute ``explain`` (an
        `Explain`) if the Function defines one, else a generic
        ``Name.backward(ctx, g)[i]``."""
        from autograd_lite.explain import GENERIC
        e = getattr(self.cls, "explain", None)
        return GENERIC if e is None else e

    def vjp(self, node: Node, g: Any) -> list:
        """The engine's call (as ``Op.vjp``). ``backward`` is user code written on Tensors, so
        in a plain backward (``g`` an ndarray) it gets ``g`` wrapped and its results are
        unwrapped; under ``create_graph`` it runs on the Tensors and is recorded."""
        if isinstance(g, Tensor):
            return self._backward(node, g)
        return [None if r is None else r.data for r in self._backward(node, _wrap(np.asarray(g)))]

    def _backward(self, node: Node, g: Tensor) -> list:
        ctx, k, out_specs, arg_specs = node.saved
        name = self.name
        if len(out_specs) == 1:
            gs = [g]
        else:  # this node's output gets g, the others zeros; the engine sums over outputs
            gs = [g if j == k else _wrap(np.zeros(shape, dtype=dtype))
                  for j, (shape, dtype) in enumerate(out_specs)]
        res = self.cls.backward(ctx, *gs)
        if not isinstance(res, (tuple, list)):
            res = (res,)
        n_args = len(arg_specs)
        if len(res) != n_args and not (len(res) > n_args and
                                       all(r is None for r in res[n_args:])):
            raise RuntimeError(
                f"{name}.backward returned {len(res)} gradient(s), but {name}.forward took "
                f"{n_args} input(s); return exactly one per input, None for inputs that are "
                "not Tensors or need no gradient")
        grads: list = [None] * len(node.next_functions)
        for i, (r, spec) in enumerate(zip(res, arg_specs, strict=False)):
            if r is None:
                continue
            if isinstance(spec, str):
                raise RuntimeError(
                    f"{name}.backward returned a gradient for input {i}, which is not a Tensor "
                    f"(forward got a {spec}); return None in that position")
            pos, shape = spec
            if not isinstance(r, Tensor):
                if not isinstance(r, (np.ndarray, np.generic, int, float)):
                    raise TypeError(f"{name}.backward returned a {type(r).__name__} as the "
                                    f"gradient for input {i}; return a Tensor (or None)")
                r = _wrap(np.asarray(r, dtype=out_specs[k][1]))
            if r.shape != shape:
                raise RuntimeError(
                    f"{name}.backward returned a gradient of shape {r.shape} for input {i}, "
                    f"but that input has shape {shape}; the gradient must have the input's "
                    "shape exactly")
            if node.next_functions[pos] is not None:
                grads[pos] = r
        return grads


class Function:
    """Base class of user-defined differentiable ops (PyTorch's ``torch.autograd.Function``).

    Subclass with two static methods and call ``MyOp.apply(*args, **kwargs)``:

    - ``forward(ctx, *args, **kwargs)`` computes the result from Tensors (or arrays and other
      values) and returns a Tensor, an array, or a tuple of them. It runs with grad mode off.
    - ``backward(ctx, *grad_outputs)`` gets one gradient per output (shaped like it) and
      returns one gradient per positional argument of ``forward``, shaped exactly like that
      argument, ``None`` for arguments that are not Tensors or need no gradient. Keyword
      arguments of ``forward`` get no gradient.

    A ``backward`` written with Tensor ops is itself differentiable, so ``create_graph=True``
    (double backward, ``gradgradcheck``, Hessians) works; one written on ``.data`` arrays
    gives first derivatives only. Check a new op with ``ag.testing.gradcheck`` and
    ``ag.testing.taylor_test``.

    The ``setup_context`` style of PyTorch 2.x works too: ``forward(*args)`` without ``ctx``
    plus ``setup_context(ctx, inputs, output)`` (both static), with the same ``backward``.

    Forward mode (``ag.dual_level``, ``functional.jvp``): define a third static method
    ``jvp(ctx, *tangents)``, as PyTorch's ``Function.jvp``. See `Function.jvp`.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("Function subclasses must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("Function subclasses must define a static backward(ctx, ...)")

    @staticmethod
    def jvp(ctx: FunctionCtx, *tangents: Any) -> Any:
        """Forward mode (PyTorch's ``Function.jvp``): called by ``apply`` right after
        ``forward`` when the Function runs inside a dual level and some Tensor argument has a
        tangent. It gets one tangent per positional argument of ``forward`` (zeros for a
        floating Tensor without one, None for other arguments; shaped like the argument) and
        returns one tangent per output of ``forward``, shaped like it (None: no tangent).
        ``ctx`` is ``forward``'s (or ``setup_context``'s); in here ``ctx.saved_tensors`` gives
        what ``ctx.save_for_forward`` kept. Written with Tensor ops it composes with reverse
        mode. Not overridden: a tangent reaching the Function raises ``NotImplementedError``."""
        raise NotImplementedError

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple, output: Any) -> None:
        """PyTorch 2.x's second style: define ``forward(*args)`` without ``ctx`` and this
        static method, which gets the positional inputs and the output of ``forward`` and
        saves what ``backward`` needs on ``ctx``. Not overridden: ``forward(ctx, *args)``."""
        raise NotImplementedError

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = type(self).__name__
        raise TypeError(f"call a custom Function through its class: {name}.apply(...), not "
                        f"{name}()(...)")

    @classmethod
    def _run_forward(cls, ctx: FunctionCtx, args: tuple, kwargs: dict) -> Any:
        with no_grad():
            if cls.setup_context is Function.setup_context:
                return cls.forward(ctx, *args, **kwargs)
            # PyTorch 2.x style: forward(*args), then setup_context(ctx, inputs, output)
            result = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, result)
            return result

    @classmethod
    def _jvp(cls) -> Any:
        """The class's ``jvp`` rule, None when it does not define one."""
        return None if cls.jvp is Function.jvp else cls.jvp

    @classmethod
    def _op(cls) -> _FunctionOp:
        op = cls.__dict__.get("_op_")
        if op is None:
            op = _FunctionOp(cls)
            cls._op_ = op
        return op

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` and, when gradients are needed, record it in the graph.

        Returns what ``forward`` returned (a Tensor or a tuple of Tensors), as new Tensors that
        require grad when grad mode is on and some Tensor argument requires grad.
        """
        name = cls.__name__
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs, name)
        dual = _P._dual  # inside a dual level: forward sees no tangents (as PyTorch), jvp does
        if dual:
            _P._dual = 0
            try:
                result = cls._run_forward(ctx, args, kwargs)
            finally:
                _P._dual = dual
        else:  # (outside forward mode: this one test is all it costs)
            result = cls._run_forward(ctx, args, kwargs)
        single = not isinstance(result, tuple)
        raw = (result,) if single else result
        outs = []
        for j, o in enumerate(raw):
            if not isinstance(o, Tensor):
                if not isinstance(o, (np.ndarray, np.generic, int, float, bool)):
                    raise TypeError(f"{name}.forward returned a {type(o).__name__} as output "
                                    f"{j}; return Tensors (or arrays)")
                o = _wrap(np.asarray(o))
            outs.append(o)
        if not (_state.enabled and any(needs)):
            res = tuple(_wrap(o.data) for o in outs)
            if dual:
                _fw.function_jvp(name, cls._jvp(), ctx, args, outs, res)
            return res[0] if single else res
        results = _record(cls, ctx, args, outs)
        if dual:
            _fw.function_jvp(name, cls._jvp(), ctx, args, outs, results)
        return results[0] if single else tuple(results)


def _record(cls: type, ctx: FunctionCtx, args: tuple, outs: list) -> list:
    """Record one node per differentiable output of ``cls.forward`` (``outs``); the new
    result Tensors, in order."""
    op = cls._op()
    tensors = tuple(a for a in args if isinstance(a, Tensor))
    nexts = tuple((t.grad_fn or t) if t.requires_grad else None for t in tensors)
    arg_specs, pos = [], 0
    for a in args:
        if isinstance(a, Tensor):
            arg_specs.append((pos, a.shape))
            pos += 1
        else:
            arg_specs.append(type(a).__name__)
    out_specs = tuple((o.shape, o.dtype) for o in outs)
    non_diff = ctx._non_diff
    results: list = []
    nodes: list = []
    for k, o in enumerate(outs):
        if o.dtype.kind not in "fc" or any(o is nd for nd in non_diff):
            results.append(_wrap(o.data))
            nodes.append(None)
            continue
        node = Node(op, tensors, nexts, {})
        node._saved_tick = None  # a Function checks what it saved (in ctx.saved_tensors)
        node.saved = (ctx, k, out_specs, arg_specs)
        r = _wrap(o.data, True, node)
        node._out = weakref.ref(r)
        if _state.anomaly:
            check_forward(node, o.data)
        results.append(r)
        nodes.append(node)
    # A saved output becomes a slot index: the node does not keep its own output alive
    # (no reference cycle), and the output comes back attached to the graph in backward.
    if ctx._saved:
        saved, versions = list(ctx._saved), list(ctx._versions)
        for i, t in enumerate(saved):
            if t is None or any(t is a for a in tensors):
                continue
            for k, o in enumerate(outs):
                if t is o:
                    saved[i], versions[i] = _OutputSlot(k), 0  # results start at 0
                    break
        ctx._saved, ctx._versions = tuple(saved), tuple(versions)
        ctx._outs = [(weakref.ref(r), r.data,
                      weakref.ref(n) if n is not None else (lambda: None))
                     for r, n in zip(results, nodes, strict=True)]
    return results
