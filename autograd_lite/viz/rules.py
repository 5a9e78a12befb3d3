"""The arithmetic of one backward step, written from an op's step template.

`render` fills an `Rule` with the numbers of one step of
the engine's pass (the upstream gradient, the saved inputs and output, the gradient the engine
produced) and returns the lines a student reads:

- scalars: ``dl/dh = dl/dlambda * lambda (1 - lambda) = -0.2 * 0.8 (1 - 0.8) = -0.2 * 0.16 =
  -0.032``: the rule, the values put in, the local derivative's value, the engine's result;
- arrays: the rule, the shape equation (``(64, 10) @ (10, 128)^T -> (64, 128)``), which axes
  were summed where broadcasting was undone (and why), and the result's values or summary.

Nothing here computes a gradient: the result is always the engine's. A template's local
derivative (``lambda (1 - lambda) = 0.16``) is evaluated from the saved values to show it.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import numpy as np

from autograd_lite.explain import Explain, Rule
from autograd_lite.viz import style

__all__ = ["render", "tables", "summed_axes", "fmt_value"]

_PH = re.compile(r"\{(\w+)\}")
# two numbers side by side ("2 0.2", "0.8 (1 - 0.8)") are a product: written with "*"
_TIMES = re.compile(r"(?<=[\d)]) (?=[\d(])")


def fmt_value(a: Any, max_el: int = 6) -> str:
    """A value for a rule line: a number, a small array in full, or a summary."""
    if a is None:
        return "None"
    if isinstance(a, (str, bool, int, float)) and not isinstance(a, bool):
        return str(a) if isinstance(a, str) else style.fmt_number(a)
    a = np.asarray(a)
    if a.dtype.kind not in "biufc":
        return str(a)
    if a.size == 1:
        return style.fmt_number(a.reshape(()).item())
    if a.size <= max_el:
        return style.fmt_array(a, max_el).replace("\n", "")
    return f"{style.fmt_shape(a.shape, a.dtype)}: {style.fmt_array(a, 0)}"


def fmt_shape(shape: tuple) -> str:
    return str(tuple(int(n) for n in shape))


def _sub(text: str, table: Mapping[str, str], paren_negative: bool = False) -> str:
    """Put ``table``'s strings in for the placeholders of ``text`` (unknown ones stay)."""
    def repl(m: re.Match) -> str:
        v = table.get(m.group(1))
        if v is None:
            return m.group(0)
        if paren_negative and v.startswith("-") and m.start() > 0 and \
                text[m.start() - 1] != "(":
            return f"({v})"
        return v
    return _PH.sub(repl, text)


def _kw_text(v: Any) -> str:
    if v is None or isinstance(v, (str, int, bool, tuple, list)):
        return str(v)
    if isinstance(v, (float, np.floating)):
        return style.fmt_number(v)
    if isinstance(v, np.ndarray):
        return fmt_value(v) if v.size <= 6 else f"array{fmt_shape(v.shape)}"
    return type(v).__name__


def summed_axes(gshape: tuple, ishape: tuple) -> tuple:
    """The axes of ``gshape`` that broadcasting added or stretched to make ``ishape`` fit."""
    lead = len(gshape) - len(ishape)
    if lead < 0:
        return ()
    return tuple(range(lead)) + tuple(i + lead for i, n in enumerate(ishape)
                                      if n == 1 and gshape[i + lead] != 1)


def _summed_line(gshape: tuple, ishape: tuple, name: str) -> str | None:
    axes = summed_axes(gshape, ishape)
    if not axes:
        return None
    which = f"axis {axes[0]}" if len(axes) == 1 else f"axes {axes}"
    sizes = " x ".join(str(gshape[a]) for a in axes)
    line = (f"summed over {which} ({sizes} positions): {name} {fmt_shape(ishape)} was "
            f"broadcast to {fmt_shape(gshape)}, the same {name} used at every position, so its "
            "gradient adds up what every position sent")
    if 0 in axes and len(gshape) >= 2:
        line += (f"; axis 0 is the batch, so the gradient of {name} is the sum over the batch "
                 f"({gshape[0]} rows)")
    return line


def _local_symbols(text: str, seed: bool) -> str:
    if text in ("1", "-1", "0"):
        return {"1": "{g}", "-1": "-{g}", "0": "0"}[text] if not seed else text
    return text if seed else "{g} * " + text


