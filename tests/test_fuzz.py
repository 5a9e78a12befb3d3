"""Property-based fuzzing of every op (hypothesis).

For each row of the op catalog (``tests/ops/op_catalog.py``) that has a ``draw``, hypothesis
draws shapes (0-d, zero-size dimensions, broadcasting
pairs and mismatched ones), dtypes (float32/float64, int64 and bool where the op may accept
them), arguments (axes in and out of range, bad reshape targets, pads, indices...) and values
(0, -0.0, huge, tiny, subnormal, NaN, +-Inf). Every call must either

- return a Tensor whose backward (when it requires grad) runs and gives each input a gradient
  of its shape and dtype, or
- raise one of the library's documented exceptions: ``ValueError`` / ``TypeError`` /
  ``RuntimeError`` with a message naming the op (``IndexError`` only from indexing with an
  out-of-range index, as Python and PyTorch do). Never an internal error: no AttributeError,
  ZeroDivisionError, KeyError, a bare NumPy AxisError or broadcasting message.

Then, with values from the op's smooth domain (the catalog's, away from kinks and poles) on
the same random shapes, a float64 ``gradcheck`` must pass whenever the sizes are small.

Examples per op come from the hypothesis profile in ``tests/conftest.py``
(``HYPOTHESIS_PROFILE=ci``, the default: 50 per op; ``thorough``: 500).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite.testing import GradcheckError, gradcheck
from tests.ops import op_catalog as cat
from tests.ops.fuzz_draws import array, shapes_pair

GRADCHECK_MAX = 24  # gradcheck only when inputs and output have at most this many elements
FUZZED = [r for r in cat.ROWS if r.draw is not None]
BY_NAME = {r.name: r for r in FUZZED}


def test_every_op_is_fuzzed():
    """Every op of the catalog (an ``ag.<name>``, an operator, an nn.functional function) has
    a fuzzed row; tests/ops/test_op_list.py checks that every exported op has a row."""
    ops = {r.op for r in cat.ROWS}
    fuzzed = {r.op for r in FUZZED}
    assert ops == fuzzed, f"ops without a fuzzed row (give one row a draw=): {ops - fuzzed}"


# ----------------------------------------------------------------------------- the checks
DOCUMENTED = (ValueError, TypeError, RuntimeError)
# ops whose out-of-range index values raise IndexError (naming the op and the index)
INDEX_OPS = ("getitem", "gather", "scatter", "scatter_add", "index_select")
LEAKS = (IndexError, AttributeError, ZeroDivisionError, KeyError, AssertionError,
         np.exceptions.AxisError, OverflowError, NotImplementedError)


def _check_error(spec: cat.OpRow, e: BaseException) -> None:
    msg = str(e)
    if isinstance(e, IndexError) and spec.op in INDEX_OPS and msg.startswith(spec.op + ":"):
        return  # out-of-range index: IndexError, as Python sequences and PyTorch
    if isinstance(e, ag.DimensionError):  # an axis out of range: IndexError and ValueError
        pass
    elif isinstance(e, LEAKS) or not isinstance(e, DOCUMENTED):
        raise AssertionError(f"{spec.name}: internal error leaked: "
                             f"{type(e).__name__}: {msg}") from e
    if msg.startswith("operands could not be broadcast"):
        raise AssertionError(f"{spec.name}: bare NumPy broadcasting error: {msg}") from e
    # The message starts with the op the user called ("mse_loss: ..."), not an inner op's
    # name ("add: ..." from inside F.linear) and not a bare NumPy/Python message.
    words = [w.lower() for w in spec.err_words() if w]
    if words and isinstance(e, (ValueError, TypeError)) and \
            not any(msg.lower().startswith(w + ":") for w in words):
        raise AssertionError(f"{spec.name}: {type(e).__name__} does not start with the op's "
                             f"name ({words}): {msg}") from e


def _make_tensors(spec: cat.OpRow, arrays: list, data: Any) -> list:
    ts = []
    for i, a in enumerate(arrays):
        rg = a.dtype.kind == "f" and i not in spec.const_inputs and data.draw(
            st.booleans(), label=f"requires_grad[{i}]")
        ts.append(ag.tensor(a, requires_grad=rg))
    return ts


def _robust(spec: cat.OpRow, shapes: tuple, kw: dict, data: Any) -> None:
    arrays = []
    for i, s in enumerate(shapes):
        dt = (np.bool_,) if i in spec.const_inputs else spec.dtypes
        arrays.append(data.draw(array(s, dt), label=f"x{i}"))
    if spec.robust_gen is not None:
        arrays = spec.robust_gen(data, shapes, kw)
    ts = _make_tensors(spec, arrays, data)
    note(f"inputs: {[(t.dtype, t.shape, t.requires_grad) for t in ts]} kwargs: {kw}")
    try:
        out = spec.fn(*ts, **kw)
    except BaseException as e:  # noqa: BLE001 - classified below
        _check_error(spec, e)
        event(f"raised {type(e).__name__}")
        return
    event("returned")
    assert isinstance(out, ag.Tensor), f"{spec.name} returned {type(out).__name__}"
    assert isinstance(out.data, np.ndarray)
    if not spec.grad:
        assert not out.requires_grad, f"{spec.name} is not differentiable but records a graph"
        return
    if not any(t.requires_grad for t in ts):
        assert not out.requires_grad
        return
    if not out.requires_grad:  # integer/bool result (e.g. astype to int): no graph, fine
        assert out.dtype.kind not in "fc"
        return
    g = np.ones(out.shape, dtype=out.dtype)
    out.backward(g)
    for t in ts:
        if t.requires_grad:
            assert t.grad is not None, f"{spec.name}: no gradient reached an input"
            assert t.grad.shape == t.shape, (spec.name, t.grad.shape, t.shape)
            assert t.grad.dtype == t.dtype, (spec.name, t.grad.dtype, t.dtype)


def _smooth(spec: cat.OpRow, shapes: tuple, kw: dict, seed: int) -> None:
    """float64 gradcheck at a point of the op's smooth domain (small sizes only)."""
    if not spec.grad or any(int(np.prod(s, dtype=np.int64)) > GRADCHECK_MAX for s in shapes):
        return
    rng = np.random.default_rng(seed)
    try:
        arrays = spec.inputs(rng, shapes)
    except ValueError:  # e.g. the tie-free sampler on a shape it cannot serve
        return
    ts = [ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
          if np.asarray(a).dtype.kind == "f" and i not in spec.const_inputs + spec.nograd
          else ag.tensor(np.asarray(a)) for i, a in enumerate(arrays)]
    try:
        out = spec.fn(*ts, **kw)
    except Exception:  # noqa: BLE001 - invalid for these shapes: the robust phase judged it
        return
    if not out.requires_grad or out.size > GRADCHECK_MAX:
        return
    if not np.all(np.isfinite(out.data)):  # e.g. pad with NaN: finite differences are NaN
        return
    if spec.smooth_ok is not None and not spec.smooth_ok(arrays, kw):
        return
    def f(*xs: ag.Tensor) -> ag.Tensor:
        return spec.fn(*xs, **kw)

    event("gradcheck")
    try:
        gradcheck(f, tuple(ts), eps=1e-6, atol=1e-5, rtol=1e-3)
    except GradcheckError as e:
        raise AssertionError(f"{spec.name}: gradcheck failed for shapes {shapes}, "
                             f"kwargs {kw}:\n{e}") from None


