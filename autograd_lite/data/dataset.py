"""Datasets: anything with ``__len__`` and ``__getitem__``; ``TensorDataset`` wraps arrays."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from autograd_lite.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]


class Dataset:
    """Base class of map-style datasets: ``len(ds)`` samples, ``ds[i]`` the ``i``-th one."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the rows (first axis) of the given arrays: ``ds[i] = (a[i], b[i], ...)``.

    Args:
        *tensors: Tensors, NumPy arrays or nested lists, all with the same first dimension.
            They are stored as NumPy arrays (no copy for arrays; Tensors are detached), keeping
            their dtype (Python floats get the default dtype, ints int64).

    ``ds[i]`` returns a tuple of Tensors; ``ds.tensors`` holds the stored arrays as Tensors.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        arrays = []
        for i, t in enumerate(tensors):
            a = t.data if isinstance(t, Tensor) else t
            if not isinstance(a, np.ndarray):
                a = Tensor(a).data
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; every tensor needs a first "
                                 "(sample) dimension")
            arrays.append(a)
        n = arrays[0].shape[0]
        for i, a in enumerate(arrays):
            if a.shape[0] != n:
                raise ValueError("TensorDataset: size mismatch between tensors: tensor 0 has "
                                 f"{n} samples (shape {arrays[0].shape}) but tensor {i} has "
                                 f"{a.shape[0]} (shape {a.shape})")
        self.arrays: tuple[np.ndarray, ...] = tuple(arrays)

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The stored arrays as Tensors (copies)."""
        return tuple(Tensor(a) for a in self.arrays)

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        if isinstance(index, Tensor):
            index = index.data
        return tuple(Tensor(a[index]) for a in self.arrays)

    def batch(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        """The samples at ``indices`` stacked along a new first axis (copies)."""
        return tuple(Tensor(a[indices]) for a in self.arrays)

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.shape} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({len(self)} samples: {shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (``torch.utils.data.Subset``)."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = [int(i) for i in (indices.data if isinstance(indices, Tensor)
                                         else indices)]

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[[self.indices[int(i)] for i in index]]
        return self.dataset[self.indices[int(index)]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[Any], generator: Any = None) -> list:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given ``lengths``
    (``torch.utils.data.random_split``): ints summing to ``len(dataset)``, or fractions summing
    to 1 (the remainder goes round-robin to the first subsets, as PyTorch). The permutation
    comes from ``generator`` (an ``ag.Generator``), else the library's generator."""
    from autograd_lite.random import resolve
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1):
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("random_split: sum of input lengths does not equal the length of the "
                         f"input dataset ({sum(lengths)} != {n})")
    perm = resolve(generator, "random_split").permutation(n)
    out, start = [], 0
    for k in lengths:
        out.append(Subset(dataset, perm[start:start + k].tolist()))
        start += k
    return out
