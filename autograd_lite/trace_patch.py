"""Where a recording listens: the patches ``ag.compile`` installs while it records a call.

[`recording`][autograd_lite.trace_patch.recording] installs them (class attributes and module
functions, restored on exit, so nothing is left behind and a call that is not being recorded
pays nothing): the three op entry points, ``backward``, the Tensor's value reads (guards),
``.data``/``.numpy()`` (tainted views), ``.grad``, the in-place methods, ``Tensor(t)``, the
random generator, ``Module.__call__`` (module guards) and the optimizers' and schedulers'
``step``/``zero_grad`` (replayed as one opaque call each). See ``autograd_lite/trace_recorder.py``.
"""
from __future__ import annotations

import sys
import weakref
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from autograd_lite import backward as _bw
from autograd_lite import random as _random
from autograd_lite import trace_hooks
from autograd_lite.primitive import Op, operand, promote
from autograd_lite.tensor import Tensor
from autograd_lite.trace_backward import traced_backward
from autograd_lite.trace_recorder import (
    _DATA_SLOT,
    CONVERTERS,
    Recorder,
    _Tainted,
    alias,
    converter,
    current,
    raw,
)

__all__ = ["recording"]

_NO_KW: dict = {}
_ABSENT = object()  # (a class attribute that a patch adds, removed again on exit)


def _grad_enabled() -> bool:
    from autograd_lite.grad_mode import _state
    return bool(_state.enabled)


_rec = current


# ----------------------------------------------------------------------------- op entry points
def _entry_points(orig: dict) -> dict:
    unary, binary, apply = orig["unary"], orig["binary"], orig["apply"]

    def t_unary(self: Op, x: Tensor) -> Tensor:
        rec = _rec()
        if rec is None:
            return unary(self, x)
        with rec.inner():
            res = unary(self, x)
        rec.fwd(self, (x,), _NO_KW, res)
        return res

    def t_binary(self: Op, a: Any, b: Any, kwargs: dict | None = None) -> Tensor:
        rec = _rec()
        if rec is None:
            return binary(self, a, b, kwargs)
        with rec.inner():
            if not isinstance(a, Tensor):
                a = operand(a, b._data if isinstance(b, Tensor) else None)
            if not isinstance(b, Tensor):
                b = operand(b, a._data)
            if a._data.dtype is not b._data.dtype:
                pa, pb = promote((a, b))
            else:
                pa, pb = a, b
        rec.promoted((a, b), (pa, pb))
        with rec.inner():
            res = binary(self, pa, pb, kwargs)
        rec.fwd(self, (pa, pb), kwargs or _NO_KW, res)
        return res

    def t_apply(self: Op, ts: Any, kwargs: dict) -> Tensor:
        rec = _rec()
        if rec is None:
            return apply(self, ts, kwargs)
        ts = list(ts)
        if self.promote:
            with rec.inner():
                new = list(self._promote(ts))
            rec.promoted(ts, new)
            ts = new
        with rec.inner():
            res = apply(self, ts, kwargs)
        rec.fwd(self, tuple(ts), kwargs, res)
        return res

    return {"unary": t_unary, "binary": t_binary, "apply": t_apply}


def _escaping(orig: Any, what: str) -> Any:
    def f(*args: Any, **kwargs: Any) -> Any:
        rec = _rec()
        if rec is None:
            return orig(*args, **kwargs)
        rec.escape(what)
        with rec.inner():
            return orig(*args, **kwargs)
    return f


