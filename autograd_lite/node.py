"""Graph nodes: one [`Node`][autograd_lite.node.Node] (a tensor's ``grad_fn``) per recorded op
application (see [`Op`][autograd_lite.primitive.Op] in ``primitive.py``).

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

import weakref
from typing import Any, Callable

import numpy as np

from autograd_lite import scope as _scope
from autograd_lite.anomaly import user_stack
from autograd_lite.grad_mode import _state
from autograd_lite.tensor import Tensor
from autograd_lite.versions import _clock, buffer_tick

__all__ = ["Node"]

_wrap = Tensor._wrap
_scopes = _scope._scopes


class Node:
    """One recorded op application: the ``grad_fn`` of the tensor it produced."""

    __slots__ = ("op", "inputs", "next_functions", "kwargs", "saved", "_out", "_out_data",
                 "_saved_tick", "_hooks", "_retain", "scope", "trace", "anomaly", "__weakref__")

    def __init__(self, op: Any, inputs: tuple, next_functions: tuple, kwargs: dict,
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
        self._saved_tick = _clock[0]
        self._hooks = None
        self._retain = None
        st = _scopes.stack
        self.scope = st[-1] if st else None
        self.trace = user_stack() if _state.anomaly else None
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
        tick = self._saved_tick
        if tick is not None and _clock[0] != tick:  # something changed in place since
            self._check_versions(tick)
        return self.op.vjp(self, grad)

    def _check_versions(self, tick: int) -> None:
        """Raise if an input (or the saved output) changed in place after ``tick``, through
        the tensor itself or through a view or detached alias sharing its memory."""
        reads = getattr(self.op, "reads", None)
        for i, t in enumerate(self.inputs):
            if reads is not None and i not in reads:
                continue  # its value is not used by the gradient (only its shape, if at all)
            if t._stamp > tick or buffer_tick(t._data) > tick:
                raise RuntimeError(
                    f"{self}: input {i} (shape {t.shape}), needed for the gradient, was "
                    f"modified by an in-place operation after it was saved (directly: it is "
                    f"at version {t._version}, or through a view or detached alias of its "
                    "data). Clone it before changing it, or change it out of place.")
        for key, value in self.kwargs.items():  # saved arguments: indices, targets, bounds
            for a in (value if type(value) is tuple else (value,)):
                if isinstance(a, Tensor):
                    changed = a._stamp > tick or buffer_tick(a._data) > tick
                else:
                    changed = isinstance(a, np.ndarray) and buffer_tick(a) > tick
                if changed:
                    raise RuntimeError(
                        f"{self}: its argument {key!r} (shape {np.shape(a)}), saved for the "
                        "gradient, was modified by an in-place operation after it was saved "
                        "(directly or through a view or detached alias). Clone it before "
                        "changing it, or change it out of place.")
        out = self._out_data
        if out is not None:  # a saved output (exp, tanh, ...)
            o = self._out()
            if (o is not None and o._stamp > tick) or buffer_tick(out) > tick:
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
                a = a._data
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
