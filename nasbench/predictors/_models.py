"""The scikit-learn-based predictors and XGBoost (see :mod:`nasbench.predictors`)."""
from __future__ import annotations

import inspect
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["XGBoostPredictor", "RandomForestPredictor", "GPPredictor", "MLPEnsemble", "CurvePredictor",
           "BaggedPredictor", "supports_std", "refuse_nan_targets"]

_XGB_MISSING = ("XGBoostPredictor needs xgboost, an optional dependency: pip install 'nasbench[predictors]'")


def refuse_nan_targets(who: str, y) -> None:
    """Raise ``ValueError`` naming the rows when the targets ``y`` contain NaN (or inf)."""
    if y is None:
        return  # validate_data reports the missing targets
    yy = np.asarray(y)
    if yy.dtype.kind not in "fiu":
        return  # non-numeric targets: validate_data reports them
    yy = yy.astype(np.float64)
    bad = ~np.isfinite(yy.reshape(len(yy), -1)).all(axis=1) if yy.ndim else ~np.isfinite(yy[None])
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ValueError(f"{who}: {len(rows)} of {len(yy)} targets are NaN or infinite (rows {rows[:5].tolist()}"
                         f"{' ...' if len(rows) > 5 else ''}); predictors need finite targets: drop the "
                         f"architectures without a result before fit")


def supports_std(predictor) -> bool:
    """Whether ``predictor.predict`` takes ``return_std`` (for a ``Pipeline``: its last step)."""
    steps = getattr(predictor, "steps", None)
    if steps:
        predictor = steps[-1][1]
    try:
        return "return_std" in inspect.signature(predictor.predict).parameters
    except (TypeError, ValueError, AttributeError):
        return False


def _seeds(random_state, n: int) -> list[int]:
    rng = check_random_state(random_state)
    return [int(s) for s in rng.randint(0, 2**31 - 1, size=n)]


class _Predictor(RegressorMixin, BaseEstimator):
    """Shared input handling: NaN targets refused, ``n_features_in_`` checked on predict."""

    def _fit_data(self, X, y):
        refuse_nan_targets(type(self).__name__, y)
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        return X, y.astype(np.float64)

    def _predict_data(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float64)


class _Scaler:
    """Mean/std of the targets (a constant target gets scale 1)."""

    @staticmethod
    def fit(y):
        mu = float(np.mean(y))
        sd = float(np.std(y))
        return mu, (sd if sd > 0 else 1.0)


# ----------------------------------------------------------------------------- XGBoost
class XGBoostPredictor(_Predictor):
    """Gradient-boosted trees (xgboost's ``XGBRegressor``; needs ``pip install 'nasbench[predictors]'``).

    Parameters
    ----------
    n_estimators, max_depth, learning_rate, subsample, colsample_bytree, min_child_weight, reg_lambda
        As in ``xgboost.XGBRegressor``.
    n_jobs : int
        Threads (1 by default: the benchmark machines are shared).
    random_state : int

    Fitted attributes: ``model_`` (the ``XGBRegressor``), ``booster_`` (its ``xgboost.Booster``),
    ``n_features_in_``.  :meth:`save_model` / :meth:`load_model` use xgboost's native format
    (``.json`` or ``.ubj``), never pickle.
    """

    def __init__(self, n_estimators: int = 300, max_depth: int = 6, learning_rate: float = 0.05,
                 subsample: float = 0.9, colsample_bytree: float = 0.8, min_child_weight: float = 1.0,
                 reg_lambda: float = 1.0, n_jobs: int = 1, random_state: int = 0):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.n_jobs = n_jobs
        self.random_state = random_state

    @staticmethod
    def _xgb():
        try:
            import xgboost
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(_XGB_MISSING) from e
        return xgboost

    def _new_model(self):
        xgb = self._xgb()
        seed = self.random_state if isinstance(self.random_state, (int, np.integer)) else _seeds(self.random_state, 1)[0]
        return xgb.XGBRegressor(n_estimators=int(self.n_estimators), max_depth=int(self.max_depth),
                                learning_rate=float(self.learning_rate), subsample=float(self.subsample),
                                colsample_bytree=float(self.colsample_bytree),
                                min_child_weight=float(self.min_child_weight), reg_lambda=float(self.reg_lambda),
                                n_jobs=int(self.n_jobs), random_state=int(seed), tree_method="hist",
                                objective="reg:squarederror")

    def fit(self, X, y):
        X, y = self._fit_data(X, y)
        self.model_ = self._new_model().fit(X, y)
        return self

    @property
    def booster_(self):
        """The fitted ``xgboost.Booster``."""
        check_is_fitted(self, "model_")
        return self.model_.get_booster()

    def get_booster(self):
        """The fitted ``xgboost.Booster`` (as ``XGBRegressor.get_booster``)."""
        return self.booster_

    def predict(self, X) -> np.ndarray:
        """``(n,)`` predictions."""
        X = self._predict_data(X)
        return np.asarray(self.model_.predict(X), dtype=np.float64)

    def save_model(self, path) -> None:
        """Write the booster in xgboost's native format (``.json`` or ``.ubj`` by the suffix)."""
        check_is_fitted(self, "model_")
        self.model_.save_model(str(path))

    def load_model(self, path) -> "XGBoostPredictor":
        """Read a booster written by :meth:`save_model` (or by xgboost); returns ``self``, fitted."""
        m = self._new_model()
        m.load_model(str(path))
        self.model_ = m
        self.n_features_in_ = int(m.get_booster().num_features())
        return self


