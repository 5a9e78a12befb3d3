"""Recording a trace for ``ag.compile``: which NumPy kernels a call ran, on which arrays.

While a [`Recorder`][autograd_lite.trace.Recorder] is active the call runs eagerly, exactly as
without it, and the recorder writes down a flat program (``Recorder.entries``):

- ``fwd``: an op's forward (``Op.forward``) on the arrays of its operands (from the three entry
  points every op goes through, ``Op.unary/binary/apply``), ``cast``/``copy`` for promotions
  and ``Tensor(t)`` copies;
- ``ones``, ``vjp``, ``add``, ``leafgrad``: ``backward()``, node by node in the engine's own
  order (the VJP rules, the sums where paths meet, the ``.grad`` updates);
- ``inplace``, ``setgrad``, ``getgrad``, ``opaque`` (``optimizer.step()``, ``zero_grad()``,
  a scheduler's ``step()``), ``draw`` and ``kcall`` (random numbers, ``@kernel`` functions);
- ``guard``: a value the Python code read (``t.item()``, ``bool(t)``, ...): a replay checks it.

Operands are *specs*: ``("s", n)`` a slot (an array made in the trace or an input), ``("e", i)``
a tensor from outside (a parameter: read when the kernel runs), ``("c", x)`` a constant.
Anything the recorder cannot follow makes the trace unusable (``Recorder.bad`` says why, and
the function keeps running eagerly): reading a traced tensor's array (``.data``, ``.numpy()``)
and computing with it outside an op, writing into it, ``create_graph``, ``ag.grad``, hooks,
custom Functions. Arrays handed out by ``.data`` during a recording are "tainted" views
(``_Tainted``) so that such uses are seen.
"""
from __future__ import annotations

import sys
import threading
import weakref
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from autograd_lite import trace_hooks
from autograd_lite.tensor import Tensor

__all__ = ["Recorder", "raw", "current"]

#: The Tensor's ``_data`` slot itself: while recording, ``t._data`` read by library code at the
#: top level gives a tainted view (``trace_patch``); the recorder reads the slot through this.
_DATA_SLOT = Tensor.__dict__["_data"]


def raw(t: Tensor) -> np.ndarray:
    """``t._data`` as stored (never a tainted view)."""
    return _DATA_SLOT.__get__(t, Tensor)


class _Tainted(np.ndarray):
    """A view of a traced tensor's array handed out during a recording: anything NumPy derives
    from it is tainted too, so the recorder sees values computed outside the ops. ``_slot`` /
    ``_src`` (a weak reference) identify an exact alias of a slot / an outside tensor (``None``
    once derived)."""

    def __array_finalize__(self, obj: Any) -> None:
        self._slot = None
        self._src = None
        # A result that NumPy made as a plain array and viewed as _Tainted: remember its
        # memory, so that np.asarray(result) (a plain view of it) is still known as derived.
        if type(obj) is np.ndarray and not _aliasing[0]:
            rec = trace_hooks._recorder
            if rec is not None:
                rec.track(rec.derived_bases, obj, True)

    def _escape(self, what: str) -> None:
        rec = trace_hooks._recorder
        if rec is not None and rec.here():
            rec.escape(f"{what} of a tensor's array (.data/.numpy()) outside an op")

    def __repr__(self) -> str:  # (error messages read as eager's)
        return repr(self.view(np.ndarray))

    def __str__(self) -> str:
        return str(self.view(np.ndarray))

    def __bool__(self) -> bool:
        self._escape("bool()")
        return bool(self.view(np.ndarray))

    def __float__(self) -> float:
        self._escape("float()")
        return float(self.view(np.ndarray))

    def __int__(self) -> int:
        self._escape("int()")
        return int(self.view(np.ndarray))

    def __index__(self) -> int:
        self._escape("an index")
        return self.view(np.ndarray).__index__()

    def item(self, *args: Any) -> Any:
        self._escape("item()")
        return self.view(np.ndarray).item(*args)

    def tolist(self) -> Any:
        self._escape("tolist()")
        return self.view(np.ndarray).tolist()

    def __iter__(self) -> Iterator:
        self._escape("iterating over the values")
        return iter(self.view(np.ndarray))

    def __getitem__(self, index: Any) -> Any:
        r = super().__getitem__(index)
        if not isinstance(r, np.ndarray):
            self._escape("reading an element")
        return r

    def __setitem__(self, index: Any, value: Any) -> None:
        self._escape("writing into")
        super().__setitem__(index, value)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if out is not None and any(isinstance(o, _Tainted) for o in out):
            self._escape(f"writing (np.{ufunc.__name__}(..., out=)) into")
        args = [i.view(np.ndarray) if isinstance(i, _Tainted) else i for i in inputs]
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, _Tainted) else o
                                  for o in out)
        r = getattr(ufunc, method)(*args, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        if isinstance(r, tuple):
            return tuple(x.view(_Tainted) if isinstance(x, np.ndarray) else x for x in r)
        return r.view(_Tainted) if isinstance(r, np.ndarray) else np.asarray(r).view(_Tainted)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in _WRITERS and args and isinstance(args[0], _Tainted):
            self._escape(f"writing (np.{func.__name__}) into")
        return super().__array_function__(func, types, args, kwargs)


_WRITERS = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal}
#: Set while the recorder makes an exact alias (a tainted view of a slot or outside tensor).
_aliasing = [False]


