"""``Parameter`` and ``Module``: PyTorch's conventions on top of the Tensor API.

Assigning a [`Parameter`][autograd_lite.nn.Parameter], a [`Module`][autograd_lite.nn.Module] or (for
names registered with [`Module.register_buffer`][autograd_lite.nn.Module.register_buffer]) a Tensor
as an attribute registers it, in order, in ``_parameters`` / ``_modules`` / ``_buffers``.
``named_parameters`` walks own parameters first, then children in registration order, with dotted
names (``"0.weight"``). ``__call__`` runs ``forward`` inside `autograd_lite.scope.module_scope`, so
every op recorded during the call carries this module in ``node.scope`` (read by ``viz`` to
cluster a module's tensors).
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator

import numpy as np

from autograd_lite.dtypes import get_default_dtype
from autograd_lite.factories import zeros_like
from autograd_lite.grad_mode import no_grad
from autograd_lite.scope import module_scope
from autograd_lite.tensor import Tensor

__all__ = ["Parameter", "Module"]


class Parameter(Tensor):
    """A Tensor that is a module parameter: it requires grad by default and registers itself
    when assigned as a Module attribute. ``Parameter(data)`` copies ``data`` (a Tensor,
    array, list or number; Python floats get the default dtype)."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=get_default_dtype())
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _RemovableHandle:
    """Returned by the hook registration methods: ``handle.remove()`` unregisters."""

    _next_id = 0

    def __init__(self, registry: OrderedDict, hook: Callable) -> None:
        if not callable(hook):
            raise TypeError(f"hook must be callable, got {type(hook).__name__}")
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1
        self._registry = registry
        registry[self.id] = hook

    def remove(self) -> None:
        self._registry.pop(self.id, None)

    def __enter__(self) -> "_RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


