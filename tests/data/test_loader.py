"""TensorDataset and DataLoader: batching, shuffling, dtypes, drop_last, reproducibility."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import data
from autograd_lite.data import DataLoader, Dataset


def _ds(n=10):
    X = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    return data.TensorDataset(X, y), X, y


def test_tensor_dataset_indexing_and_validation():
    ds, X, y = _ds()
    assert len(ds) == 10
    xi, yi = ds[3]
    assert isinstance(xi, ag.Tensor) and isinstance(yi, ag.Tensor)
    np.testing.assert_array_equal(xi.data, X[3])
    assert yi.item() == 3 and yi.dtype == np.int64
    # Tensors, arrays and lists are accepted; Tensors are taken without their graph
    w = ag.tensor([[1.0], [2.0]], requires_grad=True)
    ds2 = data.TensorDataset(w, [0, 1])
    assert ds2[1][0].requires_grad is False and ds2[1][1].dtype == np.int64
    with pytest.raises(ValueError, match="size mismatch"):
        data.TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError):
        data.TensorDataset()


@pytest.mark.parametrize("n,bs,drop_last,n_batches", [(10, 3, False, 4), (10, 3, True, 3),
                                                      (10, 5, False, 2), (10, 5, True, 2),
                                                      (10, 20, False, 1), (10, 20, True, 0)])
def test_len_is_the_number_of_batches(n, bs, drop_last, n_batches):
    ds, _, _ = _ds(n)
    loader = data.DataLoader(ds, batch_size=bs, drop_last=drop_last)
    assert len(loader) == n_batches
    batches = list(loader)
    assert len(batches) == n_batches
    sizes = [len(b[0]) for b in batches]
    if drop_last:
        assert all(s == bs for s in sizes)
    else:
        assert sum(sizes) == n


def test_batches_are_tuples_of_tensors_keeping_dtypes():
    ds, X, y = _ds()
    xb, yb = next(iter(data.DataLoader(ds, batch_size=4)))
    assert isinstance(xb, ag.Tensor) and isinstance(yb, ag.Tensor)
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    assert xb.shape == (4, 2) and yb.shape == (4,)
    assert not xb.requires_grad
    np.testing.assert_array_equal(xb.data, X[:4])
    # float64 arrays stay float64; batches are copies of the stored data
    X64 = np.random.default_rng(0).standard_normal((6, 3))
    (b,) = next(iter(data.DataLoader(data.TensorDataset(X64), batch_size=6)))
    assert b.dtype == np.float64
    b.data[...] = 0.0
    assert X64[0, 0] != 0.0


def test_shuffled_loader_visits_every_sample_once_per_epoch_and_reshuffles():
    ds, _, _ = _ds(23)
    loader = data.DataLoader(ds, batch_size=4, shuffle=True)
    ag.manual_seed(0)
    orders = []
    for _ in range(3):
        seen = np.concatenate([yb.data for _, yb in loader])
        assert sorted(seen.tolist()) == list(range(23))  # every sample exactly once
        orders.append(seen)
    assert not np.array_equal(orders[0], orders[1])  # a new order every epoch
    assert not np.array_equal(orders[0], np.arange(23))
    # inputs and labels stay paired
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.data[:, 0], 2 * yb.data)


def test_same_seed_same_batches():
    ds, _, _ = _ds(17)
    loader = data.DataLoader(ds, batch_size=5, shuffle=True)

    def two_epochs():
        return [yb.data.tolist() for _ in range(2) for _, yb in loader]

    ag.manual_seed(42)
    a = two_epochs()
    ag.manual_seed(42)
    b = two_epochs()
    ag.manual_seed(43)
    c = two_epochs()
    assert a == b and a != c


def test_drop_last_with_shuffle_drops_a_different_remainder():
    ds, _, _ = _ds(10)
    loader = data.DataLoader(ds, batch_size=4, shuffle=True, drop_last=True)
    ag.manual_seed(1)
    seen = [np.concatenate([yb.data for _, yb in loader]) for _ in range(5)]
    assert all(len(s) == 8 and len(set(s.tolist())) == 8 for s in seen)
    assert len({tuple(sorted(s.tolist())) for s in seen}) > 1


def test_loader_accepts_arrays_tensors_and_generic_datasets():
    # a bare array or Tensor is one-field data
    arr = np.arange(6.0).reshape(3, 2)
    (b,) = next(iter(data.DataLoader(arr, batch_size=3)))
    np.testing.assert_array_equal(b.data, arr)
    (b,) = next(iter(data.DataLoader(ag.tensor(arr), batch_size=2)))
    assert b.shape == (2, 2)

    class Squares(data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float64), i

    batches = list(data.DataLoader(Squares(), batch_size=2))
    assert len(batches) == 3
    xb, yb = batches[1]
    np.testing.assert_array_equal(xb.data, [[2.0, 4.0], [3.0, 9.0]])
    assert yb.dtype == np.int64 and yb.tolist() == [2, 3]
    joined = data.DataLoader(Squares(), batch_size=5,
                             collate_fn=lambda s: [i for _, i in s])
    assert next(iter(joined)) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(Squares(), batch_size=0)
    with pytest.raises(TypeError):
        data.DataLoader(object())


def test_the_lectures_training_loop_runs():
    # for epoch: shuffle; for batch: zero_grad, loss, backward, step
    from autograd_lite import optim
    X, y = data.make_regression_1d(64, noise=0.0, seed=0, dtype=np.float64)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=8, shuffle=True)
    w = ag.tensor(np.zeros((1, 1)), requires_grad=True)
    b = ag.tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([w, b], lr=0.2)
    ag.manual_seed(0)
    for _ in range(30):
        for xb, yb in loader:
            opt.zero_grad()
            loss = ((xb @ w + b - yb) ** 2).mean()
            loss.backward()
            opt.step()
    # the default target is the lectures' linear model beta_0 + beta_1 x = 1 + 2 x
    np.testing.assert_allclose([b.item(), w.item()], [1.0, 2.0], atol=1e-4)


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
class _ScalarSamples(Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> tuple:
        return np.float64(i) / 3, np.int32(i), float(i)


def test_default_collate_keeps_numpy_scalar_dtypes():
    xb, ib, fb = next(iter(DataLoader(_ScalarSamples(), batch_size=4)))
    assert xb.dtype == np.float64  # was the default float32
    np.testing.assert_array_equal(xb.data, np.arange(4, dtype=np.float64) / 3)
    assert ib.dtype == np.int32
    assert fb.dtype == ag.get_default_dtype()  # Python floats: the library's default


class _NamedSamples(Dataset):
    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> tuple:
        return np.full(2, i, dtype=np.float32), f"img{i}.png"


def test_default_collate_keeps_strings_as_a_list():
    batches = list(DataLoader(_NamedSamples(), batch_size=2))
    assert [b[1] for b in batches] == [["img0.png", "img1.png"], ["img2.png"]]  # was TypeError
    assert batches[0][0].shape == (2, 2)