def alias(a: np.ndarray) -> "_Tainted":
    """A tainted view that is an exact alias of ``a`` (its ``_slot``/``_src`` are set next)."""
    _aliasing[0] = True
    try:
        return a.view(_Tainted)
    finally:
        _aliasing[0] = False


def current() -> "Recorder | None":
    """The recorder, if the caller should record: a recording is active, this is its thread
    and no op's own work is running. Another thread's ops make the recording unusable (their
    results may feed the function: a worker it started)."""
    rec = trace_hooks._recorder
    if rec is None:
        return None
    if threading.get_ident() != rec.thread:
        rec.escape("ops ran on another thread while recording")
        return None
    return rec if rec.depth == 0 else None


def user_location() -> str:
    """``file:line`` of the innermost frame outside the library (where the user's code was)."""
    f = sys._getframe(1)
    while f is not None and f.f_globals.get("__name__", "").startswith("autograd_lite"):
        f = f.f_back
    return f"{f.f_code.co_filename}:{f.f_lineno}" if f is not None else "?"


_SCALARS = (int, float, complex, str, bool, type(None))


def module_attributes(d: dict) -> tuple:
    """A module's own plain attributes a forward may read: numbers and strings (by repr) and
    tensors that are not parameters or buffers (by identity), e.g. ``dropout.p``."""
    out = []
    for k, v in d.items():
        if k[0] != "_" and k != "training":
            if type(v) in _SCALARS:
                out.append((k, type(v), repr(v)))
            elif isinstance(v, Tensor):
                out.append((k, Tensor, v))
    return tuple(out)


def _is_mask(v: Any) -> bool:
    """A boolean array among an op's arguments (indexing with it selects by value)."""
    if isinstance(v, Tensor):
        v = raw(v)
    if isinstance(v, np.ndarray):
        return v.dtype == np.bool_
    if type(v) is tuple or type(v) is list:
        return any(_is_mask(x) for x in v)
    return False


