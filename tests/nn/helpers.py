"""Shared helpers for the nn tests."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import autograd_lite as ag
from autograd_lite.testing import gradcheck


def f64(a: Any, requires_grad: bool = True) -> ag.Tensor:
    return ag.tensor(np.asarray(a, dtype=np.float64), dtype=np.float64,
                     requires_grad=requires_grad)


def call_with_params(module: Any, names: list, values: tuple, *args: Any) -> Any:
    """Run ``module(*args)`` with its parameters ``names`` temporarily replaced by ``values``
    (what gradcheck perturbs), then restore them."""
    saved = []
    for name, v in zip(names, values):
        owner = module.get_submodule(name.rpartition(".")[0])
        leaf = name.rpartition(".")[2]
        saved.append((owner, leaf, owner._parameters[leaf]))
        owner._parameters[leaf] = v
    try:
        return module(*args)
    finally:
        for owner, leaf, p in saved:
            owner._parameters[leaf] = p


def gradcheck_module(module: Any, *inputs: Any, wrt_input: bool = True,
                     out: Callable | None = None, **kw: Any) -> bool:
    """gradcheck of a float64 module with respect to its float inputs and every parameter."""
    module.double()
    names = [n for n, _ in module.named_parameters()]
    params = tuple(f64(p.data) for _, p in module.named_parameters())
    xs = tuple(f64(x.data if isinstance(x, ag.Tensor) else x, requires_grad=wrt_input)
               if np.asarray(x.data if isinstance(x, ag.Tensor) else x).dtype.kind == "f"
               else x for x in inputs)
    n_in = len(xs)

    def f(*args: Any) -> Any:
        y = call_with_params(module, names, args[n_in:], *args[:n_in])
        return out(y) if out is not None else y

    return gradcheck(f, xs + params, **kw)
