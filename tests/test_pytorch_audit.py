"""The audit of autograd_lite's signatures and defaults against PyTorch's (issue 18 item 2).

``docs/pytorch.md`` ("Audit against PyTorch's signatures and defaults") lists the deliberate
differences that remain; here every row of that table is checked to still be a difference
(a probe per row, and a row per probe), every default that a signature shares with PyTorch's
is checked to be equal, and the defaults the audit fixed are compared with torch itself.
Skipped without torch.
"""
from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn, optim

torch = pytest.importorskip("torch")
F = nn.functional
TF = torch.nn.functional

PAGE = Path(__file__).resolve().parent.parent / "docs" / "pytorch.md"
SECTION = "## Audit against PyTorch's signatures and defaults"


def _table() -> dict[str, list[str]]:
    """The audit table's rows by their first cell: [autograd_lite, PyTorch, why]."""
    text = PAGE.read_text()
    body = text[text.index(SECTION):]
    body = body[:body.index("\n## ", 1)]
    rows = {}
    for line in body.splitlines():
        if line.startswith("| ") and not line.startswith("| name ") and "---" not in line:
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            assert len(cells) == 4, line
            rows[cells[0]] = cells[1:]
    return rows


def _raises(exc: type, fn: Callable[[], Any]) -> bool:
    try:
        fn()
    except exc:
        return True
    return False


# ----------------------------------------------------------------------------- the probes
def _mean_of_ints() -> None:
    assert ag.tensor([1, 2]).mean().item() == 1.5
    assert _raises(RuntimeError, lambda: torch.tensor([1, 2]).mean())


def _mixed_dtypes() -> None:
    assert nn.Linear(2, 1)(ag.ones(1, 2, dtype=ag.float64)).dtype == ag.float64
    assert _raises(RuntimeError, lambda: torch.nn.Linear(2, 1)(torch.ones(1, 2,
                                                                          dtype=torch.float64)))


def _ties() -> None:
    v = [1.0, 0.0, 1.0, 0.0, 1.0]
    assert ag.tensor(v).topk(2).indices.tolist() == [0, 2]
    assert ag.tensor(v).sort(descending=True).indices.tolist()[:3] == [0, 2, 4]
    assert torch.tensor(v).topk(2).indices.tolist() != [0, 2]


def _linspace() -> None:
    ours = ag.linspace(-3.14159, 3.14159, 7).data
    ref = torch.linspace(-3.14159, 3.14159, 7).numpy()
    assert ours[3] == 0.0 and ref[3] != 0.0
    np.testing.assert_allclose(ours, ref, rtol=0, atol=float(np.spacing(np.float32(3.14159))))
    np.testing.assert_array_equal(ours, np.linspace(-3.14159, 3.14159, 7).astype(np.float32))


def _all_any_uint8() -> None:
    x = np.array([1, 2], dtype=np.uint8)
    assert ag.all(ag.tensor(x)).dtype == ag.bool and ag.any(ag.tensor(x)).dtype == ag.bool
    assert torch.all(torch.tensor(x)).dtype == torch.uint8


def _rng_state() -> None:
    assert isinstance(ag.get_rng_state(), dict)
    assert isinstance(torch.get_rng_state(), torch.Tensor)


def _manual_seed_result() -> None:
    assert isinstance(ag.manual_seed(0), np.random.Generator)
    assert isinstance(torch.manual_seed(0), torch.Generator)


def _softmax_without_dim() -> None:
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ag.softmax(ag.tensor(x)).data.sum(-1), 1.0)
    np.testing.assert_allclose(ag.tensor(x).softmax().data.sum(-1), 1.0)
    assert _raises(TypeError, lambda: torch.tensor(x).softmax())
    with warnings.catch_warnings():  # PyTorch's implicit dim: 1 for 2-d, 0 for 3-d
        warnings.simplefilter("ignore")
        for shape in ((2, 3), (2, 3, 4)):
            a = np.random.default_rng(0).standard_normal(shape)
            np.testing.assert_allclose(F.softmax(ag.tensor(a)).data,
                                       TF.softmax(torch.tensor(a)).numpy(), rtol=1e-12)


def _normal_defaults() -> None:
    assert ag.normal(size=(3,)).shape == (3,)
    assert _raises(TypeError, lambda: torch.normal(size=(3,)))


