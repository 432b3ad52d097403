"""BANANAS (White, Neiswanger & Savani, AAAI 2021): Bayesian optimisation with an ensemble of
predictors on the path encoding.

Loop: ``n_init`` random architectures; then, whenever the queue of proposals is empty, fit
``n_ensemble`` clones of ``predictor`` (any scikit-learn regressor; each on a bootstrap
resample of the results, with its own ``random_state`` where it has one) on the encoded
architectures, build ``n_candidates`` candidates by one- or two-edge mutations of the
``n_parents`` best architectures found so far (mutation-based acquisition optimisation), score
them with the acquisition function and queue the best ``batch_size`` (the paper's ``k``):

* ``"its"`` (default): independent Thompson sampling, one draw from
  ``Normal(mean, std)`` of the ensemble's predictions per candidate;
* ``"ucb"``: ``mean + ucb_beta * std``.

The default predictor is a small scikit-learn gradient-boosting regressor (no torch); the default
ensemble has 3 members, as NASLib's BANANAS uses (the paper used 5 neural networks; on
NB201 CIFAR-10 3 and 5 bootstrap members gave the same results within a standard error, at
half the cost).
"""
from __future__ import annotations

import numpy as np

from nasbench.encodings import encode
from nasbench.strategies.base import Strategy, Suggestion

__all__ = ["Bananas", "default_predictor"]


def default_predictor():
    """A small gradient-boosted tree regressor (scikit-learn), the default BANANAS member."""
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(n_estimators=50, max_depth=3, learning_rate=0.1, subsample=1.0)


def _reseed(model, seed: int) -> None:
    """Set ``random_state`` on ``model`` (or on a pipeline's last step) where it has one."""
    params = model.get_params()
    if "random_state" in params:
        model.set_params(random_state=seed)
    steps = getattr(model, "steps", None)
    if steps and f"{steps[-1][0]}__random_state" in params:
        model.set_params(**{f"{steps[-1][0]}__random_state": seed})


