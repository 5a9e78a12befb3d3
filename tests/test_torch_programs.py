"""PyTorch programs run unchanged (issue 18): each program below is written for PyTorch and
takes the library as its ``torch`` argument, so the SAME source runs once with ``import torch``
and once with ``import autograd_lite as torch`` (the only difference is which module is bound
to the name ``torch``). Initial weights and data are the same NumPy arrays for both runs, all
in float64, and the losses must agree to 1e-5 relative. Skipped without torch."""
import math

import numpy as np
import pytest

import autograd_lite

torch_real = pytest.importorskip("torch")

RTOL = 1e-5


def run_both(program, *args):
    """``program(torch, *args)`` with PyTorch and with autograd_lite: both results (lists of
    floats, or of lists of floats), compared to ``RTOL``."""
    ours = program(autograd_lite, *args)
    ref = program(torch_real, *args)
    np.testing.assert_allclose(np.asarray(ours, dtype=np.float64),
                               np.asarray(ref, dtype=np.float64), rtol=RTOL, atol=1e-12)
    return ours


def _load(torch, model, weights):
    """Copy NumPy weights into the model's parameters, in order (the same start for both)."""
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights, strict=True):
            p.copy_(torch.tensor(w, dtype=p.dtype))


def _weights(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) * 0.5 for s in shapes]


# ----------------------------------------------------------------------------- 1. tutorial
def polynomial_manual(torch):
    """The PyTorch tutorial's polynomial fit of sin(x) with tensors and a manual update
    (both spellings: in-place under no_grad, and the older ``.data`` habit)."""
    dtype = torch.float  # the tutorial's line; float64 for the 1e-5 comparison:
    dtype = torch.float64
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    a = torch.tensor(0.1, device=device, dtype=dtype, requires_grad=True)
    b = torch.tensor(-0.2, device=device, dtype=dtype, requires_grad=True)
    c = torch.tensor(0.3, device=device, dtype=dtype, requires_grad=True)
    d = torch.tensor(0.05, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 1e-6
    losses = []
    for t in range(300):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        if t % 2 == 0:
            with torch.no_grad():
                a -= learning_rate * a.grad
                b -= learning_rate * b.grad
                c -= learning_rate * c.grad
                d -= learning_rate * d.grad
                a.grad = None
                b.grad = None
                c.grad = None
                d.grad = None
        else:
            for p in (a, b, c, d):
                p.data -= learning_rate * p.grad
                p.grad.zero_()
    assert a.dtype == torch.float64 and a.device == torch.device("cpu")
    return losses


def test_polynomial_manual_update():
    losses = run_both(polynomial_manual)
    assert losses[-1] < losses[0] / 10


# ----------------------------------------------------------------------------- 2. Function
def legendre(torch):
    """The tutorial's custom ``autograd.Function`` P3(x) = (5x^3 - 3x) / 2, in the
    ``forward(ctx, ...)`` style and in PyTorch 2's ``setup_context`` style."""

    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class LegendreNew(torch.autograd.Function):
        @staticmethod
        def forward(input):
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, = inputs
            ctx.save_for_backward(input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    dtype = torch.float64
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    losses = []
    for P3 in (LegendrePolynomial3.apply, LegendreNew.apply):
        a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
        b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
        c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
        d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
        learning_rate = 5e-6
        for t in range(200):
            y_pred = a + b * P3(c + d * x)
            loss = (y_pred - y).pow(2).sum()
            losses.append(loss.item())
            loss.backward()
            with torch.no_grad():
                for p in (a, b, c, d):
                    p -= learning_rate * p.grad
                    p.grad = None
    z = torch.tensor([0.3, -0.7], dtype=dtype, requires_grad=True)
    assert torch.autograd.gradcheck(LegendreNew.apply, (z,), eps=1e-6, atol=1e-4)
    assert torch.autograd.gradcheck(LegendrePolynomial3.apply, (z,), eps=1e-6, atol=1e-4)
    return losses


def test_custom_autograd_function_both_styles():
    losses = run_both(legendre)
    assert losses[199] < losses[0] and losses[-1] < losses[200]


# ----------------------------------------------------------------------------- 3. nn + optim
def nn_optim(torch, weights):
    """The tutorial's ``nn`` + ``optim`` version: features x, x^2, x^3, Linear + Flatten,
    MSELoss(sum), RMSprop; then an MLP with Adam and weight decay."""
    x = torch.linspace(-math.pi, math.pi, 400, dtype=torch.float64)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).double()
    _load(torch, model, weights[:2])
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for t in range(200):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    mlp = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.Tanh(),
                              torch.nn.Linear(16, 1)).to(torch.float64)
    _load(torch, mlp, weights[2:])
    opt = torch.optim.Adam(mlp.parameters(), lr=1e-2, weight_decay=1e-4)
    for t in range(100):
        loss = torch.nn.functional.mse_loss(mlp(x.unsqueeze(1)), y.unsqueeze(1))
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


