"""Dtype promotion and numerics against PyTorch (issue 11, items 4-6).

- Ops that produce floats promote integer, unsigned and bool inputs to the default dtype first
  (PyTorch's rule): no wrap-around (``-x`` or ``x - max(x)`` of a uint8), no float16 results
  from NumPy's small-integer loops (exp(12) = inf). Float inputs keep their dtype (float16
  stays float16), complex inputs work as in NumPy or are refused naming the op.
- ``nll_loss`` reads only the target entries (a -inf elsewhere stays out of the loss).
- The exponent gradient of ``a ** p`` and the base gradient at 0 take PyTorch's values.
- ``& | ^ ~`` are bitwise on integer tensors, logical on bool ones, refused for floats.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite import dtypes as _dtypes
from autograd_lite.ops import special

INT_DTYPES = (np.uint8, np.int8, np.int32, np.int64, np.bool_)

# values that break the old code: 5 and 12 wrap or overflow in uint8/float16 arithmetic
_VALUES = {np.uint8: [0, 1, 5, 12, 20, 3], np.int8: [-20, -5, 0, 5, 12, 3],
           np.int32: [-20, -5, 0, 5, 12, 3], np.int64: [-20, -5, 0, 5, 12, 3],
           np.bool_: [True, False, True, True, False, True]}


def _ints(dtype, shape=(6,)):
    return np.array(_VALUES[dtype], dtype=dtype).reshape(shape)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _torch_ref(torch, fn, a, native=True):
    """PyTorch's result on the integer input (``native``: PyTorch promotes it itself), else on
    its float32 cast: where PyTorch has no integer kernel, or computes in the integer type and
    wraps around (l1_loss of uint8 with reduction='none' gives |0 - 1| = 255)."""
    return fn(torch.from_numpy(a if native else a.astype(np.float32))).detach().numpy()


def _close(actual, expected, rtol=2e-6, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64),
                               rtol=rtol, atol=atol, equal_nan=True)


# ----------------------------------------------------------------------------- the helper
def test_promote_float_keeps_floats_and_casts_integers_to_the_default_dtype():
    for dt in (np.float16, np.float32, np.float64):
        a = np.ones(3, dtype=dt)
        assert _dtypes.promote_float(a, "op") is a  # no copy, no cast
    for dt in INT_DTYPES:
        assert _dtypes.promote_float(np.ones(3, dtype=dt), "op").dtype == np.float32
    t = _dtypes.promote_float(ag.tensor([1, 2]), "op")
    assert isinstance(t, ag.Tensor) and t.dtype == np.float32
    c = np.ones(2, dtype=np.complex64)
    assert _dtypes.promote_float(c, "op") is c
    with pytest.raises(TypeError, match="^myop: not implemented for complex64"):
        _dtypes.promote_float(c, "myop", complex_ok=False)


def test_promote_floats_gives_an_integer_operand_the_other_floating_dtype():
    i, f = np.array([2 ** 40 + 1]), np.array([1.0])  # int64 -> float64 directly (exact)
    a, b = _dtypes.promote_floats(i, f)
    assert a.dtype == b.dtype == np.float64 and a[0] == 2 ** 40 + 1
    a, b = _dtypes.promote_floats(np.ones(2, np.float16), np.ones(2, np.uint8))
    assert a.dtype == b.dtype == np.float16
    a, b = _dtypes.promote_floats(np.ones(2, np.int8), np.ones(2, np.bool_))
    assert a.dtype == b.dtype == np.float32
    x, y = np.ones(2, np.float32), np.ones(2, np.float64)
    a, b = _dtypes.promote_floats(x, y)
    assert a is x and b is y


def test_promotion_follows_set_default_dtype():
    ag.set_default_dtype(np.float64)
    try:
        u = ag.tensor(np.array([1, 2], dtype=np.uint8))  # NumPy's exp gives float16
        assert ag.exp(u).dtype == np.float64
        assert ag.sigmoid(u).dtype == np.float64
        assert F.mse_loss(u, ag.tensor([0, 0])).dtype == np.float64
    finally:
        ag.set_default_dtype(np.float32)


# ----------------------------------------------------------------------------- the audit
# ops for which PyTorch itself promotes integer inputs (compared on the raw integers)
_NATIVE = {"exp", "exp method", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "sigmoid method",
           "F.sigmoid", "F.tanh", "erf", "F.erf", "log1p", "div", "div scalar", "rdiv scalar"}


def _unary_rows(torch):
    tf = torch.nn.functional
    return [
        ("exp", ag.exp, torch.exp, np.exp),
        ("exp method", lambda x: x.exp(), torch.exp, np.exp),
        ("log", ag.log, torch.log, np.log),
        ("sqrt", ag.sqrt, torch.sqrt, np.sqrt),
        ("sin", ag.sin, torch.sin, np.sin),
        ("cos", ag.cos, torch.cos, np.cos),
        ("tanh", ag.tanh, torch.tanh, np.tanh),
        ("sigmoid", ag.sigmoid, torch.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
        ("sigmoid method", lambda x: x.sigmoid(), torch.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
        ("F.sigmoid", F.sigmoid, torch.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
        ("F.tanh", F.tanh, torch.tanh, np.tanh),
        ("erf", special.erf, torch.erf, None),
        ("F.erf", F.erf, torch.erf, None),
        ("log1p", special.log1p, torch.log1p, np.log1p),
        ("softplus", special.softplus, tf.softplus, lambda x: np.logaddexp(0, x)),
        ("F.softplus", F.softplus, tf.softplus, lambda x: np.logaddexp(0, x)),
        ("F.softplus beta", lambda x: F.softplus(x, beta=2.0, threshold=10.0),
         lambda x: tf.softplus(x, beta=2.0, threshold=10.0), None),
        ("F.gelu", F.gelu, tf.gelu, None),
        ("F.gelu tanh", lambda x: F.gelu(x, approximate="tanh"),
         lambda x: tf.gelu(x, approximate="tanh"), None),
        ("F.leaky_relu", F.leaky_relu, tf.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
        ("F.softmax", lambda x: F.softmax(x, dim=0), lambda x: torch.softmax(x, 0),
         lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum()),
        ("F.log_softmax", lambda x: F.log_softmax(x, dim=0),
         lambda x: torch.log_softmax(x, 0),
         lambda x: x - x.max() - np.log(np.exp(x - x.max()).sum())),
        ("div", lambda x: x / ag.tensor(np.full(6, 3, dtype=x.dtype)),
         lambda x: x / torch.from_numpy(np.full(6, 3, dtype=x.numpy().dtype)), None),
        ("div scalar", lambda x: x / 3, lambda x: x / 3, lambda x: x / 3),
        ("rdiv scalar", lambda x: 7 / (x * 0 + 3), lambda x: 7 / (x * 0 + 3), None),
        ("layer_norm", lambda x: F.layer_norm(x, (6,)), lambda x: tf.layer_norm(x, (6,)),
         None),
        ("sum of mse_loss", lambda x: F.mse_loss(x, x * 0 + 1, reduction="none"),
         lambda x: tf.mse_loss(x, x * 0 + 1, reduction="none"), lambda x: (x - 1) ** 2),
        ("l1_loss", lambda x: F.l1_loss(x, x * 0 + 1, reduction="none"),
         lambda x: tf.l1_loss(x, x * 0 + 1, reduction="none"), lambda x: np.abs(x - 1)),
        ("huber_loss", lambda x: F.huber_loss(x, x * 0, reduction="none"),
         lambda x: tf.huber_loss(x, x * 0, reduction="none"), None),
        ("bce_with_logits", lambda x: F.binary_cross_entropy_with_logits(
            x, (x * 0 + 1).astype(np.float32), reduction="none"),
         lambda x: tf.binary_cross_entropy_with_logits(x, x * 0 + 1.0, reduction="none"),
         lambda x: np.logaddexp(0, -x)),
        ("kl_div", lambda x: F.kl_div(x, x * 0 + 1, reduction="none"),
         lambda x: tf.kl_div(x, x * 0 + 1, reduction="none"), lambda x: -x),
        ("gaussian_nll_loss", lambda x: F.gaussian_nll_loss(x, x * 0, 2, reduction="none"),
         lambda x: tf.gaussian_nll_loss(x, x * 0, torch.full((6,), 2.0), reduction="none"),
         lambda x: 0.5 * (np.log(2) + x * x / 2)),
        ("linear", lambda x: F.linear(x.reshape(2, 3), ag.tensor(np.eye(3, dtype=np.float32) / 2)),
         lambda x: tf.linear(x.reshape(2, 3), torch.eye(3) * 0.5),
         lambda x: x.reshape(2, 3) * 0.5),
        ("avg_pool2d", lambda x: F.avg_pool2d(x.reshape(1, 1, 2, 3), (1, 2)),
         lambda x: tf.avg_pool2d(x.reshape(1, 1, 2, 3), (1, 2)), None),
    ]


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_float_op_promotes_integer_and_bool_inputs(torch, dtype):
    """Each float-producing op on uint8/int8/int32/int64/bool inputs gives the default dtype and
    PyTorch's values (on the float32 cast where PyTorch has no integer kernel), and NumPy's
    float64 values on the float64 cast."""
    a = _ints(dtype)
    failures = []
    for name, fn, tfn, ref in _unary_rows(torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # log/sqrt of negatives
            try:
                out = fn(ag.tensor(a))
            except Exception as e:  # noqa: BLE001 - collected and reported below
                failures.append(f"{name}: raised {type(e).__name__}: {e}")
                continue
            if out.dtype != np.float32:
                failures.append(f"{name}: dtype {out.dtype}, expected float32")
                continue
            try:
                if tfn is not None:
                    _close(out.data, _torch_ref(torch, tfn, a, name in _NATIVE), rtol=1e-5,
                           atol=1e-6)
                if ref is not None:
                    _close(out.data, ref(a.astype(np.float64)), rtol=1e-5, atol=1e-6)
            except AssertionError as e:
                failures.append(f"{name}: {e}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_losses_with_class_targets_promote_integer_logits(torch, dtype):
    x = _ints(dtype, (2, 3))
    t = np.array([2, 0])
    xt = torch.from_numpy(x.astype(np.float32))
    for fn, tfn in [(F.cross_entropy, torch.nn.functional.cross_entropy),
                    (lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1),
                     lambda a, b: torch.nn.functional.cross_entropy(a, b, label_smoothing=0.1)),
                    (F.nll_loss, torch.nn.functional.nll_loss)]:
        out = fn(ag.tensor(x), ag.tensor(t))
        assert out.dtype == np.float32
        _close(out.data, tfn(xt, torch.from_numpy(t)).numpy(), rtol=1e-5)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_integer_input_to_a_float_layer_takes_the_weight_dtype(torch, dtype):
    # PyTorch refuses the mix; we promote the integer input to the weight's dtype (not float64)
    x = _ints(dtype, (1, 1, 2, 3))
    w = np.full((2, 1, 1, 2), 0.25, dtype=np.float32)
    out = F.conv2d(ag.tensor(x), ag.tensor(w), bias=ag.tensor([1, 2]))
    assert out.dtype == np.float32
    ref = torch.nn.functional.conv2d(torch.from_numpy(x.astype(np.float32)),
                                     torch.from_numpy(w), torch.tensor([1.0, 2.0]))
    _close(out.data, ref.numpy())
    lw = ag.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    y = F.linear(ag.tensor(x.reshape(2, 3)), lw, bias=ag.tensor([1, 0]))
    assert y.dtype == np.float32
    y.sum().backward()
    assert lw.grad.dtype == np.float32
    _close(lw.grad.data, np.tile(x.reshape(2, 3).astype(np.float32).sum(0), (2, 1)))


def test_integer_layers_without_floats_stay_integer_as_pytorch(torch):
    x = np.array([[4, 0, 5]], dtype=np.int64)
    assert F.linear(ag.tensor(x), ag.tensor(x)).dtype == np.int64
    x4 = ag.tensor(x.reshape(1, 1, 1, 3))
    assert F.conv2d(x4, x4).dtype == np.int64
    # max pooling of integers pads with the smallest integer (was -inf: OverflowError)
    out = F.max_pool2d(ag.tensor(np.array([[[[-3, -1], [-2, -5]]]], dtype=np.int8)), 2,
                       padding=1)
    ref = torch.nn.functional.max_pool2d(torch.tensor([[[[-3, -1], [-2, -5]]]],
                                                      dtype=torch.int8), 2, padding=1)
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out.data, ref.numpy())


def test_softmax_and_logsumexp_of_uint8_regressions():
    u = np.array([4, 0, 5], dtype=np.uint8)
    ref = np.exp([4.0, 0.0, 5.0]) / np.exp([4.0, 0.0, 5.0]).sum()
    _close(F.softmax(ag.tensor(u), dim=0).data, ref)
    _close(F.log_softmax(ag.tensor(u), dim=0).data, np.log(ref), rtol=1e-5)
    # the helper makes the reduction ops right too (ag.softmax itself: see the xfail below)
    x = _dtypes.promote_float(ag.tensor(u), "logsumexp")
    _close(ag.logsumexp(x).data, np.log(np.exp([4.0, 0.0, 5.0]).sum()))


def test_reduction_softmax_and_logsumexp_promote_integers():
    u = ag.tensor(np.array([4, 0, 5], dtype=np.uint8))
    assert np.isclose(ag.logsumexp(u).item(), np.log(np.exp([4.0, 0.0, 5.0]).sum()))
    assert ag.softmax(u).dtype == np.float32
    assert np.isfinite(ag.softmax(u).data).all()
    assert np.isfinite(ag.log_softmax(u).data).all()


def test_dropout_of_integers_scales_in_floats():
    ag.manual_seed(0)
    out = F.dropout(ag.tensor(np.full(200, 3, dtype=np.int64)), p=0.3)
    assert out.dtype == np.float32
    vals = set(np.unique(out.data).tolist())
    assert vals <= {0.0, np.float32(3 / 0.7)} and len(vals) == 2  # not truncated to 4
    assert F.dropout(ag.tensor([1, 2]), training=False).dtype == np.int64  # identity


def test_batch_norm_of_integers():
    x = ag.tensor(np.arange(6).reshape(3, 2))
    rm, rv = ag.zeros(2), ag.ones(2)
    out = F.batch_norm(x, rm, rv, training=True)
    assert out.dtype == np.float32
    xf = np.arange(6.0).reshape(3, 2)
    _close(out.data, (xf - xf.mean(0)) / np.sqrt(xf.var(0) + 1e-5), rtol=1e-5)


# ----------------------------------------------------------------------------- float16
_HALF = np.array([-60.0, -12.0, -1.0, 0.0, 0.5, 3.0, 12.0, 60.0], dtype=np.float16)


def test_float16_inputs_stay_float16_and_match_pytorch(torch):
    failures = []
    for name, fn, tfn, _ in _unary_rows(torch):
        if name in ("linear", "avg_pool2d", "layer_norm") or "div" in name or "loss" in name \
                or name in ("bce_with_logits", "kl_div"):
            continue
        a = _HALF[:6] if name in ("F.softmax", "F.log_softmax") else _HALF
        if name in ("F.softmax", "F.log_softmax"):
            a = np.array([-3.0, 0.0, 1.0, 2.0, 3.5, 4.0], dtype=np.float16)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = fn(ag.tensor(a))
            ref = tfn(torch.from_numpy(a)).numpy()
        if out.dtype != np.float16:
            failures.append(f"{name}: dtype {out.dtype}")
            continue
        if not np.array_equal(np.isfinite(out.data), np.isfinite(ref)):
            failures.append(f"{name}: finite {np.isfinite(out.data)} vs PyTorch "
                            f"{np.isfinite(ref)}")
            continue
        try:
            _close(out.data, ref, rtol=2e-3, atol=2e-3)
        except AssertionError as e:
            failures.append(f"{name}: {e}")
    assert not failures, "\n".join(failures)


def test_float16_gelu_tanh_gradient_is_finite_for_large_inputs(torch):
    # 0.044715 x^3 overflows float16 from |x| ~ 115; value and gradient must stay finite
    a = np.array([-300.0, -60.0, -1.0, 0.5, 60.0, 300.0], dtype=np.float16)
    x = ag.tensor(a, requires_grad=True)
    y = F.gelu(x, approximate="tanh")
    assert y.dtype == np.float16
    y.sum().backward()
    assert x.grad.dtype == np.float16
    tx = torch.from_numpy(a).float().requires_grad_()
    torch.nn.functional.gelu(tx, approximate="tanh").sum().backward()
    _close(y.data, torch.nn.functional.gelu(torch.from_numpy(a), approximate="tanh").numpy(),
           rtol=2e-3, atol=2e-3)
    _close(x.grad.data, tx.grad.numpy(), rtol=2e-3, atol=2e-3)


# ----------------------------------------------------------------------------- complex
@pytest.mark.parametrize("name,fn", [
    ("sigmoid", ag.sigmoid), ("erf", special.erf), ("softplus", special.softplus),
    ("gelu", F.gelu), ("softplus", F.softplus), ("erf", F.erf), ("leaky_relu", F.leaky_relu),
    ("mse_loss", lambda x: F.mse_loss(x, x)), ("l1_loss", lambda x: F.l1_loss(x, x)),
    ("kl_div", lambda x: F.kl_div(x, x)), ("cross_entropy", lambda x: F.cross_entropy(
        x.reshape(1, 2), ag.tensor([0]))), ("nll_loss", lambda x: F.nll_loss(
            x.reshape(1, 2), ag.tensor([0]))), ("layer_norm", lambda x: F.layer_norm(x, (2,))),
])
def test_complex_inputs_are_refused_naming_the_op(name, fn):
    with pytest.raises(TypeError, match=f"^{name}: not implemented for complex128"):
        fn(ag.tensor(np.array([1 + 2j, -1j])))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tanh"])
def test_complex_inputs_work_as_numpy(name):
    z = np.array([1 + 2j, -1j, -4 + 0j])
    np.testing.assert_allclose(getattr(ag, name)(ag.tensor(z)).data, getattr(np, name)(z))


# ----------------------------------------------------------------------------- nll_loss
def _nll_case():
    inf = float("inf")
    lp = np.array([[-inf, -0.5, -1.0], [-0.2, -inf, -2.0], [-inf, -1.0, -0.3]])
    return lp, np.array([1, 0, 2])


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                {"weight": [0.5, 2.0, 1.0]}, {"ignore_index": 1},
                                {"ignore_index": 0, "reduction": "none"},
                                {"ignore_index": 0, "weight": [0.5, 2.0, 1.0]},
                                {"weight": [0.5, 2.0, 1.0], "reduction": "sum"}],
                         ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "mean")
def test_nll_loss_reads_only_the_target_entries(torch, kw):
    """-inf log-probabilities of other classes (and of an ignored sample's classes) gave NaN."""
    lp, t = _nll_case()
    tkw = dict(kw)
    if "weight" in kw:
        tkw["weight"] = torch.tensor(kw["weight"], dtype=torch.float64)
        kw = dict(kw, weight=np.array(kw["weight"]))
    x = ag.tensor(lp, requires_grad=True)
    out = F.nll_loss(x, ag.tensor(t), **kw)
    out.sum().backward()
    tx = torch.tensor(lp, requires_grad=True)
    ref = torch.nn.functional.nll_loss(tx, torch.from_numpy(t), **tkw)
    ref.sum().backward()
    assert np.isfinite(out.data).all()
    _close(out.data, ref.detach().numpy())
    _close(x.grad.data, tx.grad.numpy())


def test_nll_loss_spatial_with_inf_and_ignored_pixels(torch):
    rng = np.random.default_rng(0)
    lp = np.log(rng.dirichlet(np.ones(4), size=(2, 3)))  # (N=2, d=3, C=4)
    lp = np.ascontiguousarray(lp.transpose(0, 2, 1))      # (N, C, d)
    t = np.array([[0, 3, 1], [2, 2, 0]])
    lp[0, 1, 0] = lp[1, 3, 2] = lp[1, 0, 1] = -np.inf  # never targets (or at ignored pixels)
    t[1, 1] = -100
    x = ag.tensor(lp, requires_grad=True)
    out = F.nll_loss(x, ag.tensor(t))
    out.backward()
    tx = torch.tensor(lp, requires_grad=True)
    ref = torch.nn.functional.nll_loss(tx, torch.from_numpy(t))
    ref.backward()
    _close(out.data, ref.item())
    _close(x.grad.data, tx.grad.numpy())


def test_nll_loss_with_an_infinite_target_entry_is_infinite_as_pytorch(torch):
    lp, _ = _nll_case()
    t = np.array([0, 1, 2])
    out = F.nll_loss(ag.tensor(lp), ag.tensor(t), reduction="none")
    ref = torch.nn.functional.nll_loss(torch.tensor(lp), torch.from_numpy(t), reduction="none")
    np.testing.assert_array_equal(out.data, ref.numpy())


def test_nll_loss_is_twice_differentiable():
    lp = ag.tensor(np.log([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]), requires_grad=True)
    t = ag.tensor([2, 0])
    assert ag.testing.gradgradcheck(lambda z: F.nll_loss(F.log_softmax(z, 1), t) ** 2, lp)


# ----------------------------------------------------------------------------- pow
_EXPS = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])


