"""The lectures' toy data sets, as NumPy arrays ``(X, y)``.

Every generator takes ``n_samples``, ``noise`` and ``seed``: with ``seed=None`` it draws from
the library's generator (``autograd_lite.random.get_generator()``, so ``ag.manual_seed`` fixes
it); with an int it uses its own ``numpy.random.default_rng(seed)`` and leaves the library's
generator untouched. ``X`` has the default float dtype (float32 unless
``ag.set_default_dtype``), or ``dtype=``; class labels are int64 in ``0..C-1``.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from autograd_lite import get_default_dtype
from autograd_lite import random as _random

__all__ = ["make_circles", "make_moons", "make_spirals", "make_regression_1d"]


def _rng(seed: int | None) -> np.random.Generator:
    if seed is None:
        return _random.get_generator()
    return np.random.default_rng(seed)


def _check(fn: str, n_samples: int, noise: float) -> None:
    if isinstance(n_samples, bool) or int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"{fn}: n_samples must be a positive int, got {n_samples}")
    if noise < 0:
        raise ValueError(f"{fn}: noise must be >= 0, got {noise}")


def _float(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def make_circles(n_samples: int = 200, noise: float = 0.0, seed: int | None = None, *,
                 center: tuple[float, float] = (0.0, 0.0), radius: float | None = None,
                 box: float = 1.0, dtype: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Lecture 002's circle data set: label by distance to a centre.

    Points ``x`` are uniform on the square ``center + [-box, box]^2``; the label is 0 when
    ``||x - center|| <= radius`` (inside the disc) and 1 outside. ``radius`` defaults to
    ``box * sqrt(2 / pi)``, which puts half the square's area in the disc (balanced classes).
    ``noise`` is the standard deviation of Gaussian noise added to ``X`` after labelling, which
    blurs the boundary.

    Returns:
        ``X`` of shape ``(n_samples, 2)`` (float), ``y`` of shape ``(n_samples,)`` (int64).
    """
    _check("make_circles", n_samples, noise)
    rng = _rng(seed)
    c = np.asarray(center, dtype=np.float64)
    r = box * math.sqrt(2 / math.pi) if radius is None else float(radius)
    X = c + rng.uniform(-box, box, size=(n_samples, 2))
    y = (np.linalg.norm(X - c, axis=1) > r).astype(np.int64)
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return X.astype(_float(dtype)), y


def make_moons(n_samples: int = 200, noise: float = 0.0, seed: int | None = None, *,
               shuffle: bool = True, dtype: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``).

    Class 0 is the upper moon ``(cos t, sin t)``, class 1 the lower one
    ``(1 - cos t, 1/2 - sin t)``, ``t`` evenly spaced in ``[0, pi]`` (``n_samples // 2`` points
    in class 0, the rest in class 1); ``noise`` is the standard deviation of Gaussian noise on
    ``X``; ``shuffle`` mixes the rows.

    Returns:
        ``X`` of shape ``(n_samples, 2)`` (float), ``y`` of shape ``(n_samples,)`` (int64).
    """
    _check("make_moons", n_samples, noise)
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    if shuffle:
        perm = rng.permutation(n_samples)
        X, y = X[perm], y[perm]
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return X.astype(_float(dtype)), y


def make_spirals(n_samples: int = 300, noise: float = 0.0, seed: int | None = None,
                 n_classes: int = 3, *, turns: float = 0.75, shuffle: bool = True,
                 dtype: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms (the classic CS231n data set).

    Arm ``k`` holds points at radius ``r`` evenly spaced in ``[0, 1]`` and angle
    ``2 pi (turns r + k / n_classes)``; the first ``n_samples % n_classes`` arms get one extra
    point. ``noise`` is the standard deviation of Gaussian noise on ``X``.

    Returns:
        ``X`` of shape ``(n_samples, 2)`` (float), ``y`` of shape ``(n_samples,)`` (int64
        labels ``0..n_classes-1``).
    """
    _check("make_spirals", n_samples, noise)
    if isinstance(n_classes, bool) or int(n_classes) != n_classes or n_classes < 1:
        raise ValueError(f"make_spirals: n_classes must be a positive int, got {n_classes}")
    if n_samples < n_classes:
        raise ValueError(f"make_spirals: n_samples={n_samples} is smaller than "
                         f"n_classes={n_classes}")
    rng = _rng(seed)
    Xs, ys = [], []
    for k in range(n_classes):
        m = n_samples // n_classes + (1 if k < n_samples % n_classes else 0)
        r = np.linspace(0.0, 1.0, m)
        theta = 2 * np.pi * (turns * r + k / n_classes)
        Xs.append(np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1))
        ys.append(np.full(m, k, dtype=np.int64))
    X, y = np.concatenate(Xs), np.concatenate(ys)
    if shuffle:
        perm = rng.permutation(n_samples)
        X, y = X[perm], y[perm]
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return X.astype(_float(dtype)), y


def make_regression_1d(n_samples: int = 100, noise: float = 0.1, seed: int | None = None, *,
                       func: Callable[[np.ndarray], np.ndarray] | None = None,
                       coef: tuple[float, float] = (1.0, 2.0), low: float = -1.0,
                       high: float = 1.0, dtype: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """One-dimensional regression data ``y = f(x) + noise * N(0, 1)``, ``x ~ U[low, high]``.

    By default ``f`` is the lectures' linear model ``beta_0 + beta_1 x`` with
    ``(beta_0, beta_1) = coef``; pass ``func`` (a NumPy function) for a nonlinear target,
    e.g. ``func=np.sin``.

    Returns:
        ``X`` of shape ``(n_samples, 1)`` and ``y`` of shape ``(n_samples, 1)`` (both float),
        so that ``MSELoss()(net(X), y)`` lines up with a network's ``(N, 1)`` output.
    """
    _check("make_regression_1d", n_samples, noise)
    rng = _rng(seed)
    x = rng.uniform(low, high, size=(n_samples, 1))
    f = func(x) if func is not None else coef[0] + coef[1] * x
    y = np.asarray(f, dtype=np.float64).reshape(n_samples, 1)
    if noise > 0:
        y = y + noise * rng.standard_normal(y.shape)
    d = _float(dtype)
    return x.astype(d), y.astype(d)
