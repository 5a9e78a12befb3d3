"""The shapes a checkpoint must declare under ``nn.load(path, like=...)``.

`_template` reads them from what the state is for: a Module's ``state_dict()`` shapes, an
optimizer's parameters (each ``"state"`` entry shaped like its parameter, or 0-d), Tensors,
arrays, and dicts/lists/tuples of them; `_child` follows a key of the saved structure into the
template. The archive reader checks each array's declared header shape against it before
anything is decompressed.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from autograd_lite.nn.module import Module
from autograd_lite.tensor import Tensor


class _Shapes:
    """Template leaf for ``load(like=...)``: arrays at or below it must have one of these
    shapes."""

    def __init__(self, shapes: set, what: str) -> None:
        self.shapes = shapes
        self.what = what


class _PerParameter:
    """Template for an optimizer's ``"state"``: entry ``i`` holds arrays shaped like the
    ``i``-th parameter, or 0-d."""

    def __init__(self, params: list) -> None:
        self.params = params

    def get(self, key: Any) -> _Shapes:
        try:
            i = int(key)
        except (TypeError, ValueError):
            i = -1
        if 0 <= i < len(self.params):
            shape = tuple(self.params[i].shape)
            return _Shapes({(), shape}, f"the optimizer's parameter {i} has shape {shape}")
        return _Shapes({()}, f"the optimizer has no parameter {key!r}")


def _template(like: Any) -> Any:
    """Expected shapes from ``like``: Modules, optimizers (anything with ``param_groups`` and
    ``state_dict``), Tensors, arrays, and dicts/lists/tuples of them; ``None`` elsewhere."""
    if isinstance(like, Module):
        return {k: _Shapes({tuple(v.shape)}, f"the model's {k!r} has shape {tuple(v.shape)}")
                for k, v in like.state_dict().items()}
    if hasattr(like, "param_groups") and hasattr(like, "state_dict"):
        params = []
        for group in like.param_groups:
            for p in group["params"]:
                if all(p is not q for q in params):
                    params.append(p)
        return {"state": _PerParameter(params), "param_groups": None}
    if isinstance(like, (Tensor, np.ndarray)):
        shape = tuple(like.shape)
        return _Shapes({shape}, f"expected shape {shape}")
    if isinstance(like, Mapping):
        return {k: _template(v) for k, v in like.items()}
    if isinstance(like, (list, tuple)):
        return [_template(v) for v in like]
    if hasattr(like, "state_dict") and callable(like.state_dict):  # e.g. a scheduler
        return _template(like.state_dict())
    return None


def _child(template: Any, key: Any) -> Any:
    if isinstance(template, _Shapes) or template is None:
        return template
    if isinstance(template, _PerParameter):
        return template.get(key)
    if isinstance(template, dict):
        if key in template:
            return template[key]
        alt = (str(key) if isinstance(key, int) and not isinstance(key, bool)
               else int(key) if isinstance(key, str) and key.isdigit() else None)
        return template.get(alt)
    if isinstance(template, list) and isinstance(key, int) and 0 <= key < len(template):
        return template[key]
    return None
