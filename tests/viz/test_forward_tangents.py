"""ForwardStepper in forward mode (issue 16 item 5): each op's tangent, replayed through the
JVP rules, on the lecture's neuron (x = 0.3, w = 0.8, b = 0, y = 1,
l = 1/2 (y - sigmoid(x w + b))^2) with tangent dw = 1."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import viz

X, Y = 0.3, 1.0


def _stages(w, b):
    """The neuron's intermediates, in the order the ops run."""
    x = ag.tensor(X, dtype=np.float64)
    y = ag.tensor(Y, dtype=np.float64)
    xw = x * w
    h = xw + b
    lam = ag.sigmoid(h)
    d = y - lam
    sq = d ** 2
    l = 0.5 * sq
    return [xw, h, lam, d, sq, l]


def _leaves():
    w = ag.tensor(0.8, requires_grad=True, dtype=np.float64)
    b = ag.tensor(0.0, requires_grad=True, dtype=np.float64)
    return w, b


def test_neuron_tangents_match_jvp_and_backward():
    w, b = _leaves()
    fs = viz.ForwardStepper(lambda w, b: _stages(w, b)[-1], w, b, tangents={w: 1.0})
    recs = fs.run()
    assert len(recs) == 6
    bv = ag.tensor(0.0, dtype=np.float64)
    for k, r in enumerate(recs):
        _, want = ag.functional.jvp(lambda w: _stages(w, bv)[k],
                                    ag.tensor(0.8, dtype=np.float64),
                                    ag.tensor(1.0, dtype=np.float64))
        assert isinstance(r.tangents, np.ndarray) and r.tangents.dtype == np.float64
        np.testing.assert_allclose(r.tangents, want.data, rtol=1e-12, atol=0)
    # the last tangent is dl/dw (one input, tangent 1): the backward's number
    w2, b2 = _leaves()
    _stages(w2, b2)[-1].backward()
    lam = 1 / (1 + np.exp(-X * 0.8))
    assert recs[-1].tangents.item() == pytest.approx(w2.grad.item(), rel=1e-12)
    assert w2.grad.item() == pytest.approx(-(Y - lam) * lam * (1 - lam) * X, rel=1e-12)


def test_tangent_text_and_symbols():
    w, b = _leaves()
    names: dict = {}

    def f(w, b):
        st = _stages(w, b)
        names.update(dict(zip(["xw", "h", "lambda", "d", "sq", "l"], st)), w=w, b=b)
        return st[-1]

    fs = viz.ForwardStepper(f, w, b, tangents={w: 1.0, b: 0.0}, names=names)
    texts = [r.text for r in fs.run()]
    assert texts[0].endswith("dxw = 0.3 dw = 0.3")
    assert "dh = dxw + db = 0.3" in texts[1]
    assert "dlambda = lambda (1 - lambda) dh = 0.07393" in texts[2]
    assert "dd = -dlambda = -0.07393" in texts[3]
    # without tangents: as before
    w, b = _leaves()
    plain = viz.ForwardStepper(lambda w, b: _stages(w, b)[-1], w, b).run()
    assert all(r.tangents is None and "  d" not in r.text for r in plain)


def test_tangent_shape_checked_and_drawing():
    w, b = _leaves()
    with pytest.raises(ValueError, match="tangent of shape"):
        viz.ForwardStepper(lambda w, b: _stages(w, b)[-1], w, b, tangents={w: [1.0, 2.0]})
    if not viz.dot_available():
        pytest.skip("graphviz dot not installed")
    fs = viz.ForwardStepper(lambda w, b: _stages(w, b)[-1], w, b, tangents={w: 1.0},
                            names={"w": w, "b": b})
    fs.step()
    fs.step()
    svg = fs.draw().pipe(format="svg").decode()
    assert "dw = 1" in svg and "= 0.3" in svg
    assert "0.03255" not in svg  # the loss's tangent: not computed yet at step 2
    fs.run()
    assert "0.03255" in fs.draw().pipe(format="svg").decode()
