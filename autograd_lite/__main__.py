"""``python -m autograd_lite``: the demo.

Trains a small MLP on the lectures' circle data (label by distance to a centre) with the
minibatch loop ``zero_grad -> forward -> loss -> backward -> step``, prints progress, and writes
a picture of the graph of one training step to ``graph.svg`` (``graph.dot`` when Graphviz's
``dot`` is missing).

Options: ``--epochs N``, ``--out STEM`` (where the picture goes, default ``graph``),
``--seed S``.
"""
from __future__ import annotations

import argparse
import time

import autograd_lite as ag
from autograd_lite import nn, optim
from autograd_lite.data import DataLoader, TensorDataset, make_circles
from autograd_lite.viz import save_graph


def accuracy(model: nn.Module, X: ag.Tensor, y: ag.Tensor) -> float:
    """Fraction of points whose largest logit is the true class."""
    with ag.no_grad():
        return float((model(X).argmax(axis=1).data == y.data).mean())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m autograd_lite", description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--out", default="graph", help="path stem of the graph picture")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    ag.manual_seed(args.seed)
    X, y = make_circles(n_samples=1000, noise=0.0, seed=args.seed)
    n_train = 800
    train = TensorDataset(X[:n_train], y[:n_train])
    Xt, yt = ag.tensor(X[:n_train]), ag.tensor(y[:n_train])
    Xv, yv = ag.tensor(X[n_train:]), ag.tensor(y[n_train:])
    loader = DataLoader(train, batch_size=32, shuffle=True)

    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                          nn.Linear(32, 2))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    n_params = sum(p.size for p in model.parameters())
    print("autograd_lite demo: an MLP learns the lecture's circle data set")
    print(f"  {n_train} training / {len(X) - n_train} validation points, "
          f"{n_params} parameters, Adam lr=1e-2, batch 32\n")
    print(model, "\n")

    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        if epoch == 1 or epoch % 10 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}  loss {total / n_train:.4f}  "
                  f"train acc {accuracy(model, Xt, yt):.3f}  "
                  f"val acc {accuracy(model, Xv, yv):.3f}")
    print(f"\ntrained in {time.perf_counter() - t0:.1f} s")

    # The graph of one training step, after backward (gradients written into the picture).
    xb, yb = next(iter(DataLoader(train, batch_size=4)))
    optimizer.zero_grad()
    loss = criterion(model(xb), yb)
    loss.backward(retain_graph=True)
    path = save_graph(loss, args.out)
    if path.endswith(".dot"):
        print(f"wrote {path} (Graphviz's `dot` is not installed, so no SVG; install it with "
              "`apt-get install graphviz` or `brew install graphviz`, then run "
              f"`dot -Tsvg {path} -o {args.out}.svg`)")
    else:
        print(f"wrote {path}: the graph of one training step, one cluster per layer")
    print(f"final validation accuracy {accuracy(model, Xv, yv):.3f}")


if __name__ == "__main__":
    main()
