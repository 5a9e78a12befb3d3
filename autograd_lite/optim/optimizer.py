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
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from autograd_lite.grad_mode import enable_grad
from autograd_lite.tensor import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    """Sentinel for a hyper-parameter without a default (PyTorch's ``required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class _InvalidHyperParameter(ValueError):
    """A hyper-parameter value an optimizer refuses; ``.key`` names the hyper-parameter."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _check_nonneg(hparams: Mapping[str, Any], key: str, label: str | None = None) -> None:
    """Refuse ``hparams[key]`` unless ``0 <= value`` (NaN refused); absent keys pass. The
    message is ``"Invalid <label>: <value>"``, label defaulting to ``"<key> value"``."""
    if key in hparams and not 0.0 <= hparams[key]:
        raise _InvalidHyperParameter(key, f"Invalid {label or key + ' value'}: {hparams[key]}")


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
        """Validate (and normalise) one new group's hyper-parameters; subclasses extend it."""
        self._check_hparams(group)

    def _check_hparams(self, hparams: Mapping[str, Any]) -> None:
        """Refuse hyper-parameter values that the constructor refuses.

        Raises `_InvalidHyperParameter` (a ``ValueError`` with the offending ``.key``)
        for the first bad value; keys absent from ``hparams`` are not checked. Subclasses
        extend it with their own rules; constructors,
        [`add_param_group`][autograd_lite.optim.Optimizer.add_param_group] and
        [`load_state_dict`][autograd_lite.optim.Optimizer.load_state_dict] all call it, so a
        checkpoint cannot restore what the constructor would refuse.
        """
        lr = hparams.get("lr")
        if lr is not None and lr is not required and lr < 0.0:
            raise _InvalidHyperParameter("lr", f"Invalid learning rate: {lr}")

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
        """Restore hyper-parameters and per-parameter state saved by
        [`state_dict`][autograd_lite.optim.Optimizer.state_dict].

        Parameters are matched by position, so the optimizer must have been built over the
        same parameters in the same order. Arrays are copied and floating state is cast to
        each parameter's dtype. Integer keys that came back as strings (e.g. through a file
        format) and tuples that came back as arrays are accepted.

        The whole state dict is checked before anything changes, so a refused one leaves the
        optimizer exactly as it was: ``ValueError`` for a wrong number of groups or of
        parameters in a group, a state index out of range, a per-parameter state array whose
        shape is neither the parameter's nor ``()``, or a hyper-parameter the constructor
        refuses (``lr=-1``, ``betas`` outside ``[0, 1)``, ...); ``TypeError`` for a non-dict,
        a hyper-parameter of the wrong type or a non-numeric state array. Messages name the
        optimizer, the group or parameter index and the key.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict with 'state' and 'param_groups', got "
                            f"{type(state_dict).__name__}")
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(f"{name}: expected a dict with 'state' and 'param_groups', got "
                             f"keys {sorted(map(str, state_dict))}")
        saved_groups = state_dict["param_groups"]
        if isinstance(saved_groups, (str, bytes, Mapping)) or not hasattr(saved_groups,
                                                                           "__iter__"):
            raise TypeError(f"{name}: 'param_groups' must be a list of dicts, got "
                            f"{type(saved_groups).__name__}")
        saved_groups = list(saved_groups)
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: loaded state dict has {len(saved_groups)} parameter "
                             f"groups but the optimizer has {len(self.param_groups)}")
        id_map: dict[int, Tensor] = {}
        new_groups = []
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if not isinstance(s, Mapping) or "params" not in s:
                raise TypeError(f"{name}: param_groups[{i}] must be a dict with a 'params' "
                                f"entry, got {type(s).__name__}")
            try:
                indices = _as_index_list(s["params"])
            except (TypeError, ValueError) as e:
                raise TypeError(f"{name}: param_groups[{i}]['params'] must be a list of "
                                f"integer indices ({e})") from None
            if len(g["params"]) != len(indices):
                raise ValueError(f"{name}: loaded state dict contains a parameter group "
                                 f"(group {i}) with {len(indices)} parameters that doesn't "
                                 f"match the size of optimizer's group ({len(g['params'])} "
                                 "parameters)")
            for idx, p in zip(indices, g["params"], strict=True):
                if idx in id_map:
                    raise ValueError(f"{name}: parameter index {idx} appears twice in "
                                     "param_groups")
                id_map[idx] = p
            new = {}
            for k, v in s.items():
                if k != "params":
                    new[k] = _restore_hparam(v, g.get(k), f"{name}: param_groups[{i}][{k!r}]")
            try:
                self._check_hparams(new)
            except _InvalidHyperParameter as e:
                raise ValueError(f"{name}: param_groups[{i}][{e.key!r}]: {e} (the "
                                 f"{type(self).__name__} constructor refuses this value)"
                                 ) from None
            except TypeError as e:  # e.g. a comparison with a value of the wrong type
                raise TypeError(f"{name}: param_groups[{i}]: invalid hyper-parameter ({e})"
                                ) from None
            new["params"] = g["params"]
            new_groups.append(new)
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise TypeError(f"{name}: 'state' must be a dict from parameter index to a dict, "
                            f"got {type(saved_state).__name__}")
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, s in saved_state.items():
            try:
                idx = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: state key {key!r} is not a parameter index"
                                 ) from None
            if idx not in id_map:
                raise ValueError(f"{name}: state for parameter index {idx} but the optimizer "
                                 f"has only parameters {sorted(id_map)}")
            p = id_map[idx]
            if p in new_state:
                raise ValueError(f"{name}: state for parameter index {idx} given twice")
            if not isinstance(s, Mapping):
                raise TypeError(f"{name}: state[{idx}] must be a dict, got {type(s).__name__}")
            new_state[p] = {k: _restore_state(k, v, p, f"{name}: state[{idx}][{k!r}]")
                            for k, v in s.items()}
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


def _restore_hparam(v: Any, current: Any, where: str) -> Any:
    """Undo what a file format may have done to a hyper-parameter (0-d arrays, lists), and
    check that its type fits the current value's (``TypeError`` naming ``where``)."""
    if isinstance(v, Tensor):
        v = v.data
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    elif isinstance(v, np.generic):
        v = v.item()
    if isinstance(current, tuple) or isinstance(v, (list, np.ndarray)):
        try:
            v = tuple(np.asarray(v).tolist())
        except (TypeError, ValueError) as e:
            raise TypeError(f"{where}: expected a tuple, got {type(v).__name__} ({e})"
                            ) from None
    _check_hparam_type(v, current, where)
    return copy.deepcopy(v)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_hparam_type(v: Any, current: Any, where: str) -> None:
    """A loaded hyper-parameter must be of the same sort as the optimizer's current value:
    a number for a number, a bool for a bool, a tuple (of numbers, if the current one holds
    numbers) for a tuple, a string for a string; value ranges are ``_check_hparams``' job.
    Unknown keys and ``None`` current values are not checked."""
    if current is None or current is required:
        return
    if isinstance(current, bool):
        ok = isinstance(v, bool) or (isinstance(v, int) and v in (0, 1))
    elif _is_number(current):
        ok = _is_number(v)
    elif isinstance(current, tuple):
        ok = isinstance(v, tuple) and (not all(map(_is_number, current))
                                       or all(map(_is_number, v)))
    elif isinstance(current, str):
        ok = isinstance(v, str)
    else:
        return
    if not ok:
        raise TypeError(f"{where}: expected a value like the current {current!r} "
                        f"({type(current).__name__}), got {v!r:.80} ({type(v).__name__})")


def _restore_state(key: str, v: Any, p: Tensor, where: str) -> Any:
    """A copy of one per-parameter state value; arrays must be numeric and shaped like the
    parameter (or 0-d); floating arrays are cast to the parameter's dtype."""
    if isinstance(v, Tensor):
        v = v.data
    if isinstance(v, np.ndarray) and v.ndim == 0 and key == "step":
        v = v[()]
    if isinstance(v, np.generic):
        if v.dtype.kind not in "biuf":
            raise TypeError(f"{where}: expected a real number, got {v!r} ({v.dtype})")
        return v.item()
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "biuf":
            raise TypeError(f"{where}: expected a real numeric array for a {p.dtype} "
                            f"parameter, got dtype {v.dtype}")
        if v.ndim != 0 and v.shape != p.shape:
            raise ValueError(f"{where}: expected an array of the parameter's shape "
                             f"{p.shape} (or a 0-d array), got shape {v.shape}")
        if v.dtype.kind == "f" and v.shape == p.shape:
            return v.astype(p.dtype, copy=True)
        return v.copy()
    if isinstance(v, complex):
        raise TypeError(f"{where}: expected a real number, got {v!r}")
    return copy.deepcopy(v)