@pytest.mark.parametrize("name", [r.name for r in FUZZED])
@given(data=st.data())
def test_fuzz_op(name, data):
    spec = BY_NAME[name]
    shapes, kw = spec.draw(data)
    note(f"shapes {shapes}, kwargs {kw}")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        _robust(spec, shapes, kw, data)
        _smooth(spec, shapes, kw, data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))


# ----------------------------------------------------------------------------- factories
FACTORIES = {
    "zeros": lambda s, d: ag.zeros(*s, dtype=d),
    "ones": lambda s, d: ag.ones(s, dtype=d),
    "full": lambda s, d: ag.full(s, 2.5, dtype=d),
    "rand": lambda s, d: ag.rand(*s, dtype=d),
    "randn": lambda s, d: ag.randn(s, dtype=d),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
@given(shape=st.lists(st.integers(-2, 3), max_size=3).map(tuple),
       dtype=st.sampled_from([None, np.float32, np.float64]))
def test_fuzz_factories(name, shape, dtype):
    try:
        t = FACTORIES[name](shape, dtype)
    except BaseException as e:  # noqa: BLE001 - classified below
        if isinstance(e, ValueError) and any(s < 0 for s in shape):
            assert "negative" in str(e) or "shape" in str(e), str(e)
            return  # a negative size: the documented error
        raise AssertionError(f"{name}{shape}: {type(e).__name__}: {e}") from e
    assert all(s >= 0 for s in shape), f"{name} accepted a negative size {shape}"
    assert t.shape == shape
    assert t.dtype == (np.dtype(dtype) if dtype else ag.get_default_dtype())


# ----------------------------------------------------------------------------- in-place methods
INPLACE = {
    "copy_": (lambda t, o: t.copy_(o), lambda a, o: o),
    "add_": (lambda t, o: t.add_(o), lambda a, o: a + o),
    "sub_": (lambda t, o: t.sub_(o, alpha=2.0), lambda a, o: a - 2.0 * o),
    "mul_": (lambda t, o: t.mul_(o), lambda a, o: a * o),
    "div_": (lambda t, o: t.div_(o), lambda a, o: a / o),
    "iadd": (lambda t, o: t.__iadd__(o), lambda a, o: a + o),
    "setitem": (lambda t, o: t.__setitem__(Ellipsis, o), lambda a, o: o),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
@given(data=st.data())
def test_fuzz_inplace(name, data):
    """An in-place method either updates the values exactly as NumPy would and bumps the
    version once, or raises a documented error and leaves values and version untouched."""
    shape, oshape = data.draw(shapes_pair(2), label="shapes")
    a = data.draw(array(shape), label="self")
    o = data.draw(array(oshape), label="other")
    rg = a.dtype.kind == "f" and data.draw(st.booleans(), label="requires_grad")
    t = ag.tensor(a, requires_grad=rg)
    other = ag.tensor(o) if data.draw(st.booleans(), label="as_tensor") else o
    before = t.data.copy()
    fn, ref = INPLACE[name]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            with ag.no_grad():
                r = fn(t, other)
        except BaseException as e:  # noqa: BLE001 - classified below
            if isinstance(e, LEAKS) or not isinstance(e, DOCUMENTED):
                raise AssertionError(f"{name}: internal error leaked: {type(e).__name__}: "
                                     f"{e}") from e
            assert t._version == 0, f"{name} failed but bumped the version"
            np.testing.assert_array_equal(t.data, before)
            assert t.data.dtype == a.dtype
            return
        expected = a.copy()
        np.copyto(expected, ref(a.copy(), o), casting="unsafe")  # NumPy's write into `a`
    assert r is None or r is t
    assert t._version == 1
    assert t.data.shape == a.shape and t.data.dtype == a.dtype  # in place: never reshaped/cast
    np.testing.assert_array_equal(t.data, expected)