class Module:
    """Base class of layers and models: subclass, call ``super().__init__()`` first, assign
    parameters/sub-modules as attributes, and define ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # ------------------------------------------------------------------ registration
    def _registry(self, what: str, name: str) -> OrderedDict:
        d = self.__dict__.get(what)
        if d is None:
            raise AttributeError(
                f"cannot assign {what[1:-1]} {name!r} before Module.__init__() call: call "
                f"super().__init__() first in {type(self).__name__}.__init__")
        return d

    def _forget(self, name: str, keep: str) -> None:
        for what in ("_parameters", "_buffers", "_modules"):
            if what != keep:
                self.__dict__[what].pop(name, None)
        self.__dict__.pop(name, None)
        if keep != "_buffers":
            self.__dict__["_non_persistent"].discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self._registry("_parameters", name)
            self._forget(name, "_parameters")
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._registry("_modules", name)
            self._forget(name, "_modules")
            self._modules[name] = value
        else:
            d = self.__dict__
            params, modules, buffers = (d.get("_parameters"), d.get("_modules"),
                                        d.get("_buffers"))
            if params is not None and name in params:
                if value is not None:
                    raise TypeError(f"cannot assign {type(value).__name__!r} as parameter "
                                    f"{name!r} of {type(self).__name__} (nn.Parameter or None "
                                    "expected)")
                params[name] = None
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign {type(value).__name__!r} as child module "
                                    f"{name!r} of {type(self).__name__} (nn.Module or None "
                                    "expected)")
                modules[name] = None
            elif buffers is not None and name in buffers:
                if value is not None and not isinstance(value, Tensor):
                    raise TypeError(f"cannot assign {type(value).__name__!r} as buffer "
                                    f"{name!r} of {type(self).__name__} (Tensor or None "
                                    "expected)")
                buffers[name] = value
            else:
                object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for what in ("_parameters", "_buffers", "_modules"):
            reg = d.get(what)
            if reg is not None and name in reg:
                return reg[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for what in ("_parameters", "_buffers", "_modules"):
            reg = self.__dict__.get(what)
            if reg is not None and name in reg:
                del reg[name]
                self.__dict__["_non_persistent"].discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, kind: str, name: Any) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a str, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"{kind} name can't be empty or contain '.', got {name!r}")
        own = {"parameter": "_parameters", "buffer": "_buffers", "module": "_modules"}[kind]
        # as PyTorch: any existing attribute (plain, method, or registered as another kind)
        # is refused; re-registering under the same kind replaces
        if name not in self.__dict__[own] and (
                name in self.__dict__ or hasattr(type(self), name)
                or any(name in self.__dict__[w] for w in ("_parameters", "_buffers", "_modules"))):
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or ``None``, a declared but absent parameter) under ``name``."""
        self._registry("_parameters", name)
        self._check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__!r} as parameter {name!r} "
                            "(nn.Parameter or None expected)")
        self._forget(name, "_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state that is not a parameter (e.g. BatchNorm's running mean).
        Persistent buffers are part of ``state_dict``."""
        self._registry("_buffers", name)
        self._check_name("buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__!r} as buffer {name!r} "
                            "(Tensor or None expected)")
        self._forget(name, "_buffers")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (may be ``None``)."""
        self._registry("_modules", name)
        self._check_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._forget(name, "_modules")
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  "\"forward\" function")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` inside this module's scope (ops record it in ``node.scope``)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: Module.__init__() was not called; "
                                 "call super().__init__() first in __init__")
        pre, post = self.__dict__.get("_forward_pre_hooks"), self.__dict__.get("_forward_hooks")
        with module_scope(self):
            if pre:
                for hook in list(pre.values()):
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
            out = self.forward(*args, **kwargs)
            if post:
                for hook in list(post.values()):
                    res = hook(self, args, out)
                    if res is not None:
                        out = res
        return out

    def register_forward_pre_hook(self, hook: Callable) -> "_RemovableHandle":
        """``hook(module, args)`` runs before ``forward``; it may return replacement args.
        Returns a handle whose ``remove()`` unregisters it."""
        return _RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable) -> "_RemovableHandle":
        """``hook(module, args, output)`` runs after ``forward`` (e.g. to record activations);
        it may return a replacement output. Returns a handle with ``remove()``."""
        return _RemovableHandle(self._forward_hooks, hook)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and all descendants, depth first, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name,
                                       remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, what: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        seen = set()
        for mprefix, m in mods:
            for name, t in m.__dict__[what].items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield mprefix + ("." if mprefix else "") + name, t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter): own parameters first, then children's in registration
        order; shared parameters are listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path ``target`` (``""`` is this module)."""
        m = self
        for part in target.split(".") if target else []:
            if part not in m._modules or m._modules[part] is None:
                raise AttributeError(f"{type(m).__name__} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            m = m._modules[part]
        return m

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every child (recursively) and then on this module; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (affects Dropout, BatchNorm) here and in every descendant."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode should be a bool, got {type(mode).__name__}")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to ``None`` by default, as PyTorch)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = zeros_like(p.grad)

    def to(self, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: bool = False) -> Module:
        """``module.to(dtype)``, ``.to(device)``, ``.to(device, dtype)``, ``.to(tensor)`` as
        PyTorch: cast all floating parameters and buffers to ``dtype`` in place (gradients
        dropped). The device must be ``"cpu"`` (``ValueError`` otherwise)."""
        from autograd_lite.compat import to_args
        if (dtype := to_args(args, dtype, device, "Module.to")) is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: only floating dtypes are supported, got {dtype}")
        with no_grad():
            for t in list(self.parameters()) + list(self.buffers()):
                if t.data.dtype.kind == "f" and t.data.dtype != dtype:
                    t.set_(t.data.astype(dtype))  # in place: the same Parameter, version + 1
                    t.grad = None
        return self

    def cpu(self) -> Module:
        """``module.cpu()``: the module itself (everything is on the CPU)."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """``module.cuda()`` raises ``ValueError``: autograd_lite runs on the CPU only."""
        raise ValueError("Module.cuda: autograd_lite runs on the CPU only (no CUDA device); "
                         "use .cpu() or .to('cpu')")

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # ------------------------------------------------------------------ state
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name (own first, then children).

        Values are Tensors sharing memory with the module (detached unless ``keep_vars``);
        [`autograd_lite.nn.save`][autograd_lite.nn.save] writes them to a file.
        """
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> tuple:
        """Copy parameters and buffers from ``state_dict`` (Tensors or arrays, by dotted name).

        Everything is checked before anything is written, so a refused state dict leaves every
        parameter and buffer with its old values (and version counters): each entry must be an
        array or Tensor of exactly the current shape whose dtype casts to the current one
        within its kind (``np.can_cast(..., "same_kind")``: float64 into float32 and int into
        float are accepted; complex, string or object data for a float parameter, or float
        data for an integer buffer, are not). Shape mismatches, and with ``strict`` (default)
        missing and unexpected keys, raise ``RuntimeError`` (as PyTorch), listing every
        problem; when the only problems are dtypes, ``TypeError``. Each message names the key,
        the expected and the received shape or dtype. Returns ``(missing_keys,
        unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in own]
        sources, errors, dtype_errors = {}, [], []
        for k, t in own.items():
            if k in state_dict:
                src, err, is_dtype = _checked_source(k, state_dict[k], t.data)
                if err is None:
                    sources[k] = src
                else:
                    (dtype_errors if is_dtype else errors).append(err)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors or dtype_errors:
            cls = RuntimeError if errors else TypeError
            raise cls(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                      + "\n\t".join(errors + dtype_errors))
        # every source now has the target's shape and a same-kind dtype: np.copyto cannot fail
        with no_grad():
            for k, src in sources.items():
                own[k].copy_(src)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """One-line description of this module's settings, shown inside its parentheses."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(m), 2))
        main = type(self).__name__ + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self) -> list:
        keys = list(super().__dir__())
        for what in ("_parameters", "_buffers", "_modules"):
            keys += list(self.__dict__.get(what, {}).keys())
        return sorted(set(keys))


def _checked_source(key: str, value: Any, target: np.ndarray
                    ) -> tuple[np.ndarray | None, str | None, bool]:
    """``(array, None, False)`` if ``value`` can be copied into ``target`` unchanged in shape
    and within its dtype kind; else ``(None, message, is_dtype_problem)``."""
    if isinstance(value, Tensor):
        src = value.data
    else:
        try:
            src = np.asarray(value)
        except (ValueError, TypeError) as e:  # ragged lists and the like
            return None, (f"{key}: expected an array or Tensor of shape {target.shape} and "
                          f"dtype {target.dtype}, got an unconvertible "
                          f"{type(value).__name__} ({e})"), False
    if src.dtype.kind not in "biufc":
        return None, (f"dtype mismatch for {key}: expected a numeric array or Tensor (the "
                      f"current model's is {target.dtype}), got a {type(value).__name__} "
                      f"of dtype {src.dtype}"), True
    if src.shape != target.shape:
        return None, (f"size mismatch for {key}: copying a param with shape {src.shape} from "
                      f"checkpoint, the shape in current model is {target.shape}"), False
    if not np.can_cast(src.dtype, target.dtype, casting="same_kind"):
        return None, (f"dtype mismatch for {key}: cannot copy a {src.dtype} value from "
                      f"checkpoint into the {target.dtype} tensor of the current model "
                      "(only casts within a kind, e.g. float64 to float32, are allowed)"), True
    return src, None, False
