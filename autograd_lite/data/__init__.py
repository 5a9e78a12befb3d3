"""Datasets, the minibatch ``DataLoader`` and the lectures' toy data sets.

The lectures' training loop::

    X, y = data.make_circles(1000, noise=0.05, seed=0)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=32, shuffle=True)
    for epoch in range(10):          # each epoch reshuffles
        for xb, yb in loader:        # Tensors: float32 features, int64 labels
            ...
"""
from autograd_lite.data.dataset import Dataset, Subset, TensorDataset, random_split
from autograd_lite.data.loader import DataLoader, RandomSampler, SequentialSampler, default_collate
from autograd_lite.data.toy import make_circles, make_moons, make_regression_1d, make_spirals

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader",
           "SequentialSampler", "RandomSampler", "default_collate", "make_circles",
           "make_moons", "make_spirals", "make_regression_1d"]