def test_nn_and_optim_loop():
    w = _weights([(1, 3), (1,), (16, 1), (16,), (1, 16), (1,)])
    losses = run_both(nn_optim, w)
    assert losses[199] < losses[0] and losses[-1] < losses[200]


# ----------------------------------------------------------------------------- 4. utils.data
def data_loading(torch, X, y, weights):
    """``torch.utils.data``: TensorDataset, random_split and shuffled DataLoaders driven by a
    ``torch.Generator`` (reproducible: two generators with one seed give the same batches),
    workers and pinned memory asked for (ignored here). The shuffled orders are each library's
    own, so the compared numbers are order-free: summed losses over an epoch, and training
    with an unshuffled loader."""
    DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
    random_split = torch.utils.data.random_split
    ds = TensorDataset(torch.tensor(X), torch.tensor(y))
    train, val = random_split(ds, [40, 24], generator=torch.Generator().manual_seed(42))
    assert len(train) == 40 and len(val) == 24

    def batches(seed):
        g = torch.Generator().manual_seed(seed)
        loader = DataLoader(ds, batch_size=16, shuffle=True, generator=g, num_workers=0,
                            pin_memory=False)
        return [yb.tolist() for _, yb in loader]

    assert batches(0) == batches(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(),
                                torch.nn.Linear(8, 3)).double()
    _load(torch, model, weights)
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")
    out = []
    with torch.no_grad():
        for subset in (train, val):
            total = 0.0
            for xb, yb in DataLoader(subset, batch_size=8, shuffle=True,
                                     generator=torch.Generator().manual_seed(1)):
                total += loss_fn(model(xb), yb).item()
            out.append(total)
        out[0] += out.pop()  # the split differs between libraries, the whole set does not
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = DataLoader(ds, batch_size=16, shuffle=False, drop_last=True)
    for epoch in range(5):
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(loss.item())
    return out


def test_dataloader_with_generator():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 2))
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5).astype(np.int64)
    losses = run_both(data_loading, X, y, _weights([(8, 2), (8,), (3, 8), (3,)], seed=1))
    assert losses[-1] < losses[1]


# ----------------------------------------------------------------------------- 5. BatchNorm
def batchnorm_mlp(torch, X, y, weights):
    """A makemore-style MLP with BatchNorm1d: training mode (batch statistics), then eval mode
    (running statistics), cross-entropy and SGD; the running buffers are compared too."""
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 12, bias=False), torch.nn.BatchNorm1d(12), torch.nn.Tanh(),
        torch.nn.Linear(12, 3))
    model.to(torch.float64)
    _load(torch, model, weights)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    losses = []
    for step in range(40):
        ix = torch.arange(step % 4 * 16, step % 4 * 16 + 16)
        logits = model(Xt[ix])
        loss = torch.nn.functional.cross_entropy(logits, yt[ix])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        losses.append(torch.nn.functional.cross_entropy(model(Xt), yt).item())
    bn = model[1]
    return [losses, bn.running_mean.tolist(), bn.running_var.tolist()]


def test_batchnorm_mlp():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((64, 4)) * 2 + 1
    y = rng.integers(0, 3, 64)
    w = _weights([(12, 4), (12,), (12,), (3, 12), (3,)], seed=2)
    w[1], w[2] = 1 + 0.1 * w[1], 0.1 * w[2]  # BatchNorm's weight near 1, bias near 0
    ours = batchnorm_mlp(autograd_lite, X, y, w)
    ref = batchnorm_mlp(torch_real, X, y, w)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-12)


