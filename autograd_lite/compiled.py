"""Trace mode: [`compile`][autograd_lite.compiled.compile] records a call once and replays it.

``step = ag.compile(fn)`` (or ``@ag.compile``). A call is looked up by its *signature*: the
shapes, dtypes and ``requires_grad`` of its tensor and array arguments, the values of the other
arguments, grad mode and the default dtype. The first two calls with a new signature run
``fn`` eagerly while ``autograd_lite.trace`` records the NumPy kernels they run (forward,
backward, ``.grad`` updates, in-place updates, optimizer steps, random draws). If both
recordings are the same program, it is turned into one flat Python function (a line per
kernel, no Tensor or Node objects) that later calls run instead. A replay first checks the
*guards*: the modules' ``training`` flags and parameters, the outside tensors' shapes and
dtypes, and every value the Python code read (``if loss.item() > 1``); if one fails, the call
runs eagerly and is recorded again. A call the recorder cannot follow (see ``trace_recorder.py``) is
never replayed: ``fn`` then always runs eagerly, with one warning that says why
(``compiled.explain()``). See docs/compile.md for what breaks a trace and what it costs.
"""
from __future__ import annotations

import sys
import threading
import warnings
from typing import Any, Callable

import numpy as np

from autograd_lite import dtypes as _dtypes
from autograd_lite import primitive as _primitive
from autograd_lite import trace_hooks
from autograd_lite.grad_mode import _state
from autograd_lite.tensor import Tensor
from autograd_lite.trace_codegen import (
    Abort,
    build,
    gen_of,
    lasting,
    private_tensors,
    signature,
    undo,
)
from autograd_lite.trace_patch import recording
from autograd_lite.trace_recorder import Recorder, alias

__all__ = ["compile", "Compiled"]

_LOCK = threading.RLock()   # one recording at a time in the process
_MAX_MISMATCH = 3


class _KeyState:
    __slots__ = ("programs", "last_sig", "mismatches", "bad", "alive")

    def __init__(self) -> None:
        self.programs: list = []
        self.last_sig: Any = None
        self.mismatches = 0
        self.bad: str | None = None


_STATIC = (int, float, complex, str, bytes, bool, type(None), np.generic, np.dtype, slice)


def _flatten(x: Any, leaves: list, key: list, alive: list) -> None:
    """Split the arguments into the dynamic leaves (tensors, arrays) and a hashable key."""
    if isinstance(x, Tensor):
        for j, t in enumerate(leaves):
            if t is x:  # the same tensor twice: part of the signature
                key.append(("same", j))
                return
        d = x._data
        key.append(("T", d.shape, d.dtype, x.requires_grad, x.grad_fn is None))
        leaves.append(x)
    elif isinstance(x, np.ndarray):
        key.append(("A", x.shape, x.dtype))
        leaves.append(x)
    elif type(x) is tuple or type(x) is list:
        key.append((type(x).__name__, len(x)))
        for y in x:
            _flatten(y, leaves, key, alive)
    elif type(x) is dict:
        key.append(("dict", tuple(x)))
        for y in x.values():
            _flatten(y, leaves, key, alive)
    elif isinstance(x, (float, complex, np.generic)):  # repr: -0.0 is not 0.0, nan is nan
        key.append((type(x).__name__, repr(x)))
    elif isinstance(x, _STATIC):
        key.append((type(x).__name__, x))
    else:  # modules, optimizers, functions: by identity (kept alive: the id stays theirs)
        key.append(("id", id(x)))
        alive.append(x)


def _out_spec(rec: Recorder, x: Any) -> tuple:
    if isinstance(x, Tensor):
        fn = x.grad_fn
        if fn is not None and not fn.freed:
            rec.escape("the function returns a tensor whose graph is still needed (call "
                       "backward inside the compiled function, or do not compile it)")
        return rec.spec_t(x)
    if type(x) is tuple or type(x) is list:
        return ("t" if type(x) is tuple else "l", [_out_spec(rec, y) for y in x])
    if type(x) is dict:
        return ("d", {k: _out_spec(rec, y) for k, y in x.items()})
    if not isinstance(x, _STATIC):
        rec.escape(f"the function returns a {type(x).__name__}")
    return ("p", x)


def _aliased(x: Any, rec: Recorder) -> Any:
    """The arguments with each ndarray replaced by a tainted alias of its slot."""
    if isinstance(x, np.ndarray) and not isinstance(x, Tensor):
        n = rec.amap.get(id(x))
        if n is None:
            return x
        v = alias(x)
        v._slot = n
        return v
    if type(x) is tuple or type(x) is list:
        return type(x)(_aliased(y, rec) for y in x)
    if type(x) is dict:
        return {k: _aliased(y, rec) for k, y in x.items()}
    return x


def _is_guard(e: tuple) -> bool:
    """Entries that may abort a replay: value guards, value-dependent shapes."""
    return e[0] in ("guard", "tcall") or (e[0] == "fwd" and e[6] is not None)


