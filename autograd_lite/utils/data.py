"""``ag.utils.data``: PyTorch's ``torch.utils.data`` names for the library's
[`autograd_lite.data`][autograd_lite.data] (the same objects, no second implementation):
``Dataset``, ``TensorDataset``, ``DataLoader`` (``num_workers``/``pin_memory``/
``persistent_workers`` accepted and ignored; ``generator=``, ``sampler=``, ``drop_last``,
``collate_fn``), ``Subset``, ``random_split``, ``SequentialSampler``, ``RandomSampler`` and
``default_collate``."""
from autograd_lite.data.dataset import Dataset, Subset, TensorDataset, random_split
from autograd_lite.data.loader import DataLoader, RandomSampler, SequentialSampler, default_collate

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader",
           "SequentialSampler", "RandomSampler", "default_collate"]