# ----------------------------------------------------------------------------- 6. devices
def device_dtype(torch, X, y, weights):
    """Device and dtype juggling as GPU-ready programs write it: pick a device, move model
    and data with ``.to``, cast with ``.double()`` / ``.to(dtype)`` / ``.type``, factories
    with ``device=`` and ``dtype=``, ``finfo``, ``.cpu().numpy()``, and a ``.data`` update."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if torch.backends.mps.is_available():
        device = torch.device("mps")
    model = torch.nn.Linear(3, 2).to(device)
    model = model.to(torch.float64)
    _load(torch, model, weights)
    Xd = torch.tensor(X, dtype=torch.float32).to(device).double()
    yd = torch.from_numpy(y).to(device=device, dtype=torch.float64)
    assert torch.is_tensor(yd) and not torch.is_tensor(y)
    assert Xd.dtype == torch.float64 and Xd.device == device and str(Xd.device) == "cpu"
    assert Xd.float().dtype == torch.float32 and Xd.type(torch.float32).dtype == torch.float32
    eps = torch.finfo(torch.float64).eps
    mask = torch.ones(Xd.shape[0], dtype=torch.bool, device=device)
    counts = torch.zeros(2, dtype=torch.long, device=device)
    assert counts.dtype == torch.int64 and mask.dtype == torch.bool
    losses = []
    lr = 0.1
    for step in range(60):
        out = model(Xd)
        loss = ((out - yd) ** 2).mean() + eps
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            if step % 2:
                p.data -= lr * p.grad
            else:
                p.data = p.data - lr * p.grad
        losses.append(loss.cpu().item())
    with torch.inference_mode():
        pred = model(Xd).cpu().numpy()
    return losses + pred.ravel().tolist()


def test_device_and_dtype_juggling():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((20, 3))
    y = X @ rng.standard_normal((3, 2)) + 0.1
    losses = run_both(device_dtype, X, y, _weights([(2, 3), (2,)], seed=3))
    assert losses[59] < losses[0]


# ----------------------------------------------------------------------------- 7. PINN-ish
def second_derivatives(torch, weights):
    """``torch.autograd.grad`` twice with ``create_graph=True``: fit u'' = -u with u(0) = 0,
    u'(0) = 1 (solution sin) by a small tanh net, Adam."""
    net = torch.nn.Sequential(torch.nn.Linear(1, 10), torch.nn.Tanh(), torch.nn.Linear(10, 1))
    net = net.double()
    _load(torch, net, weights)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x = torch.linspace(0, 3, 30, dtype=torch.float64).reshape(-1, 1).requires_grad_(True)
    x0 = torch.zeros(1, 1, dtype=torch.float64, requires_grad=True)
    losses = []
    for step in range(60):
        u = net(x)
        du, = torch.autograd.grad(u.sum(), x, create_graph=True)
        d2u, = torch.autograd.grad(du.sum(), x, create_graph=True)
        u0 = net(x0)
        du0, = torch.autograd.grad(u0.sum(), x0, create_graph=True)
        loss = ((d2u + u) ** 2).mean() + (u0 ** 2).sum() + ((du0 - 1) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_pinn_second_derivatives():
    losses = run_both(second_derivatives, _weights([(10, 1), (10,), (1, 10), (1,)], seed=4))
    assert losses[-1] < losses[0]


# ----------------------------------------------------------------------------- 8. blitz
def blitz_autograd(torch):
    """The 60-minute blitz's autograd part: ``requires_grad``, ``out.backward()``, a
    vector-Jacobian product ``y.backward(v)``, ``no_grad``, ``detach``, ``requires_grad_``."""
    out = []
    x = torch.ones(2, 2, requires_grad=True, dtype=torch.float64)
    y = x + 2
    z = y * y * 3
    res = z.mean()
    res.backward()
    out += x.grad.flatten().tolist() + [res.item()]
    a = torch.tensor([[2.0, -1.0], [0.5, 3.0]], dtype=torch.float64)
    a = ((a * 3) / (a - 1))
    assert not a.requires_grad
    a.requires_grad_(True)
    b = (a * a).sum()
    b.backward()
    out += a.grad.flatten().tolist()
    x = torch.tensor([0.3, -1.2, 2.5], dtype=torch.float64, requires_grad=True)
    y = x * 2
    while y.detach().norm() < 1000:  # the blitz's y.data.norm(): .data is an ndarray here
        y = y * 2
    v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float64)
    y.backward(v)
    out += x.grad.tolist()
    with torch.no_grad():
        assert not (x ** 2).requires_grad
    assert not x.detach().requires_grad and x.detach().eq(x).sum().item() == 3
    return out


def test_blitz_autograd():
    run_both(blitz_autograd)
    y = autograd_lite.ones(2)
    with pytest.raises(AttributeError):  # documented difference: .data is a NumPy array
        y.data.norm()