# ----------------------------------------------------------------------------- forest
class RandomForestPredictor(_Predictor):
    """Random forest (``sklearn.ensemble.RandomForestRegressor``); ``return_std``: the standard
    deviation of the trees' predictions.

    Fitted attributes: ``model_``, ``n_features_in_``.
    """

    def __init__(self, n_estimators: int = 100, max_features: float | str | None = 0.5,
                 min_samples_leaf: int = 1, bootstrap: bool = True, n_jobs: int = 1, random_state=0):
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.bootstrap = bootstrap
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y):
        from sklearn.ensemble import RandomForestRegressor

        X, y = self._fit_data(X, y)
        self.model_ = RandomForestRegressor(n_estimators=self.n_estimators, max_features=self.max_features,
                                            min_samples_leaf=self.min_samples_leaf, bootstrap=self.bootstrap,
                                            n_jobs=self.n_jobs, random_state=self.random_state).fit(X, y)
        return self

    def predict(self, X, return_std: bool = False):
        """``(n,)`` mean over trees; with ``return_std``: ``(mean, std)``, both ``(n,)``."""
        X = self._predict_data(X)
        if not return_std:
            return self.model_.predict(X)
        per = np.stack([t.predict(X) for t in self.model_.estimators_])
        return per.mean(0), per.std(0)


