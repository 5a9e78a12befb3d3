"""PyTorch names a user reaches for beyond API.md: clone, square, neg, numel, dim."""
import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.testing import gradcheck, gradgradcheck


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_clone_copies_memory_and_passes_gradients(shape):
    x = ag.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    c = x.clone()
    assert str(c.grad_fn) == "CloneBackward" and not np.shares_memory(c.data, x.data)
    np.testing.assert_array_equal(c.data, x.data)
    assert gradcheck(lambda t: (t.clone() * t).sum(), x)
    assert gradgradcheck(lambda t: (t.clone() * t).sum(), x)
    with ag.no_grad():
        c += 1  # changing the clone leaves x and its saved uses alone
    np.testing.assert_allclose(c.data - 1, x.data, rtol=1e-12)


def test_astype_to_the_same_dtype_is_a_clone():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(np.float32)
    assert str(y.grad_fn) == "CloneBackward"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_square_and_neg(shape):
    x = ag.tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
    np.testing.assert_allclose(x.square().data, x.data ** 2)
    np.testing.assert_allclose(ag.square(x).data, x.data ** 2)
    np.testing.assert_allclose(x.neg().data, -x.data)
    assert gradcheck(ag.square, x) and gradgradcheck(ag.square, x)
    assert gradcheck(lambda t: t.neg(), x) and gradgradcheck(lambda t: t.neg(), x)


def test_numel_and_dim():
    t = ag.zeros(2, 3, 4)
    assert t.numel() == 24 == t.size and t.dim() == 3 == t.ndim