# ----------------------------------------------------------------------------- 9. d2l
def d2l_linear_regression(torch, X, noise):
    """d2l's linear regression from scratch: synthetic data, a ``data_iter`` shuffled by
    Python's ``random`` (seeded, so the same batches in both runs), index tensors, the
    ``sgd`` of ``param -= lr * param.grad / batch_size; param.grad.zero_()``."""
    import random

    true_w = torch.tensor([2, -3.4], dtype=torch.float64)
    true_b = 4.2
    features = torch.tensor(X)
    labels = (torch.matmul(features, true_w) + true_b + torch.tensor(noise)).reshape((-1, 1))

    def data_iter(batch_size, features, labels):
        num_examples = len(features)
        indices = list(range(num_examples))
        random.shuffle(indices)
        for i in range(0, num_examples, batch_size):
            batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
            yield features[batch_indices], labels[batch_indices]

    def linreg(X, w, b):
        return torch.matmul(X, w) + b

    def squared_loss(y_hat, y):
        return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2

    def sgd(params, lr, batch_size):
        with torch.no_grad():
            for param in params:
                param -= lr * param.grad / batch_size
                param.grad.zero_()

    w = torch.tensor([[0.01], [-0.02]], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, requires_grad=True, dtype=torch.float64)
    random.seed(0)
    lr, num_epochs, batch_size = 0.03, 3, 10
    losses = []
    for epoch in range(num_epochs):
        for Xb, yb in data_iter(batch_size, features, labels):
            l = squared_loss(linreg(Xb, w, b), yb)  # noqa: E741  (d2l's name)
            l.sum().backward()
            sgd([w, b], lr, batch_size)
        with torch.no_grad():
            losses.append(float(squared_loss(linreg(features, w, b), labels).mean()))
    return losses + w.detach().flatten().tolist() + b.tolist()


def test_d2l_linear_regression_from_scratch():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((200, 2))
    losses = run_both(d2l_linear_regression, X, 0.01 * rng.standard_normal(200))
    assert losses[2] < losses[0] / 10


def _fan_in(shapes, seed=0):
    """Weights scaled by 1/sqrt(fan-in) (biases by 0.1), so deeper nets stay well-conditioned."""
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        fan = int(np.prod(s[1:])) if len(s) > 1 else 10
        out.append(rng.standard_normal(s) / math.sqrt(fan))
    return out