class Bananas(Strategy):
    """Ensemble-predictor Bayesian optimisation with mutation-based acquisition.

    Parameters
    ----------
    space : SearchSpace
    seed : int or np.random.Generator
    predictor : scikit-learn regressor or None
        Cloned ``n_ensemble`` times (``sklearn.base.clone``); ``None``: :func:`default_predictor`.
    n_ensemble : int
    n_init : int
        Random architectures before the first model fit.
    batch_size : int
        Architectures proposed per model fit.
    n_candidates : int
        Mutated candidates scored per model fit.
    n_parents : int
        Best architectures the candidates are mutated from.
    acquisition : {"its", "ucb"}
    ucb_beta : float
    encoding : {"path", "onehot"}
        ``"path"`` needs the NB201 space.
    bootstrap : bool
        Fit each member on a bootstrap resample (needed for spread with deterministic models).
    objective : str
    """

    name = "bananas"

    def __init__(self, space, seed, *, predictor=None, n_ensemble: int = 3, n_init: int = 10,
                 batch_size: int = 10, n_candidates: int = 100, n_parents: int = 10,
                 acquisition: str = "its", ucb_beta: float = 0.5, encoding: str | None = None,
                 bootstrap: bool = True, objective: str = "val_acc"):
        super().__init__(space, seed, objective=objective)
        if acquisition not in ("its", "ucb"):
            raise ValueError(f"acquisition must be 'its' or 'ucb', got {acquisition!r}")
        for k, v in dict(n_ensemble=n_ensemble, n_init=n_init, batch_size=batch_size,
                         n_candidates=n_candidates, n_parents=n_parents).items():
            if int(v) < 1:
                raise ValueError(f"{k} must be >= 1, got {v}")
        self.predictor = predictor
        self.n_ensemble = int(n_ensemble)
        self.n_init = int(n_init)
        self.batch_size = int(batch_size)
        self.n_candidates = int(n_candidates)
        self.n_parents = int(n_parents)
        self.acquisition = acquisition
        self.ucb_beta = float(ucb_beta)
        self.encoding = encoding if encoding is not None else ("path" if space.name == "nb201" else "onehot")
        encode(space, np.zeros((1, space.n_edges), dtype=np.int64), self.encoding)  # fail early on a bad name
        self.bootstrap = bool(bootstrap)
        self._X: list[int] = []
        self._y: list[float] = []
        self._queue: list[int] = []
        self._n_finite = 0
        self.n_fits_ = 0

    # ------------------------------------------------------------- model
    def _fit_model(self, idx: np.ndarray, y: np.ndarray):
        """Fit the surrogate on the encoded ``idx``; returns ``predict(X) -> (mean, std)``."""
        from sklearn.base import clone

        from nasbench.predictors import supports_std

        proto = self.predictor if self.predictor is not None else default_predictor()
        X = encode(self.space, idx, self.encoding)
        self.n_fits_ += 1
        if supports_std(proto):  # one model with its own uncertainty (ensemble, GP, forest)
            m = clone(proto)
            _reseed(m, int(self.rng.integers(2**31 - 1)))
            m.fit(X, y)
            return lambda Xc: m.predict(Xc, return_std=True)
        models = []  # any other regressor: a bootstrap ensemble of n_ensemble clones
        for _ in range(self.n_ensemble):
            m = clone(proto)
            if "random_state" in m.get_params():
                m.set_params(random_state=int(self.rng.integers(2**31 - 1)))
            rows = self.rng.integers(0, len(y), len(y)) if self.bootstrap else np.arange(len(y))
            if np.ptp(y[rows]) == 0:  # a constant resample carries no ranking; use all data
                rows = np.arange(len(y))
            models.append(m.fit(X[rows], y[rows]))

        def predict(Xc):
            preds = np.stack([m.predict(Xc) for m in models])  # (n_ensemble, n_cand)
            return preds.mean(0), preds.std(0)

        return predict

    def _propose(self) -> list[int]:
        idx = np.asarray(self._X, dtype=np.int64)
        y = np.asarray(self._y, dtype=np.float64)
        ok = np.isfinite(y)
        idx, y = idx[ok], y[ok]
        if len(y) < 2:
            return self._random_unseen(self.batch_size)
        predict = self._fit_model(idx, y)
        parents = idx[np.argsort(-y, kind="stable")[: self.n_parents]]
        cand: list[int] = []
        seen = set()
        tries = 0
        while len(cand) < self.n_candidates and tries < 20 * self.n_candidates:
            p = int(parents[tries % len(parents)])
            j = self._mutate(p, n_edges=1 + int(self.rng.random() < 0.5))
            tries += 1
            if j not in self._asked and j not in seen:
                seen.add(j)
                cand.append(j)
        if len(cand) < self.batch_size:  # neighbourhoods exhausted: add random ones
            extra = [j for j in self._random_unseen(self.batch_size) if j not in seen]
            cand.extend(extra)
        if not cand:
            return []
        Xc = encode(self.space, np.asarray(cand, dtype=np.int64), self.encoding)
        mean, std = predict(Xc)
        mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        if self.acquisition == "its":
            acq = mean + std * self.rng.standard_normal(len(cand))
        else:
            acq = mean + self.ucb_beta * std
        order = np.argsort(-acq, kind="stable")[: self.batch_size]
        return [cand[k] for k in order]

    # ---------------------------------------------------------- contract
    def ask(self, n: int) -> list[Suggestion]:
        out: list[int] = []
        while len(out) < n:
            if self._queue:
                i = self._queue.pop(0)
                if i not in self._asked:
                    self._asked.add(i)
                    out.append(i)
                continue
            if len(self._asked) < self.n_init or self._n_finite < 2:
                new = self._random_unseen(1)
            else:
                new = self._propose()
                self._queue = new[1:]
                new = new[:1]
            if not new:
                break
            self._asked.add(new[0])
            out.append(new[0])
        return self._suggest(out)

    def tell(self, suggestions, values) -> None:
        idx, _ = self._check_tell(suggestions, values)
        self._X.extend(idx)
        sc = self._score(values)
        self._y.extend(sc.tolist())
        self._n_finite += int(np.isfinite(sc).sum())