def _first_operand_keyword() -> None:
    x = ag.tensor([0.5])
    assert _raises(TypeError, lambda: ag.exp(input=x))
    assert ag.exp(x=x).item() == pytest.approx(np.exp(0.5))
    assert torch.exp(input=torch.tensor([0.5])).item() == pytest.approx(np.exp(0.5))


def _dtype_and_where() -> None:
    x = ag.tensor([1, 2])
    assert _raises(TypeError, lambda: x.sum(dtype=ag.float64))
    assert _raises(TypeError, lambda: x.mean(dtype=ag.float64))
    assert _raises(TypeError, lambda: ag.where(x > 1))
    t = torch.tensor([1, 2])
    assert t.sum(dtype=torch.float64).dtype == torch.float64
    assert torch.where(t > 1)[0].tolist() == [1]


def _unsupported_arguments() -> None:
    x, w = ag.ones(3), ag.ones(3)
    p = [nn.Parameter(ag.ones(1))]
    for ours in (lambda: F.mse_loss(x, x, weight=w), lambda: F.l1_loss(x, x, weight=w),
                 lambda: F.huber_loss(x, x, weight=w), lambda: nn.BatchNorm1d(3, bias=False),
                 lambda: nn.BatchNorm2d(3, bias=False),
                 lambda: optim.Adam(p, decoupled_weight_decay=True),
                 lambda: optim.SGD(p, foreach=False), lambda: optim.Adam(p, fused=False),
                 lambda: optim.AdamW(p, capturable=False),
                 lambda: optim.RMSprop(p, differentiable=False),
                 lambda: nn.Linear(1, 1).load_state_dict(nn.Linear(1, 1).state_dict(),
                                                          assign=True),
                 lambda: ag.utils.data.DataLoader([1, 2], in_order=True)):
        assert _raises(TypeError, ours)
    tx, tp = torch.ones(3), [torch.nn.Parameter(torch.ones(1))]
    for theirs in (lambda: TF.mse_loss(tx, tx, weight=tx), lambda: TF.l1_loss(tx, tx, weight=tx),
                   lambda: TF.huber_loss(tx, tx, weight=tx),
                   lambda: torch.nn.BatchNorm1d(3, bias=False),
                   lambda: torch.nn.BatchNorm2d(3, bias=False),
                   lambda: torch.optim.Adam(tp, decoupled_weight_decay=True),
                   lambda: torch.optim.SGD(tp, foreach=False),
                   lambda: torch.optim.Adam(tp, fused=False),
                   lambda: torch.optim.AdamW(tp, capturable=False),
                   lambda: torch.optim.RMSprop(tp, differentiable=False),
                   lambda: torch.nn.Linear(1, 1).load_state_dict(
                       torch.nn.Linear(1, 1).state_dict(), assign=True),
                   lambda: torch.utils.data.DataLoader([1, 2], in_order=True)):
        theirs()


def _owner(prefix: str) -> tuple[Any, Any]:
    return {"": (ag, torch), "t.": (ag.Tensor, torch.Tensor), "F.": (F, TF),
            "nn.": (nn, torch.nn),
            "lr_scheduler.": (optim.lr_scheduler, torch.optim.lr_scheduler)}[prefix]


def _missing_names(cell: str) -> Iterator[tuple[str, str]]:
    """(prefix, name) of every name in the first cell of the 'not implemented' row."""
    for group in re.findall(r"`([^`]+)`", cell):
        words = group.split()
        m = re.match(r"(t\.|F\.|nn\.|lr_scheduler\.)?(.*)", words[0])
        prefix = m.group(1) or ""
        yield prefix, m.group(2).rstrip("()")
        for w in words[1:]:
            yield prefix, w.removeprefix(prefix).rstrip("()")


def _not_implemented(cell: str) -> Callable[[], None]:
    def probe() -> None:
        names = list(_missing_names(cell))
        assert len(names) > 40
        for prefix, name in names:
            ours, theirs = _owner(prefix)
            assert not hasattr(ours, name), f"{prefix}{name} exists now: update docs/pytorch.md"
            assert hasattr(theirs, name), f"PyTorch has no {prefix}{name}"
    return probe


