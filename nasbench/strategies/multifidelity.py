"""Multi-fidelity strategies: successive halving, Hyperband and BOHB.

Fidelities come from the runner through :meth:`Strategy.setup` (the benchmark's axis, e.g.
epochs ``1..E`` or NB201's ``[12, 200]``).  Rungs are geometric with ratio ``eta`` below the
top fidelity, snapped (in log space) to the available fidelities and de-duplicated::

    epochs 1..12, eta=3  ->  rungs [1, 4, 12]
    NB201 [12, 200]      ->  rungs [12, 200]

A bracket starts ``n0`` new architectures at its lowest rung and promotes the best ``1/eta``
(by the objective at that rung) to the next rung until the top; a promotion is a
``Suggestion(arch, fidelity=next_rung)`` of an architecture already evaluated at a lower rung.
What a promotion costs is the runner's business: on ``epoch_of_schedule`` tables training
continues (the difference is paid), on ``schedule_length`` tables it is a new run (full cost).

Brackets are synchronous; when every open bracket waits for results and a worker is free, a new
bracket is opened (as BOHB's parallel scheme does), so several workers stay busy.

Rung signal (``rung_metric``)
    By default promotions rank the objective at the rung (``val_acc`` at epoch ``r``).
    ``rung_metric="sotl"`` ranks by training speed instead (Ru et al. 2021): minus the sum of
    ``train_loss`` over epochs ``1..r``.  A strategy is told values at the fidelity it asked
    for only, so to see every epoch's loss it asks an architecture epoch by epoch up to a rung
    whose result decides a promotion (each step continues the same training run on
    ``epoch_of_schedule`` tables, where the runner charges only the difference, so the cost
    equals one run to the rung; the trace has one row per epoch).  The top rung is asked
    directly.  On ``schedule_length`` tables every query is a new run, so ``"sotl"`` is
    refused there.

* :class:`SuccessiveHalving` (Jamieson & Talwalkar 2016): always the most aggressive bracket.
* :class:`Hyperband` (Li et al. 2018): cycles brackets ``s = s_max .. 0``.
* :class:`BOHB` (Falkner et al. 2018): Hyperband whose new architectures come from a TPE-style
  model once enough results exist at some rung: categorical Aitchison-Aitken kernel densities
  ``l`` (top ``top_n_percent``) and ``g`` (the rest) over the ops of the highest rung with
  enough results; ``num_samples`` draws from ``l`` (wider by ``bandwidth_factor``), keep the
  one maximising ``l/g``; a ``random_fraction`` of new architectures stays uniformly random.
"""
from __future__ import annotations

import math

import numpy as np

from nasbench.strategies.base import Strategy, Suggestion

__all__ = ["SuccessiveHalving", "Hyperband", "BOHB", "rung_fidelities"]


def rung_fidelities(fidelities, eta: float = 3, min_fidelity: int | None = None) -> list[int]:
    """Geometric rungs ``r_max * eta**-k`` snapped to ``fidelities`` (ints), increasing.

    Parameters
    ----------
    fidelities : int array, shape (n_fid,), increasing
    eta : float > 1
    min_fidelity : int or None
        Lowest rung allowed (default: the smallest fidelity).
    """
    fid = np.asarray(fidelities, dtype=np.float64)
    if eta <= 1:
        raise ValueError(f"eta must be > 1, got {eta}")
    lo = fid[0] if min_fidelity is None else float(min_fidelity)
    if lo > fid[-1] or lo < fid[0]:
        raise ValueError(f"min_fidelity {min_fidelity} outside the fidelities {fid.astype(int).tolist()}")
    cand = fid[fid >= lo]
    s_max = int(math.floor(math.log(fid[-1] / lo) / math.log(eta) + 1e-9))
    rungs: list[int] = []
    for k in range(s_max, -1, -1):
        r = fid[-1] * eta ** (-k)
        snapped = int(cand[np.argmin(np.abs(np.log(cand) - np.log(max(r, 1e-9))))])
        if not rungs or snapped > rungs[-1]:
            rungs.append(snapped)
    if rungs[-1] != int(fid[-1]):
        rungs.append(int(fid[-1]))
    return rungs


class _Bracket:
    """One synchronous successive-halving bracket over ``rungs`` starting with ``n0`` configs."""

    def __init__(self, rungs: list[int], n0: int, eta: float):
        self.rungs = rungs
        self.sizes = [max(1, int(n0 * eta ** (-i) + 1e-9)) for i in range(len(rungs))]
        self.rung = 0
        self.to_sample = n0
        self.queue: list[int] = []
        self.pending: set[int] = set()
        self.results: dict[int, float] = {}

    @property
    def fidelity(self) -> int:
        return self.rungs[self.rung]

    def has_work(self) -> bool:
        return self.to_sample > 0 or bool(self.queue)

    def rung_complete(self) -> bool:
        return self.to_sample == 0 and not self.queue and not self.pending


