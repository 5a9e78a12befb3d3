"""PyTorch semantics and errors of ``autograd_lite/ops/mathfuncs.py`` and of the function forms
of ``add sub mul div`` (``alpha=``, ``rounding_mode=``) and the dtype-cast methods. Values,
gradients and fuzzing come from the catalog rows (``tests/ops/rows_math.py``)."""
import numpy as np
import pytest

import autograd_lite as ag


def f64(values, requires_grad=True):
    return ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- trig, exp, log
def test_atan2_quadrants_and_gradient():
    y, x = f64([1.0, 1.0, -1.0, -1.0]), f64([1.0, -1.0, -1.0, 1.0])
    out = ag.atan2(y, x)
    np.testing.assert_allclose(out.data, [np.pi / 4, 3 * np.pi / 4, -3 * np.pi / 4, -np.pi / 4])
    out.sum().backward()
    r2 = x.data ** 2 + y.data ** 2
    np.testing.assert_allclose(y.grad.data, x.data / r2)
    np.testing.assert_allclose(x.grad.data, -y.data / r2)
    assert y.atan2(x).shape == (4,)
    assert ag.atan2(ag.tensor([1, 0]), ag.tensor([0, 1])).dtype == np.float32  # ints: default


@pytest.mark.parametrize("name", ["atan", "asin", "acos", "sinh", "cosh", "expm1", "exp2",
                                  "log2", "log10"])
def test_integer_inputs_compute_in_the_default_dtype(name):
    out = getattr(ag, name)(ag.tensor([1, 0]) * 0 + 1)
    assert out.dtype == np.float32
    assert getattr(ag.tensor([0.5], dtype=np.float64), name)().dtype == np.float64


def test_expm1_is_accurate_for_small_x():
    assert ag.expm1(f64([1e-12])).item() == pytest.approx(1e-12, rel=1e-12)


def test_asin_acos_outside_the_domain_are_nan():
    assert np.isnan(ag.asin(f64([1.5], False)).item()) and np.isnan(ag.acos(f64([-2.0])).item())


@pytest.mark.parametrize("fn", [ag.atan2, ag.fmod, ag.remainder])
def test_binary_errors_name_the_op(fn):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}:"):
        fn(f64([1.0, 2.0]), f64([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match=rf"^{fn.__name__}:"):
        fn(ag.tensor([1j]), ag.tensor([1j]))


# ----------------------------------------------------------------------------- rounding
@pytest.mark.parametrize("fn", [ag.floor, ag.ceil, ag.round, ag.trunc])
def test_rounding_has_zero_gradient(fn):
    x = f64([-1.7, -0.2, 0.4, 2.6])
    out = fn(x)
    assert out.grad_fn is not None  # as PyTorch: in the graph, with gradient 0 (not an error)
    (out * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0.0)
    (g,) = ag.grad(fn(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data, 0.0)


def test_rounding_values_and_dtypes():
    x = ag.tensor([-1.5, -0.5, 0.5, 1.5, 2.5])
    np.testing.assert_array_equal(ag.floor(x).data, [-2, -1, 0, 1, 2])
    np.testing.assert_array_equal(ag.ceil(x).data, [-1, -0, 1, 2, 3])
    np.testing.assert_array_equal(ag.trunc(x).data, [-1, -0, 0, 1, 2])
    np.testing.assert_array_equal(x.round().data, [-2, -0, 0, 2, 2])  # halves to even
    assert ag.floor(x).dtype == np.float32
    np.testing.assert_allclose(ag.round(ag.tensor([1.25, 2.35, 1234.5]), decimals=1).data,
                               np.round(np.float32([1.25, 2.35, 1234.5]), 1))
    assert ag.round(ag.tensor([1234.5]), decimals=-2).item() == 1200.0
    assert ag.round(ag.tensor([1000.0], dtype=np.float16), decimals=2).item() == 1000.0
    i = ag.tensor([3, -3])
    assert ag.floor(i).dtype == np.int64 and ag.floor(i).data.tolist() == [3, -3]


def test_frac_keeps_the_sign_and_has_gradient_one():
    x = f64([-1.25, 2.75])
    out = ag.frac(x)
    np.testing.assert_allclose(out.data, [-0.25, 0.75])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 1.0)


def test_rounding_errors():
    for fn in (ag.floor, ag.ceil, ag.trunc, ag.round, ag.frac):
        with pytest.raises(TypeError, match=rf"^{fn.__name__}:"):
            fn(ag.tensor([True, False]))
    with pytest.raises(TypeError, match="^frac:"):
        ag.frac(ag.tensor([1, 2]))
    with pytest.raises(TypeError, match="^round:"):
        ag.round(ag.tensor([1.0]), decimals=1.5)
    with pytest.raises(TypeError, match="^round:"):
        ag.round(ag.tensor([1, 2]), decimals=1)
    with pytest.raises(TypeError, match="^floor:"):
        ag.floor(ag.tensor([1 + 1j]))


# ----------------------------------------------------------------------------- remainders
def test_fmod_has_the_sign_of_the_dividend_remainder_of_the_divisor():
    a, b = ag.tensor([-3, 3, -3, 3]), ag.tensor([2, 2, -2, -2])
    assert ag.fmod(a, b).data.tolist() == [-1, 1, -1, 1]
    assert ag.remainder(a, b).data.tolist() == [1, 1, -1, -1]
    assert ag.fmod(a, b).dtype == np.int64
    np.testing.assert_allclose(ag.remainder(ag.tensor([-0.5, 5.5]), 2).data, [1.5, 1.5])
    np.testing.assert_allclose(ag.fmod(ag.tensor([-0.5, 5.5]), 2).data, [-0.5, 1.5])


def test_remainder_gradients():
    a, b = f64([-3.5, 7.25]), f64([2.0, -2.0])
    ag.fmod(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, -np.trunc(a.data / b.data))
    a2, b2 = f64([-3.5, 7.25]), f64([2.0, -2.0])
    a2.remainder(b2).sum().backward()
    np.testing.assert_array_equal(b2.grad.data, -np.floor(a2.data / b2.data))


def test_integer_division_by_zero_raises():
    for fn in (ag.fmod, ag.remainder, ag.floor_divide):
        with pytest.raises(ValueError, match=rf"^{fn.__name__}: integer division by zero"):
            fn(ag.tensor([1, 2]), ag.tensor([1, 0]))
    with pytest.raises(ValueError, match="^div:"):
        ag.div(ag.tensor([1]), 0, rounding_mode="trunc")
    assert np.isnan(ag.fmod(ag.tensor([5.0]), 0.0).item())  # floats: NaN, as PyTorch


# ----------------------------------------------------------------------------- add sub mul div
def test_add_sub_alpha():
    x, y = f64([1.0, 2.0]), f64([10.0, 20.0])
    np.testing.assert_allclose(ag.add(x, y, alpha=2).data, [21.0, 42.0])
    np.testing.assert_allclose(x.sub(y, alpha=0.5).data, [-4.0, -8.0])
    x.add(y, alpha=3).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])
    assert ag.add(ag.tensor([1, 2]), ag.tensor([1, 1]), alpha=-2).data.tolist() == [-1, 0]
    assert x.mul(y).data.tolist() == [10.0, 40.0] and ag.mul(x, 2).data.tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match="^add: alpha"):
        ag.add(ag.tensor([1]), ag.tensor([1]), alpha=0.5)
    with pytest.raises(TypeError, match="^sub: alpha"):
        ag.tensor([1]).sub(2, alpha=1.5)