# ----------------------------------------------------------------------------- the Tensor
def _tensor_patches() -> dict:
    data_prop = Tensor.__dict__["data"]
    grad_slot = Tensor.__dict__["grad"]
    orig_init = Tensor.__init__
    p: dict = {}

    def tainted(t: Tensor) -> Any:
        a = raw(t)
        rec = _rec()
        if rec is None or type(a) is not np.ndarray:
            return a
        v = alias(a)
        n = rec.tmap.get(id(t))
        v._slot = n if n is not None else rec.amap.get(id(a))
        v._src = weakref.ref(t) if v._slot is None else None  # (weak: t may be private)
        return v

    p["data"] = property(tainted, data_prop.fset, None, data_prop.__doc__)
    # the slot itself: library code at the top level (an op's wrapper, nn) gets tainted views
    # too, so that a value it computes with NumPy and feeds back is seen, never baked in
    p["_data"] = property(tainted, _DATA_SLOT.__set__, None, "the values (recording)")
    p["numpy"] = lambda self: tainted(self)

    orig_array = Tensor.__array__

    def array(self: Tensor, dtype: Any = None, copy: Any = None) -> Any:
        rec = _rec()
        if rec is not None:
            rec.escape("np.asarray(tensor) / np.array(tensor)")
        return orig_array(self, dtype, copy)

    p["__array__"] = array

    for name in ("item", "__bool__", "__float__", "__int__", "__index__", "tolist"):
        p[name] = _guarded(getattr(Tensor, name))

    def init(self: Tensor, data: Any = None, *args: Any, **kwargs: Any) -> None:
        rec = _rec()
        if rec is None:
            return orig_init(self, data, *args, **kwargs)
        spec = rec.spec(data) if isinstance(data, (Tensor, np.ndarray, list, tuple)) else None
        with rec.inner():
            orig_init(self, data, *args, **kwargs)
        if spec is None or spec[0] == "p":
            return
        if spec[0] in "tl":
            if any(s[0] not in "cp" for s in _flat(spec)):
                rec.escape("ag.tensor([...]) of traced tensors (use ag.stack)")
            # a list's numbers are read again at every replay (it may have changed)
            rec.entries.append(("copy", ("p", data), raw(self).dtype, rec.new_slot(self)))
            return
        # (an outside array is copied again at every replay too: it may have changed)
        rec.entries.append(("copy", spec, raw(self).dtype, rec.new_slot(self)))

    p["__init__"] = init

    def get_grad(t: Tensor) -> Any:
        g = grad_slot.__get__(t, Tensor)
        rec = _rec()
        if rec is None:
            return g
        spec = rec.spec_t(t)
        if id(t) not in rec.grad_known:
            if spec[0] == "e":
                rec.grad_guards.append((spec[1], g is None))
            else:
                rec.escape("reading .grad of a tensor made inside the function or an input")
            rec.grad_known.add(id(t))
        if g is not None and id(g) not in rec.tmap:
            n = rec.new_slot(g)
            rec.entries.append(("getgrad", spec, n))
        return g

    def set_grad(t: Tensor, v: Any) -> None:
        rec = _rec()
        try:
            grad_slot.__get__(t, Tensor)
        except AttributeError:  # a tensor being made (Tensor._wrap): not a change of state
            rec = None
        if rec is not None:
            rec.entries.append(("setgrad", rec.spec_t(t), None if v is None else rec.spec_t(v)))
            rec.grad_known.add(id(t))
        grad_slot.__set__(t, v)

    p["grad"] = property(get_grad, set_grad, None, "The gradient (a Tensor) or None.")
    for name in ("copy_", "fill_", "zero_", "add_", "sub_", "mul_", "div_", "clamp_",
                 "__ipow__", "__imatmul__", "__setitem__", "set_"):
        p[name] = _inplace(getattr(Tensor, name), name)
    return p


def _flat(spec: tuple) -> list:
    if spec[0] in "tl":
        return [x for s in spec[1] for x in _flat(s)]
    if spec[0] == "d":
        return [x for s in spec[1].values() for x in _flat(s)]
    return [spec]


def _guarded(orig: Any) -> Any:
    def f(self: Tensor, *args: Any) -> Any:
        rec = _rec()
        if rec is None:
            return orig(self, *args)
        with rec.inner():
            value = orig(self, *args)
        if args:
            rec.escape(f"Tensor.{orig.__name__} with arguments")
        rec.guard(self, orig, value)
        return value
    f.__name__ = orig.__name__
    return f