class SuccessiveHalving(Strategy):
    """Successive halving, repeated (the most aggressive Hyperband bracket).

    Parameters
    ----------
    space : SearchSpace
    seed : int or np.random.Generator
    eta : float
        Keep the best ``1/eta`` at each rung; rungs are ``eta`` apart.
    min_fidelity : int or None
        Lowest rung (default: the benchmark's smallest fidelity).
    n_configs : int or None
        Architectures per bracket (default ``eta ** (n_rungs - 1)``, rounded up).
    objective : str
    rung_metric : None or "sotl"
        What ranks a rung for promotion: ``None`` the objective at the rung; ``"sotl"`` minus
        the sum of ``train_loss`` over epochs ``1..rung`` (see the module docstring).
    """

    name = "sh"
    multi_fidelity = True

    def __init__(self, space, seed, *, eta: float = 3, min_fidelity: int | None = None,
                 n_configs: int | None = None, objective: str = "val_acc", rung_metric: str | None = None):
        super().__init__(space, seed, objective=objective)
        if eta <= 1:
            raise ValueError(f"eta must be > 1, got {eta}")
        if rung_metric not in (None, "sotl"):
            raise ValueError(f"rung_metric must be None or 'sotl', got {rung_metric!r}")
        self.rung_metric = rung_metric
        self._sotl: dict[int, float] = {}      # sum of train_loss over the epochs told, per arch
        self._reached: dict[int, int] = {}     # last epoch told, per arch
        self._steps: list[tuple[int, _Bracket]] = []  # (arch, bracket) whose next epoch is due
        if n_configs is not None and n_configs < 1:
            raise ValueError(f"n_configs must be >= 1, got {n_configs}")
        self.eta = eta
        self.min_fidelity = min_fidelity
        self.n_configs = n_configs
        self.rungs_: list[int] | None = None
        self._brackets: list[_Bracket] = []
        self._owner: dict[tuple[int, int], _Bracket] = {}
        self._n_brackets = 0

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.objective, "train_loss") if self.rung_metric == "sotl" else (self.objective,)

    def setup(self, fidelities, fidelity_kind: str = "epoch_of_schedule") -> None:
        super().setup(fidelities, fidelity_kind)
        if self.rung_metric == "sotl" and fidelity_kind != "epoch_of_schedule":
            raise ValueError(f"{self.name}: rung_metric='sotl' needs per-epoch curves (epoch_of_schedule), "
                             f"got {fidelity_kind!r}")
        self.rungs_ = rung_fidelities(self.fidelities_, self.eta, self.min_fidelity)

    def _fidelity_for(self, i: int, b: _Bracket) -> int:
        """Fidelity to ask ``i`` at now: the rung's, or (SoTL) the next epoch towards it."""
        f = b.fidelity
        if self.rung_metric != "sotl" or b.rung + 1 >= len(b.rungs):
            return f
        reached = self._reached.get(i, 0)
        nxt = self.fidelities_[self.fidelities_ > reached]
        return int(min(int(nxt[0]), f)) if len(nxt) else f

    # ---------------------------------------------------------- brackets
    @property
    def s_max(self) -> int:
        return len(self.rungs_) - 1

    def _bracket_s(self, k: int) -> int:
        """Bracket number ``s`` (rungs skipped = ``s_max - s``) of the ``k``-th bracket."""
        return self.s_max

    def _new_bracket(self) -> _Bracket:
        s = self._bracket_s(self._n_brackets)
        self._n_brackets += 1
        if self.n_configs is not None and s == self.s_max:
            n0 = int(self.n_configs)
        else:
            n0 = int(math.ceil((self.s_max + 1) / (s + 1) * self.eta**s - 1e-9))
        return _Bracket(self.rungs_[self.s_max - s:], n0, self.eta)

    def _new_config(self, bracket: _Bracket) -> int | None:
        new = self._random_unseen(1)
        return new[0] if new else None

    # ---------------------------------------------------------- contract
    def ask(self, n: int) -> list[Suggestion]:
        if self.rungs_ is None:
            raise RuntimeError(f"{self.name}: call setup(fidelities, fidelity_kind) before ask (the runner does)")
        out: list[Suggestion] = []
        while self._steps and len(out) < n:  # SoTL: continue runs epoch by epoch first
            i, b = self._steps.pop(0)
            f = self._fidelity_for(i, b)
            self._owner[(i, f)] = b
            out.append(self._suggestion_at(i, f))
        while len(out) < n:
            for b in self._brackets:  # the first bracket with work (has_work(), inlined)
                if b.to_sample > 0 or b.queue:
                    break
            else:
                b = None
            if b is None:
                b = self._new_bracket()
                self._brackets.append(b)
            if b.queue:
                i = b.queue.pop(0)
            else:
                i = self._new_config(b)
                if i is None:  # space exhausted
                    b.to_sample = 0
                    self._maybe_promote(b)
                    break
                b.to_sample -= 1
                self._asked.add(i)
            b.pending.add(i)
            f = b.rungs[b.rung] if self.rung_metric is None else self._fidelity_for(i, b)
            self._owner[(i, f)] = b
            out.append(self._suggestion_at(i, f))
        return out

    def tell(self, suggestions, values) -> None:
        idx, fid = self._check_tell(suggestions, values)
        scores = self._score_list(values)
        losses = (np.asarray(values["train_loss"], dtype=np.float64).tolist() if self.rung_metric == "sotl"
                  else [math.nan] * len(idx))
        for i, f, s, loss in zip(idx, fid, scores, losses):
            self._told(i, f, s, loss)

    def _tell_one(self, suggestion, i, value) -> None:  # the runner's shortcut (see Strategy._runner_tell)
        self._told(i, suggestion.fidelity, self._score1(value))

    def _told(self, i: int, f: int | None, s: float, loss: float = math.nan) -> None:
        """One result: score ``s`` (and ``train_loss`` for SoTL) of architecture ``i`` at fidelity ``f``."""
        b = self._owner.pop((i, f), None)
        if self.rung_metric == "sotl" and f is not None:
            self._sotl[i] = self._sotl.get(i, 0.0) + (loss if math.isfinite(loss) else math.inf)
            self._reached[i] = int(f)
            if b is not None and b.rung + 1 < len(b.rungs):
                if f < b.fidelity:  # not at the rung yet: ask the next epoch
                    self._steps.append((i, b))
                    return
                s = -self._sotl[i]
        self._observe(i, f, s)
        if b is None:
            return  # not one of ours (or told twice): only observed
        b.pending.discard(i)
        b.results[i] = s
        if b.to_sample == 0 and not b.queue and not b.pending:  # b.rung_complete(), inlined
            self._maybe_promote(b)

    def _observe(self, i: int, fidelity: int | None, score: float) -> None:
        """Hook for model-based subclasses (every result, at every rung)."""

    def _maybe_promote(self, b: _Bracket) -> None:
        if not b.rung_complete():
            return
        if b.rung + 1 < len(b.rungs) and b.results:
            k = min(b.sizes[b.rung + 1], len(b.results))
            order = sorted(b.results, key=lambda j: -b.results[j])  # stable: ties keep arrival order
            b.queue = order[:k]
            b.rung += 1
            b.results = {}
        else:
            self._brackets.remove(b)