def _same_view(a: np.ndarray, b: np.ndarray) -> bool:
    """True if ``a`` and ``b`` show the same memory the same way."""
    return (a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def _plain(values: Any) -> list:
    """Tainted views as the plain arrays they alias (a kernel's arguments)."""
    return [v.view(np.ndarray) if type(v) is _Tainted else v for v in values]


def library_location() -> str:
    """``module:function:line`` of the innermost library frame outside the recorder (the
    code that did what cannot be recorded), or "" if that was the user's own code."""
    f = sys._getframe(1)
    while f is not None:
        name = f.f_globals.get("__name__", "")
        if not name.startswith(("autograd_lite.trace", "autograd_lite.compiled")):
            if name.startswith("autograd_lite"):
                return f"{name}.{f.f_code.co_name}:{f.f_lineno}"
            return ""
        f = f.f_back
    return ""


class Recorder:
    """The program of one recorded call (see the module docstring). ``entries`` is the flat
    program; ``inputs`` the slots of the call's array arguments; ``ext`` the outside tensors;
    ``bad`` why the trace cannot be replayed (None if it can)."""

    def __init__(self) -> None:
        self.entries: list = []
        self.nslots = 0
        self.tmap: dict = {}    # id(Tensor) -> slot (made in the trace, or an input)
        self.amap: dict = {}    # id(ndarray) -> slot
        self.keep: dict = {}    # weak references that drop map entries of dead objects
        self.strong: list = []  # the few objects that cannot be weakly referenced
        self.ext: list = []     # tensors from outside, read when a kernel runs
        self.extmap: dict = {}
        self.input_pos: dict = {}  # slot -> position of the Tensor argument
        self.array_inputs: dict = {}  # slot -> position of an ndarray argument
        self.name = "?"
        self.python_state: tuple = ()  # the function's closure and global numbers (compiled)
        self.alias_inputs: list = []  # (position, tensor): arguments that a module also holds
        self.bad: str | None = None
        self.depth = 0
        self.thread = threading.get_ident()
        self.modules: dict = {}   # id(module) -> (module, training, params, buffers, children)
        self.grad_known: set = set()  # outside tensors whose .grad the trace itself set
        self.grad_guards: list = []  # (ext index, grad is None) at the start of the call
        self.draws = False       # uses random numbers (a replay that aborts restores them)
        self.generators: dict = {}
        self.derived_bases: dict = {}  # id -> plain arrays NumPy computed from tainted ones
        self.outside: dict = {}  # id -> Tensor made by library code outside any op (see tcall)
        self.outside_count = 0
        self.snapshots: dict = {}  # ext index -> its array before the trace changed it in place

    # ----------------------------------------------------------------- state
    def here(self) -> bool:
        """True if the current call should be recorded (top level, the recording thread)."""
        return self.depth == 0 and threading.get_ident() == self.thread

    @contextmanager
    def inner(self) -> Iterator[None]:
        """Run library code without recording what it does inside (an op's own work)."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def escape(self, what: str) -> None:
        if self.bad is None:
            lib = library_location()
            self.bad = f"{what} (at {user_location()}" + (f"; in {lib})" if lib else ")")

    def new_slot(self, obj: Any = None) -> int:
        n = self.nslots
        self.nslots += 1
        if obj is not None:
            self.bind(obj, n)
        return n

    def bind(self, obj: Any, n: int) -> None:
        """Map a Tensor (and its array) or an array to slot ``n``. The maps hold ids: a weak
        reference drops the entry when the object dies (before its id can be reused), so a
        recording frees arrays as early as eager does."""
        if isinstance(obj, Tensor):
            self.track(self.tmap, obj, n)
            obj = raw(obj)
        self.track(self.amap, obj, n)

    def track(self, mapping: dict, obj: Any, value: Any) -> None:
        key = id(obj)
        mapping[key] = value
        try:
            self.keep[(id(mapping), key)] = weakref.ref(
                obj, lambda _, m=mapping, k=key, keep=self.keep: (m.pop(k, None),
                                                                  keep.pop((id(m), k), None)))
        except TypeError:  # not weakly referenceable: kept alive instead
            self.strong.append(obj)

    # ----------------------------------------------------------------- specs
    def spec_t(self, t: Tensor) -> tuple:
        """The spec of a Tensor operand."""
        n = self.tmap.get(id(t))
        if n is not None:
            return ("s", n)
        if id(t) in self.outside:
            self.escape("a tensor computed outside the recorded ops was used")
        a = raw(t)
        n = self.amap.get(id(a))
        if n is not None:
            return ("s", n)
        if type(a) is _Tainted or self._derived(a):
            return self.spec_a(a)
        i = self.extmap.get(id(t))
        if i is None:
            i = self.extmap[id(t)] = len(self.ext)
            self.ext.append(t)
        return ("e", i)

    def _derived(self, a: np.ndarray) -> bool:
        """True if ``a`` is a view of an array of the trace, or computed from one with NumPy
        outside an op."""
        if id(a) in self.derived_bases:
            return True
        b = a.base
        while isinstance(b, np.ndarray):
            if type(b) is _Tainted or id(b) in self.amap or id(b) in self.derived_bases:
                return True
            b = b.base
        return False

    def spec_a(self, a: np.ndarray) -> tuple:
        """The spec of an ndarray operand (an op's argument, a kernel's input)."""
        n = self.amap.get(id(a))
        if n is not None:
            return ("s", n)
        if type(a) is _Tainted:
            if a._slot is not None:
                return ("s", a._slot)
            src = a._src() if a._src is not None else None
            if src is not None:
                return self.spec_t(src)
            if a._src is not None:  # the tensor is gone; its memory is this array's
                return ("c", a.view(np.ndarray))
            self.escape("an array computed from a tensor's .data outside an op was used")
            return ("c", a)
        b = a.base
        while isinstance(b, np.ndarray):  # np.asarray(alias): a plain view of the same memory
            if _same_view(a, b):
                if type(b) is _Tainted and (b._slot is not None or b._src is not None):
                    return self.spec_a(b)
                if id(b) in self.amap:
                    return ("s", self.amap[id(b)])
            b = b.base
        if self._derived(a):
            self.escape("a view of a traced tensor's array taken outside an op was used")
        return ("c", a)

    def spec(self, v: Any) -> tuple:
        """The spec of any argument: Tensors, arrays, tuples and lists of them, Python values."""
        if isinstance(v, Tensor):
            return self.spec_t(v)
        if isinstance(v, np.ndarray):
            return self.spec_a(v)
        if type(v) is tuple or type(v) is list:
            return ("t" if type(v) is tuple else "l", [self.spec(x) for x in v])
        if type(v) is dict:
            return ("d", {k: self.spec(x) for k, x in v.items()})
        return ("p", v)

    # ----------------------------------------------------------------- entries
    def fwd(self, op: Any, ts: tuple, kwargs: dict, res: Tensor) -> None:
        specs = [self.spec_t(t) for t in ts]
        kw = {k: self.spec(v) for k, v in kwargs.items()} if kwargs else {}
        out = raw(res)
        # a boolean mask's result has a shape that depends on values: guarded at replay
        masked = kwargs and any(_is_mask(v) for v in kwargs.values())
        self.entries.append(("fwd", op.forward, specs, kw, self.new_slot(res), out.ndim == 0,
                             out.shape if masked else None))

    def promoted(self, ts: Any, new: Any) -> None:
        """Record the casts a type promotion made (``new[i] is not ts[i]``)."""
        for t, u in zip(ts, new):
            if u is not t and self.tmap.get(id(u)) is None:
                self.entries.append(("cast", self.spec_t(t), raw(u).dtype, self.new_slot(u)))

    def guard(self, t: Tensor, kind: str, value: Any) -> None:
        self.entries.append(("guard", self.spec_t(t), kind, value))

    def call_kernel(self, fn: Any, args: tuple, kwargs: dict) -> Any:
        """A ``@kernel`` function called by library code (``trace_hooks.kernel``)."""
        if not self.here():
            return fn(*args, **kwargs)
        specs = self.spec(list(args))
        kw = self.spec(dict(kwargs))
        with self.inner():  # (on the plain arrays, as a replay will run it)
            out = fn(*_plain(args), **dict(zip(kwargs, _plain(kwargs.values()))))
        if not isinstance(out, np.ndarray):
            self.escape(f"kernel {fn.__name__} returned {type(out).__name__}, not an ndarray")
            return out
        self.draws = True  # (a replay that aborts restores the generators it drew from)
        for a in list(args) + list(kwargs.values()):
            if a is not None and hasattr(a, "manual_seed") or isinstance(a, np.random.Generator):
                self.generators[("resolve", a, "kernel")] = None
        self.entries.append(("kcall", fn, specs, kw, self.new_slot(out)))
        return out

    def call_check(self, fn: Any, args: tuple, kwargs: dict) -> Any:
        """A ``@check`` validation called by library code (``trace_hooks.check``)."""
        if not self.here():
            return fn(*args, **kwargs)
        specs, kw = self.spec(list(args)), self.spec(dict(kwargs))
        with self.inner():
            out = fn(*_plain(args), **dict(zip(kwargs, _plain(kwargs.values()))))
        self.entries.append(("check", fn, specs, kw))
        return out

    def module_called(self, m: Any) -> None:
        """Guard a module's Python state that a replay relies on: ``training`` and which
        parameters, buffers and children it holds. Hooks cannot be replayed."""
        if id(m) in self.modules:
            return
        d = object.__getattribute__(m, "__dict__")
        if "_parameters" not in d:  # (its __init__ is still running)
            return
        if d.get("_forward_pre_hooks") or d.get("_forward_hooks"):
            self.escape(f"{type(m).__name__} has forward hooks")
        self.modules[id(m)] = (m, d["training"], tuple(d["_parameters"].items()),
                               tuple(d["_buffers"].items()), tuple(d["_modules"].items()),
                               module_attributes(d))

    def tcall(self, fn: Any, args: tuple, kwargs: dict, res: Any) -> None:
        """A public op function whose result holds tensors made outside the recorded ops
        (comparisons, indices of ``max(dim)``, ``sort``): the whole call is one entry, and
        its replay calls ``fn`` again on the replay's tensors."""
        paths: list = []

        def walk(x: Any, path: tuple) -> None:
            if isinstance(x, Tensor):
                if id(x) in self.outside:
                    del self.outside[id(x)]
                    paths.append((path, self.new_slot(x), raw(x).shape))
            elif type(x) is not str and isinstance(x, tuple):
                for i, y in enumerate(x):
                    walk(y, path + (i,))
        walk(res, ())
        self.entries.append(("tcall", fn, self.spec(list(args)), self.spec(dict(kwargs)), paths))


# NumPy's converters copy or view an array without keeping its type (np.array(x.data) is a
# plain copy): while recording they are wrapped so that what they return from a traced array
# stays known as derived (``recording`` installs them on the numpy module).
CONVERTERS = ("array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray",
              "require", "copy")


def converter(orig: Any) -> Any:
    def convert(a: Any, *args: Any, **kwargs: Any) -> Any:
        out = orig(a, *args, **kwargs)
        rec = trace_hooks._recorder
        if (rec is not None and rec.here() and isinstance(a, np.ndarray)
                and isinstance(out, np.ndarray) and out is not a
                and (type(a) is _Tainted or rec._derived(a) or id(a) in rec.amap)
                and not _same_view(out, a)):
            # a copy of traced values made outside an op: handed out tainted, so that what
            # is computed from it stays known too
            return out.view(_Tainted)
        return out
    convert.__wrapped__ = orig
    return convert
