"""gradcheck (float64 central differences) for every catalog op and shape case, gradgradcheck for
the twice-differentiable ones, and hypothesis-drawn shapes for the elementwise and reduction
families."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as ag
from autograd_lite.testing import GradcheckError, gradcheck, gradgradcheck
from tests.ops.op_catalog import BY_NAME, ROWS, all_cases, case_ids, tensors

FIRST = all_cases(grad=1)
SECOND = all_cases(grad=2)


def _inputs(row, shapes, seed):
    return tensors(row.inputs(np.random.default_rng(seed), shapes))


def _f(row, kw):
    return lambda *xs: row.fn(*xs, **kw)


@pytest.mark.parametrize("row,i", FIRST, ids=case_ids(FIRST))
def test_gradcheck(row, i):
    shapes, kw = row.cases[i]
    assert gradcheck(_f(row, kw), tuple(_inputs(row, shapes, seed=i)))


@pytest.mark.parametrize("row,i", SECOND, ids=case_ids(SECOND))
def test_gradgradcheck(row, i):
    shapes, kw = row.cases[i]
    assert gradgradcheck(_f(row, kw), tuple(_inputs(row, shapes, seed=100 + i)))


def test_every_row_is_twice_differentiable_or_says_why():
    # (imported here: a rows file imported before op_catalog would be a circular import)
    from tests.ops import rows_index, rows_math, rows_reduce
    # Every op in the catalog is twice differentiable away from its kinks; a row with grad 1
    # (first derivatives only) or 0 (not differentiable) needs a reason here.
    why = {"pow_tensor_exponent_at_zero": "second differences at base 0 read x = -eps, where "
                                          "d/dp x^p = x^p log x is NaN (as in PyTorch)",
           "sign": "piecewise constant", "argmax": "integer result", "argmin": "integer result",
           **{f"compare_{k}": "bool result" for k in ("lt", "le", "gt", "ge", "eq", "ne")},
           **rows_math.WHY, **rows_index.WHY, **rows_reduce.WHY}
    assert {r.name for r in ROWS if r.grad != 2} == set(why)


def test_gradcheck_reports_a_wrong_gradient():
    # A deliberately wrong VJP must be caught (the checks above can fail).
    class Twice(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # should be 2 * g * x

    x = ag.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(Twice.apply, (x,))


# ----------------------------------------------------------------------------- hypothesis
UNARY_ROWS = [r.name for r in ROWS if r.family == "unary"]
BINARY_ROWS = [r.name for r in ROWS if r.family == "binary"]
REDUCTION_ROWS = [r.name for r in ROWS if r.family == "reduction"]
SMALL = dict(min_dims=0, max_dims=3, min_side=1, max_side=3)


def _check(row, shapes, kw, seed, second):
    arrays = row.inputs(np.random.default_rng(seed), shapes)
    ts = tensors(arrays)
    out = row.fn(*ts, **kw)
    np.testing.assert_allclose(out.data, row.ref(*arrays, **kw), rtol=1e-12, atol=1e-12)
    assert gradcheck(_f(row, kw), tuple(ts))
    if second:
        assert gradgradcheck(_f(row, kw), tuple(ts))


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(UNARY_ROWS), shape=hnp.array_shapes(**SMALL),
       seed=st.integers(0, 2**16), second=st.booleans())
def test_hypothesis_unary(name, shape, seed, second):
    _check(BY_NAME[name], (shape,), {}, seed, second)


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(BINARY_ROWS),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, **SMALL),
       seed=st.integers(0, 2**16), second=st.booleans())
def test_hypothesis_binary_broadcasting(name, shapes, seed, second):
    _check(BY_NAME[name], shapes.input_shapes, {}, seed, second)


@st.composite
def _reduction_case(draw):
    name = draw(st.sampled_from(REDUCTION_ROWS))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1),
                          hnp.valid_tuple_axes(len(shape), min_size=1)))
    kw = {"axis": axis, "keepdims": draw(st.booleans())}
    if name == "std":  # sqrt'' blows up at var = 0: reduce over at least two elements
        axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
        n = int(np.prod([shape[a] for a in axes]))
        if n < 2:
            shape = shape + (2,)
            kw["axis"] = None
    if name in ("var", "std"):
        kw["ddof"] = draw(st.sampled_from([0, 1])) if name == "var" or n > 2 else 0
        axes = range(len(shape)) if kw["axis"] is None else np.atleast_1d(kw["axis"])
        if int(np.prod([shape[a] for a in axes])) <= kw["ddof"]:
            kw["ddof"] = 0
    return name, shape, kw


@settings(max_examples=25, deadline=None)
@given(case=_reduction_case(), seed=st.integers(0, 2**16), second=st.booleans())
def test_hypothesis_reductions(case, seed, second):
    name, shape, kw = case
    _check(BY_NAME[name], (shape,), kw, seed, second)


@st.composite
def _matmul_shapes(draw):
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2,
                                                   max_side=2))
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    a_vec, b_vec = draw(st.booleans()), draw(st.booleans())
    sa = (k,) if a_vec else batch.input_shapes[0] + (n, k)
    sb = (k,) if b_vec else batch.input_shapes[1] + (k, m)
    return sa, sb


@settings(max_examples=25, deadline=None)
@given(shapes=_matmul_shapes(), seed=st.integers(0, 2**16))
def test_hypothesis_matmul(shapes, seed):
    _check(BY_NAME["matmul"], shapes, {}, seed, second=True)


@settings(max_examples=25, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), data=st.data(),
       seed=st.integers(0, 2**16))
def test_hypothesis_softmax_axis(shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    name = data.draw(st.sampled_from(["softmax", "log_softmax"]))
    _check(BY_NAME[name], (shape,), {"axis": axis}, seed, second=True)