PROBES: dict[str, Callable[[], None]] = {
    "`mean` of an integer tensor": _mean_of_ints,
    "mixed float dtypes (`nn.Linear` float32 on a float64 input)": _mixed_dtypes,
    "`topk` / `sort` of tied values": _ties,
    "float32 `linspace`": _linspace,
    "`all` / `any` of a uint8 tensor": _all_any_uint8,
    "`get_rng_state()`": _rng_state,
    "`manual_seed(s)`'s result": _manual_seed_result,
    "`ag.softmax(x)`, `x.softmax()` without a dim": _softmax_without_dim,
    "`normal()` without mean and std": _normal_defaults,
    "`exp(input=x)` and the other ops' first operand by keyword": _first_operand_keyword,
    "`sum(dtype=)`, `mean(dtype=)`, `where(cond)` with one argument": _dtype_and_where,
}
_UNSUPPORTED_ROW = next(k for k in _table() if k.startswith("`F.mse_loss/l1_loss"))
PROBES[_UNSUPPORTED_ROW] = _unsupported_arguments
_MISSING_ROW = next(k for k in _table() if k.startswith("`median "))
PROBES[_MISSING_ROW] = _not_implemented(_MISSING_ROW)


def test_every_row_of_the_table_has_a_probe_and_back():
    rows = _table()
    assert set(rows) == set(PROBES)
    for cells in rows.values():
        assert all(cells), cells  # ours, PyTorch's, why: all filled in


@pytest.mark.parametrize("row", list(PROBES), ids=range(len(PROBES)))
def test_each_documented_difference_is_real(row):
    PROBES[row]()


# ----------------------------------------------------------------------------- signatures
def _pairs() -> Iterator[tuple[str, Any, Any]]:
    """(name, ours, PyTorch's) for every public callable whose torch twin has a Python
    signature: nn.functional, the nn classes (constructors), nn.init, optim and its
    schedulers, utils.data, and the methods of Module and Optimizer."""
    def members(mod: Any, tmod: Any, pre: str) -> Iterator[tuple[str, Any, Any]]:
        for n in sorted(dir(mod)):
            o, t = getattr(mod, n), getattr(tmod, n, None)
            if n.startswith("_") or t is None or inspect.ismodule(o):
                continue
            if inspect.isclass(o) and inspect.isclass(t):
                yield f"{pre}{n}", o.__init__, t.__init__
            elif callable(o) and callable(t) and not inspect.isclass(o):
                yield f"{pre}{n}", o, t
    yield from members(F, TF, "F.")
    yield from members(nn, torch.nn, "nn.")
    yield from members(nn.init, torch.nn.init, "nn.init.")
    yield from members(optim, torch.optim, "optim.")
    yield from members(optim.lr_scheduler, torch.optim.lr_scheduler, "lr_scheduler.")
    yield from members(ag.utils.data, torch.utils.data, "data.")
    for cls, tcls, pre in ((nn.Module, torch.nn.Module, "Module."),
                           (optim.Optimizer, torch.optim.Optimizer, "Optimizer.")):
        for n in dir(cls):
            o, t = getattr(cls, n), getattr(tcls, n, None)
            if not n.startswith("_") and callable(o) and callable(t):
                yield f"{pre}{n}", o, t


#: Shared parameters whose defaults differ in spelling only (the same behaviour).
EQUIVALENT = {"data.DataLoader.shuffle": "False here, None in PyTorch: both mean in order",
              "data.random_split.generator": "None here: the global stream, PyTorch's "
                                             "default_generator object"}


def _signature(f: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(f)
    except (TypeError, ValueError):  # a C builtin of torch without a Python signature
        return None


def test_shared_defaults_equal_pytorchs():
    compared, differ = 0, {}
    for name, ours, theirs in _pairs():
        so, st = _signature(ours), _signature(theirs)
        if so is None or st is None:
            continue
        for pn, p in st.parameters.items():
            if pn not in so.parameters or p.default is inspect.Parameter.empty:
                continue
            d = so.parameters[pn].default
            compared += 1
            try:
                same = d is p.default or bool(d == p.default)
            except Exception:  # noqa: BLE001  (an object without a usable ==)
                same = False
            if not same:
                differ[f"{name}.{pn}"] = (d, p.default)
    assert compared > 250  # the comparison really ran over the surface
    assert set(differ) == set(EQUIVALENT), differ


def test_python_level_signatures_are_mostly_covered():
    # the C builtins of torch (torch.sum, Tensor.max, F.conv2d...) have no signature; those
    # are covered by tests/test_pytorch_defaults.py, tests/test_fuzz_values.py and the probes
    missing = [n for n, o, t in _pairs() if _signature(o) is None]
    assert not missing, missing


# ----------------------------------------------------------------------------- fixed by it
@pytest.mark.parametrize("fill", [3, True, 2.5, 1j, np.int32(3), np.float64(3.0), 0])
def test_full_infers_the_dtype_from_the_fill_value_as_torch(fill):
    ours = ag.full((2,), fill)
    ref = torch.full((2,), fill)
    assert str(ours.dtype) == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, ref.numpy())
    assert ag.full((2,), ag.tensor(3)).dtype == ag.int64
    assert ag.full((2,), 3, dtype=ag.float64).dtype == ag.float64