def render(explain: Explain, i: int, *, lhs: str, names: Mapping[str, str],
           values: Mapping[str, Any], gi: Any, seed: bool, max_el: int = 6,
           hidden: bool | str = False) -> list:
    """The lines of the rule for input ``i`` of one step.

    Args:
        explain: the op's (or call's) template.
        i: which input.
        lhs: the gradient being made, e.g. ``dl/dh``.
        names: placeholder -> the name to write in symbols (``g`` -> ``dl/dlambda``; inputs;
            ``out``; keyword arguments).
        values: placeholder -> value (arrays; keyword arguments as they are).
        gi: the gradient the engine produced for this input (an ndarray).
        seed: the upstream gradient is the seed 1 of a scalar root (then ``g *`` is left out).
        hidden: quiz mode: ``True`` writes the rule in symbols and ``= ?``; ``"hint"`` also
            the values to put in (never the result).
    """
    n_in = sum(1 for k in values if k.startswith("_in"))
    rule: Rule = explain.rule(i, n_in)
    gi = np.asarray(gi)
    g = np.asarray(values["g"])
    ins = [np.asarray(values[f"_in{j}"]) if values[f"_in{j}"] is not None else None
           for j in range(n_in)]
    used = set(_PH.findall(rule.text)) | {"g"}
    ph = explain.input_names(n_in)
    scalar = gi.size == 1 and g.size == 1 and all(
        t is None or t.size == 1 for p, t in zip(ph, ins) if p in used or p == "xi")
    if rule.kind == "local":
        sym_t = _local_symbols(rule.text, seed)
    else:
        sym_t = rule.text
    sym_names = dict(names)
    if seed:
        sym_names["g"] = "1"
    sym = _sub(sym_t, sym_names)
    result = "?" if hidden else fmt_value(gi, max_el)
    if scalar:
        num_table = dict(names)  # keyword arguments as written; values for the rest
        num_table["g"] = fmt_value(g)
        if values.get("out") is not None:
            num_table["out"] = fmt_value(values["out"])
        for p, t in zip(ph, ins):
            num_table[p] = fmt_value(t)
        num_table["xi"] = fmt_value(ins[i])
        chain = [lhs, sym]
        if hidden is True:
            return [f"{lhs} = {sym} = ?"]
        if rule.kind == "local" or rule.shapes:
            chain.append(_TIMES.sub(" * ", _sub(sym_t, num_table, paren_negative=True)))
        if rule.kind == "local" and rule.fn is not None:
            loc = _local_value(rule, values, ins)
            if loc is not None:
                lv = fmt_value(loc)
                chain.append(lv if seed else f"{fmt_value(g)} * "
                             f"{'(' + lv + ')' if lv.startswith('-') else lv}")
        if not hidden:
            chain.append(result)
        out: list = []
        for c in chain:
            if not out or c != out[-1]:
                out.append(c)
        if hidden:
            out.append("?")
        return [" = ".join(out)]
    lines = [f"{lhs} = {sym}"]
    if hidden is True:
        return [lines[0] + " = ?"]
    shapes = {k: fmt_shape(np.shape(v)) for k, v in values.items()
              if not k.startswith("_") and isinstance(v, (np.ndarray, np.generic))}
    shapes["g"] = fmt_shape(g.shape)
    for p, t in zip(ph, ins):
        if t is not None:
            shapes[p] = fmt_shape(t.shape)
    if ins[i] is not None:
        shapes["xi"] = fmt_shape(ins[i].shape)
    for k, v in names.items():
        if k not in shapes and k in ("i", "name"):
            shapes[k] = v
    ishape = gi.shape
    if rule.kind == "local":
        try:
            full = np.broadcast_shapes(g.shape, ishape)
        except ValueError:
            full = g.shape
        eq = f"shapes: {fmt_shape(g.shape)}"
        if rule.text not in ("1", "-1", "0"):
            eq += f" * {fmt_shape(full)}"
        eq += f" -> {fmt_shape(full)}"
    elif rule.shapes:
        eq = f"shapes: {_sub(rule.text, shapes)} -> {fmt_shape(ishape)}"
    else:
        eq = f"shapes: {fmt_shape(g.shape)} -> {fmt_shape(ishape)}"
    if rule.unbroadcast and summed_axes(tuple(g.shape), tuple(ishape)) and \
            tuple(ishape) != tuple(g.shape):
        eq += f", summed to {fmt_shape(ishape)}"
    lines.append("  " + eq)
    if rule.unbroadcast:
        s = _summed_line(tuple(g.shape), tuple(ishape), names.get("xi", "it"))
        if s:
            lines.append("  " + s)
    lines.append("  = " + result)
    return lines


def tables(explain: Explain, i: int, *, up: str, out_name: str, in_names: list,
           g: Any, out: Any, ins: list, kwargs: Mapping[str, Any], op_name: str) -> tuple:
    """The ``names`` and ``values`` tables `render` takes, for input ``i`` of a step
    whose op has inputs ``ins`` named ``in_names``, upstream gradient ``g`` (named ``up``) and
    output ``out`` (named ``out_name``)."""
    ph = explain.input_names(len(ins))
    names = {"g": up, "out": out_name, "xi": in_names[i], "i": str(i), "name": op_name}
    values: dict = {"g": _arr(g), "out": _arr(out), "_kwargs": dict(kwargs)}
    for k, v in kwargs.items():
        names.setdefault(k, _kw_text(v))
        values.setdefault(k, v)
    for j, (p, n, t) in enumerate(zip(ph, in_names, ins)):
        names[p] = n
        values[f"_in{j}"] = _arr(t)
    return names, values


def _arr(t: Any) -> Any:
    if t is None:
        return None
    d = getattr(t, "data", t)
    return np.asarray(d)


def _local_value(rule: Rule, values: Mapping[str, Any], ins: list) -> Any:
    kw = values.get("_kwargs") or {}
    try:
        with np.errstate(all="ignore"):
            return np.asarray(rule.fn(values.get("out"), *ins, **kw))
    except Exception:  # noqa: BLE001 - a template's local value is an aside
        return None