# ----------------------------------------------------------------------------- 10. makemore
def makemore_batchnorm(torch, Xtr, Ytr, batches, weights):
    """The makemore BatchNorm lesson's character MLP with the batch normalisation written by
    hand: parameters drawn from a seeded ``torch.Generator`` (then replaced by the shared
    weights; the draws are each library's own stream), an embedding lookup ``C[Xb]``,
    ``view``, batch mean and unbiased ``std(0, keepdim=True)``, running statistics updated
    under ``no_grad``, ``p.data += -lr * p.grad``, a step decay, the loss in log10, an
    evaluation with the running statistics, the backprop-ninja ``var(0, unbiased=True)``
    check, and sampling with ``multinomial(..., generator=g)``. Default dtype float64."""
    F = torch.nn.functional
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        vocab_size, block_size, n_embd, n_hidden = 27, 3, 10, 64
        g = torch.Generator().manual_seed(2147483647)
        C = torch.randn((vocab_size, n_embd), generator=g)
        W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5 / 3) / (
            (n_embd * block_size) ** 0.5)
        b1 = torch.randn(n_hidden, generator=g) * 0.01
        W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
        b2 = torch.randn(vocab_size, generator=g) * 0
        first = torch.randn((vocab_size, n_embd),
                            generator=torch.Generator().manual_seed(2147483647))
        assert torch.equal(C, first) and C.dtype == torch.float64  # a reproducible stream
        bngain = torch.ones((1, n_hidden))
        bnbias = torch.zeros((1, n_hidden))
        bnmean_running = torch.zeros((1, n_hidden))
        bnstd_running = torch.ones((1, n_hidden))
        parameters = [C, W1, b1, W2, b2, bngain, bnbias]
        for p, w in zip(parameters, weights):  # the shared start (the first five)
            p.data = torch.tensor(w)
        assert sum(p.nelement() for p in parameters) == 27 * 10 + 30 * 64 + 64 + 64 * 27 + 27 + 128
        for p in parameters:
            p.requires_grad = True
        Xtr, Ytr = torch.tensor(Xtr), torch.tensor(Ytr)
        lossi = []
        for i, ix in enumerate(batches):
            ix = torch.tensor(ix)  # the lesson: torch.randint(0, Xtr.shape[0], (32,), generator=g)
            Xb, Yb = Xtr[ix], Ytr[ix]
            emb = C[Xb]
            embcat = emb.view(emb.shape[0], -1)
            hpreact = embcat @ W1 + b1
            bnmeani = hpreact.mean(0, keepdim=True)
            bnstdi = hpreact.std(0, keepdim=True)
            hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
            with torch.no_grad():
                bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
                bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
            h = torch.tanh(hpreact)
            logits = h @ W2 + b2
            loss = F.cross_entropy(logits, Yb)
            for p in parameters:
                p.grad = None
            loss.backward()
            lr = 0.1 if i < 30 else 0.01
            for p in parameters:
                p.data += -lr * p.grad
            lossi.append(loss.log10().item())

        @torch.no_grad()
        def split_loss(x, y):
            emb = C[x]
            embcat = emb.view(emb.shape[0], -1)
            hpreact = embcat @ W1 + b1
            hpreact = bngain * (hpreact - bnmean_running) / bnstd_running + bnbias
            h = torch.tanh(hpreact)
            return F.cross_entropy(h @ W2 + b2, y).item()

        out = lossi + [split_loss(Xtr, Ytr)] + bnstd_running.flatten().tolist()
        # backprop ninja: the variance by hand (Bessel's correction) is torch's var
        hprebn = C[Xtr[:32]].view(32, -1) @ W1 + b1
        bnvar = 1 / (32 - 1) * ((hprebn - hprebn.mean(0, keepdim=True)) ** 2).sum(0, keepdim=True)
        assert torch.allclose(bnvar, hprebn.var(0, keepdim=True, unbiased=True))
        assert torch.allclose(bnvar, hprebn.var(0, keepdim=True))
        hpre = bngain * (hprebn - hprebn.mean(0, keepdim=True)) * (bnvar + 1e-5) ** -0.5 + bnbias
        loss = F.cross_entropy(torch.tanh(hpre) @ W2 + b2, Ytr[:32])
        for p in parameters:
            p.grad = None
        loss.backward()
        out += [loss.item(), C.grad.abs().sum().item(), bngain.grad.norm().item()]
        # sampling: the lesson's generation loop (the characters drawn are each library's)
        g = torch.Generator().manual_seed(2147483647 + 10)
        with torch.no_grad():
            context = [0] * block_size
            for _ in range(5):
                emb = C[torch.tensor([context])]
                h = torch.tanh(bngain * (emb.view(1, -1) @ W1 + b1 - bnmean_running)
                               / bnstd_running + bnbias)
                probs = F.softmax(h @ W2 + b2, dim=1)
                ix = torch.multinomial(probs, num_samples=1, generator=g).item()
                assert isinstance(ix, int) and 0 <= ix < vocab_size
                context = context[1:] + [ix]
        return out
    finally:
        torch.set_default_dtype(old)


def test_makemore_batchnorm_by_hand():
    rng = np.random.default_rng(13)
    Xtr = rng.integers(0, 27, (200, 3))
    Ytr = (Xtr[:, 0] + 2 * Xtr[:, 2]) % 27  # a learnable next-character rule
    batches = [rng.integers(0, 200, 32) for _ in range(60)]
    w = [rng.standard_normal((27, 10)), rng.standard_normal((30, 64)) * (5 / 3) / 30 ** 0.5,
         rng.standard_normal(64) * 0.01, rng.standard_normal((64, 27)) * 0.01, np.zeros(27)]
    out = run_both(makemore_batchnorm, Xtr, Ytr, batches, w)
    assert np.mean(out[50:60]) < out[0]