@pytest.mark.parametrize("base", [-2.0, 0.0, 2.0, -0.5])
def test_pow_exponent_gradient_matches_pytorch(torch, base):
    # d(a^p)/dp = a^p log a: NaN for a < 0 (was 0), 0 at a = 0 with p >= 0, -inf with p < 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = ag.tensor(_EXPS, requires_grad=True)
        (base ** p).sum().backward()
        tp = torch.tensor(_EXPS, requires_grad=True)
        (base ** tp).sum().backward()
        _close(p.grad.data, tp.grad.numpy())
        # tensor base: both gradients
        b = ag.tensor(np.full(5, base), requires_grad=True)
        p = ag.tensor(_EXPS, requires_grad=True)
        (b ** p).sum().backward()
        tb = torch.full((5,), base, dtype=torch.float64, requires_grad=True)
        tp = torch.tensor(_EXPS, requires_grad=True)
        (tb ** tp).sum().backward()
    _close(p.grad.data, tp.grad.numpy())
    _close(b.grad.data, tb.grad.numpy())


@pytest.mark.parametrize("e", [0, 0.0, 0.5, 1, 1.0, 2.0, 3.0, -1.0])
def test_pow_base_gradient_at_zero_matches_pytorch(torch, e):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x = ag.tensor(np.array([0.0, 1.5]), requires_grad=True)
        (x ** e).sum().backward()
        tx = torch.tensor([0.0, 1.5], dtype=torch.float64, requires_grad=True)
        (tx ** e).sum().backward()
    _close(x.grad.data, tx.grad.numpy())


