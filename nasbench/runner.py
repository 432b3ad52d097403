"""The simulated-clock runner: the only ask/tell loop, and the :class:`Trace` it writes.

``run(strategy, benchmark, budget, seed)`` builds the strategy, asks it for architectures,
queries the benchmark, advances a simulated clock by the recorded training cost and tells the
strategy the results, until the budget is spent.

Seeds
    The run seed is split with ``SeedSequence(seed).spawn(2)``: the first child seeds the
    strategy, the second the query RNG that draws which recorded training seed (``trial``) each
    evaluation reads.  So ``strategy`` is a *factory* ``(space, seed) -> Strategy``: a strategy
    class, or ``functools.partial(Class, **hparams)``.  Same seed, same trace, bit for bit
    (except the wall-clock columns).

Budget
    ``Budget(evaluations=N)``: exactly ``N`` evaluations are started and recorded (a query at any
    fidelity counts as one).  ``Budget(cost=C)``: the simulated clock may not pass ``C`` (in
    ``benchmark.cost_unit``: seconds, or evaluations for tables without train times, where one
    top-fidelity training costs 1.0); jobs that would finish later are dropped.  With several
    workers the clock is wall-clock time of the simulated cluster.  :meth:`Budget.parse` reads
    ``"150"`` (evaluations), ``"3600s"`` (simulated seconds) and ``"300x"`` (300 times the mean
    cost of one top-fidelity training over the space).

Cost of an evaluation
    The table's cumulative cost of reaching the fidelity.  On ``epoch_of_schedule`` tables a
    suggestion of an architecture at a *higher* fidelity than it already reached continues that
    training run: same recorded seed, and only the difference is paid.  Any other repeat
    (``schedule_length`` tables, or the same or a lower fidelity) is a new training run: a fresh
    recorded seed and the full cost.  A missing result (NaN cost on a partial table) is charged
    the mean cost at that fidelity.

Charged static information
    A static metric whose attrs carry ``seconds_per_arch`` (the shipped zero-cost scores
    ``zc_<proxy>``, see :mod:`nasbench.jobs.zero_cost`) costs compute in reality: when the
    strategy's ``metrics`` ask for such metrics, the first evaluation of each architecture is
    charged the sum of their ``seconds_per_arch`` on top of its training cost (tables whose
    ``cost_unit`` is seconds; proxies that share passes are charged as if computed alone, an
    upper bound).  Metrics recorded for reporting only (``record=``) are never charged.

Workers
    ``n_workers`` asynchronous workers: a free worker gets the next suggestion at the current
    simulated time and finishes at ``start + cost``; the strategy is told in completion order
    (ties: start order), as syne-tune's simulated backend does.

Incumbent and regret
    The incumbent is the evaluation with the highest ``val_acc`` at its evaluated fidelity
    (among feasible ones for strategies with ``constraints``); never chosen on test data.  Its
    reported test accuracy (``incumbent_test``) is the seed-mean ``test_acc`` of that
    architecture at the top fidelity (the "train the found architecture fully and report" number;
    this reporting query is not charged).  ``regret = oracle - incumbent_test`` with
    ``oracle = benchmark.best("test_acc")`` (or the best feasible architecture's).
"""
from __future__ import annotations

import heapq
import json
import math
import re
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from nasbench.strategies.base import Strategy, Suggestion
from nasbench.types import Architecture

__all__ = ["Budget", "Trace", "run", "mean_full_cost", "oracle"]

_MAX_EVALUATIONS = 10_000_000  # guard against zero-cost loops under a pure cost budget