# ----------------------------------------------------------------------------- 11. LeNet
def lenet(torch, images, targets, weights, grad_out):
    """The 60-minute blitz's neural-network part: LeNet as an ``nn.Module`` subclass
    (``Conv2d``, ``F.max_pool2d`` with a tuple and an int window, ``x.size()[1:]`` in
    ``num_flat_features``, ``view``), ``out.backward(v)`` after ``net.zero_grad()``,
    ``params[0].size()``, then ``MSELoss`` and ``optim.SGD`` steps."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, self.num_flat_features(x))
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

        def num_flat_features(self, x):
            size = x.size()[1:]
            num_features = 1
            for s in size:
                num_features *= s
            return num_features

    net = Net().double()
    params = list(net.parameters())
    assert len(params) == 10 and tuple(params[0].size()) == (6, 1, 5, 5)
    _load(torch, net, weights)
    inp = torch.tensor(images)
    out = net(inp[:1])
    net.zero_grad()
    out.backward(torch.tensor(grad_out))
    res = [out.sum().item()] + net.conv1.bias.grad.tolist()
    criterion = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=0.01)
    target = torch.tensor(targets)
    for step in range(8):
        optimizer.zero_grad()
        output = net(inp)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        res.append(loss.item())
    return res


def test_lenet_blitz():
    rng = np.random.default_rng(17)
    shapes = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,),
              (10, 84), (10,)]
    out = run_both(lenet, rng.standard_normal((4, 1, 32, 32)), rng.standard_normal((4, 10)),
                   _fan_in(shapes, seed=5), rng.standard_normal((1, 10)))
    assert out[-1] < out[-8]


# ----------------------------------------------------------------------------- 12. dynamic net
def dynamic_net(torch, weights):
    """The tutorial's dynamic graph: a polynomial module whose depth is chosen by Python's
    ``random`` on each forward (seeded, so the same choices in both runs), scalar
    ``nn.Parameter``s made by ``torch.randn(())``, a ``string()`` method with ``.item()``,
    ``MSELoss(reduction='sum')`` and SGD with momentum."""
    import random

    class DynamicNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))
            self.e = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
            for exp in range(4, random.randint(4, 6)):
                y = y + self.e * x ** exp
            return y

        def string(self):
            return (f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + "
                    f"{self.d.item()} x^3 + {self.e.item()} x^4 ? + {self.e.item()} x^5 ?")

    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
    y = torch.sin(x)
    model = DynamicNet().to(torch.float64)
    _load(torch, model, weights)
    assert model.string().startswith("y = ")
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    random.seed(1)
    losses = []
    for t in range(300):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def test_dynamic_net():
    w = [np.array(v) for v in (0.1, 0.8, -0.05, -0.1, 0.001)]
    losses = run_both(dynamic_net, w)
    assert losses[-1] < losses[0]


# ----------------------------------------------------------------------------- 13. generators
def generator_streams(torch, X, y, weights):
    """``torch.Generator`` semantics: a seeded generator's stream is reproducible, its state
    saves and restores, it leaves the global stream alone (``manual_seed``, ``initial_seed``,
    ``get_rng_state``/``set_rng_state``), and every random function takes ``generator=``
    (``randn rand randint randperm normal multinomial rand_like randn_like nn.init``). The
    training draws a ``randperm`` per epoch and accumulates the gradient over its
    minibatches before one step: the step does not depend on the order, so the losses
    compare although the two libraries' streams differ."""
    g = torch.Generator().manual_seed(1234)
    assert g.initial_seed() == 1234
    a = torch.randn(5, generator=g, dtype=torch.float64)
    assert torch.equal(a, torch.randn(5, generator=torch.Generator().manual_seed(1234),
                                      dtype=torch.float64))
    state = g.get_state()
    u = torch.rand(4, generator=g)
    g.set_state(state)
    assert torch.equal(u, torch.rand(4, generator=g))
    torch.manual_seed(0)
    assert torch.initial_seed() == 0
    r1 = torch.rand(3)
    torch.manual_seed(0)
    torch.randn(100, generator=g)  # does not move the global stream
    assert torch.equal(r1, torch.rand(3))
    saved = torch.get_rng_state()
    r2 = torch.randn(2, 2)
    torch.set_rng_state(saved)
    assert torch.equal(r2, torch.randn(2, 2))
    k = torch.randint(0, 10, (50,), generator=g)
    assert k.dtype == torch.int64 and k.min().item() >= 0 and k.max().item() < 10
    perm = torch.randperm(20, generator=g)
    assert torch.equal(perm.sort().values, torch.arange(20))
    n = torch.normal(2.0, 3.0, size=(1000,), generator=g)
    assert abs(n.mean().item() - 2.0) < 0.5 and tuple(n.shape) == (1000,)
    assert torch.randn_like(a, generator=g).dtype == torch.float64
    assert tuple(torch.rand_like(a, generator=g).shape) == (5,)
    m = torch.multinomial(torch.tensor([0.0, 1.0, 0.0]), 4, replacement=True, generator=g)
    assert m.tolist() == [1, 1, 1, 1]

    model = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(),
                                torch.nn.Linear(16, 1)).double()
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.1, generator=g)  # replaced by the shared start
    _load(torch, model, weights)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for epoch in range(30):
        perm = torch.randperm(len(Xt), generator=g)
        opt.zero_grad()
        total = 0.0
        for i in range(0, len(Xt), 16):
            idx = perm[i:i + 16]
            loss = ((model(Xt[idx]).squeeze(1) - yt[idx]) ** 2).sum() / len(Xt)
            loss.backward()
            total += loss.item()
        opt.step()
        losses.append(total)
    return losses