def test_sgd_lr_default_is_torchs():
    p = [nn.Parameter(ag.ones(1))]
    assert optim.SGD(p).defaults["lr"] == torch.optim.SGD(
        [torch.nn.Parameter(torch.ones(1))]).defaults["lr"] == 1e-3


@pytest.mark.parametrize("a,b", [([-7, 7, 0], 2), ([-7.5, 7.0, 2.0], 3), ([5, -5], -3),
                                 ([-7.0, 7.0], -2.5)])
def test_floor_division_and_modulo_operators_as_torch(a, b):
    x, tx = ag.tensor(a), torch.tensor(a)
    for ours, ref in ((x // b, tx // b), (x % b, tx % b), (b // x if 0 not in a else x // b,
                                                           b // tx if 0 not in a else tx // b),
                      (b % x if 0 not in a else x % b, b % tx if 0 not in a else tx % b),
                      (x // x.abs().clip(1), tx // tx.abs().clip(1))):
        np.testing.assert_array_equal(ours.data, ref.numpy())
        assert str(ours.dtype) == str(ref.dtype).removeprefix("torch.")


def test_floor_division_gradient_is_zero_and_modulo_passes_it_through():
    x = ag.tensor([-7.5, 2.5], dtype=ag.float64, requires_grad=True)
    (x % 2).sum().backward()
    tx = torch.tensor([-7.5, 2.5], dtype=torch.float64, requires_grad=True)
    (tx % 2).sum().backward()  # (PyTorch has no derivative for //; ours is zero)
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    x.grad = None
    (x // 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_is_floating_point_and_new_factories_as_torch():
    for dt in ("float16", "float32", "float64", "int64", "int32", "bool", "complex64"):
        x, tx = ag.ones(2, dtype=getattr(ag, dt)), torch.ones(2, dtype=getattr(torch, dt))
        assert x.is_floating_point() == tx.is_floating_point()
        assert x.is_complex() == tx.is_complex()
    x, tx = ag.ones(2, dtype=ag.float64), torch.ones(2, dtype=torch.float64)
    for name, args in (("new_zeros", (2, 3)), ("new_ones", ((3,),)), ("new_empty", (4,)),
                       ("new_full", ((2,), 7)), ("new_tensor", ([1, 2],))):
        ours, ref = getattr(x, name)(*args), getattr(tx, name)(*args)
        assert ours.shape == tuple(ref.shape) and str(ours.dtype) == "float64"
        if name != "new_empty":
            np.testing.assert_array_equal(ours.data, ref.numpy())
    y = x.new_zeros(2, dtype=ag.int32, requires_grad=False)
    assert y.dtype == ag.int32 and x.new_tensor([1.0], requires_grad=True).requires_grad
    src = np.array([1.0, 2.0])
    z = x.new_tensor(src)
    src[0] = 5.0
    assert z.data[0] == 1.0  # a copy, as torch


# ----------------------------------------------------------------------------- added names
def test_histograms_as_torch():
    x = [1.0, 2.0, 2.5, 4.0, 4.0]
    for kw in ({"bins": 3}, {"bins": 3, "min": 0, "max": 3}, {"bins": 4, "min": 2, "max": 2}):
        np.testing.assert_array_equal(ag.histc(ag.tensor(x), **kw).data,
                                      torch.histc(torch.tensor(x), **kw).numpy())
    np.testing.assert_array_equal(ag.histc(ag.tensor([1.0, 1.0]), bins=2).data, [0.0, 2.0])
    assert ag.histc(ag.tensor(x, dtype=ag.float64)).dtype == ag.float64
    with pytest.raises(TypeError, match="histc: expected a floating tensor"):
        ag.histc(ag.tensor([1, 2]))
    with pytest.raises(ValueError, match="histc: range .* is not finite"):
        ag.histc(ag.tensor([1.0, float("inf")]))
    for bins, kw in ((3, {}), (2, {"range": (0.0, 4.0), "density": True}),
                     ("edges", {"weight": [1.0, 2.0, 1.0, 1.0, 0.5]})):
        b_ours = ag.tensor([0.0, 1.5, 5.0]) if bins == "edges" else bins
        b_ref = torch.tensor([0.0, 1.5, 5.0]) if bins == "edges" else bins
        kw_ours = {k: ag.tensor(v) if k == "weight" else v for k, v in kw.items()}
        kw_ref = {k: torch.tensor(v) if k == "weight" else v for k, v in kw.items()}
        hist, edges = ag.histogram(ag.tensor(x), b_ours, **kw_ours)
        ref = torch.histogram(torch.tensor(x), b_ref, **kw_ref)
        np.testing.assert_allclose(hist.data, ref.hist.numpy(), rtol=1e-6)
        np.testing.assert_allclose(edges.data, ref.bin_edges.numpy(), rtol=1e-6)


def test_logical_ops_count_nonzero_and_isnan_as_torch():
    a, b = [[0, 1, 2], [3, 0, -1]], [[1.5, 0.0, -2.0], [0.0, 0.0, 1.0]]
    for name in ("logical_and", "logical_or", "logical_xor"):
        ours = getattr(ag, name)(ag.tensor(a), ag.tensor(b))
        np.testing.assert_array_equal(ours.data,
                                      getattr(torch, name)(torch.tensor(a),
                                                           torch.tensor(b)).numpy())
        assert getattr(ag.tensor(a), name)(ag.tensor(b)).dtype == ag.bool
    np.testing.assert_array_equal(ag.logical_not(ag.tensor(b)).data,
                                  torch.logical_not(torch.tensor(b)).numpy())
    for dim in (None, 0, 1, (0, 1)):
        assert ag.count_nonzero(ag.tensor(a), dim=dim).tolist() == \
            torch.count_nonzero(torch.tensor(a), dim=dim).tolist()
    v = [1.0, float("nan"), float("inf"), -float("inf")]
    for name in ("isnan", "isinf", "isfinite"):
        assert getattr(ag, name)(ag.tensor(v)).tolist() == \
            getattr(torch, name)(torch.tensor(v)).tolist()
    assert ag.isnan(ag.tensor([1, 2])).tolist() == [False, False]


def test_chunk_split_meshgrid_as_torch():
    x = np.arange(10.0).reshape(5, 2)
    for args in ((4,), (2, 1), (5, -1), (7,)):
        ours, ref = ag.chunk(ag.tensor(x), *args), torch.chunk(torch.tensor(x), *args)
        assert [p.tolist() for p in ours] == [p.tolist() for p in ref], args
    for args in ((2,), ([2, 3],), (1, 1), ([0, 5],), (9,)):
        ours, ref = ag.tensor(x).split(*args), torch.tensor(x).split(*args)
        assert [p.tolist() for p in ours] == [p.tolist() for p in ref], args
    with pytest.raises(ValueError, match="split: the sizes"):
        ag.split(ag.tensor(x), [2, 2])
    vs = ([1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0])
    for indexing in ("ij", "xy"):
        ours = ag.meshgrid(*(ag.tensor(v) for v in vs), indexing=indexing)
        ref = torch.meshgrid(*(torch.tensor(v) for v in vs), indexing=indexing)
        assert [p.tolist() for p in ours] == [p.tolist() for p in ref]
    assert [p.shape for p in ag.meshgrid([ag.tensor([1.0, 2.0]), ag.tensor(3.0)])] == \
        [(2, 1), (2, 1)]
    with pytest.raises(TypeError, match="same dtype"):
        ag.meshgrid(ag.tensor([1.0]), ag.tensor([1]))
    w = ag.tensor(x, requires_grad=True)
    a, b = w.split([2, 3])
    (2 * a.sum() + b.sum()).backward()
    assert w.grad[:, 0].tolist() == [2.0, 2.0, 1.0, 1.0, 1.0]


def test_lazy_linear_as_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    ours = nn.Sequential(nn.LazyLinear(4), nn.Tanh(), nn.LazyLinear(2, bias=False)).double()
    ref = torch.nn.Sequential(torch.nn.LazyLinear(4), torch.nn.Tanh(),
                              torch.nn.LazyLinear(2, bias=False)).double()
    assert ours[0].in_features == ref[0].in_features == 0
    params = list(ours.parameters())
    opt = optim.SGD(ours.parameters(), lr=0.1)  # made before the shapes are known
    ours(ag.tensor(x)), ref(torch.tensor(x))  # the dry run
    assert type(ours[0]) is nn.Linear and type(ref[0]) is torch.nn.Linear
    assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in ref.parameters()]
    assert all(a is b for a, b in zip(params, ours.parameters()))
    assert ours[0].weight.dtype == ag.float64
    bound = 1 / np.sqrt(3)  # Linear's init with the inferred fan-in
    assert np.abs(ours[0].weight.data).max() <= bound and np.abs(ours[0].bias.data).max() <= bound
    with torch.no_grad():
        for p, q in zip(ours.parameters(), ref.parameters()):
            q.copy_(torch.tensor(p.data))
    loss = ours(ag.tensor(x)).pow(2).sum()
    loss.backward()
    opt.step()
    tloss = ref(torch.tensor(x)).pow(2).sum()
    tloss.backward()
    with torch.no_grad():
        for q in ref.parameters():
            q -= 0.1 * q.grad
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    for p, q in zip(ours.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="LazyLinear"):
        nn.LazyLinear(2)(ag.tensor(1.0))


# PyTorch's positional order of the methods' arguments (dim, keepdim, ...): a program passes
# them positionally, so a different order would silently mean something else.
_POSITIONAL = [
    ("sum", (1, True)), ("mean", (1, True)), ("prod", (1, True)), ("norm", (2, 1)),
    ("norm", (1, 2, True)), ("topk", (2, 1)), ("topk", (2, 1, False)), ("sort", (1, True)),
    ("argsort", (1, True)), ("argmax", (1, True)), ("argmin", (2, True)), ("max", (1, True)),
    ("min", (2, True)), ("amax", (1, True)), ("amin", ((0, 1), True)), ("logsumexp", (1, True)),
    ("cumsum", (1,)), ("cumprod", (2,)), ("softmax", (1,)), ("log_softmax", (2,)),
    ("var", (1, True, True)), ("std", ((0, 2), False)), ("kthvalue", (2, 1, True)),
    ("flatten", (1,)), ("flatten", (0, 1)), ("unsqueeze", (1,)), ("transpose", (0, 2)),
    ("roll", (1, 1)), ("roll", ((1, 2), (0, 1))), ("repeat", (2, 1, 1)), ("clamp", (-0.5, 0.5)),
    ("split", (2, 1)), ("chunk", (2, 2)), ("tril", (1,)), ("triu", (-1,)), ("all", (1, True)),
    ("any", (2,)), ("count_nonzero", (1,)), ("cummax", (1,)), ("narrow", (1, 0, 2)),
    ("select", (1, 2)), ("unbind", (1,)), ("permute", (2, 0, 1)), ("view", (4, 6)),
    ("add", (1.0, 3.0)), ("sub", (1.0, 2.0)),
]


def _values(out: Any) -> list:
    if isinstance(out, tuple):
        return [_values(o) for o in out]
    return np.asarray(out.detach().numpy() if isinstance(out, torch.Tensor) else out.data,
                      dtype=np.float64).tolist()


@pytest.mark.parametrize("name,args", _POSITIONAL, ids=[f"{n}{a}" for n, a in _POSITIONAL])
def test_positional_arguments_mean_what_they_mean_in_torch(name, args):
    a = np.random.default_rng(0).standard_normal((3, 4, 2))
    ours = getattr(ag.tensor(a), name)(*args)
    ref = getattr(torch.tensor(a), name)(*args)
    o, r = _values(ours), _values(ref)
    assert isinstance(ours, tuple) == isinstance(ref, tuple) and len(o) == len(r)
    for u, v in (zip(o, r) if isinstance(ours, tuple) else [(o, r)]):
        assert np.shape(u) == np.shape(v)
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-12, atol=1e-12)