def _inplace(orig: Any, name: str) -> Any:
    def f(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        rec = _rec()
        if rec is None:
            return orig(self, *args, **kwargs)
        spec = rec.spec_t(self)
        if name == "set_" and spec[0] == "s":
            rec.escape("set_ on a tensor made inside the function")
        specs, kw = rec.spec(list(args)), rec.spec(dict(kwargs))
        if spec[0] == "e" and spec[1] not in rec.snapshots:
            rec.snapshots[spec[1]] = raw(self).copy()  # (a tensor made in the call: see compiled)
        with rec.inner():
            res = orig(self, *args, **kwargs)
        rec.entries.append(("inplace", orig, spec, specs, kw, _grad_enabled()))
        return res
    f.__name__ = name
    return f


# ----------------------------------------------------------------------------- random numbers
class _GenProxy:
    """A generator seen through a recording: every draw is an entry (a replay draws again,
    from the generator the same call would use then)."""

    def __init__(self, rng: Any, desc: tuple) -> None:
        self._rng, self._desc = rng, desc

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._rng, name)
        rec = trace_hooks._recorder
        if not callable(attr) or rec is None:
            if rec is not None:
                rec.escape(f"the generator's {name}")
            return attr

        def draw(*args: Any, **kwargs: Any) -> Any:
            specs, kw = rec.spec(list(args)), rec.spec(dict(kwargs))
            with rec.inner():
                out = attr(*args, **kwargs)
            if not isinstance(out, np.ndarray) or name in ("shuffle", "permuted"):
                rec.escape(f"a random {type(out).__name__} from Generator.{name}")
                return out
            rec.draws = True
            rec.generators[self._desc] = None
            n = rec.new_slot(out)
            rec.entries.append(("draw", self._desc, name, specs, kw, n))
            v = alias(out)
            v._slot = n
            return v
        return draw


def _random_patches(orig_get: Any, orig_resolve: Any) -> tuple:
    def get_generator() -> Any:
        rng = orig_get()
        return rng if _rec() is None else _GenProxy(rng, ("global",))

    def resolve(generator: Any = None, who: str = "?") -> Any:
        rng = orig_resolve(generator, who)
        return rng if _rec() is None else _GenProxy(rng, ("resolve", generator, who))
    return get_generator, resolve


# ----------------------------------------------------------------------------- nn and optim
def _opaque(orig: Any, name: str) -> Any:
    def f(self: Any, *args: Any, **kwargs: Any) -> Any:
        rec = _rec()
        if rec is None:
            return orig(self, *args, **kwargs)
        if name == "step" and (args or kwargs) and hasattr(self, "param_groups"):
            rec.escape(f"{type(self).__name__}.step with a closure")
        with rec.inner():
            res = orig(self, *args, **kwargs)
        rec.entries.append(("opaque", orig, self, args, kwargs))
        if name == "zero_grad":
            for group in self.param_groups:
                for p in group["params"]:
                    rec.grad_known.discard(id(p))
        return res
    f.__name__ = name
    return f


def _pcall(orig: Any) -> Any:
    """A function with an effect on the library's state (``ag.manual_seed``): replayed as is."""
    def f(*args: Any, **kwargs: Any) -> Any:
        rec = _rec()
        if rec is None:
            return orig(*args, **kwargs)
        with rec.inner():
            res = orig(*args, **kwargs)
        rec.entries.append(("pcall", orig, args, kwargs))
        return res
    f.__name__ = getattr(orig, "__name__", "pcall")
    return f


def _classes(base: type) -> list:
    out, stack = [], [base]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(c.__subclasses__())
    return out


def _traced_op(fn: Any) -> Any:
    """A public op function seen through a recording (``Recorder.tcall``)."""
    def f(*args: Any, **kwargs: Any) -> Any:
        rec = _rec()
        if rec is None:
            return fn(*args, **kwargs)
        mark = rec.outside_count
        res = fn(*args, **kwargs)
        if rec.outside_count != mark:
            rec.tcall(fn, args, kwargs, res)
        return res
    f.__name__, f.__doc__, f.__wrapped__ = fn.__name__, fn.__doc__, fn
    return f


def _outside_wrap(orig: Any) -> Any:
    """``Tensor._wrap`` as ops modules call it: a tensor made there at the top level (not
    inside an op's entry point) is made outside the recorded ops."""
    def wrap(data: Any, requires_grad: bool = False, grad_fn: Any = None) -> Tensor:
        t = orig(data, requires_grad, grad_fn)
        rec = _rec()
        if rec is not None and (type(data) is _Tainted and data._slot is None
                                and data._src is None or rec._derived(data)):
            rec.track(rec.outside, t, True)  # values computed with NumPy from traced arrays
            rec.outside_count += 1
        return t
    return wrap


