"""autograd_lite: a small, readable reverse-mode automatic differentiation engine on NumPy.

>>> import autograd_lite as ag
>>> x = ag.tensor(-2.0, requires_grad=True)
>>> y = ag.tensor(5.0, requires_grad=True)
>>> z = ag.tensor(-4.0, requires_grad=True)
>>> f = (x + y) * z
>>> f.backward()
>>> x.grad.item(), y.grad.item(), z.grad.item()
(-4.0, -4.0, 3.0)
"""
from autograd_lite.tensor import DimensionError, Tensor  # first: ops and the engine
from autograd_lite.dtypes import get_default_dtype, set_default_dtype
from autograd_lite.backward import grad
from autograd_lite.factories import (arange, as_tensor, empty, empty_like, eye, full, full_like,
                                     linspace, multinomial, normal, ones, ones_like, rand,
                                     rand_like, randint, randint_like, randn, randn_like,
                                     randperm, zeros, zeros_like)
from autograd_lite.grad_mode import (detect_anomaly, enable_grad, is_anomaly_enabled,
                                     is_grad_enabled, no_grad, set_grad_enabled)
from autograd_lite.ops import *  # noqa: F401,F403  (every op of the op list: ag.exp, ...)
from autograd_lite.ops import __all__ as _ops_all
from autograd_lite.random import (Generator, get_rng_state, initial_seed, manual_seed, seed,
                                  set_rng_state)
from autograd_lite import compat as _compat  # PyTorch's names: dtypes, devices, .data = t
from autograd_lite.compat import (accelerator, backends, cuda, device, finfo, from_numpy, iinfo,
                                  inference_mode, is_tensor, tensor)
_compat.attach()
globals().update(_compat.DTYPES)  # ag.float32, ag.float, ag.long, ... (not in __all__)
from autograd_lite.function import Function
from autograd_lite import functional, testing  # noqa: E402
from autograd_lite import autograd  # noqa: E402  (torch.autograd's names)
from autograd_lite import forward_ad  # noqa: E402
from autograd_lite.forward_ad import dual_level, make_dual, unpack_dual  # noqa: E402
from autograd_lite.compiled import compile  # noqa: E402,A004  (trace mode, ag.compile)

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "Function", "grad", "functional", "testing", "DimensionError",
    "forward_ad", "dual_level", "make_dual", "unpack_dual", "compile",
    "set_default_dtype", "get_default_dtype", "manual_seed", "seed", "initial_seed",
    "get_rng_state", "set_rng_state",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "is_anomaly_enabled",
    "as_tensor", *_ops_all,
    "zeros", "ones", "full", "full_like", "zeros_like", "ones_like", "eye", "arange", "linspace",
    "rand", "randn", "randint",
    "empty", "empty_like", "rand_like", "randn_like", "randint_like", "randperm", "normal",
    "multinomial", "Generator", "device", "finfo", "iinfo", "cuda", "backends", "accelerator",
    "autograd", "from_numpy", "is_tensor", "inference_mode",
]


def __getattr__(name: str):  # lazy subpackages: nn, optim, data, viz import only when used
    if name in ("nn", "optim", "data", "viz", "utils"):
        import importlib
        return importlib.import_module(f"autograd_lite.{name}")
    raise AttributeError(f"module 'autograd_lite' has no attribute {name!r}")