def test_div_rounding_modes():
    a, b = ag.tensor([-7, 7, -7]), ag.tensor([2, 2, -2])
    assert ag.div(a, b, rounding_mode="trunc").data.tolist() == [-3, 3, 3]
    assert a.div(b, rounding_mode="floor").data.tolist() == [-4, 3, 3]
    assert ag.floor_divide(a, b).data.tolist() == [-4, 3, 3]
    assert ag.div(a, b).dtype == np.float32 and ag.true_divide(a, b).dtype == np.float32
    x = f64([-7.0, 7.5])
    out = x.div(2.0, rounding_mode="floor")
    np.testing.assert_array_equal(out.data, [-4.0, 3.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0.0)
    assert ag.floor_divide(f64([1e4], False), -np.inf).item() == -1.0  # Python's //
    with pytest.raises(ValueError, match="^div: rounding_mode"):
        ag.div(a, b, rounding_mode="round")
    with pytest.raises(TypeError, match="^div:"):
        ag.div(ag.tensor([True]), ag.tensor([True]), rounding_mode="floor")


# ----------------------------------------------------------------------------- isclose
def test_isclose_semantics():
    a = ag.tensor([1.0, 1.0, np.nan, np.inf, 1.0], requires_grad=True)
    b = ag.tensor([1.0 + 1e-6, 1.1, np.nan, np.inf, -np.inf])
    out = ag.isclose(a, b)
    assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
    assert out.data.tolist() == [True, False, False, True, False]
    assert a.isclose(b, equal_nan=True).data.tolist() == [True, False, True, True, False]
    assert ag.isclose(a, b, rtol=0.2).data.tolist()[1]
    assert ag.allclose(a[:2], b[:2], rtol=0.2) is True
    assert a.allclose(b) is False
    assert ag.isclose(ag.tensor([16777217]), ag.tensor([16777216]), rtol=0, atol=0.5).item()


def test_isclose_errors():
    with pytest.raises(TypeError, match="^isclose: .*same dtype"):
        ag.isclose(ag.tensor([1.0]), ag.tensor([1.0], dtype=np.float64))
    with pytest.raises(TypeError, match="^allclose:"):
        ag.allclose(ag.tensor([1]), ag.tensor([1.0]))
    with pytest.raises(ValueError, match="^isclose: rtol and atol"):
        ag.isclose(ag.tensor([1.0]), ag.tensor([1.0]), atol=-1.0)
    with pytest.raises(ValueError, match="^isclose: shapes"):
        ag.isclose(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0, 3.0]))


# ----------------------------------------------------------------------------- casts
def test_float_casts_are_differentiable_and_cast_the_gradient_back():
    x = f64([1.5, -2.25])
    for y in (x.float(), x.half(), x.to(np.float32), x.type(np.float16), x.to("cpu", "float32")):
        assert y.requires_grad and y.grad_fn is not None
    y = x.float()
    assert y.dtype == np.float32
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    assert x.double() is x and x.to(np.float64) is x and x.to(x) is x  # nothing to do: x
    assert x.to(np.float64, copy=True) is not x


def test_integer_and_bool_casts_detach():
    x = f64([1.5, -2.75, 0.0])
    for m, dt in (("int", np.int32), ("long", np.int64), ("bool", np.bool_)):
        y = getattr(x, m)()
        assert y.dtype == dt and not y.requires_grad and y.grad_fn is None
    assert x.long().data.tolist() == [1, -2, 0] and x.bool().data.tolist() == [True, True, False]
    assert ag.tensor([1, 2]).float().dtype == np.float32
    assert x.type() == "float64"


def test_cast_errors():
    x = ag.tensor([1.0])
    with pytest.raises(TypeError, match="^to:"):
        x.to("not a dtype")
    with pytest.raises(ValueError, match="^to: device"):
        x.to(np.float32, device="cuda")
    with pytest.raises(TypeError, match="^type:"):
        x.type(object())
