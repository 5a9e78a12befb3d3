"""Optimizers and learning-rate schedules (PyTorch's ``torch.optim`` conventions).

Optimizers work on any iterable of Tensors (``optim`` does not import ``nn``)::

    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in loader:
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()

Ordered by increasing complexity: SGD, Adagrad, RMSprop, Adam/AdamW, Newton.
"""
from autograd_lite.optim import lr_scheduler
from autograd_lite.optim.adagrad import Adagrad
from autograd_lite.optim.adam import Adam, AdamW
from autograd_lite.optim.newton import Newton
from autograd_lite.optim.optimizer import Optimizer
from autograd_lite.optim.rmsprop import RMSprop
from autograd_lite.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Newton", "lr_scheduler"]