def _returned_values(rec: Recorder, template: tuple) -> tuple:
    """``return loss.item()``: a value read after the last kernel that the function returns
    as it is (the same object) is computed by the replay, not guarded (nothing recorded
    after it can depend on it; Python code that did runs only when recording)."""
    trailing: dict = {}
    for i in range(len(rec.entries) - 1, -1, -1):
        e = rec.entries[i]
        if e[0] != "guard":
            break
        trailing[id(e[3])] = i

    def swap(spec: tuple) -> tuple:
        kind, v = spec
        if kind == "p":
            i = trailing.get(id(v))
            if i is not None and rec.entries[i][0] == "guard" and rec.entries[i][3] is v:
                _, vspec, fn, _value = rec.entries[i]
                rec.entries[i] = ("value", vspec, fn, i)
                return ("v", i)
            return spec
        if kind in "tl":
            return (kind, [swap(x) for x in v])
        if kind == "d":
            return (kind, {k: swap(x) for k, x in v.items()})
        return spec
    return swap(template) if trailing else template


class Compiled:
    """``ag.compile(fn)``: call it as ``fn``. ``explain()`` says, per signature, whether calls
    replay a trace or run eagerly and why; ``reset()`` forgets every trace (call it after
    changing a module's Python attributes, which a trace does not watch)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "compiled")
        self.__doc__ = getattr(fn, "__doc__", None)
        self._cache: dict = {}
        self.replays = 0
        self.recordings = 0

    def reset(self) -> None:
        self._cache.clear()

    def explain(self) -> str:
        if not self._cache:
            return f"{self.__name__}: not called yet"
        lines = [f"{self.__name__}: {self.replays} replayed calls, {self.recordings} recorded"]
        for i, st in enumerate(self._cache.values()):
            how = (f"runs eagerly: {st.bad}" if st.bad else
                   f"replays {len(st.programs)} trace(s)" if st.programs else "recording")
            lines.append(f"  signature {i}: {how}")
        return "\n".join(lines)

    def sources(self) -> list:
        """The generated Python source of every trace (what a replay runs)."""
        return [p[2] for st in self._cache.values() for p in st.programs]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if trace_hooks._recorder is not None or _state.anomaly or _dual():
            return self.fn(*args, **kwargs)  # inside another recording, anomaly or dual mode
        leaves: list = []
        alive: list = []
        key: list = [_state.enabled, _dtypes.get_default_dtype()]
        _flatten(args, leaves, key, alive)
        _flatten(kwargs, leaves, key, alive)
        try:
            k = tuple(key)
            st = self._cache.get(k)
        except TypeError:  # an unhashable static argument: no trace
            return self.fn(*args, **kwargs)
        if st is None:
            st = self._cache[k] = _KeyState()
            st.alive = alive
        if st.bad is not None:
            return self.fn(*args, **kwargs)
        if st.programs:
            arrays = [t._data if isinstance(t, Tensor) else t for t in leaves]
            for replay, draws, _src, py_then in st.programs:
                if not _same_state(py_then):
                    continue
                states = _snapshot(draws)
                progress: list = [0, []]
                try:
                    out = replay(arrays, leaves, progress)
                except Abort:
                    _undo(states, progress[1])
                    continue
                except Exception:
                    if progress[0]:  # after an update that cannot be undone: as eager would
                        raise
                    # before any lasting effect: run eagerly instead, so the caller gets
                    # eager's own error (an op's message), or its result
                    _undo(states, progress[1])
                    return self._record(st, args, kwargs, leaves)
                self.replays += 1
                return out
        return self._record(st, args, kwargs, leaves)

    def _record(self, st: _KeyState, args: tuple, kwargs: dict, leaves: list) -> Any:
        rec = Recorder()
        rec.name = self.__name__
        for i, x in enumerate(leaves):
            n = rec.new_slot(x)
            if isinstance(x, Tensor):
                rec.input_pos[n] = i
            else:
                rec.array_inputs[n] = i
        rec.python_state = _python_state(self.fn)
        for x in leaves:
            if isinstance(x, Tensor) and x.grad_fn is not None and x.requires_grad:
                rec.escape("an argument has a graph (grad_fn): a replay could not send its "
                           "gradient on; pass it detached, or compute it inside")
        with _LOCK, recording(rec):
            # array arguments as tainted aliases: NumPy code on them is seen, never baked in
            out = self.fn(*_aliased(args, rec), **_aliased(kwargs, rec))
        self.recordings += 1
        template = _returned_values(rec, _out_spec(rec, out))
        held = {id(v) for m in rec.modules.values() for part in m[2:5] for _, v in part}
        rec.alias_inputs = [(i, x) for i, x in enumerate(leaves) if id(x) in held]
        if rec.bad is None:
            first_side = next((i for i, e in enumerate(rec.entries) if lasting(e)), None)
            if first_side is not None and any(_is_guard(e) for e in rec.entries[first_side:]):
                rec.escape("a tensor value is read (a guard) after an optimizer step")
        if rec.bad is not None:
            st.bad = rec.bad
            warnings.warn(f"ag.compile: {self.__name__} runs eagerly: {rec.bad}", stacklevel=3)
            return out
        rec.tmap.clear()
        rec.amap.clear()
        rec.keep.clear()
        rec.outside.clear()
        rec.derived_bases.clear()
        private = private_tensors(rec)
        sig = signature(rec, template, private)
        if sig != st.last_sig:  # the first recording, or a program unlike the last one
            st.mismatches += st.last_sig is not None
            st.last_sig = sig
            if st.mismatches >= _MAX_MISMATCH:
                st.bad = "every recording differs (values change the program, or constants " \
                         "made from tensor values outside the ops)"
                warnings.warn(f"ag.compile: {self.__name__} runs eagerly: {st.bad}",
                              stacklevel=3)
            return out
        self._accept(st, rec, template, private)
        return out

    def _accept(self, st: _KeyState, rec: Recorder, template: tuple, private: dict) -> None:
        # made in the call and then changed in place: a fresh copy at every replay
        fresh = {i: rec.snapshots[i] for i in rec.snapshots if i in private}
        for i in fresh:
            private.pop(i)
        owners = {e[1][1] for e in rec.entries
                  if e[0] in ("leafgrad", "setgrad", "getgrad") and e[1][0] == "e"}
        if owners & set(private):
            st.bad = "a tensor created inside the function gets a .grad (create it outside)"
            return
        replay, src = build(rec, template, private, fresh)
        draws = tuple(rec.generators) + ((("global",),) if rec.draws else ())
        if len(st.programs) >= 8:
            st.programs.pop(0)
        st.programs.insert(0, (replay, draws, src, rec.python_state))


_SCALARS = (int, float, complex, str, bool, type(None), bytes)


def _python_state(fn: Any) -> tuple:
    """What the function reads from its closure and its module's globals (numbers, and the
    objects themselves), and so for the user's own functions it reads (three levels): a
    trace bakes numbers in and holds on to objects, so a replay needs them unchanged
    (``lr = 0.01`` changed, or ``model = Net()`` rebound, between calls is seen). Returns
    ``(where, values)``: where to read them (closure cells, globals) and what they were."""
    where: list = []
    _read_by(fn, where, set(), 3)
    return tuple(where), _values(where)


def _values(where: Any) -> tuple:
    out = []
    for cell_or_dict, name in where:
        if name is None:
            try:
                out.append(cell_or_dict.cell_contents)
            except ValueError:  # an empty cell
                out.append(_missing)
        else:
            out.append(cell_or_dict.get(name, _missing))
    return tuple(out)


def _names(code: Any) -> list:
    """Global names a code object and the code nested in it (genexprs, lambdas) read."""
    names = list(code.co_names)
    for c in code.co_consts:
        if hasattr(c, "co_names"):
            names += _names(c)
    return names


def _read_by(fn: Any, where: list, seen: set, depth: int) -> None:
    """Where ``fn`` reads closure values and globals from (``(cell, None)``, ``(globals,
    name)``), and the same for the user's own functions it reads (``depth`` levels; the
    library's and other packages' functions are not followed)."""
    code = getattr(fn, "__code__", None)
    if code is None or id(fn) in seen:
        return
    seen.add(id(fn))
    for cell in fn.__closure__ or ():
        where.append((cell, None))
        try:
            v = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if depth and _users(v):
            _read_by(v, where, seen, depth - 1)
    g = fn.__globals__
    for name in dict.fromkeys(_names(code)):
        if name in g:
            where.append((g, name))
            v = g[name]
            if depth and _users(v):
                _read_by(v, where, seen, depth - 1)


def _users(v: Any) -> bool:
    """A plain Python function of the user's (not of this library, NumPy or the stdlib)."""
    mod = getattr(v, "__module__", None) or ""
    return (hasattr(v, "__code__") and not mod.startswith(("autograd_lite", "numpy"))
            and mod not in sys.stdlib_module_names)


