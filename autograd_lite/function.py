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
>>> Cube.apply(x).backward()
>>> x.grad.item()
12.0
"""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from autograd_lite.grad_mode import _state, no_grad
from autograd_lite.node import Node
from autograd_lite.tensor import Tensor

__all__ = ["Function", "FunctionCtx"]

_wrap = Tensor._wrap


class FunctionCtx:
    """The ``ctx`` of a custom Function: ``save_for_backward``, ``saved_tensors``,
    ``needs_input_grad``; any other attribute may be set to keep non-tensor state."""

    def __init__(self, needs_input_grad: tuple) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self._versions: tuple = ()
        self._outs: list = []
        self._name = "Function"

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or None) for ``backward``; changing them in place later is an error."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward: expected Tensors or None, got "
                                f"{type(t).__name__}; keep other values as ctx attributes")
        self._saved = tensors
        self._versions = tuple(None if t is None else t._version for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward`` (outputs come back attached to the graph)."""
        if self._saved is None:
            raise RuntimeError(f"{self._name}Backward: saved tensors were freed by a previous "
                               "backward; pass retain_graph=True to backward twice")
        out = []
        for t, v in zip(self._saved, self._versions):
            if isinstance(t, int):  # index of one of the outputs: the live one, or rebuilt
                ref, data, node_ref = self._outs[t]
                t = ref()
                if t is None:
                    node = node_ref()
                    t = _wrap(data, node is not None, node)
            elif t is not None and t._version != v:
                raise RuntimeError(
                    f"{self._name}Backward: a tensor saved for backward (shape {t.shape}) was "
                    f"modified in place after it was saved (version {v} -> {t._version})")
            out.append(t)
        return tuple(out)


class _GradTuple:
    """Gradients of a multi-output Function, one slot per output; ``+`` adds slot-wise."""

    __slots__ = ("grads",)

    def __init__(self, grads: list) -> None:
        self.grads = grads

    def __add__(self, other: "_GradTuple") -> "_GradTuple":
        return _GradTuple([b if a is None else a if b is None else a + b
                           for a, b in zip(self.grads, other.grads)])

    @property
    def shape(self) -> tuple:
        return tuple(None if g is None else g.shape for g in self.grads)


class _FunctionOp:
    """The op behind every node a custom Function records (state lives in ``node.saved``)."""

    save_out = False

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.name = cls.__name__

    def vjp(self, node: Node, g: Any) -> list:
        ctx, shapes, outs = node.saved
        name = self.name
        if isinstance(g, _GradTuple):
            gs = []
            for gi, ref in zip(g.grads, outs):
                if gi is None:
                    o = ref()
                    gi = _wrap(np.zeros(o.shape if o is not None else (), dtype=node.kwargs[
                        "dtype"]))
                gs.append(gi)
        else:
            gs = [g]
        res = self.cls.backward(ctx, *gs)
        if not isinstance(res, tuple):
            res = (res,)
        if len(res) != len(shapes):
            raise RuntimeError(f"{name}.backward returned {len(res)} gradient(s) but forward "
                               f"took {len(shapes)} input(s); return one per input (None for "
                               "non-differentiable ones)")
        grads: list = []
        for i, (r, nx, shp) in enumerate(zip(res, node.next_functions, shapes)):
            if r is None or nx is None:
                if r is not None and shp is None:
                    raise RuntimeError(f"{name}.backward returned a gradient for input {i}, "
                                       "which is not a Tensor; return None there")
                grads.append(None)
                continue
            if not isinstance(r, Tensor):
                r = _wrap(np.asarray(r))
            if r.shape != shp:
                raise RuntimeError(f"{name}.backward returned a gradient of shape {r.shape} "
                                   f"for input {i}, whose shape is {shp}")
            grads.append(r)
        return grads


class _SelectOp:
    """Routes the gradient of output ``k`` of a multi-output Function into its slot."""

    save_out = False
    name = "Select"

    def vjp(self, node: Node, g: Tensor) -> list:
        k, n = node.kwargs["k"], node.kwargs["n"]
        slots: list = [None] * n
        slots[k] = g
        return [_GradTuple(slots)]


_SELECT = _SelectOp()


class Function:
    """Base class of user-defined ops. Subclass with static ``forward(ctx, *args, **kwargs)``
    (returns a Tensor or a tuple of Tensors) and ``backward(ctx, *grad_outputs)`` (returns one
    gradient per forward input, None where there is none); call ``MyOp.apply(*args)``.

    ``forward`` runs with grad mode off. A ``backward`` written with Tensor ops is itself
    differentiable, so double backward (``create_graph=True``) works.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("Function subclasses must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("Function subclasses must define a static backward(ctx, ...)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        ctx._name = cls.__name__
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        outs = tuple(o if isinstance(o, Tensor) else _wrap(np.asarray(o)) for o in outs)
        record = _state.enabled and any(needs)
        if not record:
            res = tuple(_wrap(o.data) for o in outs)
            return res[0] if single else res
        op = cls.__dict__.get("_op_") or _FunctionOp(cls)
        cls._op_ = op
        shapes = tuple(a.shape if isinstance(a, Tensor) else None for a in args)
        nexts = tuple((a.grad_fn or a) if n else None for a, n in zip(args, needs))
        tensors = tuple(a for a in args if isinstance(a, Tensor))
        node = Node(op, tensors, nexts, {"dtype": outs[0].dtype})
        node._versions = ()  # a Function checks only what it saved (in ctx.saved_tensors)
        results = []
        if single:
            results.append(_wrap(outs[0].data, outs[0].dtype.kind in "fc", node))
            node._out = weakref.ref(results[0])
        else:
            for k, o in enumerate(outs):
                if o.dtype.kind not in "fc":
                    results.append(_wrap(o.data))
                    continue
                sel = Node(_SELECT, (), (node,), {"k": k, "n": len(outs)})
                r = _wrap(o.data, True, sel)
                sel._out = weakref.ref(r)
                results.append(r)
        refs = tuple(weakref.ref(r) for r in results)
        # Saved outputs become indices of the recorded outputs: no reference cycle, and they
        # come back attached to the graph (double backward flows through this node).
        if any(t is o for t in ctx._saved for o in outs):
            ctx._saved = tuple(next((k for k, o in enumerate(outs) if o is t), t)
                               if isinstance(t, Tensor) else t for t in ctx._saved)
            ctx._outs = [(ref, r.data, weakref.ref(r.grad_fn) if r.grad_fn else lambda: None)
                         for ref, r in zip(refs, results)]
        node.saved = (ctx, shapes, refs)
        return results[0] if single else tuple(results)
