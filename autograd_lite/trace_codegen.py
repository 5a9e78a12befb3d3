"""Code generation for ``ag.compile``: a recorded program (``trace_recorder.py``) as one
flat Python function, a line per kernel, with the kernels and constants bound as globals.

The function is ``_replay(A, T, P)``: ``A`` the call's arrays, ``T`` its tensors, ``P`` a
list: ``P[0]`` is set to 1 before the first effect a failed guard cannot undo, ``P[1]``
collects the ``.grad`` values replaced before then (an abort puts them back). It first checks
the guards (outside tensors' shapes and dtypes, ``.grad`` states, modules) and raises
``Abort`` if one fails; then it runs the entries in order, deleting each slot after its last
use (so arrays are freed as early as in eager), and returns the call's result.
"""
from __future__ import annotations

import builtins
import sys
from sys import getrefcount
from typing import Any, Callable

import numpy as np

from autograd_lite import dtypes as _dtypes
from autograd_lite import random as _random
from autograd_lite.backward import _accumulate_lock
from autograd_lite.primitive import unbroadcast
from autograd_lite.tensor import Tensor
from autograd_lite.trace_recorder import Recorder, module_attributes

__all__ = ["build", "signature", "private_tensors", "Abort", "gen_of", "lasting", "undo"]

_wrap = Tensor._wrap


# Rules that are their upstream gradient or its negation, by bytecode (whatever the names):
# the replay writes ``g`` or ``-g`` instead of calling them.
_INLINE = {(lambda g, out, a: g).__code__.co_code: "",
           (lambda g, out, a: -g).__code__.co_code: "-"}


#: Entries whose effect outlives the call (a failed guard or an error after one cannot be undone).


def lasting(e: tuple) -> bool:
    """True for an entry whose effect a failed guard cannot undo: an optimizer's or a
    scheduler's step, a reseed. ``.grad`` updates, ``zero_grad()`` and in-place updates can
    be: until the first lasting entry a replay keeps what they replace (``P[1]``)."""
    return e[0] in ("opaque", "pcall") and e[1].__name__ != "zero_grad"


def _save_data(undo: list, t: Any) -> None:
    """Before an in-place update in a replay: keep the array and its values (for an abort)."""
    undo.append((t, None, (t._data, t._data.copy())))


def undo(saved: list) -> None:
    """Put back what ``_save_data`` / ``.grad`` saves kept, newest first."""
    for t, g, data in reversed(saved):
        if data is None:
            t.grad = g
        else:
            t._data = data[0]
            np.copyto(data[0], data[1])


def _save_grads(undo: list, opt: Any) -> None:
    """Before ``opt.zero_grad()`` in a replay: keep each parameter's gradient (for an abort)."""
    for group in opt.param_groups:
        for p in group["params"]:
            undo.append((p, p.grad, None))


class Abort(Exception):
    """A guard failed during a replay (nothing it cannot undo has happened yet)."""


def _leafgrad(t: Tensor, g: Any, own: bool = False) -> np.ndarray:
    """A leaf's ``.grad`` update, as ``backward`` writes it: the gradient itself if no one
    else holds it (``own``), else a copy, in the leaf's dtype; summed into an existing one."""
    dt = t._data.dtype
    if g.__class__ is not np.ndarray or g.dtype != dt:
        g, own = np.array(g, dtype=dt), True
    with _accumulate_lock:
        g = _wrap(g if own or t.grad is not None else np.array(g))
        t.grad = g if t.grad is None else t.grad + g
    return t.grad._data


def _leafgrad_taken(t: Tensor, box: list) -> np.ndarray:
    """``_leafgrad`` of a gradient whose last use this is (handed over in ``box``): taken
    without a copy when nothing else holds it (as backward does)."""
    g = box.pop()
    own = g.__class__ is np.ndarray and g.base is None and getrefcount(g) == 2 \
        and g.flags.writeable
    return _leafgrad(t, g, own)


def _same_value(a: Any, b: Any) -> bool:
    """A guard's test: equal, with nan equal to nan (so a nan read does not re-record)."""
    return type(a) is type(b) and (a == b or repr(a) == repr(b))


