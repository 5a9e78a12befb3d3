"""``DataLoader``: minibatches of a dataset, reshuffled every epoch."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from autograd_lite import random as _random
from autograd_lite.data.dataset import TensorDataset
from autograd_lite.tensor import Tensor

__all__ = ["DataLoader", "default_collate", "SequentialSampler", "RandomSampler"]


def _to_array(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (np.ndarray, np.generic)):
        return np.asarray(x)  # NumPy arrays and scalars keep their dtype
    return Tensor(x).data  # Python scalars/lists: default dtype for floats, int64 for ints


def default_collate(samples: list) -> Any:
    """Stack a list of samples into a batch: tuples (and lists) are collated field by field,
    arrays, Tensors and numbers are stacked along a new first axis into a Tensor, and dicts
    are collated per key. NumPy arrays and scalars keep their dtype; Python floats get the
    default dtype, Python ints int64. Strings (e.g. file names) are kept as a list of
    strings, as PyTorch."""
    first = samples[0]
    if isinstance(first, str):
        return list(samples)
    if isinstance(first, (tuple, list)):
        return tuple(default_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (Tensor, np.ndarray, np.generic)):
        return Tensor(np.stack([_to_array(s) for s in samples]))
    return Tensor(_to_array(list(samples)))


class SequentialSampler:
    """The indices ``0..len(data_source)-1`` in order."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler:
    """A fresh random order of ``0..len(data_source)-1`` on every ``iter()``, from
    ``generator`` (an ``ag.Generator``) or the library's generator. With ``replacement``,
    ``num_samples`` indices drawn with replacement."""

    def __init__(self, data_source: Any, replacement: bool = False,
                 num_samples: int | None = None, generator: Any = None) -> None:
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num = num_samples
        self.generator = generator

    def __len__(self) -> int:
        return len(self.data_source) if self._num is None else int(self._num)

    def __iter__(self) -> Iterator[int]:
        rng = _random.resolve(self.generator, "RandomSampler")
        n = len(self.data_source)
        if self.replacement:
            return iter(rng.integers(0, n, size=len(self)).tolist())
        return iter(rng.permutation(n)[:len(self)].tolist())


class DataLoader:
    """Iterate over a dataset in minibatches, as PyTorch's ``DataLoader``.

    Args:
        dataset: a [`TensorDataset`][autograd_lite.data.TensorDataset], or any object with
            ``__len__`` and ``__getitem__`` (samples are collated with
            [`default_collate`][autograd_lite.data.default_collate] or ``collate_fn``). NumPy arrays
            and Tensors are accepted directly (wrapped in a ``TensorDataset``).
        batch_size: samples per batch.
        shuffle: draw a fresh random order at the start of every epoch (every ``iter()``)
            from ``autograd_lite.random.get_generator()``, so ``ag.manual_seed(s)`` fixes the
            sequence of batches.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: turns a list of samples into a batch (for datasets that are not
            ``TensorDataset``).
        sampler: an iterable of indices giving the order (e.g. ``RandomSampler``); excludes
            ``shuffle``.
        generator: an ``ag.Generator``: the shuffle's stream (independent of the global one).
        num_workers, pin_memory, persistent_workers, prefetch_factor, timeout,
            worker_init_fn, multiprocessing_context: accepted and ignored (batches are made
            in the calling process; the batches are the same).

    ``len(loader)`` is the number of batches per epoch: ``ceil(n / batch_size)``, or
    ``n // batch_size`` with ``drop_last``. Batches of a ``TensorDataset`` are tuples of
    Tensors (copies, with the stored dtypes: float arrays keep theirs, integer labels stay
    int64), which never require grad.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: Any = None, persistent_workers: bool = False,
                 pin_memory_device: str = "") -> None:
        if isinstance(dataset, (np.ndarray, Tensor)):
            dataset = TensorDataset(dataset)
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must have __len__ and __getitem__, got "
                            f"{type(dataset).__name__}")
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            raise ValueError("DataLoader: batch_sampler is not supported (use batch_size, "
                             "sampler and drop_last)")
        self.dataset = dataset
        self.sampler = sampler
        self.generator = generator
        self.num_workers = num_workers
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64)
        n = len(self.dataset)
        if self.shuffle:
            return _random.resolve(self.generator, "DataLoader").permutation(n)
        return np.arange(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        collate = self.collate_fn or default_collate
        for b in range(len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            if fast:
                yield self.dataset.batch(idx)
            else:
                yield collate([self.dataset[int(i)] for i in idx])

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, {len(self)} batches)")
