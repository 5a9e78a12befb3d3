"""Step templates: how an op's VJP rules read, for teaching (``viz.BackwardStepper``).

An op may carry an `Explain` beside its VJP rules (``Op(..., explain=Explain(...))``);
a library function made of several ops (``F.linear``, ``F.binary_cross_entropy``) may carry
one on its `OpCall` scope entry. The engine never reads them: a
forward or backward costs the same with or without. ``viz`` reads them through
``node.explain`` and fills in the numbers of one step: the upstream gradient, the saved inputs
and output, and the gradient the engine produced (a template never computes the gradient; the
local derivative it may show is a number beside it).

Template text uses placeholders in braces:

- ``{g}`` the upstream gradient (written ``dl/dout``), ``{out}`` the op's output;
- the inputs: ``{x}`` for a one-input op, ``{a}`` ``{b}`` for two, ``{c}`` ``{a}`` ``{b}`` for
  ``where``, ``{x0}`` ``{x1}`` ... otherwise (or the names given as ``names=``); ``{xi}`` is
  the input the rule is for, ``{i}`` its position;
- keyword arguments of the op by name (``{axis}``).

In symbols each placeholder becomes a name (``dl/dlambda * lambda (1 - lambda)``); in numbers
(scalar steps) a value (``-0.2 * 0.8 (1 - 0.8)``); for arrays the step shows shapes instead.
"""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["Explain", "Rule", "local", "formula", "GENERIC"]


class Rule:
    """How the gradient for one input is made.

    Attributes:
        text: the template (see the module docstring).
        kind: ``"local"``: ``text`` is the local derivative d out / d input of an elementwise
            op and the gradient is ``g * text`` (broadcasting then undone); ``"formula"``:
            ``text`` is the whole gradient (``{g} @ {b}^T``).
        fn: optional, for ``"local"``: ``fn(out, *inputs, **kwargs)`` gives the local
            derivative's value from the saved values (``out * (1 - out)``), so a scalar step
            reads ``-0.2 * 0.16 = -0.032``.
        shapes: for ``"formula"``: the shape equation is ``text`` with the operands' shapes put
            in (``(64, 10) @ (10, 128)^T -> (64, 128)``); otherwise it lists the shapes.
        unbroadcast: say which axes were summed when the input is smaller than the upstream
            gradient (default: for ``"local"`` rules).
    """

    __slots__ = ("text", "kind", "fn", "shapes", "unbroadcast")

    def __init__(self, text: str, kind: str = "formula", fn: Callable | None = None,
                 shapes: bool = False, unbroadcast: bool | None = None) -> None:
        if kind not in ("local", "formula"):
            raise ValueError(f"Rule: kind must be 'local' or 'formula', got {kind!r}")
        self.text = text
        self.kind = kind
        self.fn = fn
        self.shapes = shapes
        self.unbroadcast = (kind == "local") if unbroadcast is None else unbroadcast

    def __repr__(self) -> str:
        return f"Rule({self.text!r}, {self.kind!r})"


def local(text: str, fn: Callable | None = None) -> Rule:
    """A local-derivative rule of an elementwise op: the gradient is ``g * text``."""
    return Rule(text, "local", fn)


def formula(text: str, shapes: bool = False, unbroadcast: bool = False) -> Rule:
    """A whole-gradient rule (``{g} @ {b}^T``, ``{g} reshaped to {x}'s shape``)."""
    return Rule(text, "formula", None, shapes, unbroadcast)


class Explain:
    """The step template of one op (or one library call): one `Rule` per input.

    ``Explain(*rules, names=None, note=None, roles=None)``. A plain string is a
    `formula` rule. When there are fewer rules than inputs (ops with any number of
    inputs, such as ``concatenate``) the last rule is used for the rest. ``note`` optionally
    gives one more line for the whole step, ``note(out, *inputs, **kwargs) -> str | None``
    (``averaged over n = 6 elements``). ``names`` overrides the input placeholders.

    For a library call, ``roles`` names its inputs and says where each enters the call's ops:
    ``(("input", "MatMul", 0), ("weight", "Permute", 0), ("bias", "Add", 1))`` means the
    ``input`` is input 0 of the first ``MatMul`` node whose input comes from outside the call;
    the rules are then given in that order, ``names`` default to the role names, and ``note``
    is called with ``ops=`` (the names of the call's nodes) as well.

    Example:
        >>> from autograd_lite.explain import Explain, local
        >>> e = Explain(local("{out} (1 - {out})", lambda out, x: out * (1 - out)))
        >>> e.rule(0, 1).text
        '{out} (1 - {out})'
    """

    __slots__ = ("rules", "names", "note", "roles")

    def __init__(self, *rules: Rule | str, names: tuple | None = None,
                 note: Callable | None = None, roles: tuple | None = None) -> None:
        if not rules:
            raise ValueError("Explain: give at least one rule")
        self.rules = tuple(r if isinstance(r, Rule) else formula(r) for r in rules)
        self.roles = roles
        if names is None and roles is not None:
            names = tuple(r[0] for r in roles)
        self.names = names
        self.note = note

    def rule(self, i: int, n_inputs: int) -> Rule:
        """The rule for input ``i`` of ``n_inputs``."""
        return self.rules[min(i, len(self.rules) - 1)]

    def input_names(self, n_inputs: int) -> list:
        """The placeholder names of the inputs (``x``; ``a, b``; ``c, a, b``; ``x0, x1...``)."""
        if self.names is not None:
            names = list(self.names)
            return names + [f"x{i}" for i in range(len(names), n_inputs)]
        if n_inputs == 1:
            return ["x"]
        if n_inputs == 2:
            return ["a", "b"]
        return [f"x{i}" for i in range(n_inputs)]

    def __repr__(self) -> str:
        return f"Explain({', '.join(r.text for r in self.rules)})"


#: The template of ops that have none (a custom ``ag.Function`` without ``explain``).
GENERIC = Explain(formula("{name}.backward(ctx, {g})[{i}]"))


def note_of(explain: Explain | None, *args: Any, **kwargs: Any) -> str | None:
    """``explain.note(*args, **kwargs)``, or None (also when the note fails)."""
    if explain is None or explain.note is None:
        return None
    try:
        return explain.note(*args, **kwargs)
    except Exception:  # noqa: BLE001 - a note is an aside: never let it break a step
        return None