_SPECIAL = {"data", "numpy", "__array__", "item", "__bool__", "__float__", "__int__", "__index__",
            "tolist", "__init__", "grad", "copy_", "fill_", "zero_", "add_", "sub_", "mul_",
            "div_", "clamp_", "__ipow__", "__imatmul__", "__setitem__", "set_", "__iadd__",
            "__isub__", "__imul__", "__itruediv__", "backward", "_wrap"}


@contextmanager
def recording(rec: Recorder) -> Iterator[Recorder]:
    """Install the patches, make ``rec`` the active recorder, and undo both on exit."""
    from autograd_lite.nn.module import Module
    from autograd_lite.optim.lr_scheduler import LRScheduler
    from autograd_lite.optim.optimizer import Optimizer

    saved: list = []

    def patch(obj: Any, name: str, value: Any) -> None:
        saved.append((obj, name, obj.__dict__.get(name, _ABSENT) if isinstance(obj, type)
                      else getattr(obj, name)))
        setattr(obj, name, value)

    orig_ops = {n: Op.__dict__[n] for n in ("unary", "binary", "apply")}
    for n, f in _entry_points(orig_ops).items():
        patch(Op, n, f)
    for n, f in _tensor_patches().items():
        patch(Tensor, n, f)
    from autograd_lite.primitive import OPS
    op_fns = {id(info.fn): info.fn for info in OPS.values()}
    traced: dict = {}

    def traced_of(fn: Any) -> Any:
        if id(fn) not in traced:
            traced[id(fn)] = _traced_op(fn)
        return traced[id(fn)]
    for name, value in list(Tensor.__dict__.items()):
        if (name not in _SPECIAL and callable(value) and not isinstance(value, type)
                and getattr(value, "__module__", "").startswith(("autograd_lite.ops",
                                                                 "autograd_lite.methods"))):
            patch(Tensor, name, traced_of(value))
    orig_call = Module.__call__

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        rec_ = _rec()
        if rec_ is not None:
            rec_.module_called(self)
        return orig_call(self, *args, **kwargs)
    patch(Module, "__call__", call)

    def getattribute(self: Any, name: str) -> Any:
        if name == "training":  # a forward that branches on it (also when called as .forward)
            rec_ = _rec()
            if rec_ is not None:
                rec_.module_called(self)
        return object.__getattribute__(self, name)
    patch(Module, "__getattribute__", getattribute)
    for cls in _classes(Optimizer) + _classes(LRScheduler):
        for n in ("step", "zero_grad"):
            if n in cls.__dict__:
                patch(cls, n, _opaque(cls.__dict__[n], n))
    # module functions, wherever a module holds its own reference to them
    get_g, res_g = _random_patches(_random.get_generator, _random.resolve)
    patch(_random.Generator, "manual_seed", _opaque(_random.Generator.manual_seed, "manual_seed"))
    swaps = {id(getattr(_random, n)): _pcall(getattr(_random, n))
             for n in ("manual_seed", "seed", "set_rng_state") if hasattr(_random, n)}
    swaps.update({id(_bw.backward): traced_backward(_bw.backward),
             id(_bw.grad): _escaping(_bw.grad, "ag.grad / autograd.grad inside the function"),
             id(_random.get_generator): get_g, id(_random.resolve): res_g})
    for name in CONVERTERS:
        patch(np, name, converter(getattr(np, name)))
    outside_wrap = _outside_wrap(Tensor._wrap)
    for mod_name, mod in list(sys.modules.items()):
        if mod is None or not mod_name.startswith("autograd_lite") or "trace" in mod_name \
                or mod_name.endswith(".compiled"):
            continue
        makes = mod_name.startswith(("autograd_lite.ops", "autograd_lite.methods",
                                     "autograd_lite.inplace", "autograd_lite.compat"))
        for attr, value in list(vars(mod).items()):
            new = swaps.get(id(value))
            if new is not None and callable(value):
                patch(mod, attr, new)
            elif id(value) in op_fns and not isinstance(value, type):
                patch(mod, attr, traced_of(value))
            elif makes and attr == "_wrap" and value == Tensor._wrap:
                patch(mod, attr, outside_wrap)
    prev = trace_hooks._recorder
    trace_hooks._recorder = rec
    try:
        yield rec
    finally:
        trace_hooks._recorder = prev
        for obj, name, value in reversed(saved):
            if value is _ABSENT:
                delattr(obj, name)
            else:
                setattr(obj, name, value)
