"""Every op function (the public ``ag.<name>``), grouped by family."""
from autograd_lite.ops.elementwise import (  # noqa: F401
    abs, add, astype, clip, compare, cos, div, exp, log, logical_not, maximum, minimum, mul, neg,
    pow, relu, sigmoid, sign, sin, sqrt, sub, tanh, where)
from autograd_lite.ops.linalg import einsum, matmul  # noqa: F401
from autograd_lite.ops.reduction import (  # noqa: F401
    argmax, argmin, log_softmax, logsumexp, max, mean, min, normalize_axis, softmax, std, sum, var)
from autograd_lite.ops.shape import (  # noqa: F401
    broadcast_to, cat, concatenate, expand, flatten, getitem, index_add, normalize_index, pad,
    permute, reshape, squeeze, stack, transpose, unsqueeze, view)