def _inplace_call(fn: Any, enabled: bool, *args: Any, **kwargs: Any) -> Any:
    """An in-place method in the grad mode it ran in (``with no_grad(): p -= lr * g``)."""
    from autograd_lite.grad_mode import _state
    prev = _state.enabled
    _state.enabled = enabled
    try:
        return fn(*args, **kwargs)
    finally:
        _state.enabled = prev


def gen_of(desc: tuple) -> Any:
    return _random.get_generator() if desc[0] == "global" else _random.resolve(desc[1], desc[2])


def _module_ok(m: Any, training: bool, params: tuple, buffers: tuple, children: tuple,
               attrs: tuple) -> bool:
    d = m.__dict__
    if d.get("_forward_pre_hooks") or d.get("_forward_hooks"):
        return False  # hooks registered since the recording would not run
    if not (m.training is training and _same(d["_parameters"], params)
            and _same(d["_buffers"], buffers) and _same(d["_modules"], children)):
        return False
    now = module_attributes(d)
    return len(now) == len(attrs) and all(
        a[:2] == b[:2] and (a[2] is b[2] if a[1] is Tensor else a[2] == b[2])
        for a, b in zip(now, attrs))


def _same(now: dict, then: tuple) -> bool:
    if len(now) != len(then):
        return False
    for (k, v), (k2, v2) in zip(now.items(), then):
        if k != k2 or v is not v2:
            return False
    return True


