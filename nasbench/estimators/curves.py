"""Learning-curve extrapolation and training-speed estimation (numpy + scipy only).

Estimators that read the first ``k`` epochs of one recorded training run (``trial``: what a
live run would see) and score architectures for their final accuracy:

* :class:`CurveExtrapolation` (``lce@k``): the 11 parametric families of Domhan et al. (2015),
  each fitted to the first ``k`` epochs of the validation-accuracy curve, combined into a
  weighted ensemble whose weights are fitted by least squares; the prediction is the
  ensemble's value at the last epoch, with a standard deviation (:meth:`CurveExtrapolation.predict`).
* :class:`TrainingSpeed` (``sotl@k``, Ru et al. 2021): minus the sum of the training losses of
  epochs ``1..k``.
* :class:`AccuracyAtK` (``acc@k``): the plain baseline, the metric's value at epoch ``k``.

Cost
    The per-architecture cost of all three is the training one would have to pay: the table's
    cumulative ``train_time`` to epoch ``k`` of the run read, plus the CPU time of the fit (for
    ``lce``).  ``cost_`` has ``train_s`` (table seconds), ``fit_s`` (CPU seconds, measured),
    ``total_s = train_s + fit_s``, ``per_arch_s`` and ``n_archs``.

Fitting (:func:`fit_family`, :func:`fit_curves`)
    All curves of one family are fitted at once: a batched Levenberg-Marquardt on the
    residuals ``(y - f(x; theta)) / noise`` plus a weak Gaussian prior pulling the (transformed)
    parameters towards a data-dependent start (a light MAP treatment, so 3- and 4-parameter
    families stay defined on 2 or 3 epochs).  Positive parameters are fitted on a log scale.
    Accuracies are fitted on the 0..1 scale, epochs ``x = 1..k``.

Families (``y`` accuracy in 0..1, ``x`` epoch; Domhan et al. 2015, Table 1)::

    vapor_pressure   exp(a + b / x + c log x)
    pow3             c - a x^-alpha                       alpha > 0
    log_log_linear   log(a log x + b)
    hill3            ymax x^eta / (kappa^eta + x^eta)     eta, kappa > 0
    log_power        a / (1 + (x / e^b)^c)
    pow4             c - (a x + b)^-alpha                 a, b, alpha > 0
    mmf              alpha - (alpha - beta) / (1 + (kappa x)^delta)      kappa, delta > 0
    exp4             c - exp(-a x^alpha + b)              a, alpha > 0
    janoschek        alpha - (alpha - beta) exp(-kappa x^delta)          kappa, delta > 0
    weibull          alpha - (alpha - beta) exp(-(kappa x)^delta)        kappa, delta > 0
    ilog2            c - a / log(x + 1)                   (Domhan's log x is infinite at x = 1)

Ensemble and uncertainty
    With ``F`` the ``(k, 11)`` fitted values on the observed epochs, the weights solve
    ``min ||F w - y||^2 + rho ||w - 1/11||^2`` (ridge towards equal weights), clipped at 0 and
    normalised to sum 1.  The predictive standard deviation combines the weighted spread of
    the families' predictions at the last epoch with the ensemble's residual scale on the
    observed epochs (plus a floor); it is a heuristic, not a posterior: its calibration is
    measured by :mod:`nasbench.jobs.curves_report` (``fit_quality.md``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nasbench.estimators.base import PerformanceEstimator, as_indices

__all__ = ["FAMILIES", "Family", "fit_family", "fit_curves", "extrapolate", "CurveExtrapolation",
           "TrainingSpeed", "AccuracyAtK", "prob_above", "make_estimator"]


# ------------------------------------------------------------------ families
@dataclass(frozen=True)
class Family:
    """One parametric curve family.

    ``f(x, theta)``: ``x`` ``(m,)`` epochs, ``theta`` ``(n, p)`` natural parameters -> ``(n, m)``.
    ``init(y)``: ``(n, k)`` observed values -> ``(n, p)`` natural start parameters.
    ``positive``: which parameters are fitted on a log scale.
    """

    name: str
    params: tuple[str, ...]
    f: Callable
    init: Callable
    positive: tuple[bool, ...]


def _c(theta, j):
    return theta[:, j:j + 1]


def _first_last(y):
    y1 = y[:, :1]
    yk = y[:, -1:]
    return y1[:, 0], yk[:, 0]


def _init_vapor(y):
    y1, yk = _first_last(y)
    return np.stack([np.log(np.clip(yk, 1e-3, None)), np.log(np.clip(yk, 1e-3, None) / np.clip(y1, 1e-3, None))
                     * -1.0, np.zeros_like(y1)], 1)


def _init_pow3(y):
    y1, yk = _first_last(y)
    c = yk + 0.05
    return np.stack([c, np.maximum(c - y1, 1e-3), np.full_like(y1, 0.5)], 1)


def _init_loglog(y):
    y1, yk = _first_last(y)
    b = np.exp(y1)
    return np.stack([np.full_like(y1, 0.3), b], 1)


def _init_hill3(y):
    y1, yk = _first_last(y)
    return np.stack([yk + 0.05, np.ones_like(y1), np.ones_like(y1)], 1)


def _init_logpow(y):
    y1, yk = _first_last(y)
    return np.stack([yk + 0.05, np.zeros_like(y1), -np.ones_like(y1)], 1)


def _init_pow4(y):
    y1, yk = _first_last(y)
    c = yk + 0.05
    # (a + b)^-alpha = c - y1 at x = 1 with alpha = 1
    s = 1.0 / np.maximum(c - y1, 1e-3)
    return np.stack([np.maximum(s / 2, 1e-3), np.maximum(s / 2, 1e-3), np.ones_like(y1), c], 1)


def _init_mmf(y):
    y1, yk = _first_last(y)
    return np.stack([yk + 0.05, y1 - 0.1, np.full_like(y1, 0.5), np.ones_like(y1)], 1)


def _init_exp4(y):
    y1, yk = _first_last(y)
    c = yk + 0.05
    return np.stack([c, np.full_like(y1, 0.5), np.log(np.maximum(c - y1, 1e-3)) + 0.5, np.ones_like(y1)], 1)


def _init_jan(y):
    y1, yk = _first_last(y)
    return np.stack([yk + 0.05, y1 - 0.1, np.full_like(y1, 0.5), np.ones_like(y1)], 1)


def _init_ilog2(y):
    y1, yk = _first_last(y)
    c = yk + 0.05
    return np.stack([c, np.maximum((c - y1) * np.log(2.0), 1e-3)], 1)


def _pos(v):
    return np.maximum(v, 1e-12)


FAMILIES: dict[str, Family] = {f.name: f for f in [
    Family("vapor_pressure", ("a", "b", "c"),
           lambda x, t: np.exp(np.clip(_c(t, 0) + _c(t, 1) / x + _c(t, 2) * np.log(x), -50, 5)),
           _init_vapor, (False, False, False)),
    Family("pow3", ("c", "a", "alpha"), lambda x, t: _c(t, 0) - _c(t, 1) * x ** (-_c(t, 2)),
           _init_pow3, (False, False, True)),
    Family("log_log_linear", ("a", "b"), lambda x, t: np.log(_pos(_c(t, 0) * np.log(x) + _c(t, 1))),
           _init_loglog, (False, False)),
    Family("hill3", ("ymax", "eta", "kappa"),
           lambda x, t: _c(t, 0) / (1.0 + (_c(t, 2) / x) ** _c(t, 1)), _init_hill3, (False, True, True)),
    Family("log_power", ("a", "b", "c"),
           lambda x, t: _c(t, 0) / (1.0 + np.exp(np.clip(_c(t, 2) * (np.log(x) - _c(t, 1)), -50, 50))),
           _init_logpow, (False, False, False)),
    Family("pow4", ("a", "b", "alpha", "c"),
           lambda x, t: _c(t, 3) - (_c(t, 0) * x + _c(t, 1)) ** (-_c(t, 2)), _init_pow4, (True, True, True, False)),
    Family("mmf", ("alpha", "beta", "kappa", "delta"),
           lambda x, t: _c(t, 0) - (_c(t, 0) - _c(t, 1)) / (1.0 + (_c(t, 2) * x) ** _c(t, 3)),
           _init_mmf, (False, False, True, True)),
    Family("exp4", ("c", "a", "b", "alpha"),
           lambda x, t: _c(t, 0) - np.exp(np.clip(-_c(t, 1) * x ** _c(t, 3) + _c(t, 2), -50, 5)),
           _init_exp4, (False, True, False, True)),
    Family("janoschek", ("alpha", "beta", "kappa", "delta"),
           lambda x, t: _c(t, 0) - (_c(t, 0) - _c(t, 1)) * np.exp(-_c(t, 2) * x ** _c(t, 3)),
           _init_jan, (False, False, True, True)),
    Family("weibull", ("alpha", "beta", "kappa", "delta"),
           lambda x, t: _c(t, 0) - (_c(t, 0) - _c(t, 1)) * np.exp(-(_c(t, 2) * x) ** _c(t, 3)),
           _init_jan, (False, False, True, True)),
    Family("ilog2", ("c", "a"), lambda x, t: _c(t, 0) - _c(t, 1) / np.log(x + 1.0), _init_ilog2, (False, False)),
]}


def _to_natural(fam: Family, z: np.ndarray) -> np.ndarray:
    pos = np.asarray(fam.positive)
    return np.where(pos, np.exp(np.clip(z, -30, 30)), z)


def _to_fit(fam: Family, theta: np.ndarray) -> np.ndarray:
    pos = np.asarray(fam.positive)
    return np.where(pos, np.log(np.maximum(theta, 1e-12)), theta)


def fit_family(family: str | Family, y, x=None, *, prior_weight: float = 1.0, noise: float = 0.01,
               n_iter: int = 60, tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Fit one family to many curves at once (batched Levenberg-Marquardt, MAP).

    Parameters
    ----------
    family : name in :data:`FAMILIES` or a :class:`Family`
    y : array (n, k)
        Observed values (0..1 scale), NaN-free.
    x : array (k,) or None
        Epochs (default ``1..k``).
    prior_weight : float
        Weight of the Gaussian prior on the transformed parameters around the start (in units
        of squared residuals / ``noise**2``).
    noise : float
        Residual scale the prior is measured against.
    n_iter, tol : int, float
        At most ``n_iter`` iterations; stops earlier once every curve's accepted step improves
        its loss by less than ``tol`` (relative) or its damping has grown past 1e6; a converged
        curve is frozen, so a curve's fit is the same whatever batch it is fitted in.

    Returns
    -------
    theta : (n, p) natural parameters
    sse : (n,) sum of squared residuals on the observed points
    """
    fam = FAMILIES[family] if isinstance(family, str) else family
    y = np.asarray(y, dtype=np.float64)
    n, k = y.shape
    x = np.arange(1, k + 1, dtype=np.float64) if x is None else np.asarray(x, dtype=np.float64)
    z0 = _to_fit(fam, fam.init(y))
    p = z0.shape[1]
    sq = np.sqrt(prior_weight)

    def resid(z):
        with np.errstate(all="ignore"):
            f = fam.f(x, _to_natural(fam, z))
        r = np.concatenate([(f - y) / noise, sq * (z - z0)], axis=1)
        return np.where(np.isfinite(r), r, 1e6)

    z = z0.copy()
    r = resid(z)
    loss = (r ** 2).sum(1)
    mu = np.full(n, 1e-2)
    active = np.ones(n, dtype=bool)
    eye = np.eye(p)
    h = 1e-6
    for _ in range(n_iter):
        J = np.empty((n, r.shape[1], p))
        for j in range(p):
            zj = z.copy()
            zj[:, j] += h
            J[:, :, j] = (resid(zj) - r) / h
        JtJ = np.einsum("nmi,nmj->nij", J, J)
        Jtr = np.einsum("nmi,nm->ni", J, r)
        A = JtJ + mu[:, None, None] * (eye * (np.diagonal(JtJ, axis1=1, axis2=2)[:, :, None] + 1e-9))
        try:
            step = np.linalg.solve(A, -Jtr[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = -Jtr / (np.diagonal(A, axis1=1, axis2=2) + 1e-9)
        step = np.where(np.isfinite(step), step, 0.0)
        zn = z + step
        rn = resid(zn)
        ln = (rn ** 2).sum(1)
        ok = (ln < loss) & active
        # a converged curve is frozen, so each curve's fit does not depend on its batch
        active &= ~np.where(ok, loss - ln <= tol * (1.0 + loss), mu >= 1e6)
        z = np.where(ok[:, None], zn, z)
        r = np.where(ok[:, None], rn, r)
        loss = np.where(ok, ln, loss)
        mu = np.where(ok, mu * 0.3, mu * 10.0).clip(1e-9, 1e9)
        if not active.any():  # every curve converged (or cannot improve): stop early
            break
    theta = _to_natural(fam, z)
    with np.errstate(all="ignore"):
        f = fam.f(x, theta)
    sse = ((f - y) ** 2).sum(1)
    return theta, sse


def fit_curves(y, *, families=None, x=None, **kw) -> dict[str, np.ndarray]:
    """Fit every family to the curves ``y`` ``(n, k)``: ``{family: theta (n, p)}``."""
    names = list(FAMILIES) if families is None else list(families)
    return {f: fit_family(f, y, x, **kw)[0] for f in names}


def extrapolate(y, horizon: int, *, families=None, rho: float = 1e-2, floor: float = 0.005,
                clip: tuple[float, float] = (0.0, 1.0), **kw) -> dict[str, np.ndarray]:
    """Fit the families to ``y`` ``(n, k)`` (epochs ``1..k``) and predict epoch ``horizon``.

    Returns
    -------
    dict with ``mean`` (n,), ``std`` (n,), ``per_family`` (n, M) predictions at ``horizon``
    (clipped to ``clip``), ``weights`` (n, M), ``fitted`` (n, k, M) fitted values,
    ``families`` (list of names), ``observed`` (n, k) (``y``).
    """
    y = np.asarray(y, dtype=np.float64)
    n, k = y.shape
    names = list(FAMILIES) if families is None else list(families)
    x = np.arange(1, k + 1, dtype=np.float64)
    xs = np.concatenate([x, [float(horizon)]])
    fitted = np.empty((n, k, len(names)))
    pred = np.empty((n, len(names)))
    for m, name in enumerate(names):
        theta, _ = fit_family(name, y, x, **kw)
        with np.errstate(all="ignore"):
            v = FAMILIES[name].f(xs, theta)
        v = np.where(np.isfinite(v), v, np.nan)
        fitted[:, :, m] = v[:, :k]
        pred[:, m] = v[:, k]
    bad = ~np.isfinite(pred) | np.any(~np.isfinite(fitted), axis=1)
    fitted = np.where(bad[:, None, :], y[:, :, None], fitted)  # a failed family: weight ~ its data copy
    pred = np.where(bad, y[:, -1:], pred)
    pred = np.clip(pred, *clip)
    M = len(names)
    w0 = np.full(M, 1.0 / M)
    # ridge towards equal weights: (F'F + rho I) w = F'y + rho w0, per curve
    FtF = np.einsum("nkm,nkl->nml", fitted, fitted)
    Fty = np.einsum("nkm,nk->nm", fitted, y)
    A = FtF + rho * np.eye(M)
    w = np.linalg.solve(A, (Fty + rho * w0)[:, :, None])[:, :, 0]
    w = np.where(bad, 0.0, np.clip(w, 0.0, None))
    s = w.sum(1, keepdims=True)
    w = np.where(s > 0, w / np.where(s > 0, s, 1.0), w0)
    mean = (w * pred).sum(1)
    spread = (w * (pred - mean[:, None]) ** 2).sum(1)
    fit_ens = np.einsum("nkm,nm->nk", fitted, w)
    res = ((fit_ens - y) ** 2).mean(1)
    std = np.sqrt(spread + res + floor ** 2)
    return {"mean": mean, "std": std, "per_family": pred, "weights": w, "fitted": fitted, "families": names,
            "observed": y}


def prob_above(mean, std, threshold) -> np.ndarray:
    """``P(final > threshold)`` under a normal predictive ``N(mean, std^2)``."""
    from scipy.stats import norm

    return norm.sf((np.asarray(threshold, dtype=np.float64) - np.asarray(mean)) / np.maximum(std, 1e-12))


# ---------------------------------------------------------------- estimators
class _CurveEstimator(PerformanceEstimator):
    """Shared parts: read ``k`` epochs of one recorded run per architecture, charge its cost."""

    def __init__(self, benchmark, k: int, *, metric: str, trial: int = 0):
        fids = np.asarray(benchmark.fidelities)
        if int(k) not in fids.tolist():
            raise ValueError(f"k={k} is not a fidelity of {benchmark.name} ({fids.tolist()})")
        if benchmark.fidelity_kind != "epoch_of_schedule":
            raise ValueError(f"{benchmark.name}: curve estimators need per-epoch curves (epoch_of_schedule)")
        self.benchmark = benchmark
        self.k = int(k)
        self.metric = metric
        self.trial = trial
        self._reset_cost()
        self.cost_.update(train_s=0.0, fit_s=0.0)

    def _read(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(n, k)`` curve of ``metric`` and ``(n,)`` cumulative train time to epoch ``k``."""
        b = self.benchmark
        pos = b.fidelity_pos(self.k)
        ev = b.query(idx, fidelity=None, trial=self.trial, metrics=[self.metric])
        curve = np.asarray(ev.values[self.metric], dtype=np.float64)[:, :pos + 1]
        cost = np.asarray(ev.cost, dtype=np.float64)[:, pos]
        return curve, cost

    def _account(self, train: np.ndarray, fit_s: float) -> None:
        c = self.cost_
        c["train_s"] += float(np.nansum(train))
        c["fit_s"] += float(fit_s)
        c["total_s"] = c["train_s"] + c["fit_s"] + c["setup_s"]
        c["n_archs"] += int(len(train))
        c["per_arch_s"] = (c["train_s"] + c["fit_s"]) / c["n_archs"] if c["n_archs"] else float("nan")

    def estimate(self, archs) -> np.ndarray:
        idx = as_indices(archs, self.benchmark.space)
        curve, train = self._read(idx)
        t0 = time.process_time()
        out = self._score(curve)
        self._account(train, time.process_time() - t0)
        return out

    def _score(self, curve: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class AccuracyAtK(_CurveEstimator):
    """``acc@k``: the metric (default ``val_acc``) of one recorded run at epoch ``k``.

    Parameters
    ----------
    benchmark : an ``epoch_of_schedule`` benchmark
    k : int, epochs seen
    metric : str
    trial : int or (n,) int array, the recorded seed read (as in ``benchmark.query``)
    """

    def __init__(self, benchmark, k: int, *, metric: str = "val_acc", trial: int = 0):
        super().__init__(benchmark, k, metric=metric, trial=trial)
        self.name = f"acc@{self.k}"

    def _score(self, curve):
        return curve[:, -1]


class TrainingSpeed(_CurveEstimator):
    """``sotl@k`` (Ru et al. 2021): minus the sum of training losses over epochs ``1..k``.

    Parameters are those of :class:`AccuracyAtK` (``metric`` defaults to ``train_loss``).
    """

    def __init__(self, benchmark, k: int, *, metric: str = "train_loss", trial: int = 0):
        super().__init__(benchmark, k, metric=metric, trial=trial)
        self.name = f"sotl@{self.k}"

    def _score(self, curve):
        return -curve.sum(1)


class CurveExtrapolation(_CurveEstimator):
    """``lce@k``: the Domhan et al. ensemble fitted to epochs ``1..k`` of one run's ``metric``
    curve, predicting the value at the last epoch (in the metric's unit, %).

    Parameters
    ----------
    benchmark, k, trial : see :class:`AccuracyAtK`; ``k >= 2``.
    metric : str, an accuracy in % (default ``val_acc``)
    families : names in :data:`FAMILIES` (default all 11)
    horizon : int or None, the epoch predicted (default the last)
    rho : float, ridge strength of the ensemble weights towards equal weights
    """

    def __init__(self, benchmark, k: int, *, metric: str = "val_acc", trial: int = 0, families=None,
                 horizon: int | None = None, rho: float = 1e-2):
        super().__init__(benchmark, k, metric=metric, trial=trial)
        if self.k < 2:
            raise ValueError("curve extrapolation needs k >= 2 epochs")
        self.families = list(FAMILIES) if families is None else list(families)
        self.horizon = int(benchmark.max_fidelity if horizon is None else horizon)
        self.rho = rho
        self.name = f"lce@{self.k}"

    def predict(self, archs) -> dict[str, np.ndarray]:
        """``extrapolate``'s dict (``mean``, ``std`` in %, ...) for ``archs``; charges cost."""
        idx = as_indices(archs, self.benchmark.space)
        curve, train = self._read(idx)
        t0 = time.process_time()
        out = extrapolate(curve / 100.0, self.horizon, families=self.families, rho=self.rho)
        self._account(train, time.process_time() - t0)
        out["mean"] = out["mean"] * 100.0
        out["std"] = out["std"] * 100.0
        for key in ("per_family", "fitted", "observed"):
            out[key] = out[key] * 100.0
        return out

    def estimate(self, archs) -> np.ndarray:
        return self.predict(archs)["mean"]


def make_estimator(name: str, benchmark, *, trial: int = 0) -> PerformanceEstimator:
    """``"lce@k"``, ``"sotl@k"`` or ``"acc@k"`` -> the estimator reading run ``trial`` of ``benchmark``
    (the names :mod:`nasbench.jobs.validate_estimators` resolves)."""
    import re

    m = re.fullmatch(r"(lce|sotl|acc)@(\d+)", name)
    if not m:
        raise KeyError(f"unknown curve estimator {name!r}; use lce@k, sotl@k or acc@k")
    cls = {"lce": CurveExtrapolation, "sotl": TrainingSpeed, "acc": AccuracyAtK}[m.group(1)]
    return cls(benchmark, int(m.group(2)), trial=trial)
