"""Derivative checks: ``gradcheck`` and ``gradgradcheck`` (central finite differences in
float64 against the engine), and the lectures' ``taylor_test``."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd_lite.backward import grad
from autograd_lite.grad_mode import enable_grad
from autograd_lite.tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """The analytic (engine) and numeric (finite-difference) derivatives disagree."""


def _inputs(inputs: Any) -> tuple[tuple, list]:
    """float64 copies of the inputs; indices of those to differentiate."""
    ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        wrt = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.dtype.kind == "f"]
    if not wrt:
        raise ValueError("gradcheck: no floating Tensor inputs to check")
    out = []
    for i, x in enumerate(ins):
        if i in wrt:
            out.append(Tensor._wrap(np.array(x.data, dtype=np.float64), True))
        else:
            out.append(x)
    return tuple(out), wrt


def _flat_outputs(y: Any) -> list:
    ys = [y] if isinstance(y, Tensor) else list(y)
    for k, t in enumerate(ys):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck: output {k} is {type(t).__name__}, not a Tensor")
    return ys


def _numeric(f: Callable, ins: tuple, wrt: list, eps: float) -> list:
    """J[i] with shape (total output size, input i size) by central differences."""
    J = []
    for i in wrt:
        x = ins[i]
        flat = x.data.reshape(-1)
        cols = []
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = np.concatenate([np.asarray(t.data, np.float64).ravel()
                                   for t in _flat_outputs(f(*ins))])
            flat[j] = orig - eps
            minus = np.concatenate([np.asarray(t.data, np.float64).ravel()
                                    for t in _flat_outputs(f(*ins))])
            flat[j] = orig
            cols.append((plus - minus) / (2 * eps))
        J.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return J


def _analytic(f: Callable, ins: tuple, wrt: list) -> tuple[list, list]:
    with enable_grad():
        ys = _flat_outputs(f(*ins))
    sizes = [t.size for t in ys]
    total = int(np.sum(sizes))
    J = [np.zeros((total, ins[i].size)) for i in wrt]
    row = 0
    for t in ys:
        for k in range(t.size):
            if t.requires_grad:
                e = np.zeros(t.size)
                e[k] = 1
                gs = grad(t, [ins[i] for i in wrt],
                          grad_outputs=Tensor._wrap(e.reshape(t.shape).astype(t.dtype)),
                          retain_graph=True, allow_unused=True)
                for n, g in enumerate(gs):
                    if g is not None:
                        if g.shape != ins[wrt[n]].shape:
                            raise GradcheckError(
                                f"gradcheck: gradient for input {wrt[n]} has shape {g.shape}, "
                                f"expected {ins[wrt[n]].shape}")
                        J[n][row] = g.data.ravel()
            row += 1
    return J, ys


def gradcheck(f: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check the engine's derivatives of ``f`` against central finite differences.

    ``inputs`` is a Tensor or a tuple (of Tensors and other arguments); the float Tensors that
    require grad (or all float Tensors, if none does) are copied to float64 and checked.
    Returns True, or raises :class:`GradcheckError` naming the input, the element (input and
    output index), and the analytic and numeric values.
    """
    ins, wrt = _inputs(inputs)
    J_a, ys = _analytic(f, ins, wrt)
    J_n = _numeric(f, ins, wrt, eps)
    for n, i in enumerate(wrt):
        a, num = J_a[n], J_n[n]
        bad = ~np.isclose(a, num, atol=atol, rtol=rtol, equal_nan=True)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            shape = ins[i].shape
            elem = np.unravel_index(c, shape) if shape else ()
            msg = (f"gradcheck: Jacobian mismatch for input {i} (shape {shape}) at element "
                   f"{tuple(int(e) for e in elem)}, output element {int(r)}:\n"
                   f"  analytic {a[r, c]!r}\n  numeric  {num[r, c]!r}\n"
                   f"  ({int(bad.sum())} of {bad.size} entries differ; atol={atol}, "
                   f"rtol={rtol})\n  analytic Jacobian:\n{np.array2string(a, precision=5)}\n"
                   f"  numeric Jacobian:\n{np.array2string(num, precision=5)}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(f: Callable, inputs: Any, grad_outputs: Any = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, v) -> grad(f(inputs), inputs, v,
    create_graph=True)``, with a random ``v`` (or ``grad_outputs``) also differentiated."""
    ins, wrt = _inputs(inputs)
    with enable_grad():
        ys = _flat_outputs(f(*ins))
    rng = np.random.default_rng(0)
    if grad_outputs is None:
        vs = [Tensor._wrap(rng.standard_normal(t.shape), True) for t in ys]
    else:
        go = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
        vs = [Tensor._wrap(np.array(np.asarray(v.data if isinstance(v, Tensor) else v),
                                    dtype=np.float64), True) for v in go]
    n_in = len(ins)

    def first_grads(*args: Any) -> tuple:
        xs, v = args[:n_in], args[n_in:]
        outs = _flat_outputs(f(*xs))
        diff = [(o, g) for o, g in zip(outs, v) if o.requires_grad]
        if not diff:
            return tuple(Tensor._wrap(np.zeros(xs[i].shape)) for i in wrt)
        gs = grad([o for o, _ in diff], [xs[i] for i in wrt], [g for _, g in diff],
                  create_graph=True, allow_unused=True)
        return tuple(Tensor._wrap(np.zeros(xs[i].shape)) if g is None else g
                     for g, i in zip(gs, wrt))

    return gradcheck(first_grads, tuple(ins) + tuple(vs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
