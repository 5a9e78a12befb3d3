"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch (same weights,
copied), gradients, gradgradcheck, and the errors."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.testing import gradcheck, gradgradcheck
from tests.nn.test_conv_torch import _compare

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(0)
CAUSAL = np.tril(np.ones((4, 5), dtype=bool))
SDPA = [  # (q, k, v shapes, kwargs)
    ((3, 4), (5, 4), (5, 2), {}),
    ((2, 3, 4, 6), (2, 3, 5, 6), (2, 3, 5, 3), dict(scale=0.3)),
    ((2, 4, 6), (1, 5, 6), (1, 5, 2), dict(attn_mask=CAUSAL)),  # broadcast batch
    ((2, 4, 3), (2, 4, 3), (2, 4, 3), dict(is_causal=True)),
    ((2, 4, 3), (2, 5, 3), (2, 5, 3), dict(attn_mask=RNG.normal(size=(4, 5)))),
    # a query that may attend to nothing: weights (and output) 0, as PyTorch
    ((2, 3), (2, 3), (2, 3), dict(attn_mask=np.array([[False, True], [False, False]]))),
    ((2, 3), (2, 3), (2, 3), dict(attn_mask=np.array([[0.0, -np.inf], [-np.inf, -np.inf]]))),
]


def _torch_kw(kw):
    return {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}


@pytest.mark.parametrize("qs, ks, vs, kw", SDPA)
def test_sdpa_matches_torch(qs, ks, vs, kw):
    rng = np.random.default_rng(1)
    arrays = [rng.normal(size=s) for s in (qs, ks, vs)]
    tkw = _torch_kw(kw)
    _compare(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw),
             lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, **tkw), arrays)


def test_sdpa_gradgradcheck_and_dropout():
    rng = np.random.default_rng(2)
    q, k, v = (ag.tensor(rng.normal(size=s), requires_grad=True)
               for s in ((2, 3), (4, 3), (4, 2)))
    f = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=False)  # noqa: E731
    assert gradcheck(f, (q, k, v))
    assert gradgradcheck(f, (q, k, v))
    ag.manual_seed(0)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert out.shape == (2, 2) and np.all(np.isfinite(out.data))


def test_sdpa_errors():
    q = ag.randn(2, 3)
    with pytest.raises(ValueError, match="^scaled_dot_product_attention: query"):
        F.scaled_dot_product_attention(q, ag.randn(4, 2), ag.randn(4, 2))
    with pytest.raises(ValueError, match="^scaled_dot_product_attention: give either"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((2, 2), bool), is_causal=True)
    x32 = ag.randn(2, 3, dtype=np.float32)  # a float mask takes the scores' dtype
    assert F.scaled_dot_product_attention(x32, x32, x32, attn_mask=np.zeros((2, 2))).dtype \
        == np.float32
    with pytest.raises(ValueError, match="^scaled_dot_product_attention: dropout_p"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=2.0)


def _pair(e, h, batch_first=False, bias=True):
    """An autograd_lite MultiheadAttention and torch's, float64, with the same weights."""
    m = nn.MultiheadAttention(e, h, bias=bias, batch_first=batch_first, dtype=np.float64)
    rng = np.random.default_rng(3)
    with ag.no_grad():
        for p in m.parameters():  # non-zero biases too
            p.set_(rng.normal(size=p.shape) * 0.5)
    t = torch.nn.MultiheadAttention(e, h, bias=bias, batch_first=batch_first).double()
    with torch.no_grad():
        t.in_proj_weight.copy_(torch.tensor(m.in_proj_weight.data))
        t.out_proj.weight.copy_(torch.tensor(m.out_proj.weight.data))
        if bias:
            t.in_proj_bias.copy_(torch.tensor(m.in_proj_bias.data))
            t.out_proj.bias.copy_(torch.tensor(m.out_proj.bias.data))
    return m, t


MHA = [  # (embed, heads, batch_first, bias, query shape, key length, forward kwargs)
    (8, 2, False, True, (4, 3, 8), 5, {}),
    (6, 3, True, True, (2, 4, 6), 4, dict(average_attn_weights=False)),
    (6, 1, False, False, (4, 2, 6), 4, dict(attn_mask=~CAUSAL[:, :4])),
    (8, 4, True, True, (2, 3, 8), 5, dict(key_padding_mask=np.array(
        [[False] * 5, [False, False, True, False, True]]))),
    (8, 2, False, True, (3, 8), 5, dict(attn_mask=RNG.normal(size=(3, 5)))),  # unbatched
    (4, 2, False, True, (3, 2, 4), 3, dict(need_weights=False)),
    # a query masked from every key: output 0 without weights (torch's fused path)
    (4, 2, False, True, (2, 2, 4), 3, dict(need_weights=False, attn_mask=np.array(
        [[True, True, True], [False, True, False]]))),
]


@pytest.mark.parametrize("e, h, bf, bias, qs, s, kw", MHA)
def test_multihead_attention_matches_torch(e, h, bf, bias, qs, s, kw):
    m, t = _pair(e, h, bf, bias)
    rng = np.random.default_rng(4)
    ks = list(qs)
    ks[(1 if bf else 0) if len(qs) == 3 else 0] = s
    q, k, v = rng.normal(size=qs), rng.normal(size=ks), rng.normal(size=ks)
    tkw = _torch_kw(kw)
    (qa, ka, va) = (ag.tensor(a, requires_grad=True) for a in (q, k, v))
    (qt, kt, vt) = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    oa, wa = m(qa, ka, va, **kw)
    ot, wt = t(qt, kt, vt, **tkw)
    np.testing.assert_allclose(oa.data, ot.detach().numpy(), atol=1e-10)
    if wt is None:
        assert wa is None
    else:
        np.testing.assert_allclose(wa.data, wt.detach().numpy(), atol=1e-10)
    r = rng.normal(size=oa.shape)
    (oa * ag.tensor(r)).sum().backward()
    (ot * torch.tensor(r)).sum().backward()
    for xa, xt in [(qa, qt), (ka, kt), (va, vt), (m.in_proj_weight, t.in_proj_weight),
                   (m.out_proj.weight, t.out_proj.weight)]:
        np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), atol=1e-10)


def test_multihead_attention_layout_init_and_errors():
    m = nn.MultiheadAttention(8, 2)
    names = dict(m.named_parameters())
    assert set(names) == {"in_proj_weight", "in_proj_bias", "out_proj.weight",
                          "out_proj.bias"}
    assert m.in_proj_weight.shape == (24, 8) and m.out_proj.weight.shape == (8, 8)
    assert not m.in_proj_bias.data.any() and not m.out_proj.bias.data.any()  # PyTorch's init
    assert np.abs(m.in_proj_weight.data).max() <= np.sqrt(6 / (8 + 24))  # xavier_uniform
    with pytest.raises(ValueError, match="^MultiheadAttention: embed_dim 6"):
        nn.MultiheadAttention(6, 4)
    x = ag.randn(3, 2, 8)
    with pytest.raises(ValueError, match="^MultiheadAttention: expected embedding size 8"):
        m(ag.randn(3, 2, 6), x, x)
    with pytest.raises(ValueError, match="^MultiheadAttention: key_padding_mask"):
        m(x, x, x, key_padding_mask=np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="^MultiheadAttention: is_causal"):
        m(x, x, x, is_causal=True)
    m.dropout = 0.5  # dropout acts in training only
    m.eval()
    a, b = m(x, x, x)[0], m(x, x, x)[0]
    np.testing.assert_array_equal(a.data, b.data)