# --------------------------------------------------------------------------- budget
@dataclass(frozen=True)
class Budget:
    """How much search a run may do: exactly one of ``evaluations`` or ``cost``.

    Attributes
    ----------
    evaluations : int or None
        Number of evaluations (queries at any fidelity).
    cost : float or None
        Simulated time limit in the benchmark's ``cost_unit``.
    """

    evaluations: int | None = None
    cost: float | None = None

    def __post_init__(self) -> None:
        if (self.evaluations is None) == (self.cost is None):
            raise ValueError("Budget needs exactly one of evaluations= or cost=")
        if self.evaluations is not None and (int(self.evaluations) != self.evaluations or self.evaluations < 1):
            raise ValueError(f"Budget.evaluations must be a positive int, got {self.evaluations!r}")
        if self.cost is not None and not (math.isfinite(self.cost) and self.cost > 0):
            raise ValueError(f"Budget.cost must be a positive number, got {self.cost!r}")

    @classmethod
    def parse(cls, spec, benchmark=None) -> "Budget":
        """``Budget`` from ``"150"`` (evaluations), ``"3600s"`` (simulated seconds), ``"300x"``
        (multiples of one top-fidelity training's mean cost; needs ``benchmark``), an int
        (evaluations) or a ``Budget``."""
        if isinstance(spec, Budget):
            return spec
        if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
            return cls(evaluations=int(spec))
        if not isinstance(spec, str):
            raise TypeError(f"budget must be a Budget, an int or a string, got {type(spec).__name__}")
        s = spec.strip().lower()
        m = re.fullmatch(r"(\d+)", s)
        if m:
            return cls(evaluations=int(m.group(1)))
        m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*(s|x)", s)
        if not m:
            raise ValueError(f"cannot read budget {spec!r}: use '150' (evaluations), '3600s' (simulated "
                             "seconds) or '300x' (multiples of one full training's mean cost)")
        value, unit = float(m.group(1)), m.group(2)
        if unit == "s":
            if benchmark is not None and benchmark.cost_unit != "seconds":
                raise ValueError(f"budget {spec!r} is in seconds but {benchmark.name} counts cost in "
                                 f"{benchmark.cost_unit}; use 'Nx' or an evaluation count")
            return cls(cost=value)
        if benchmark is None:
            raise ValueError(f"budget {spec!r} is relative to a benchmark's training cost; pass the benchmark")
        return cls(cost=value * mean_full_cost(benchmark))

    def to_dict(self) -> dict:
        return {"evaluations": self.evaluations, "cost": self.cost}


# ----------------------------------------------------------------- benchmark facts
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _cached(benchmark, key, compute):
    try:
        store = _CACHE.setdefault(benchmark, {})
    except TypeError:  # not weak-referenceable: no cache
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def _mean_cost(benchmark, fidelity: int) -> float:
    def compute():
        idx = np.arange(benchmark.space.size)
        ev = benchmark.query(idx, fidelity=int(fidelity), seed="mean", metrics=["val_acc"])
        c = float(np.nanmean(np.asarray(ev.cost, dtype=np.float64)))
        if not math.isfinite(c):
            raise ValueError(f"{benchmark.name}: no recorded cost at fidelity {fidelity}")
        return c

    return _cached(benchmark, ("mean_cost", int(fidelity)), compute)


def mean_full_cost(benchmark) -> float:
    """Mean (over the space, seed-mean) cost of one training to the top fidelity, in ``cost_unit``."""
    return _mean_cost(benchmark, benchmark.max_fidelity)


def oracle(benchmark, constraints: Mapping[str, float] | None = None) -> float:
    """Best seed-mean top-fidelity ``test_acc`` over the space (over feasible architectures
    ``metric <= cap`` for every item of ``constraints``)."""
    cons = tuple(sorted((constraints or {}).items()))
    if not cons:
        return _cached(benchmark, ("oracle",), lambda: float(benchmark.best("test_acc")))

    def compute():
        test = np.asarray(benchmark.table("test_acc"), dtype=np.float64)
        ok = np.ones(test.shape, dtype=bool)
        for m, cap in cons:
            v = np.asarray(benchmark.table(m), dtype=np.float64)
            ok &= v <= cap
        if not np.any(ok & np.isfinite(test)):
            raise ValueError(f"{benchmark.name}: no architecture satisfies the constraints {dict(cons)}")
        return float(np.nanmax(np.where(ok, test, np.nan)))

    return _cached(benchmark, ("oracle",) + cons, compute)


