"""Every op function, grouped by family; the public ``ag.<name>`` come from the op list.

Importing this package imports each family file, whose ``@export`` declarations fill
``autograd_lite.primitive.OPS``; every entry is then a name of this package (and of
``autograd_lite``), and ``autograd_lite.methods`` attaches the method forms to ``Tensor``.
"""
from autograd_lite import primitive as _primitive
from autograd_lite.ops import (  # noqa: F401  (scan: products, cumulative ops, norms, sorting;
    conv,  # mathfuncs: atan2, floor, fmod, isclose, the dtype-cast methods...;
           # truth: all, any, equal...; pieces: chunk, split, meshgrid)
    elementwise,
    indexing,
    linalg,
    loss,
    mathfuncs,
    pieces,
    reduction,
    scan,
    shape,
    special,
    truth,
)
from autograd_lite.ops.reduction import normalize_axis  # noqa: F401  (helpers used by clients)
from autograd_lite.ops.shape import normalize_index  # noqa: F401
from autograd_lite.primitive import OPS

globals().update({name: info.fn for name, info in OPS.items()})
__all__ = list(OPS)

from autograd_lite import methods as _methods  # noqa: E402  (after every family is declared)

_methods.attach()


def _export_later(info) -> None:  # an op declared after import: exported and attached at once
    import sys
    for mod in (sys.modules[__name__], sys.modules.get("autograd_lite")):
        if mod is not None:
            setattr(mod, info.name, info.fn)
            if info.name not in mod.__all__:
                mod.__all__.append(info.name)
    _methods.attach_one(info)


_primitive._on_export.append(_export_later)
del conv, elementwise, indexing, linalg, loss, mathfuncs, pieces, reduction, scan, shape, special
del truth