# ----------------------------------------------------------------------------- GP
class GPPredictor(_Predictor):
    """Gaussian process regression with a kernel for binary / one-hot encodings.

    Kernel: ``c * RBF(l) + White(noise)`` with one (isotropic) length scale.  On 0/1 features
    the squared distance is the Hamming distance, so the RBF is the exponentiated Hamming kernel
    (a standard kernel for categorical inputs, e.g. COMBO / BOSS).  Targets are standardised
    (``normalize_y``); hyper-parameters by marginal likelihood.

    Parameters
    ----------
    length_scale : float or None
        Initial length scale (``None``: sqrt(n_features)).
    noise_level : float
        Initial white-noise variance (on the standardised target).
    n_restarts_optimizer : int
    optimize : bool
        Fit the kernel hyper-parameters by marginal likelihood (else keep the initial ones).
    random_state : int, RandomState or None

    Fitted attributes: ``model_`` (``GaussianProcessRegressor``), ``kernel_``, ``n_features_in_``.
    """

    def __init__(self, length_scale: float | None = None, noise_level: float = 0.1, n_restarts_optimizer: int = 0,
                 optimize: bool = True, random_state=0):
        self.length_scale = length_scale
        self.noise_level = noise_level
        self.n_restarts_optimizer = n_restarts_optimizer
        self.optimize = optimize
        self.random_state = random_state

    def fit(self, X, y):
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

        X, y = self._fit_data(X, y)
        ls = float(self.length_scale) if self.length_scale is not None else float(np.sqrt(max(X.shape[1], 1)))
        kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(ls, (1e-2, 1e4))
                  + WhiteKernel(float(self.noise_level), (1e-6, 1e1)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bound warnings on tiny or constant data
            self.model_ = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=self.n_restarts_optimizer,
                                                   optimizer="fmin_l_bfgs_b" if self.optimize else None,
                                                   random_state=self.random_state).fit(X, y)
        self.kernel_ = self.model_.kernel_
        return self

    def predict(self, X, return_std: bool = False, chunk: int = 20000):
        """``(n,)`` posterior mean; with ``return_std``: ``(mean, std)`` (std includes the noise term)."""
        X = self._predict_data(X)
        if not return_std:
            return np.concatenate([self.model_.predict(X[i:i + chunk]) for i in range(0, len(X), chunk)]) \
                if len(X) else np.zeros(0)
        if not len(X):
            return np.zeros(0), np.zeros(0)
        ms, ss = zip(*(self.model_.predict(X[i:i + chunk], return_std=True) for i in range(0, len(X), chunk)))
        return np.concatenate(ms), np.concatenate(ss)


# ----------------------------------------------------------------------------- MLP ensemble
class MLPEnsemble(_Predictor):
    """Ensemble of scikit-learn ``MLPRegressor`` s (torch-free); std over members.

    Inputs and targets are standardised; each member has its own initialisation seed drawn
    from ``random_state`` and sees all the data (as in BANANAS' ensemble).

    Fitted attributes: ``members_``, ``x_mean_``, ``x_scale_``, ``y_mean_``, ``y_scale_``, ``n_iter_``
    (the most epochs any member ran).
    """

    def __init__(self, n_members: int = 5, hidden_layer_sizes=(64, 64), alpha: float = 1e-3,
                 learning_rate_init: float = 1e-3, max_iter: int = 300, batch_size: int | str = "auto",
                 random_state=0):
        self.n_members = n_members
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X, y):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPRegressor

        X, y = self._fit_data(X, y)
        self.x_mean_ = X.mean(0)
        sd = X.std(0)
        self.x_scale_ = np.where(sd > 0, sd, 1.0)
        self.y_mean_, self.y_scale_ = _Scaler.fit(y)
        Xs = (X - self.x_mean_) / self.x_scale_
        ys = (y - self.y_mean_) / self.y_scale_
        self.members_ = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for s in _seeds(self.random_state, int(self.n_members)):
                m = MLPRegressor(hidden_layer_sizes=tuple(self.hidden_layer_sizes), alpha=self.alpha,
                                 learning_rate_init=self.learning_rate_init, max_iter=self.max_iter,
                                 batch_size=self.batch_size, random_state=s)
                self.members_.append(m.fit(Xs, ys))
        self.n_iter_ = max(m.n_iter_ for m in self.members_)
        return self

    def predict(self, X, return_std: bool = False):
        """``(n,)`` member mean; with ``return_std``: ``(mean, std)`` over members."""
        X = self._predict_data(X)
        Xs = (X - self.x_mean_) / self.x_scale_
        per = np.stack([m.predict(Xs) for m in self.members_]) * self.y_scale_ + self.y_mean_
        if return_std:
            return per.mean(0), per.std(0)
        return per.mean(0)


