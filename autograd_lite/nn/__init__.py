"""``autograd_lite.nn``: modules, layers, activations, losses, initialisers and checkpoints.

PyTorch's names, signatures and defaults. The math lives in `autograd_lite.nn.functional`;
the Module classes hold parameters and call it.

>>> import autograd_lite as ag
>>> from autograd_lite import nn
>>> _ = ag.manual_seed(0)
>>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
>>> model(ag.ones(4, 2)).shape
(4, 1)
"""
from autograd_lite.nn import functional, init, utils
from autograd_lite.nn.activation import (
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from autograd_lite.nn.attention import MultiheadAttention
from autograd_lite.nn.containers import ModuleDict, ModuleList, Residual, Sequential
from autograd_lite.nn.conv import Conv2d, ConvTranspose2d
from autograd_lite.nn.dropout import Dropout
from autograd_lite.nn.embedding import Embedding
from autograd_lite.nn.lazy import LazyLinear
from autograd_lite.nn.linear import Flatten, Identity, Linear
from autograd_lite.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from autograd_lite.nn.module import Module, Parameter
from autograd_lite.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from autograd_lite.nn.pooling import AvgPool2d, MaxPool2d
from autograd_lite.nn.serialization import load, save

__all__ = [
    "Module", "Parameter", "save", "load", "functional", "init", "utils",
    "Sequential", "ModuleList", "ModuleDict", "Residual",
    "Linear", "LazyLinear", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "Flatten",
    "Dropout",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding", "Identity", "MultiheadAttention",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softplus", "GELU", "Softmax", "LogSoftmax",
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "HingeLoss", "KLDivLoss", "GaussianNLLLoss",
]
