"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, state dicts.

PyTorch's conventions (``torch/optim/optimizer.py``): an optimizer holds ``param_groups``, a
list of dicts each with ``"params"`` (a list of Tensors) and every hyper-parameter (``"lr"``,
...), filled from ``defaults`` where a group does not set them; and ``state``, a dict (a
``defaultdict(dict)``) from a parameter Tensor to that parameter's buffers (momentum,
moments, step count).

Subclasses implement ``step(closure=None)``: they read ``p.grad.data`` and ``p.data`` as
NumPy arrays, compute the new value, and write it back through the Tensor in-place API
(``p.copy_(new)``) under ``no_grad`` so that the parameter's version counter is bumped
(a graph that saved the old value then refuses to backward through it).

``state_dict()`` uses PyTorch's layout, with parameters replaced by their position in the
flattened list of all groups' parameters::

    {"state": {0: {"step": 3, "exp_avg": ndarray, ...}, ...},
     "param_groups": [{"lr": 0.1, ..., "params": [0, 1]}, ...]}

It holds only arrays, numbers, bools and tuples, so ``nn.save`` can write it to ``.npz``.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from autograd_lite.grad_mode import enable_grad
from autograd_lite.tensor import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    """Sentinel for a hyper-parameter without a default (PyTorch's ``required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class of every optimizer.

    Args:
        params: an iterable of Tensors, or of dicts (parameter groups) each with a
            ``"params"`` entry (a Tensor or an iterable of Tensors) and optional per-group
            hyper-parameters that override ``defaults``.
        defaults: the default hyper-parameters of every group (must contain ``"lr"``).
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}; wrap a single "
                            "Tensor in a list: [p]")
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (a dict with ``"params"`` and optional hyper-parameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("param group must have a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but params[{i}] is "
                                f"{type(p).__name__}")
            if p.dtype.kind != "f":
                raise TypeError(f"optimizer can only optimize floating Tensors, params[{i}] "
                                f"has dtype {p.dtype}")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (params[{i}] has grad_fn "
                                 f"{p.grad_fn}); optimize the leaf it was computed from")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate one group's hyper-parameters (``ValueError``); subclasses extend it."""
        lr = group.get("lr")
        if lr is not None and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")

    # ------------------------------------------------------------------ grads
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters.

        ``set_to_none=True`` (default) sets ``p.grad = None``; ``False`` gives each parameter a
        fresh zero gradient (a new array, so a gradient array shared elsewhere is not
        modified).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = Tensor(np.zeros_like(p.grad.data))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        raise NotImplementedError

    def _call_closure(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _params_with_grad(self, group: dict[str, Any]) -> Iterable[Tensor]:
        for p in group["params"]:
            if p.grad is not None:
                yield p

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Arrays in the result are copies, so later steps do not change a saved state dict.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _copy_value(v) for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if id(p) in index and s:
                state[index[id(p)]] = {k: _copy_value(v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and per-parameter state saved by :meth:`state_dict`.

        Parameters are matched by position, so the optimizer must have been built over the
        same parameters in the same order (ValueError otherwise). Arrays are copied and cast
        to each parameter's dtype. Integer keys that came back as strings (e.g. through a
        file format) and tuples that came back as arrays are accepted.
        """
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("load_state_dict: expected a dict with 'state' and "
                             f"'param_groups', got keys {sorted(state_dict)}")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups but "
                             f"the optimizer has {len(self.param_groups)}")
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups, strict=False)):
            n_saved = len(_as_index_list(s["params"]))
            if len(g["params"]) != n_saved:
                raise ValueError(f"loaded state dict contains a parameter group (group {i}) "
                                 f"with {n_saved} parameters that doesn't match the size of "
                                 f"optimizer's group ({len(g['params'])} parameters)")
        id_map: dict[int, Tensor] = {}
        for g, s in zip(self.param_groups, saved_groups, strict=False):
            for idx, p in zip(_as_index_list(s["params"]), g["params"], strict=False):
                id_map[idx] = p
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups, strict=False):
            new = {k: _restore_hparam(v, g.get(k)) for k, v in s.items() if k != "params"}
            new["params"] = g["params"]
            new_groups.append(new)
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, s in state_dict["state"].items():
            idx = int(key)
            if idx not in id_map:
                raise ValueError(f"load_state_dict: state for parameter index {idx} but the "
                                 f"optimizer has only {len(id_map)} parameters")
            p = id_map[idx]
            new_state[p] = {k: _restore_state(k, v, p) for k, v in s.items()}
        self.param_groups = new_groups
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)


def _copy_value(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.copy()
    return copy.deepcopy(v)


def _as_index_list(v: Any) -> list[int]:
    return [int(i) for i in np.asarray(v).reshape(-1)]


def _restore_hparam(v: Any, current: Any) -> Any:
    """Undo what a file format may have done to a hyper-parameter (0-d arrays, lists)."""
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    elif isinstance(v, np.generic):
        v = v.item()
    if isinstance(current, tuple) or isinstance(v, (list, np.ndarray)):
        v = tuple(np.asarray(v).tolist())
    return copy.deepcopy(v)


def _restore_state(key: str, v: Any, p: Tensor) -> Any:
    if isinstance(v, Tensor):
        v = v.data
    if isinstance(v, np.ndarray) and v.ndim == 0 and key == "step":
        return v.item()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "f" and v.shape == p.shape:
            return v.astype(p.dtype, copy=True)
        return v.copy()
    return copy.deepcopy(v)