# ----------------------------------------------------------------------------- learning curves
class CurvePredictor(_Predictor):
    """LcSVR-style curve extrapolation (Baker et al. 2018): architecture features plus the first
    ``k`` epochs of a learning curve -> the final value, with an RBF support-vector regressor.

    ``X`` is ``[architecture features, curve]``: its last ``curve_columns`` columns are the
    partial curve (epoch 1..k, in order).  Added features: the last value, the mean and the
    slope of the curve.  Inputs and targets are standardised.

    Parameters
    ----------
    curve_columns : int
        ``k``, the number of trailing columns of ``X`` that are the curve (>= 1).
    C, epsilon, gamma : as in ``sklearn.svm.SVR`` (on the standardised target).

    Fitted attributes: ``model_`` (``SVR``), ``x_mean_``, ``x_scale_``, ``y_mean_``, ``y_scale_``.
    """

    def __init__(self, curve_columns: int = 1, C: float = 3.0, epsilon: float = 0.05, gamma="scale"):
        self.curve_columns = curve_columns
        self.C = C
        self.epsilon = epsilon
        self.gamma = gamma

    def _features(self, X):
        k = int(self.curve_columns)
        if not 1 <= k <= X.shape[1]:
            raise ValueError(f"curve_columns={k} must be >= 1 and at most the width of X, which has "
                             f"{X.shape[1]} feature(s)")
        c = X[:, X.shape[1] - k:]
        slope = (c[:, -1] - c[:, 0]) / max(k - 1, 1)
        return np.column_stack([X, c[:, -1], c.mean(1), slope])

    def fit(self, X, y):
        from sklearn.svm import SVR

        X, y = self._fit_data(X, y)
        F = self._features(X)
        self.x_mean_ = F.mean(0)
        sd = F.std(0)
        self.x_scale_ = np.where(sd > 0, sd, 1.0)
        self.y_mean_, self.y_scale_ = _Scaler.fit(y)
        self.model_ = SVR(C=self.C, epsilon=self.epsilon, gamma=self.gamma).fit(
            (F - self.x_mean_) / self.x_scale_, (y - self.y_mean_) / self.y_scale_)
        return self

    def predict(self, X) -> np.ndarray:
        """``(n,)`` predicted final values."""
        X = self._predict_data(X)
        F = (self._features(X) - self.x_mean_) / self.x_scale_
        return self.model_.predict(F) * self.y_scale_ + self.y_mean_


# ----------------------------------------------------------------------------- bagging
class BaggedPredictor(_Predictor):
    """Bootstrap ensemble of any regressor: ``n_members`` clones, each fitted on a resample of
    the data (and with its own ``random_state`` where it has one); ``return_std``: the
    standard deviation over members.  BANANAS' ensemble for models without an uncertainty.

    Parameters
    ----------
    estimator : regressor or None
        ``None``: a small gradient-boosted tree model (``GradientBoostingRegressor``, 50 trees
        of depth 3).
    n_members : int
    bootstrap : bool
        Resample rows with replacement (needed for spread with deterministic models).
    random_state : int, RandomState or None

    Fitted attributes: ``members_``.
    """

    def __init__(self, estimator=None, n_members: int = 3, bootstrap: bool = True, random_state=0):
        self.estimator = estimator
        self.n_members = n_members
        self.bootstrap = bootstrap
        self.random_state = random_state

    def fit(self, X, y):
        from sklearn.ensemble import GradientBoostingRegressor

        X, y = self._fit_data(X, y)
        proto = self.estimator if self.estimator is not None else GradientBoostingRegressor(
            n_estimators=50, max_depth=3, learning_rate=0.1)
        rng = check_random_state(self.random_state)
        self.members_ = []
        n = len(y)
        for _ in range(int(self.n_members)):
            m = clone(proto)
            if "random_state" in m.get_params():
                m.set_params(random_state=int(rng.randint(0, 2**31 - 1)))
            rows = rng.randint(0, n, n) if self.bootstrap else np.arange(n)
            if np.ptp(y[rows]) == 0:  # a constant resample carries no ranking: use all rows
                rows = np.arange(n)
            self.members_.append(m.fit(X[rows], y[rows]))
        return self

    def predict(self, X, return_std: bool = False):
        """``(n,)`` member mean; with ``return_std``: ``(mean, std)`` over members."""
        X = self._predict_data(X)
        per = np.stack([np.asarray(m.predict(X), dtype=np.float64) for m in self.members_])
        if return_std:
            return per.mean(0), per.std(0)
        return per.mean(0)