# ----------------------------------------------------------------------------- code generation
class _Gen:
    """Python source for one recorded program, with its constants as globals."""

    def __init__(self, rec: Recorder, private: dict) -> None:
        self.rec, self.private = rec, private
        self.g: dict = {"_wrap": _wrap, "_ub": unbroadcast, "Abort": Abort, "_np": np,
                        "_leafgrad": _leafgrad, "_leafgrad_taken": _leafgrad_taken,
                        "gen_of": gen_of, "_module_ok": _module_ok,
                        "_asarray": np.asarray, "_same_value": _same_value,
                        "_inplace": _inplace_call, "_save_grads": _save_grads,
                        "_save_data": _save_data, "_to_array": _dtypes.to_array}
        self.ids: dict = {}
        self.lines: list = []
        self.side = False  # past the first entry a failed guard cannot undo
        self.last: dict = {}  # slot -> index of the entry that uses it last
        self.keep: set = set()  # slots the result returns
        self.deleted: set = set()
        self.index = 0

    def const(self, v: Any) -> str:
        key = (type(v).__name__, id(v))
        name = self.ids.get(key)
        if name is None:
            name = self.ids[key] = f"c{len(self.ids)}"
            self.g[name] = v
        return name

    def arr(self, spec: tuple) -> str:
        """An expression for the spec's value where a kernel wants arrays."""
        kind, v = spec
        if kind == "s":
            return f"s{v}"
        if kind == "e":
            return self.const(self.private[v]) if v in self.private else f"e{v}._data"
        if kind in ("c", "p"):
            return self.const(v)
        if kind == "t":
            return "(" + "".join(self.arr(x) + ", " for x in v) + ")"
        if kind == "l":
            return "[" + ", ".join(self.arr(x) for x in v) + "]"
        return "{" + ", ".join(f"{self.const(k)}: {self.arr(x)}" for k, x in v.items()) + "}"

    def obj(self, spec: tuple) -> str:
        """An expression for an argument as the caller passed it (Tensors as Tensors: also the
        target of an in-place update or a ``.grad`` owner)."""
        kind, v = spec
        if kind == "s":
            pos = self.rec.input_pos.get(v)
            return f"T[{pos}]" if pos is not None else f"_wrap(s{v})"
        if kind == "e":
            return f"_wrap({self.const(self.private[v])})" if v in self.private else f"e{v}"
        if kind in "tl":
            inner = "".join(self.obj(x) + ", " for x in v)
            return f"({inner})" if kind == "t" else f"[{inner}]"
        if kind == "d":
            return "{" + ", ".join(f"{self.const(k)}: {self.obj(x)}" for k, x in v.items()) + "}"
        return self.const(v)

    def call_args(self, specs: list, kw: dict) -> str:
        parts = [self.arr(s) for s in specs] + [f"{k}={self.arr(s)}" for k, s in kw.items()]
        return ", ".join(parts)

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def entry(self, e: tuple) -> None:
        kind = e[0]
        if kind == "fwd":
            _, fn, specs, kw, out, scalar, shape = e
            call = f"{self.const(fn)}({self.call_args(specs, kw)})"
            self.emit(f"s{out} = " + (f"_asarray({call})" if scalar else call))
            if shape is not None:  # a value-dependent shape (boolean mask): guarded
                self.emit(f"if s{out}.shape != {self.const(shape)}: raise Abort")
        elif kind == "cast":
            self.emit(f"s{e[3]} = {self.arr(e[1])}.astype({self.const(e[2])})")
        elif kind == "copy":
            src = self.arr(e[1]) if e[1][0] != "p" else f"_to_array({self.const(e[1][1])}, " \
                f"{self.const(e[2])})"
            self.emit(f"s{e[3]} = _np.array({src}, dtype={self.const(e[2])})")
        elif kind == "ones":
            self.emit(f"s{e[3]} = _np.ones({self.const(e[1])}, {self.const(e[2])})")
        elif kind == "vjp":
            self.vjp(*e[1:])
        elif kind == "add":
            self.emit(f"s{e[3]} = {self.arr(e[1])} + {self.arr(e[2])}")
        elif kind == "leafgrad":
            t = self.obj(e[1])
            if not self.side:
                self.emit(f"P[1].append(({t}, {t}.grad, None))")
            g = e[2]
            if g[0] == "s" and self.last.get(g[1]) == self.index and g[1] not in self.keep:
                self.emit(f"_b = [s{g[1]}]")  # its last use: handed over, maybe not copied
                self.emit(f"del s{g[1]}")
                self.deleted.add(g[1])
                self.emit(f"s{e[3]} = _leafgrad_taken({t}, _b)")
            else:
                self.emit(f"s{e[3]} = _leafgrad({t}, {self.arr(g)})")
        elif kind == "setgrad":
            value = "None" if e[2] is None else f"_wrap({self.arr(e[2])})"
            t = self.obj(e[1])
            if not self.side:
                self.emit(f"P[1].append(({t}, {t}.grad, None))")  # (undone if a guard fails)
            self.emit(f"{t}.grad = {value}")
        elif kind == "getgrad":
            self.emit(f"s{e[2]} = {self.obj(e[1])}.grad._data")
        elif kind == "inplace":
            _, fn, target, specs, kw, enabled = e
            args = [self.obj(target)] + [self.arr(s) for s in specs[1]] + \
                [f"{k}={self.arr(s)}" for k, s in kw[1].items()]
            if not self.side and (target[0] != "s" or target[1] in self.rec.input_pos):
                self.emit(f"_save_data(P[1], {args[0]})")
            self.emit(f"_inplace({self.const(fn)}, {enabled}, {', '.join(args)})")
        elif kind == "draw":
            _, desc, method, specs, kw, out = e
            self.emit(f"s{out} = gen_of({self.const(desc)}).{method}"
                      f"({self.call_args(specs[1], kw[1])})")
        elif kind == "kcall":
            _, fn, specs, kw, out = e
            self.emit(f"s{out} = {self.const(fn)}({self.call_args(specs[1], kw[1])})")
        elif kind == "tcall":
            _, fn, specs, kw, paths = e
            args = [self.obj(x) for x in specs[1]] + [f"{k}={self.obj(x)}"
                                                       for k, x in kw[1].items()]
            self.emit(f"_r = {self.const(fn)}({', '.join(args)})")
            for path, n, shape in paths:  # (shapes guarded: such results may depend on values)
                self.emit(f"s{n} = _r{''.join(f'[{i}]' for i in path)}._data")
                self.emit(f"if s{n}.shape != {self.const(shape)}: raise Abort")
        elif kind == "check":
            _, fn, specs, kw = e
            args = [self.obj(x) for x in specs[1]] + [f"{k}={self.obj(x)}"
                                                       for k, x in kw[1].items()]
            self.emit(f"{self.const(fn)}({', '.join(args)})")
        elif kind == "pcall":
            self.emit(f"{self.const(e[1])}(*{self.const(e[2])}, **{self.const(e[3])})")
        elif kind == "opaque":
            _, fn, obj, args, kw = e
            if fn.__name__ == "zero_grad" and not self.side:
                self.emit(f"_save_grads(P[1], {self.const(obj)})")
            self.emit(f"{self.const(fn)}({self.const(obj)}, *{self.const(args)}, "
                      f"**{self.const(kw)})")
        elif kind == "value":  # a value the function returns (compiled._returned_values)
            _, spec, fn, n = e
            self.emit(f"v{n} = {self.const(fn)}(_wrap({self.arr(spec)}))")
        elif kind == "guard":
            _, spec, fn, value = e
            self.emit(f"if not _same_value({self.const(fn)}(_wrap({self.arr(spec)})), "
                      f"{self.const(value)}): raise Abort")
        else:  # pragma: no cover - the recorder writes only the kinds above
            raise AssertionError(kind)

    def check(self, n: int, shape: tuple, gshape: tuple, op: Any) -> None:
        """Eager's ``if gi.shape != input shape: unbroadcast``, left out where it cannot fire:
        an elementwise op's rules give the upstream gradient's shape."""
        if op.jvp == "elementwise" and shape == gshape:
            return
        c = self.const(shape)
        self.emit(f"if s{n}.shape != {c}: s{n} = _ub(s{n}, {c}, {self.const(op.name)})")

    def vjp(self, op: Any, g: tuple, out: Any, xs: list, needs: tuple, kw: dict, outs: list,
            shapes: list, gshape: tuple) -> None:
        args = ", ".join([self.arr(g), "None" if out is None else self.arr(out)] +
                         [self.arr(x) for x in xs])
        kws = "".join(f", {k}={self.arr(s)}" for k, s in kw.items())
        if op.vjp_all is not None:
            xl = "[" + ", ".join(self.arr(x) for x in xs) + "]"
            self.emit(f"_v = {self.const(op.vjp_all)}({self.arr(g)}, "
                      f"{'None' if out is None else self.arr(out)}, {xl}, "
                      f"{self.const(list(needs))}{kws})")
            for pos, n in outs:
                self.emit(f"s{n} = _v[{pos}]")
                self.check(n, shapes[pos], gshape, op)
            return
        for pos, n in outs:
            rule = op.vjps[pos]
            code = getattr(rule, "__code__", None)
            if code is not None and not kws and rule.__closure__ is None \
                    and code.co_code in _INLINE:  # lambda g, out, ...: g  (or -g)
                self.emit(f"s{n} = {_INLINE[code.co_code]}{self.arr(g)}")
            else:
                self.emit(f"s{n} = {self.const(rule)}({args}{kws})")
            self.check(n, shapes[pos], gshape, op)

    def output(self, spec: tuple) -> str:
        kind, v = spec
        if kind == "s":
            pos = self.rec.input_pos.get(v)
            return f"T[{pos}]" if pos is not None else f"_wrap(s{v})"
        if kind == "e":
            return self.arr(spec) if v in self.private else f"e{v}"
        if kind == "t":
            return "(" + "".join(self.output(x) + ", " for x in v) + ")"
        if kind == "l":
            return "[" + ", ".join(self.output(x) for x in v) + "]"
        if kind == "d":
            return "{" + ", ".join(f"{self.const(k)}: {self.output(x)}"
                                   for k, x in v.items()) + "}"
        if kind == "v":
            return f"v{v}"
        return self.const(v)