def test_pow_base_gradient_with_zero_exponent_is_zero_everywhere(torch):
    # PyTorch: where(p == 0, 0, p x^(p-1)), also at x = nan and inf
    vals = np.array([np.nan, np.inf, -np.inf, 0.0, -3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x = ag.tensor(vals, requires_grad=True)
        (x ** ag.tensor(np.zeros(5))).sum().backward()
        tx = torch.tensor(vals, requires_grad=True)
        (tx ** torch.zeros(5, dtype=torch.float64)).sum().backward()
    _close(x.grad.data, tx.grad.numpy())


def test_pow_double_backward_matches_pytorch(torch):
    xs, ps = np.array([0.0, 1.5, 2.0]), np.array([2.0, 2.0, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x, p = ag.tensor(xs, requires_grad=True), ag.tensor(ps, requires_grad=True)
        (gp,) = ag.grad((x ** p).sum(), p, create_graph=True)
        hx, hp = ag.grad(gp.sum(), (x, p))
        tx, tp = torch.tensor(xs, requires_grad=True), torch.tensor(ps, requires_grad=True)
        (tgp,) = torch.autograd.grad((tx ** tp).sum(), tp, create_graph=True)
        thx, thp = torch.autograd.grad(tgp.sum(), (tx, tp))
    _close(gp.data, tgp.detach().numpy())
    _close(hx.data, thx.numpy())
    _close(hp.data, thp.numpy())


def test_pow_exponent_gradient_warns_nothing():
    # log 0 and log of negative bases in the backward are PyTorch's values, not warnings
    p = ag.tensor(_EXPS, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the forward's 0 ** -1, as NumPy
        y = ag.tensor(np.zeros(5)) ** p
        y2 = ag.tensor(np.full(5, -2.0)) ** p
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (y + y2).sum().backward()
    assert np.isnan(p.grad.data).all()  # NaN from the negative base everywhere
    p.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = ag.tensor(np.zeros(5)) ** p
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.sum().backward()
    assert np.isneginf(p.grad.data[0]) and (p.grad.data[1:] == 0).all()


# ----------------------------------------------------------------------------- bitwise
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint8])
def test_bitwise_operators_on_integers_match_numpy_and_pytorch(torch, dtype):
    a = np.array([1, 7, 32, 100, 0], dtype=dtype)
    b = np.array([3, 5, 33, 27, 9], dtype=dtype)
    ta, tb = ag.tensor(a), ag.tensor(b)
    for sym, npf in [("&", np.bitwise_and), ("|", np.bitwise_or), ("^", np.bitwise_xor)]:
        out = {"&": ta & tb, "|": ta | tb, "^": ta ^ tb}[sym]
        ref = {"&": torch.from_numpy(a) & torch.from_numpy(b),
               "|": torch.from_numpy(a) | torch.from_numpy(b),
               "^": torch.from_numpy(a) ^ torch.from_numpy(b)}[sym]
        assert out.dtype == dtype, sym
        np.testing.assert_array_equal(out.data, npf(a, b))
        np.testing.assert_array_equal(out.data, ref.numpy())
    np.testing.assert_array_equal((~ta).data, (~torch.from_numpy(a)).numpy())
    assert (~ta).dtype == dtype


def test_bitwise_or_with_a_python_int_is_bitwise():
    out = ag.tensor([1, -8, 32]) | 0x1337
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.data, [4919, -1, 4919])
    np.testing.assert_array_equal((ag.tensor([12, -1]) & 10).data, [8, 10])
    np.testing.assert_array_equal((ag.tensor([12, -1]) ^ 10).data, [6, -11])


def test_reflected_bitwise_operators():
    t = ag.tensor([1, 6, -8])
    np.testing.assert_array_equal((2 & t).data, [0, 2, 0])
    np.testing.assert_array_equal((np.int64(3) | t).data, [3, 7, -5])
    np.testing.assert_array_equal((np.array([5, 5, 5]) ^ t).data, [4, 3, -3])
    for r in (2 & t, np.int64(3) | t, np.array([5, 5, 5]) ^ t, True & t):
        assert isinstance(r, ag.Tensor) and r.dtype == np.int64
    b = ag.tensor([True, False])
    assert (True & b).dtype == np.bool_ and (np.bool_(False) | b).dtype == np.bool_


def test_bool_bitwise_stays_logical(torch):
    a, b = ag.tensor([True, True, False, False]), ag.tensor([True, False, True, False])
    for op in ("__and__", "__or__", "__xor__"):
        out = getattr(a, op)(b)
        ref = getattr(torch.tensor([True, True, False, False]), op)(
            torch.tensor([True, False, True, False]))
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out.data, ref.numpy())
    assert (~a).dtype == np.bool_
    np.testing.assert_array_equal((~a).data, [False, False, True, True])
    # masks from comparisons combine as before
    x = ag.tensor([0.5, 1.5, 2.5, 3.5])
    np.testing.assert_array_equal(((x > 1) & (x < 3)).data, [False, True, True, False])
    # bool with an int promotes as NumPy and PyTorch: int64 bitwise
    np.testing.assert_array_equal((ag.tensor([True, False]) & 1).data, [1, 0])
    assert (ag.tensor([True, False]) & 1).dtype == np.int64


@pytest.mark.parametrize("make,name", [
    (lambda: ag.tensor([1.0, 2.0]) & 1, "bitwise_and"),
    (lambda: ag.tensor([1, 2]) | ag.tensor([1.0, 2.0]), "bitwise_or"),
    (lambda: ag.tensor([1, 2]) ^ 1.5, "bitwise_xor"),
    (lambda: 3 & ag.tensor([1.0]), "bitwise_and"),
    (lambda: ~ag.tensor([1.0]), "bitwise_not"),
    (lambda: ~ag.tensor(np.array([1j])), "bitwise_not"),
    (lambda: ag.tensor([1, 2]) & "a", "bitwise_and"),
])
def test_bitwise_refuses_floats_naming_the_op(make, name):
    with pytest.raises(TypeError, match=f"^{name}"):
        make()


def test_bitwise_errors_name_the_op():
    with pytest.raises(ValueError, match=r"^bitwise_and \(&\): operands could not be broadcast"):
        ag.tensor([1, 2, 3]) & ag.tensor([1, 2])
    with pytest.raises(ValueError, match=r"^bitwise_or \(\|\): Python integer 4919 out of bounds"):
        ag.tensor(np.array([1], dtype=np.int8)) | 0x1337


def test_bitwise_results_are_constants():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    m = (x > 1) | (x < 0)
    assert not m.requires_grad and m.grad_fn is None