def test_generator_streams():
    rng = np.random.default_rng(19)
    X = rng.standard_normal((64, 3))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]
    losses = run_both(generator_streams, X, y, _fan_in([(16, 3), (16,), (1, 16), (1,)], 6))
    assert losses[-1] < losses[0]


# ----------------------------------------------------------------------------- 14. d2l
def d2l_softmax_and_mlp(torch, X, y, weights):
    """d2l from scratch: softmax regression (``exp``, ``sum(1, keepdim=True)``, the
    cross-entropy by ``y_hat[range(len(y_hat)), y]``, ``argmax(axis=1)``, ``.type(y.dtype)``
    in the accuracy, parameters from ``torch.normal(..., requires_grad=True)``), then an MLP
    with ``relu`` as ``torch.max(X, torch.zeros_like(X))``, ``CrossEntropyLoss(reduction=
    'none')``, and weight decay on the weights only through SGD parameter groups."""
    num_inputs, num_outputs, num_hiddens = 4, 3, 8
    W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True,
                     dtype=torch.float64)
    b = torch.zeros(num_outputs, requires_grad=True, dtype=torch.float64)
    with torch.no_grad():
        W.copy_(torch.tensor(weights[0]))

    def softmax(X):
        X_exp = torch.exp(X)
        partition = X_exp.sum(1, keepdim=True)
        return X_exp / partition

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    def cross_entropy(y_hat, y):
        return -torch.log(y_hat[range(len(y_hat)), y])

    def accuracy(y_hat, y):
        if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
            y_hat = y_hat.argmax(axis=1)
        cmp = y_hat.type(y.dtype) == y
        return float(cmp.type(y.dtype).sum())

    features, labels = torch.tensor(X), torch.tensor(y)
    out = []
    updater = torch.optim.SGD([W, b], lr=0.1)
    for epoch in range(5):
        for i in range(0, len(features), 32):
            Xb, yb = features[i:i + 32], labels[i:i + 32]
            l = cross_entropy(net(Xb), yb)  # noqa: E741
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        with torch.no_grad():
            out += [cross_entropy(net(features), labels).mean().item(),
                    accuracy(net(features), labels) / len(labels)]

    W1 = torch.nn.Parameter(torch.tensor(weights[1]))
    b1 = torch.nn.Parameter(torch.zeros(num_hiddens, dtype=torch.float64))
    W2 = torch.nn.Parameter(torch.tensor(weights[2]))
    b2 = torch.nn.Parameter(torch.zeros(num_outputs, dtype=torch.float64))

    def relu(X):
        a = torch.zeros_like(X)
        return torch.max(X, a)

    def mlp(X):
        X = X.reshape((-1, num_inputs))
        H = relu(X @ W1 + b1)
        return H @ W2 + b2

    loss = torch.nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD([{"params": [W1, W2], "weight_decay": 0.01},
                               {"params": [b1, b2]}], lr=0.2)
    assert len(trainer.param_groups) == 2 and trainer.param_groups[1]["weight_decay"] == 0
    for epoch in range(10):
        for i in range(0, len(features), 32):
            l = loss(mlp(features[i:i + 32]), labels[i:i + 32])  # noqa: E741
            trainer.zero_grad()
            l.mean().backward()
            trainer.step()
        out.append(loss(mlp(features), labels).mean().item())
    out.append((torch.sum(W1.pow(2)) / 2).item())  # d2l's l2_penalty
    return out


def test_d2l_softmax_regression_and_mlp():
    rng = np.random.default_rng(23)
    X = rng.standard_normal((96, 4))
    y = np.argmax(X[:, :3] + 0.3 * X[:, 3:], axis=1)
    w = [0.01 * rng.standard_normal((4, 3)), 0.5 * rng.standard_normal((4, 8)),
         0.5 * rng.standard_normal((8, 3))]
    out = run_both(d2l_softmax_and_mlp, X, y, w)
    assert out[8] < out[0] and out[-2] < out[10]


