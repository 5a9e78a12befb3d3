"""The lectures' toy data sets: shapes, dtypes, labels, noise and seeding."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import data

MAKERS = [data.make_circles, data.make_moons, data.make_spirals, data.make_regression_1d]


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_shapes_dtypes_and_seeding(make):
    X, y = make(n_samples=101, noise=0.1, seed=0)
    assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    assert X.shape[0] == y.shape[0] == 101
    assert X.dtype == ag.get_default_dtype()
    if make is data.make_regression_1d:
        assert X.shape == (101, 1) and y.shape == (101, 1) and y.dtype.kind == "f"
    else:
        assert X.shape == (101, 2) and y.shape == (101,) and y.dtype == np.int64
    # an int seed is reproducible and leaves the library's generator alone
    ag.manual_seed(5)
    before = ag.random.get_generator().bit_generator.state
    X2, y2 = make(n_samples=101, noise=0.1, seed=0)
    assert ag.random.get_generator().bit_generator.state == before
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make(n_samples=101, noise=0.1, seed=1)[0])
    # seed=None draws from the library generator: ag.manual_seed makes it reproducible
    ag.manual_seed(7)
    Xa, _ = make(n_samples=50, noise=0.1)
    Xb, _ = make(n_samples=50, noise=0.1)
    ag.manual_seed(7)
    Xc, _ = make(n_samples=50, noise=0.1)
    np.testing.assert_array_equal(Xa, Xc)
    assert not np.array_equal(Xa, Xb)
    # dtype= overrides the default
    assert make(n_samples=10, seed=0, dtype=np.float64)[0].dtype == np.float64
    with pytest.raises(ValueError, match="n_samples"):
        make(n_samples=0)
    with pytest.raises(ValueError, match="noise"):
        make(n_samples=10, noise=-1.0)


def test_circles_label_by_distance_to_the_centre():
    # lecture 002: y = 0 if dist(x, c) <= r else 1
    c, r = (0.5, -0.25), 0.6
    X, y = data.make_circles(500, seed=0, center=c, radius=r, dtype=np.float64)
    d = np.linalg.norm(X - np.array(c), axis=1)
    np.testing.assert_array_equal(y, (d > r).astype(np.int64))
    assert np.all(np.abs(X - np.array(c)) <= 1.0)
    # the default radius splits the square's area in half: balanced classes
    _, y = data.make_circles(4000, seed=1)
    assert set(np.unique(y)) == {0, 1} and abs(y.mean() - 0.5) < 0.03
    assert math.isclose(math.sqrt(2 / math.pi), 0.7978845608, rel_tol=1e-9)
    # noise blurs the boundary: some points end up on the other side
    X, y = data.make_circles(2000, noise=0.2, seed=2, dtype=np.float64)
    d = np.linalg.norm(X, axis=1)
    assert np.any((d > math.sqrt(2 / math.pi)) != (y == 1))


def test_moons_without_noise_lie_on_the_two_half_circles():
    X, y = data.make_moons(200, seed=0, dtype=np.float64)
    assert np.bincount(y).tolist() == [100, 100]
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(X[y == 1] - [1.0, 0.5], axis=1), 1.0)
    assert np.all(X[y == 0, 1] >= -1e-12) and np.all(X[y == 1, 1] <= 0.5 + 1e-12)


def test_spirals_have_balanced_arms_with_radius_in_unit_disc():
    for C in (2, 3, 5):
        X, y = data.make_spirals(3 * C + 1, n_classes=C, seed=0, dtype=np.float64)
        counts = np.bincount(y, minlength=C)
        assert counts.max() - counts.min() <= 1 and counts.sum() == 3 * C + 1
        assert set(np.unique(y)) == set(range(C))
        assert np.all(np.linalg.norm(X, axis=1) <= 1.0 + 1e-12)
    # arms are rotated copies: the farthest point of arm k sits at angle 2 pi (turns + k / C)
    X, y = data.make_spirals(300, seed=0, shuffle=False, dtype=np.float64)
    for k in range(3):
        tip = X[y == k][-1]
        angle = 2 * np.pi * (0.75 + k / 3)
        np.testing.assert_allclose(tip, [np.cos(angle), np.sin(angle)], atol=1e-12)
    with pytest.raises(ValueError, match="n_classes"):
        data.make_spirals(10, n_classes=0)


def test_regression_1d_linear_default_and_custom_function():
    X, y = data.make_regression_1d(200, noise=0.0, seed=0, dtype=np.float64)
    np.testing.assert_allclose(y, 1.0 + 2.0 * X)
    assert X.min() >= -1.0 and X.max() <= 1.0
    X, y = data.make_regression_1d(200, noise=0.0, seed=0, func=np.sin, low=0, high=3,
                                   dtype=np.float64)
    np.testing.assert_allclose(y, np.sin(X))
    X, y = data.make_regression_1d(5000, noise=0.1, seed=0, dtype=np.float64)
    resid = y - (1.0 + 2.0 * X)
    assert abs(resid.std() - 0.1) < 0.01