# -------------------------------------------------------------------------- trace
_INT_COLS = {"arch": np.int64, "fidelity": np.int32, "trial": np.int32, "worker": np.int32, "incumbent": np.int64}
_FLOAT_COLS = ("cost", "start", "finish", "wall", "incumbent_val", "incumbent_test")
_TIMING_META = ("wall_seconds", "strategy_seconds", "benchmark_seconds")


class Trace:
    """Append-only log of one run, one row per recorded evaluation, in completion order.

    Columns (all ``(n,)`` numpy arrays, read-only views):

    ``arch`` (int64 index in the space), ``fidelity`` (int32), ``trial`` (int32, the recorded
    training seed read), ``worker`` (int32), ``cost`` (charged, ``cost_unit``), ``start`` and
    ``finish`` (simulated times), ``wall`` (wall-clock seconds since the run began; the only
    column that differs between identical runs), ``incumbent`` (row of the incumbent after this
    evaluation, -1 while none), ``incumbent_val``, ``incumbent_test`` (NaN while none), and
    ``values[metric]`` for every metric queried (``val_acc``, ``test_acc`` and the strategy's).

    ``meta`` is a JSON-serialisable dict: strategy, benchmark, seed, budget, n_workers, cost_unit,
    fidelity_kind, fidelities, oracle, constraints, timings.
    """

    def __init__(self, metrics: Sequence[str], meta: Mapping | None = None, capacity: int = 64):
        self.meta: dict = dict(meta or {})
        self._n = 0
        self._cap = max(int(capacity), 1)
        self._cols = {k: np.zeros(self._cap, dtype=t) for k, t in _INT_COLS.items()}
        self._cols.update({k: np.zeros(self._cap) for k in _FLOAT_COLS})
        self._vals = {m: np.zeros(self._cap) for m in metrics}

    # ------------------------------------------------------------- writing
    def _grow(self) -> None:
        self._cap *= 2
        for d in (self._cols, self._vals):
            for k, a in d.items():
                b = np.zeros(self._cap, dtype=a.dtype)
                b[: self._n] = a[: self._n]
                d[k] = b

    def append(self, *, arch: int, fidelity: int, trial: int, worker: int, cost: float, start: float,
               finish: float, wall: float, values: Mapping[str, float], incumbent: int,
               incumbent_val: float, incumbent_test: float) -> None:
        """Add one row (the runner's job; traces are append-only)."""
        if self._n == self._cap:
            self._grow()
        i = self._n
        c = self._cols
        c["arch"][i] = arch
        c["fidelity"][i] = fidelity
        c["trial"][i] = trial
        c["worker"][i] = worker
        c["cost"][i] = cost
        c["start"][i] = start
        c["finish"][i] = finish
        c["wall"][i] = wall
        c["incumbent"][i] = incumbent
        c["incumbent_val"][i] = incumbent_val
        c["incumbent_test"][i] = incumbent_test
        for m, a in self._vals.items():
            a[i] = values[m]
        self._n += 1

    # ------------------------------------------------------------- reading
    def __len__(self) -> int:
        return self._n

    def _view(self, a: np.ndarray) -> np.ndarray:
        v = a[: self._n]
        v = v.view()
        v.flags.writeable = False
        return v

    def __getattr__(self, name: str):
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return self._view(cols[name])
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def values(self) -> dict[str, np.ndarray]:
        """``{metric: (n,) float64}`` of every queried metric at the evaluated fidelity."""
        return {m: self._view(a) for m, a in self._vals.items()}

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self._vals)

    @property
    def oracle(self) -> float:
        return float(self.meta.get("oracle", np.nan))

    @property
    def regret(self) -> np.ndarray:
        """``(n,)`` ``oracle - incumbent_test`` after each evaluation (NaN while no incumbent)."""
        return self.oracle - self.incumbent_test

    @property
    def time(self) -> np.ndarray:
        """Alias of ``finish``: simulated time at which each row's result arrived."""
        return self.finish

    def _rows_at(self, x, axis: str) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if axis == "time":
            pos = np.searchsorted(self._cols["finish"][: self._n], x, side="right")
        elif axis == "evaluations":
            pos = np.clip(np.floor(x), 0, self._n).astype(np.int64)
        else:
            raise ValueError(f"axis must be 'time' or 'evaluations', got {axis!r}")
        return pos - 1  # last recorded row at x, -1 before the first

    def incumbent_test_at(self, x, axis: str = "time") -> np.ndarray:
        """Step function: incumbent test accuracy at simulated times (or evaluation counts) ``x``."""
        rows = self._rows_at(x, axis)
        inc = np.concatenate([[np.nan], self._cols["incumbent_test"][: self._n]])
        return inc[rows + 1]

    def regret_at(self, x, axis: str = "time", oracle: float | None = None) -> np.ndarray:
        """Step function: regret at ``x`` (NaN before the first incumbent)."""
        o = self.oracle if oracle is None else float(oracle)
        return o - self.incumbent_test_at(x, axis)

    def final(self) -> dict:
        """Summary of the end state: incumbent arch index, its val/test accuracy, regret, time."""
        if self._n == 0:
            return {"arch": -1, "val_acc": np.nan, "test_acc": np.nan, "regret": np.nan, "time": 0.0, "n": 0}
        last = self._n - 1
        row = int(self._cols["incumbent"][last])
        return {"arch": int(self._cols["arch"][row]) if row >= 0 else -1,
                "val_acc": float(self._cols["incumbent_val"][last]),
                "test_acc": float(self._cols["incumbent_test"][last]),
                "regret": float(self.regret[last]), "time": float(self._cols["finish"][last]), "n": self._n}

    def archs(self, space) -> list[Architecture]:
        """The evaluated architectures as :class:`Architecture` values of ``space``."""
        return [space.from_index(int(i)) for i in self.arch]

    def equals(self, other: "Trace", *, ignore_wall: bool = True) -> bool:
        """Bit-identical columns and values (and meta apart from timings)?"""
        if len(self) != len(other) or set(self._vals) != set(other._vals):
            return False
        for k in self._cols:
            if ignore_wall and k == "wall":
                continue
            if not np.array_equal(self._cols[k][: self._n], other._cols[k][: other._n], equal_nan=True):
                return False
        for m in self._vals:
            if not np.array_equal(self._vals[m][: self._n], other._vals[m][: other._n], equal_nan=True):
                return False
        strip = lambda d: {k: v for k, v in d.items() if k not in _TIMING_META}  # noqa: E731
        return json.dumps(strip(self.meta), sort_keys=True) == json.dumps(strip(other.meta), sort_keys=True)

    def __repr__(self) -> str:
        return (f"Trace({self.meta.get('strategy', '?')!r} on {self.meta.get('benchmark', '?')!r}, "
                f"seed={self.meta.get('seed')}, n={self._n})")

    # ---------------------------------------------------------------- files
    def save(self, path) -> Path:
        """Write a compressed ``.npz`` (no pickles): columns, ``values/<metric>`` and ``meta`` JSON."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"col/{k}": a[: self._n] for k, a in self._cols.items()}
        arrays.update({f"values/{m}": a[: self._n] for m, a in self._vals.items()})
        arrays["meta"] = np.array(json.dumps(self.meta, sort_keys=True))
        arrays["format"] = np.array("nasbench-trace-1")
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path) -> "Trace":
        """Read a trace written by :meth:`save`."""
        path = Path(path)
        with np.load(path, allow_pickle=False) as z:
            keys = set(z.files)
            if "format" not in keys or str(z["format"]) != "nasbench-trace-1":
                raise ValueError(f"{path}: not a nasbench trace file (format 'nasbench-trace-1' expected)")
            missing = [f"col/{k}" for k in list(_INT_COLS) + list(_FLOAT_COLS) if f"col/{k}" not in keys]
            if missing:
                raise ValueError(f"{path}: trace file lacks {missing}")
            metrics = sorted(k[len("values/"):] for k in keys if k.startswith("values/"))
            n = len(z["col/arch"])
            tr = cls(metrics, json.loads(str(z["meta"])), capacity=max(n, 1))
            for k in tr._cols:
                tr._cols[k][:n] = z[f"col/{k}"]
            for m in metrics:
                tr._vals[m][:n] = z[f"values/{m}"]
            tr._n = n
        return tr


# ---------------------------------------------------------------------------- run
@dataclass
class _RunState:
    trial: int
    fidelity: int
    cost: float  # full cumulative cost of the run so far


def _strategy_name(factory, strategy) -> str:
    return getattr(strategy, "name", None) or getattr(factory, "__name__", type(strategy).__name__)


def _hparams(factory) -> dict:
    kw = getattr(factory, "keywords", None)
    if not kw:
        return {}
    out = {}
    for k, v in kw.items():
        out[k] = v if isinstance(v, (int, float, str, bool, type(None), list, tuple)) else repr(v)
    return out


def run(strategy: Callable[..., Strategy], benchmark, budget, seed: int, *, n_workers: int = 1,
        fidelity: int | None = None, callbacks: Iterable[Callable[[Trace], None]] = (),
        name: str | None = None, record: str | Sequence[str] = "static") -> Trace:
    """Run one search on the simulated clock and return its :class:`Trace`.

    Parameters
    ----------
    strategy : callable ``(space, seed) -> Strategy``
        A strategy class or ``functools.partial(Class, **hparams)`` (see the module docstring).
    benchmark : Benchmark
    budget : Budget, int (evaluations) or str (``"150"``, ``"3600s"``, ``"300x"``)
    seed : int
        Run seed; spawns the strategy seed and the query RNG.
    n_workers : int
        Asynchronous simulated workers.
    fidelity : int or None
        Fidelity used for suggestions without one (default: the top fidelity), e.g. 12 to search
        on NB201's 12-epoch signal.
    callbacks : callables ``f(trace)``
        Called after each recorded evaluation; they observe only.
    name : str or None
        Strategy name stored in the trace (default: the strategy's ``name``).
    record : "static" or sequence of str
        Extra metrics recorded in the trace for every evaluation (never shown to the strategy):
        ``"static"`` (default) records all the benchmark's static metrics (params, FLOPs,
        latency, ...), so Pareto fronts can be drawn for any strategy.
    """
    if isinstance(strategy, Strategy):
        raise TypeError("run() takes a strategy factory (the class, or functools.partial(Class, **hparams)), "
                        "not an instance: the run seed must seed the strategy")
    if not callable(strategy):
        raise TypeError(f"strategy must be callable (space, seed) -> Strategy, got {type(strategy).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if int(n_workers) < 1:
        raise ValueError(f"n_workers must be >= 1, got {n_workers}")
    n_workers = int(n_workers)
    budget = Budget.parse(budget, benchmark)
    callbacks = list(callbacks)
    space = benchmark.space
    fids = np.asarray(benchmark.fidelities, dtype=np.int64)
    default_fid = int(fids[-1]) if fidelity is None else int(fids[benchmark.fidelity_pos(fidelity)])
    top_fid = int(fids[-1])

    s_strat, s_query = np.random.SeedSequence(int(seed)).spawn(2)
    strat = strategy(space, int(s_strat.generate_state(1, dtype=np.uint32)[0]))
    if not isinstance(strat, Strategy):
        raise TypeError(f"the strategy factory returned {type(strat).__name__}, not a Strategy")
    strat.setup(fids, benchmark.fidelity_kind)
    qrng = np.random.default_rng(s_query)

    s_metrics = tuple(strat.metrics)
    leak = [m for m in s_metrics if m.startswith("test")]
    if leak:
        raise ValueError(f"strategy {strat.name!r} asks for test metrics {leak}: search may only use "
                         "training/validation data")
    constraints = dict(strat.constraints)
    for m in ("val_acc", "test_acc"):
        if m not in benchmark.metrics:
            raise KeyError(f"{benchmark.name}: the runner needs metric {m!r}; available: {list(benchmark.metrics)}")
    benchmark.check_metrics(list(s_metrics) + list(constraints))  # KeyError naming valid metrics
    extra = list(benchmark.static_metrics) if isinstance(record, str) and record == "static" else list(record)
    if extra:
        benchmark.check_metrics(extra)
    q_metrics = list(dict.fromkeys(["val_acc", "test_acc", *s_metrics, *constraints, *extra]))

    the_oracle = oracle(benchmark, constraints)
    charge_per_arch = 0.0  # charged static information (zero-cost scores) read by the strategy
    if getattr(benchmark, "cost_unit", "") == "seconds":
        mattrs = getattr(benchmark, "metric_attrs", {}) or {}
        for m in s_metrics:
            c = (mattrs.get(m) or {}).get("seconds_per_arch") if m in benchmark.static_metrics else None
            if c is not None and math.isfinite(float(c)):
                charge_per_arch += float(c)
    name = name or _strategy_name(strategy, strat)
    meta = {
        "strategy": name, "strategy_class": type(strat).__name__, "hparams": _hparams(strategy),
        "benchmark": benchmark.name, "space": space.name, "seed": int(seed), "budget": budget.to_dict(),
        "n_workers": n_workers, "cost_unit": benchmark.cost_unit, "fidelity_kind": benchmark.fidelity_kind,
        "fidelities": fids.tolist(), "default_fidelity": default_fid, "oracle": the_oracle,
        "constraints": constraints, "allows_repeats": bool(strat.allows_repeats),
        "multi_fidelity": bool(strat.multi_fidelity),
    }
    try:
        import nasbench

        meta["nasbench_version"] = nasbench.__version__
    except Exception:  # pragma: no cover
        pass
    trace = Trace(q_metrics, meta)

    n_seeds = int(getattr(benchmark, "n_seeds", 1))
    runs: dict[int, _RunState] = {}
    final_test: dict[int, float] = {}
    t_strat = t_bench = 0.0
    t0 = time.perf_counter()

    def evaluate(suggestions) -> list[tuple]:
        """Query a batch; returns (idx, fid, trial, charged cost, {metric: value}, suggestion)."""
        nonlocal t_bench
        jobs = []
        groups: dict[tuple[int, int], list[int]] = {}
        for s in suggestions:
            if isinstance(s, Suggestion):
                arch, f = s.arch, s.fidelity
            elif isinstance(s, Architecture):
                arch, f = s, None
            else:
                raise TypeError(f"strategy {name!r} returned {type(s).__name__}; expected Suggestion")
            i = space.index(arch)
            f = default_fid if f is None else int(f)
            if f not in fids:
                raise ValueError(f"strategy {name!r} asked for fidelity {f}; {benchmark.name} has {fids.tolist()}")
            st = runs.get(i)
            if benchmark.fidelity_kind == "epoch_of_schedule" and st is not None and f > st.fidelity:
                trial, paid = st.trial, st.cost
            else:
                trial, paid = int(qrng.integers(n_seeds)), 0.0
            jobs.append([i, f, trial, paid, None, s])
            groups.setdefault((f, trial), []).append(len(jobs) - 1)
        tb = time.perf_counter()
        for (f, trial), rows in groups.items():
            # one architecture: pass the value itself (tables answer it on a scalar fast path)
            what = (jobs[rows[0]][5].arch if isinstance(jobs[rows[0]][5], Suggestion) else jobs[rows[0]][5]) \
                if len(rows) == 1 else np.array([jobs[r][0] for r in rows], dtype=np.int64)
            ev = benchmark.query(what, fidelity=f, trial=trial, metrics=q_metrics)
            cost = np.asarray(ev.cost, dtype=np.float64).reshape(-1)
            vals = {m: np.asarray(ev.values[m], dtype=np.float64).reshape(-1) for m in q_metrics}
            for k, r in enumerate(rows):
                full = cost[k] if math.isfinite(cost[k]) else _mean_cost(benchmark, f)
                jobs[r][4] = ({m: float(vals[m][k]) for m in q_metrics}, float(full))
        t_bench += time.perf_counter() - tb
        out = []
        for i, f, trial, paid, (values, full), s in jobs:
            extra = charge_per_arch if i not in runs else 0.0
            runs[i] = _RunState(trial, f, full)
            out.append((i, f, trial, max(full - paid, 0.0) + extra, values, s))
        return out

    def report_test(i: int) -> float:
        nonlocal t_bench
        if i not in final_test:
            tb = time.perf_counter()
            ev = benchmark.query(np.array([i], dtype=np.int64), fidelity=top_fid, seed="mean", metrics=["test_acc"])
            final_test[i] = float(np.asarray(ev.values["test_acc"]).reshape(-1)[0])
            t_bench += time.perf_counter() - tb
        return final_test[i]

    heap: list = []
    free = list(range(n_workers))
    clock = 0.0
    n_started = 0
    seq = 0
    accepting = True
    inc_row, inc_val, inc_test = -1, -math.inf, math.nan
    while True:
        if accepting and free:
            k = len(free)
            if budget.evaluations is not None:
                k = min(k, budget.evaluations - n_started)
            elif clock >= budget.cost or n_started >= _MAX_EVALUATIONS:
                k = 0
            if k <= 0:
                accepting = False
            else:
                ts = time.perf_counter()
                sugg = strat.ask(k)
                t_strat += time.perf_counter() - ts
                if len(sugg) > k:
                    raise RuntimeError(f"strategy {name!r} returned {len(sugg)} suggestions for ask({k})")
                if sugg:
                    for job in evaluate(sugg):
                        w = heapq.heappop(free)
                        heapq.heappush(heap, (clock + job[3], seq, clock, w, job))
                        seq += 1
                    n_started += len(sugg)
                    continue  # fill the remaining free workers first
                if not heap:
                    break  # the strategy has nothing more to suggest
        if not heap:
            break
        finish, _, start, w, (i, f, trial, cost, values, s) = heapq.heappop(heap)
        if budget.cost is not None and finish > budget.cost * (1 + 1e-12):
            break  # this and every later job would end after the budget
        clock = finish
        feasible = all(values[m] <= cap for m, cap in constraints.items())
        v = values["val_acc"]
        if feasible and math.isfinite(v) and v > inc_val:
            inc_row, inc_val, inc_test = len(trace), v, report_test(i)
        trace.append(arch=i, fidelity=f, trial=trial, worker=w, cost=cost, start=start, finish=finish,
                     wall=time.perf_counter() - t0, values=values, incumbent=inc_row,
                     incumbent_val=inc_val if inc_row >= 0 else math.nan, incumbent_test=inc_test)
        ts = time.perf_counter()
        strat.tell([s], {m: np.array([values[m]]) for m in s_metrics})
        t_strat += time.perf_counter() - ts
        heapq.heappush(free, w)
        for cb in callbacks:
            cb(trace)

    trace.meta.update(wall_seconds=time.perf_counter() - t0, strategy_seconds=t_strat, benchmark_seconds=t_bench)
    return trace