def _same_state(state: tuple) -> bool:
    """The values at ``state``'s places now are those it recorded: numbers by type and repr
    (so -0.0 and nan compare as themselves), everything else by identity (a global rebound to
    a new model or optimizer is a different program)."""
    where, then = state
    for a, b in zip(_values(where), then):
        if a is b:
            continue
        if type(a) in _SCALARS or isinstance(a, np.generic):
            if type(a) is not type(b) or repr(a) != repr(b):
                return False
        else:
            return False
    return True


_missing = object()


def _dual() -> bool:
    return bool(_primitive._dual)


def _snapshot(draws: tuple) -> list:
    return [(d, gen_of(d).bit_generator.state) for d in dict.fromkeys(draws)]


def _undo(states: list, saved: list) -> None:
    """After an aborted replay: the generators' states, and the ``.grad`` values and arrays
    it replaced."""
    for d, s in states:
        gen_of(d).bit_generator.state = s
    undo(saved)


def compile(fn: Callable[..., Any] | None = None) -> Any:
    """Trace mode: ``ag.compile(fn)`` or ``@ag.compile``. Returns a
    [`Compiled`][autograd_lite.compiled.Compiled] that calls ``fn`` eagerly until two
    recordings agree, then replays the recorded NumPy kernels (the same kernels in the same
    order as eager, so the same numbers), re-recording when a guard fails. See the module
    docstring and docs/compile.md."""
    if fn is None:
        return compile
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
    return Compiled(fn)
