"""What the ops do where finite differences cannot decide: kinks, ties, boundaries, zeros and
infinities. The choices follow PyTorch (documented with NOTE: in the op files)."""
import numpy as np
import pytest

import autograd_lite as ag


def grads(f, *values):
    xs = [ag.tensor(v, dtype=np.float64, requires_grad=True) for v in values]
    out = f(*xs)
    out.sum().backward()
    return [x.grad.data if x.grad is not None else None for x in xs]


def test_relu_and_abs_at_zero():
    np.testing.assert_array_equal(grads(ag.relu, [-1.0, 0.0, 2.0])[0], [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(grads(ag.abs, [-1.0, 0.0, 2.0])[0], [-1.0, 0.0, 1.0])


def test_relu_second_derivative_is_zero():
    x = ag.tensor([-1.0, 2.0], dtype=np.float64, requires_grad=True)
    (g,) = ag.grad((ag.relu(x) * x).sum(), x, create_graph=True)  # 2x on x > 0
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_array_equal(h.data, [0.0, 2.0])


def test_clip_passes_gradient_on_the_boundary():
    g = grads(lambda x: x.clip(0.0, 1.0), [-1.0, 0.0, 0.5, 1.0, 2.0])[0]
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0])
    g = grads(lambda x: ag.clip(x, min=0.0), [-1.0, 3.0])[0]
    np.testing.assert_array_equal(g, [0.0, 1.0])
    g = grads(lambda x: ag.clip(x, max=0.0), [-1.0, 3.0])[0]
    np.testing.assert_array_equal(g, [1.0, 0.0])


def test_max_min_ties_share_the_gradient():
    np.testing.assert_allclose(grads(ag.max, [1.0, 3.0, 3.0])[0], [0.0, 0.5, 0.5])
    np.testing.assert_allclose(grads(ag.min, [2.0, 2.0, 2.0, 5.0])[0], [1 / 3, 1 / 3, 1 / 3, 0])
    # amax/amin over a dim share too (as torch.amax); max/min over one dim give the whole
    # gradient to the index they return (as torch.max(dim)): tests/test_pytorch_defaults.py
    g = grads(lambda x: x.amax(axis=1), [[1.0, 3.0, 3.0], [4.0, 0.0, 1.0]])[0]
    np.testing.assert_allclose(g, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    g = grads(lambda x: x.amin(axis=0, keepdims=True), [[1.0, 3.0], [1.0, 2.0]])[0]
    np.testing.assert_allclose(g, [[0.5, 0.0], [0.5, 1.0]])
    g = grads(lambda x: x.max(axis=(0, 1)), [[1.0, 3.0], [3.0, 2.0]])[0]
    np.testing.assert_allclose(g, [[0.0, 0.5], [0.5, 0.0]])


def test_maximum_minimum_ties_split_evenly():
    ga, gb = grads(ag.maximum, [1.0, 2.0, 5.0], [1.0, 3.0, 4.0])
    np.testing.assert_array_equal(ga, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(gb, [0.5, 1.0, 0.0])
    ga, gb = grads(ag.minimum, [1.0, 2.0], [1.0, 3.0])
    np.testing.assert_array_equal(ga, [0.5, 1.0])
    np.testing.assert_array_equal(gb, [0.5, 0.0])


def test_maximum_broadcast_gradient_sums():
    ga, gb = grads(ag.maximum, [[1.0], [5.0]], [2.0, 3.0, 6.0])
    np.testing.assert_array_equal(ga, [[0.0], [2.0]])
    np.testing.assert_array_equal(gb, [1.0, 1.0, 2.0])


def test_pow_at_zero():
    np.testing.assert_array_equal(grads(lambda x: x ** 2, [0.0, 1.0])[0], [0.0, 2.0])
    np.testing.assert_array_equal(grads(lambda x: x ** 3, [0.0, -1.0])[0], [0.0, 3.0])
    np.testing.assert_array_equal(grads(lambda x: x ** 0, [0.0, 2.0])[0], [0.0, 0.0])
    np.testing.assert_array_equal(grads(lambda x: x ** 1, [0.0, 2.0])[0], [1.0, 1.0])
    gx, gp = grads(ag.pow, [0.0, 2.0], [2.0, 3.0])
    np.testing.assert_array_equal(gx, [0.0, 12.0])
    np.testing.assert_allclose(gp, [0.0, 8 * np.log(2.0)])  # x^p log x -> 0 at x = 0


def test_sqrt_at_zero_is_inf_like_pytorch():
    with np.errstate(divide="ignore"):
        g = grads(ag.sqrt, [0.0, 4.0])[0]
    assert np.isinf(g[0]) and g[1] == 0.25


def test_logsumexp_with_minus_inf_entries():
    x = ag.tensor([-np.inf, 0.0, 0.0], dtype=np.float64, requires_grad=True)
    y = ag.logsumexp(x)
    assert y.item() == pytest.approx(np.log(2.0))
    y.backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5, 0.5])
    with np.errstate(divide="ignore"):  # log(0) for the all -inf row, as NumPy
        z = ag.logsumexp(ag.tensor([[-np.inf, -np.inf], [0.0, 1.0]], dtype=np.float64), axis=1)
    assert z.data[0] == -np.inf and np.isfinite(z.data[1])


def test_softmax_rows_sum_to_one_and_sum_has_zero_gradient():
    x = ag.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    s = ag.softmax(x, axis=1)
    np.testing.assert_allclose(s.data.sum(axis=1), 1.0)
    s.sum().backward()
    np.testing.assert_allclose(x.grad.data, 0.0, atol=1e-12)
    np.testing.assert_allclose(ag.log_softmax(x, axis=0).exp().data.sum(axis=0), 1.0)


def test_where_sends_no_gradient_to_the_unselected_branch():
    cond = ag.tensor([True, False, True])
    ga, gb = grads(lambda a, b: ag.where(cond, a, b), [1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(ga, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(gb, [0.0, 1.0, 0.0])
    # a safe-log idiom: the gradient stays finite where the other branch is used
    x = ag.tensor([0.5, 2.0], dtype=np.float64, requires_grad=True)
    ag.where(x > 1, x.log(), x * 0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5])


def test_where_condition_from_python_and_scalars():
    x = ag.tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    y = ag.where(x.data > 0, x, 0.0)
    np.testing.assert_array_equal(y.data, [1.0, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0])


def test_var_std_ddof_values():
    a = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 9.0]])
    x = ag.tensor(a)
    for ddof in (0, 1):
        np.testing.assert_allclose(x.var(ddof=ddof).data, a.var(ddof=ddof))
        np.testing.assert_allclose(x.std(axis=1, ddof=ddof).data, a.std(axis=1, ddof=ddof))
        np.testing.assert_allclose(x.var(axis=0, keepdims=True, ddof=ddof).data,
                                   a.var(axis=0, keepdims=True, ddof=ddof))


def test_astype_gradient_comes_back_in_input_dtype():
    x = ag.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    i = x.astype(np.int64)
    assert i.dtype == np.int64 and not i.requires_grad


def test_integer_tensors_work_without_graph():
    a = ag.tensor([1, 2, 3])
    assert (a + 1).dtype == np.int64 and (a * a).tolist() == [1, 4, 9]
    assert a.sum().item() == 6 and a.max().item() == 3
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * a).sum()  # int constant times float leaf
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0, 3.0])