class Hyperband(SuccessiveHalving):
    """Hyperband: successive halving over brackets ``s = s_max, ..., 0``, cycled.

    Parameters are those of :class:`SuccessiveHalving` except ``n_configs`` (each bracket's
    size follows Li et al.: ``ceil((s_max + 1) / (s + 1) * eta**s)``).
    """

    name = "hb"

    def __init__(self, space, seed, *, eta: float = 3, min_fidelity: int | None = None,
                 objective: str = "val_acc", rung_metric: str | None = None):
        super().__init__(space, seed, eta=eta, min_fidelity=min_fidelity, objective=objective,
                         rung_metric=rung_metric)

    def _bracket_s(self, k: int) -> int:
        return self.s_max - (k % (self.s_max + 1))


class BOHB(Hyperband):
    """Hyperband with a TPE-style categorical kernel-density model for new architectures.

    Parameters
    ----------
    space, seed, eta, min_fidelity, objective : see :class:`Hyperband`
    top_n_percent : float
        Share of results (per rung) in the "good" density ``l``.
    num_samples : int
        Draws from ``l`` per new architecture.
    random_fraction : float
        Share of new architectures drawn uniformly at random.
    bandwidth : float
        Aitchison-Aitken kernel: probability mass a data point spreads over the other ops.
    bandwidth_factor : float
        Widening of ``l`` when sampling (capped at uniform).
    min_points : int or None
        Results needed at a rung before it is modelled (default ``L + 1``).
    """

    name = "bohb"

    def __init__(self, space, seed, *, eta: float = 3, min_fidelity: int | None = None,
                 top_n_percent: float = 15, num_samples: int = 64, random_fraction: float = 1 / 3,
                 bandwidth: float = 0.2, bandwidth_factor: float = 3, min_points: int | None = None,
                 objective: str = "val_acc"):
        super().__init__(space, seed, eta=eta, min_fidelity=min_fidelity, objective=objective)
        if not 0 < top_n_percent < 100:
            raise ValueError(f"top_n_percent must be in (0, 100), got {top_n_percent}")
        if not 0 <= random_fraction <= 1:
            raise ValueError(f"random_fraction must be in [0, 1], got {random_fraction}")
        if not 0 < bandwidth < 1:
            raise ValueError(f"bandwidth must be in (0, 1), got {bandwidth}")
        self.top_n_percent = float(top_n_percent)
        self.num_samples = int(num_samples)
        self.random_fraction = float(random_fraction)
        self.bandwidth = float(bandwidth)
        self.bandwidth_factor = float(bandwidth_factor)
        self.min_points = int(min_points) if min_points is not None else space.n_edges + 1
        self._obs: dict[int, tuple[list[int], list[float]]] = {}
        self._obs_arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # fidelity -> (ops, one-hot) rows
        self._eye = np.eye(self._K)

    def _observe(self, i, fidelity, score) -> None:
        if fidelity is None or not np.isfinite(score):
            return
        xs, ys = self._obs.setdefault(int(fidelity), ([], []))
        xs.append(i)
        ys.append(score)
        # op rows and their one-hot rows, grown as results arrive (not rebuilt per draw)
        L, K = self._L, self._K
        arr = self._obs_arrays.get(int(fidelity))
        n = len(xs)
        if arr is None or len(arr[0]) < n:
            cap = max(64, 2 * n)
            ops = np.zeros((cap, L), dtype=np.int64)
            oh = np.zeros((cap, L * K))
            if arr is not None:
                ops[: n - 1], oh[: n - 1] = arr[0][: n - 1], arr[1][: n - 1]
            arr = self._obs_arrays[int(fidelity)] = (ops, oh)
        row = self._ops(i)
        arr[0][n - 1] = row
        ohr = arr[1][n - 1]
        for e, o in enumerate(row):
            ohr[e * K + o] = 1.0

    def _kernel_logs(self, matches: np.ndarray, bw: float) -> np.ndarray:
        """Log kernel values from match counts (any shape): the Aitchison-Aitken product kernel
        depends only on how many edges of a candidate match a data point."""
        K, L = self._K, self._L
        return matches * np.log1p(-bw) + (L - matches) * np.log(bw / (K - 1))

    @staticmethod
    def _log_kde_of(s: np.ndarray) -> np.ndarray:
        """``(m,)`` log of the row means of ``exp(s)`` for log kernel values ``s (m, d)``."""
        mx = s.max(1, keepdims=True)
        return mx[:, 0] + np.log(np.exp(s - mx).mean(1))

    def _new_config(self, bracket) -> int | None:
        if self.rng.random() < self.random_fraction:
            return super()._new_config(bracket)
        usable = [f for f, (xs, _) in self._obs.items() if len(xs) >= self.min_points + 2]
        if not usable:
            return super()._new_config(bracket)
        f = max(usable)
        xs, ys = self._obs[f]
        n = len(xs)
        ops_all, oh_all = self._obs_arrays[f]
        order = np.argsort(-np.asarray(ys), kind="stable")
        n_good = max(1, int(math.ceil(self.top_n_percent / 100 * n)))
        good = ops_all[order[:n_good]]
        K, L = self._K, self._L
        wide = min(self.bandwidth * self.bandwidth_factor, (K - 1) / K)
        base = good[self.rng.integers(0, len(good), self.num_samples)]          # (m, L)
        flip = self.rng.random((self.num_samples, L)) < wide
        shift = self.rng.integers(1, K, size=(self.num_samples, L))
        cand = np.where(flip, (base + shift) % K, base)
        idx = cand @ np.asarray(self._pow, dtype=np.int64)
        # one match count matrix against every observation, split into the good and bad
        # densities
        s = self._kernel_logs(self._eye[cand].reshape(len(cand), L * K) @ oh_all[:n].T, self.bandwidth)  # (m, n)
        ratio = self._log_kde_of(s[:, order[:n_good]]) - self._log_kde_of(s[:, order[n_good:]])
        for k in np.argsort(-ratio, kind="stable"):
            if int(idx[k]) not in self._asked:
                return int(idx[k])
        return super()._new_config(bracket)
