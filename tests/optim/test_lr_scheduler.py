"""Learning-rate schedules: documented sequences over 30 epochs, state dicts, resuming."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import optim
from autograd_lite.optim import lr_scheduler as S

BASE = 0.5
EPOCHS = 30


def _opt(lr=BASE, **kw):
    return optim.SGD([ag.tensor([1.0], dtype=np.float64, requires_grad=True)], lr=lr, **kw)


def _lrs(make, epochs=EPOCHS, lr=BASE):
    """The lr in force during each epoch of the usual loop (optimizer.step, then scheduler)."""
    opt = _opt(lr)
    sched = make(opt)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]
        opt.step()
        sched.step()
    return out


def test_step_lr():
    got = _lrs(lambda o: S.StepLR(o, step_size=7, gamma=0.1))
    np.testing.assert_allclose(got, [BASE * 0.1 ** (e // 7) for e in range(EPOCHS)], rtol=1e-12)


def test_multi_step_lr_counts_repeated_milestones():
    got = _lrs(lambda o: S.MultiStepLR(o, milestones=[5, 12, 12, 20], gamma=0.5))
    want = [BASE * 0.5 ** (int(e >= 5) + 2 * int(e >= 12) + int(e >= 20)) for e in range(EPOCHS)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_exponential_lr_is_the_lectures_eta_alpha_t():
    got = _lrs(lambda o: S.ExponentialLR(o, gamma=0.95))
    np.testing.assert_allclose(got, [BASE * 0.95 ** e for e in range(EPOCHS)], rtol=1e-12)


def test_lambda_lr():
    got = _lrs(lambda o: S.LambdaLR(o, lambda e: 1.0 / (e + 1)))
    np.testing.assert_allclose(got, [BASE / (e + 1) for e in range(EPOCHS)], rtol=1e-15)


def test_cosine_annealing_including_past_t_max():
    T, eta_min = 10, 0.01
    got = _lrs(lambda o: S.CosineAnnealingLR(o, T_max=T, eta_min=eta_min))
    want = [eta_min + (BASE - eta_min) * (1 + math.cos(math.pi * e / T)) / 2
            for e in range(EPOCHS)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # the documented shape: down to eta_min at T, back up to base at 2T, down again at 3T
    assert got[0] == BASE
    np.testing.assert_allclose([got[10], got[20]], [eta_min, BASE], rtol=1e-12)


def test_power_decay_lr_is_eta_t_alpha():
    for alpha in (-1.0, -0.5):
        got = _lrs(lambda o, a=alpha: S.PowerDecayLR(o, alpha=a))
        # t counted from 1: after k calls of step() the lr is base * (k + 1)**alpha
        np.testing.assert_allclose(got, [BASE * (k + 1) ** alpha for k in range(EPOCHS)],
                                   rtol=1e-15)
    assert _lrs(lambda o: S.PowerDecayLR(o, alpha=-1.0), epochs=3) == [BASE, BASE / 2, BASE / 3]


def test_epoch_doubling_lr():
    got = _lrs(lambda o: S.EpochDoublingLR(o, K=3))
    # K epochs at eta, 2K at eta/2, 4K at eta/4, 8K at eta/8
    want = [BASE] * 3 + [BASE / 2] * 6 + [BASE / 4] * 12 + [BASE / 8] * 9
    assert got == want
    with pytest.raises(ValueError, match="K must be a positive int"):
        S.EpochDoublingLR(_opt(), K=0)


def test_schedulers_act_on_every_param_group():
    a = ag.tensor([1.0], requires_grad=True)
    b = ag.tensor([1.0], requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.1}], lr=1.0)
    sched = S.StepLR(opt, step_size=1, gamma=0.5)
    sched.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == [0.25, 0.025]
    assert sched.base_lrs == [1.0, 0.1]
    assert [g["initial_lr"] for g in opt.param_groups] == [1.0, 0.1]


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_opt(), step_size=2, last_epoch=5)


def _plateau_lrs(metrics, **kw):
    opt = _opt(lr=1.0)
    sched = S.ReduceLROnPlateau(opt, **kw)
    out = []
    for m in metrics:
        sched.step(m)
        out.append(opt.param_groups[0]["lr"])
    return out


def test_reduce_lr_on_plateau():
    metrics = [10, 9, 9, 9, 9, 8, 8, 8, 8, 8, 8]
    # patience 2: the third epoch without improvement reduces the lr
    assert _plateau_lrs(metrics, patience=2, factor=0.5, threshold=0.0) == \
        [1, 1, 1, 1, .5, .5, .5, .5, .25, .25, .25]
    # cooldown 2: bad epochs are not counted for two epochs after a reduction
    assert _plateau_lrs(metrics, patience=2, factor=0.5, threshold=0.0, cooldown=2) == \
        [1, 1, 1, 1, .5, .5, .5, .5, .5, .25, .25]
    # min_lr floors the lr
    assert _plateau_lrs(metrics + [8] * 6, patience=2, factor=0.5, threshold=0.0,
                        min_lr=0.3)[-3:] == [0.3, 0.3, 0.3]
    # relative threshold: 9.5 improves on 10 by the default 1e-4, but not by 10%
    assert _plateau_lrs([10, 9.5, 9.5, 9.5], patience=1, factor=0.1) == [1, 1, 1, 0.1]
    assert _plateau_lrs([10, 9.5, 9.5], patience=1, factor=0.1, threshold=0.1) == [1, 1, 0.1]
    # max mode with an absolute threshold
    assert _plateau_lrs([1, 2, 2.05, 2.5, 2.5], mode="max", patience=0, factor=0.5,
                        threshold=0.1, threshold_mode="abs") == [1, 1, 0.5, 0.5, 0.25]
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        S.ReduceLROnPlateau(_opt(), factor=1.0)


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, step_size=4, gamma=0.3),
    lambda o: S.MultiStepLR(o, milestones=[3, 9, 9, 14], gamma=0.5),
    lambda o: S.ExponentialLR(o, gamma=0.9),
    lambda o: S.LambdaLR(o, lambda e: 0.97 ** e),
    lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    lambda o: S.PowerDecayLR(o, alpha=-0.5),
    lambda o: S.EpochDoublingLR(o, K=2),
], ids=["step", "multistep", "exp", "lambda", "cosine", "power", "doubling"])
def test_scheduler_state_dict_round_trip_continues_identically(make):
    opt = _opt()
    sched = make(opt)
    for _ in range(10):
        opt.step()
        sched.step()
    sd_opt, sd_sched = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in sd_sched
    ref = []
    for _ in range(EPOCHS - 10):
        opt.step()
        sched.step()
        ref.append(opt.param_groups[0]["lr"])
    opt2 = _opt(lr=123.0)
    sched2 = make(opt2)
    opt2.load_state_dict(sd_opt)
    sched2.load_state_dict(sd_sched)
    assert sched2.last_epoch == 10 and sched2.get_last_lr() == [opt2.param_groups[0]["lr"]]
    got = []
    for _ in range(EPOCHS - 10):
        opt2.step()
        sched2.step()
        got.append(opt2.param_groups[0]["lr"])
    assert got == ref


def test_plateau_state_dict_round_trip():
    metrics = [5, 4, 4, 4, 4, 3, 3, 3, 3, 3]
    opt = _opt()
    sched = S.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for m in metrics[:4]:
        sched.step(m)
    sd_opt, sd = opt.state_dict(), sched.state_dict()
    ref = []
    for m in metrics[4:]:
        sched.step(m)
        ref.append(opt.param_groups[0]["lr"])
    opt2 = _opt()
    sched2 = S.ReduceLROnPlateau(opt2, patience=1, cooldown=1)
    opt2.load_state_dict(sd_opt)
    sched2.load_state_dict(sd)
    got = []
    for m in metrics[4:]:
        sched2.step(m)
        got.append(opt2.param_groups[0]["lr"])
    assert got == ref and sched2.best == sched.best
