"""Linear algebra: matmul (batched, NumPy's 1-d rules) and einsum."""
from __future__ import annotations

import string
from typing import Any

import numpy as np

from autograd_lite.array_module import eye, ones
from autograd_lite.explain import Explain, formula
from autograd_lite.primitive import Op, arr, export, operand
from autograd_lite.tensor import Tensor


# ----------------------------------------------------------------------------- matmul
def _mm_grad_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    if b.ndim == 1:  # out = a @ b drops the last axis: g[..., None] * b
        if a.ndim == 1:
            return g * b
        return g[..., None] * b
    bt = b.swapaxes(-1, -2)
    if a.ndim == 1:  # a was (n,) treated as (1, n): result (..., m) -> (..., 1, m)
        return (g[..., None, :] @ bt).squeeze(-2)
    return g @ bt


def _mm_grad_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    if a.ndim == 1:
        if b.ndim == 1:
            return g * a
        return a[:, None] * g[..., None, :]  # (n, 1) * (..., 1, m) -> (..., n, m)
    at = a.swapaxes(-1, -2)
    if b.ndim == 1:  # b was (n,) treated as (n, 1)
        return (at @ g[..., None]).squeeze(-1)
    return at @ g


def _mm_jvp(ts: list, out: Any, a: Any, b: Any) -> Any:
    # forward mode: ta @ b + a @ tb. A batched tangent (one more leading dim than its input)
    # is reshaped so that its batch dim lines up left of matmul's broadcast dims.
    ta, tb = ts
    nd = max(a.ndim, b.ndim)
    res = None
    if ta is not None:
        if ta.ndim > a.ndim and nd > 1:
            if a.ndim == 1 and b.ndim == 2:  # (B, k) @ (k, n): one product for the batch
                res = MatMul.in_rule(ta, b)
            elif a.ndim == 1:
                ta = ta.reshape((ta.shape[0],) + (1,) * (nd - 1) + a.shape)
                res = MatMul.in_rule(ta, b)[..., 0, :] if b.ndim > 1 else \
                    MatMul.in_rule(ta, b)[..., 0]
            else:
                res = MatMul.in_rule(ta.reshape((ta.shape[0],) + (1,) * (nd - a.ndim) + a.shape),
                                     b)
        else:
            res = MatMul.in_rule(ta, b)
    if tb is not None:
        if b.ndim == 1:
            if tb.ndim > 1 and a.ndim == 2:  # batched, a @ tb[i] for all i: tb @ a^T
                c = MatMul.in_rule(tb, a.swapaxes(-1, -2))
            elif tb.ndim > 1:  # batched: (B, k) -> (B, 1..., k, 1)
                tb = tb.reshape((tb.shape[0],) + (1,) * (a.ndim - 2) + b.shape + (1,))
                c = MatMul.in_rule(a, tb)[..., 0]
            else:
                c = MatMul.in_rule(a, tb[..., None])[..., 0]
        elif tb.ndim > b.ndim and a.ndim == 2 and b.ndim == 2 and b.shape[1] == 1:
            # a @ (k, 1) columns, batched: one (B, k) @ (k, m) product, not B small ones
            c = MatMul.in_rule(tb[..., 0], a.swapaxes(-1, -2))[..., None]
        elif tb.ndim > b.ndim:
            c = MatMul.in_rule(a, tb.reshape((tb.shape[0],) + (1,) * (nd - b.ndim) + b.shape))
        else:
            c = MatMul.in_rule(a, tb)
        res = c if res is None else res + c
    return res


MatMul = Op("MatMul", np.matmul, _mm_grad_a, _mm_grad_b,
            jvp=_mm_jvp, jvp_batched=True, explain=Explain(formula("{g} @ {b}^T", shapes=True),
                            formula("{a}^T @ {g}", shapes=True)))