def _slots_used(e: tuple) -> list:
    """The slots an entry reads."""
    found: list = []

    def walk(x: Any) -> None:
        if type(x) is tuple and len(x) == 2 and isinstance(x[0], str) and x[0] in "stlde":
            kind, v = x
            if kind == "s":
                found.append(v)
            elif kind in "tl":
                for y in v:
                    walk(y)
            elif kind == "d":
                for y in v.values():
                    walk(y)
        elif type(x) is list:
            for y in x:
                walk(y)
        elif type(x) is dict:
            for y in x.values():
                walk(y)
    for part in e[1:]:
        walk(part)
    return found


def private_tensors(rec: Recorder) -> dict:
    """The outside tensors that nothing but the trace holds any more (operands made from Python
    numbers, tensors the call created): their arrays become constants of the program. Called
    after the call returned and the recorder's maps were cleared."""
    out = {}
    for i in range(len(rec.ext)):
        # references: rec.ext and getrefcount's argument
        if sys.getrefcount(rec.ext[i]) <= 2:
            out[i] = rec.ext[i]._data
    return out


def build(rec: Recorder, template: tuple, private: dict,
          fresh: dict) -> tuple[Callable, str]:
    """The replay function of a recorded program and its source. ``private``: outside tensors
    only the trace holds (their arrays become constants); ``fresh``: those of them that the
    call changes in place (each replay starts from a copy of their first value)."""
    gen = _Gen(rec, private)
    head = ["def _replay(A, T, P):"]
    for n, pos in rec.input_pos.items():
        gen.emit(f"s{n} = A[{pos}]")
    for n in rec.array_inputs:
        gen.emit(f"s{n} = A[{rec.array_inputs[n]}]")
    for i, first in fresh.items():
        gen.emit(f"e{i} = _wrap({gen.const(first)}.copy())")
    for i, t in enumerate(rec.ext):  # outside tensors: bound, and their shapes guarded
        if i in private or i in fresh:
            continue
        gen.g[f"e{i}"] = t
        gen.emit(f"if e{i}._data.shape != {gen.const(t._data.shape)} or e{i}._data.dtype != "
                 f"{gen.const(t._data.dtype)} or e{i}.requires_grad is not "
                 f"{gen.const(t.requires_grad)}: raise Abort")
        if t.requires_grad:  # a gradient hook registered since would not run
            gen.emit(f"if e{i}._hooks: raise Abort")
    for pos, t in rec.alias_inputs:  # an argument that is also a module's parameter
        gen.emit(f"if T[{pos}] is not {gen.const(t)}: raise Abort")
    for i, is_none in rec.grad_guards:
        gen.emit(f"if (e{i}.grad is None) is not {gen.const(is_none)}: raise Abort")
    for m, *state in rec.modules.values():
        gen.emit(f"if not _module_ok({gen.const(m)}, "
                 + ", ".join(gen.const(x) for x in state) + "): raise Abort")
    last = gen.last
    for i, e in enumerate(rec.entries):
        for n in _slots_used(e):
            last[n] = i
    keep = gen.keep = set(_slots_used(("out", template)))
    for i, e in enumerate(rec.entries):
        if lasting(e) and not gen.side:  # from here on an error cannot be undone (P[0] = 1)
            gen.side = True
            gen.emit("P[0] = 1")
        gen.index = i
        gen.entry(e)
        dead = sorted(n for n in set(_slots_used(e))
                      if last[n] == i and n not in keep and n not in gen.deleted)
        if dead:
            gen.emit("del " + ", ".join(f"s{n}" for n in dead))
    gen.emit("return " + gen.output(template))
    src = "\n".join(head + gen.lines) + "\n"
    code = builtins.compile(src, f"<ag.compile {rec.name}>", "exec")
    exec(code, gen.g)  # noqa: S102 - our own generated source
    return gen.g["_replay"], src


def signature(rec: Recorder, template: tuple, private: dict) -> Any:
    """What two recordings must share to be the same program: every kernel, wiring,
    constant (arrays by value) and outside tensor (by identity)."""
    def norm(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            return ("array", x.shape, x.dtype.str, x.tobytes())
        if type(x) is tuple or type(x) is list:
            return (type(x).__name__,) + tuple(norm(y) for y in x)
        if type(x) is dict:
            return ("dict",) + tuple((k, norm(v)) for k, v in x.items())
        if isinstance(x, (int, float, complex, str, bytes, bool, type(None), np.generic,
                          np.dtype, slice)):
            return ("v", type(x).__name__, repr(x))
        return ("id", id(x))
    return (norm(rec.entries), tuple(norm(rec.snapshots[i]) if i in rec.snapshots and i in private
                                     else norm(private[i]) if i in private else ("id", id(t))
                                     for i, t in enumerate(rec.ext)), norm(template),
            tuple(rec.grad_guards),  # modules by kind (one made inside the call is new each time)
            tuple((type(m).__name__, training) for m, training, *_ in rec.modules.values()))