# ----------------------------------------------------------------------------- 15. examples
def examples_regression(torch, W_target, b_target, x_batches, weights):
    """pytorch/examples' polynomial regression: features ``x^1..x^4`` by ``torch.cat`` of a
    list comprehension, ``x.unsqueeze(1)``, a target function with ``mm``, a ``Linear``
    fitted with ``F.smooth_l1_loss`` and a manual update under ``no_grad`` (the example's
    ``param.data.add_`` spelled on the parameter), stopping when the loss is below a bound;
    the poly description with ``view(-1)`` and ``.tolist()``."""
    POLY_DEGREE = 4
    W_target, b_target = torch.tensor(W_target), torch.tensor(b_target)

    def make_features(x):
        x = x.unsqueeze(1)
        return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)

    def f(x):
        return x.mm(W_target) + b_target.item()

    def poly_desc(W, b):
        result = "y = "
        for i, w in enumerate(W):
            result += "{:+.2f} x^{} ".format(w, i + 1)
        result += "{:+.2f}".format(b[0])
        return result

    fc = torch.nn.Linear(W_target.size(0), 1).double()
    _load(torch, fc, weights)
    losses = []
    for batch_idx, xb in enumerate(x_batches):
        batch_x = make_features(torch.tensor(xb))
        batch_y = f(batch_x)
        fc.zero_grad()
        output = torch.nn.functional.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        with torch.no_grad():
            for param in fc.parameters():
                param.add_(-0.1 * param.grad)
        losses.append(loss)
        if loss < 1e-3:
            break
    assert poly_desc(fc.weight.view(-1).tolist(), fc.bias.tolist()).startswith("y = ")
    return losses + fc.weight.view(-1).tolist()


def test_pytorch_examples_regression():
    rng = np.random.default_rng(29)
    W = rng.standard_normal((4, 1)) * 0.5
    batches = [rng.standard_normal(32) for _ in range(150)]
    out = run_both(examples_regression, W, rng.standard_normal(1),
                   batches, _weights([(1, 4), (1,)], seed=8))
    assert out[-5] < out[0]


# ----------------------------------------------------------------------------- 16. dnn101
def decision_grid(torch, X, y, weights):
    """A classification notebook in the dnn101 style: ``nn.LazyLinear`` layers (shapes from
    a dry run), ``BCEWithLogitsLoss`` on float targets, Adam, accuracy by ``(logits > 0) ==
    y.bool()`` with ``.float().mean()``, then the decision regions on a grid from
    ``meshgrid(..., indexing="xy")``, ``torch.stack`` of flattened coordinates, class
    counts by ``count_nonzero`` and ``histc``, and ``chunk``-ed evaluation."""
    model = torch.nn.Sequential(torch.nn.LazyLinear(16), torch.nn.ReLU(),
                                torch.nn.LazyLinear(1)).double()
    Xt, yt = torch.tensor(X), torch.tensor(y, dtype=torch.float64)
    model(Xt[:1])  # the dry run gives the lazy layers their shapes
    assert type(model[0]) is torch.nn.Linear and model[0].in_features == 2
    _load(torch, model, weights)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    out = []
    for epoch in range(60):
        logits = model(Xt).squeeze(1)
        loss = loss_fn(logits, yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(loss.item())
    with torch.no_grad():
        acc = ((model(Xt).squeeze(1) > 0) == yt.bool()).float().mean().item()
        xs, ys = torch.linspace(-2, 2, 21, dtype=torch.float64), torch.linspace(-2, 2, 17,
                                                                                 dtype=torch.float64)
        xx, yy = torch.meshgrid(xs, ys, indexing="xy")
        assert tuple(xx.shape) == (17, 21)
        grid = torch.stack([xx.flatten(), yy.flatten()], dim=1)
        scores = torch.cat([model(part) for part in grid.chunk(4)]).squeeze(1)
        inside = torch.count_nonzero(scores > 0).item()
        hist = torch.histc(torch.sigmoid(scores), bins=5, min=0, max=1)
    return out + [acc, float(inside)] + hist.tolist()


def test_dnn101_decision_grid():
    rng = np.random.default_rng(31)
    X = rng.uniform(-2, 2, (80, 2))
    y = (X[:, 0] ** 2 + X[:, 1] ** 2 < 1.5).astype(np.float64)
    out = run_both(decision_grid, X, y, _fan_in([(16, 2), (16,), (1, 16), (1,)], seed=9))
    assert out[59] < out[0]