@export(method=True)
def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules: batched over leading dims (broadcast), a 1-d
    operand is a vector (prepended/appended 1 removed from the result)."""
    try:
        return MatMul.binary(a, b)
    except ValueError as e:  # explain which dims disagree (kept off the fast path)
        # (its message only: keeping the exception in a local would make a reference cycle,
        # exception -> traceback -> this frame -> exception, that keeps a and b alive)
        reason = str(e)
    like = a._data if isinstance(a, Tensor) else (b._data if isinstance(b, Tensor) else None)
    a, b = operand(a, like), operand(b, like)
    sa, sb = a._data.shape, b._data.shape
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dim, got shapes {sa} and {sb}")
    ka = sa[-1]
    kb = sb[0] if len(sb) == 1 else sb[-2]
    if ka != kb:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned: {ka} (last dim of "
                         f"the first) != {kb} ({'dim 0' if len(sb) == 1 else 'second-to-last dim'}"
                         " of the second)")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dims {sa[:-2]} and {sb[:-2]} of shapes {sa} and {sb} "
                         "cannot be broadcast together") from None
    raise ValueError(reason)


# ----------------------------------------------------------------------------- einsum
def _parse(subscripts: str, shapes: list) -> tuple[list[str], str]:
    """Explicit form: one letter string per operand and the output (ellipses expanded)."""
    s = subscripts.replace(" ", "")
    if "->" in s:
        lhs, rhs = s.split("->")
    else:
        lhs, rhs = s, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} operand subscripts for {len(shapes)} operands")
    used = set(c for c in s if c.isalpha())
    free = [c for c in string.ascii_letters if c not in used]
    ell_nd = max((len(shp) - (len(t) - 3) for t, shp in zip(terms, shapes) if "..." in t),
                 default=0)
    ell = "".join(free[:ell_nd])
    out_terms = []
    for t, shp in zip(terms, shapes):
        if "..." in t:
            k = len(shp) - (len(t) - 3)
            t = t.replace("...", ell[ell_nd - k:] if k else "")
        if len(t) != len(shp):
            raise ValueError(f"einsum: subscripts {t!r} do not match an operand of shape {shp}")
        out_terms.append(t)
    if rhs is None:
        counts: dict = {}
        for t in out_terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    return out_terms, rhs


def _einsum_vjp(g: Tensor, out: Tensor, inputs: Any, needs: list, subscripts: str) -> list:
    terms, rhs = subscripts.split("->")[0].split(","), subscripts.split("->")[1]
    sizes: dict = {}
    for t, x in zip(terms, inputs):
        for c, n in zip(t, x.shape):
            if sizes.get(c, 1) == 1:  # a size-1 dim broadcasts: keep the other size
                sizes[c] = n
    grads = []
    for i, need in enumerate(needs):
        if not need:
            grads.append(None)
            continue
        ops = [g] + [x for j, x in enumerate(inputs) if j != i]
        subs = [rhs] + [t for j, t in enumerate(terms) if j != i]
        # Repeated letters in the target (a diagonal) become a fresh letter tied by an identity;
        # letters only in the target (summed away) come back through a ones vector.
        target, seen = "", set()
        spare = iter(c for c in string.ascii_letters if c not in sizes)
        for c in terms[i]:
            if c in seen:
                d = next(spare)
                ops.append(eye(sizes[c], arr(g).dtype, arr(g)))
                subs.append(c + d)
                target += d
            else:
                seen.add(c)
                target += c
        # letters some operand carries at full size (a size-1 dim is broadcast, not full)
        avail = {c for sb, o in zip(subs, ops) for c, n in zip(sb, np.shape(o))
                 if n == sizes.get(c, n)}
        for c in set(terms[i]):
            if c not in avail:
                ops.append(ones(sizes[c], arr(g).dtype, arr(g)))
                subs.append(c)
        spec = ",".join(subs) + "->" + target
        grads.append(Einsum.in_rule(*ops, subscripts=spec))
    return grads


def _einsum_jvp(ts: list, out: Any, *xs: Any, subscripts: str) -> Any:
    # forward mode: the sum over inputs of the einsum with the input's tangent in its place;
    # a batched tangent gets a new leading index letter, carried to the output.
    ins, res_sub = subscripts.split("->")
    subs = ins.split(",")
    free = next(c for c in string.ascii_letters if c not in subscripts)
    res = None
    for i, t in enumerate(ts):
        if t is None:
            continue
        s = list(subs)
        o = res_sub
        if t.ndim > xs[i].ndim:  # batched
            s[i] = free + s[i]
            o = free + o
        args = list(xs)
        args[i] = t
        c = Einsum.in_rule(*args, subscripts=",".join(s) + "->" + o)
        res = c if res is None else res + c
    return res


Einsum = Op("Einsum", lambda *xs, subscripts: np.einsum(subscripts, *xs, optimize=len(xs) > 2),
            vjp_all=_einsum_vjp,
            jvp=_einsum_jvp, jvp_batched=True,
            explain=Explain(formula("einsum of {g} with the other operands back to the "
                                    "indices of {xi} ('{subscripts}')")))


@export
def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation as ``np.einsum`` (implicit/explicit form, ellipsis), differentiable
    in every operand."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    like = next((t._data for t in operands if isinstance(t, Tensor)), None)
    ts = [operand(t, like) for t in operands]
    terms, rhs = _parse(subscripts, [t._data.shape for t in ts])
    explicit = ",".join(terms) + "->" + rhs
    sizes: dict = {}
    for t, x in zip(terms, ts):
        if len({(c, n) for c, n in zip(t, x._data.shape)}) > len(set(t)):
            raise ValueError(f"einsum: a repeated index in {t!r} needs equal sizes, got an "
                             f"operand of shape {x.shape} in {subscripts!r}")
        for c, n in zip(t, x._data.shape):
            if sizes.setdefault(c, n) != n and n != 1 and sizes[c] != 1:
                raise ValueError(f"einsum: index {c!r} has sizes {sizes[c]} and {n} in "
                                 f"{subscripts!r} (shapes {[x.shape for x in ts]})")
            if sizes[c] == 1:  # size 1 broadcasts against a later size
                sizes[c] = n
    return Einsum.apply(ts, {"subscripts": explicit})


# ----------------------------------------------------------------------------- PyTorch's forms
def _check_dims(op: str, a: Tensor, b: Tensor, na: int, nb: int) -> None:
    if a._data.ndim != na or b._data.ndim != nb:
        raise ValueError(f"{op}: expects a {na}-d and a {nb}-d tensor, got shapes {a.shape} and "
                         f"{b.shape}")


def _pair(op: str, a: Any, b: Any) -> tuple:
    like = a._data if isinstance(a, Tensor) else (b._data if isinstance(b, Tensor) else None)
    a, b = operand(a, like), operand(b, like)
    if op != "outer" and np.bool_ in (a._data.dtype, b._data.dtype):
        raise TypeError(f"{op}: not implemented for bool tensors (as PyTorch)")
    return a, b


@export(method=True)
def mm(a: Any, b: Any) -> Tensor:
    """``torch.mm``: the product of an (n, k) and a (k, m) matrix (no broadcasting; see
    [`matmul`][autograd_lite.matmul] for batches and vectors)."""
    a, b = _pair("mm", a, b)
    _check_dims("mm", a, b, 2, 2)
    if a._data.shape[1] != b._data.shape[0]:
        raise ValueError(f"mm: shapes {a.shape} and {b.shape} cannot be multiplied "
                         f"({a.data.shape[1]} != {b.data.shape[0]})")
    return MatMul.binary(a, b)


@export(method=True)
def mv(a: Any, v: Any) -> Tensor:
    """``torch.mv``: the product of an (n, k) matrix and a (k,) vector, shape (n,)."""
    a, v = _pair("mv", a, v)
    _check_dims("mv", a, v, 2, 1)
    if a._data.shape[1] != v._data.shape[0]:
        raise ValueError(f"mv: shapes {a.shape} and {v.shape} cannot be multiplied "
                         f"({a.data.shape[1]} != {v.data.shape[0]})")
    return MatMul.binary(a, v)


@export(method=True)
def dot(a: Any, b: Any) -> Tensor:
    """``torch.dot``: the inner product of two 1-d tensors of the same length (a 0-d
    result)."""
    a, b = _pair("dot", a, b)
    _check_dims("dot", a, b, 1, 1)
    if a._data.shape != b._data.shape:
        raise ValueError(f"dot: the two vectors must have the same length, got {a.shape} and "
                         f"{b.shape}")
    return MatMul.binary(a, b)


@export(method=True)
def outer(a: Any, b: Any) -> Tensor:
    """``torch.outer``: ``out[i, j] = a[i] * b[j]`` for 1-d ``a`` and ``b``."""
    a, b = _pair("outer", a, b)
    _check_dims("outer", a, b, 1, 1)
    return a.reshape(-1, 1) * b
