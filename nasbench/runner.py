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

from nasbench.strategies.base import Strategy, Suggestion, _RunnerValues
from nasbench.types import Architecture

__all__ = ["Budget", "Trace", "run", "run_many", "mean_full_cost", "oracle"]

_MAX_EVALUATIONS = 10_000_000  # guard against zero-cost loops under a pure cost budget
_perf = time.perf_counter


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


_STATIC_LOOKUP_LIMIT = 1 << 20


def _static_rows(benchmark, metrics: tuple) -> list:
    """``rows[i]``: the static ``metrics`` of architecture ``i`` as a tuple of Python floats
    (cached per benchmark and metric tuple; what a one-architecture step appends to its values)."""
    def compute():
        cols = [np.asarray(benchmark.table(m), dtype=np.float64).reshape(-1).tolist() for m in metrics]
        return list(zip(*cols))

    return _cached(benchmark, ("static_rows", metrics), compute)


def _final_tests(benchmark) -> list:
    """Seed-mean top-fidelity ``test_acc`` of every architecture as Python floats (cached per
    benchmark): what an incumbent reports."""
    def compute():
        ev = benchmark.query(np.arange(benchmark.space.size), fidelity=benchmark.max_fidelity, seed="mean",
                             metrics=["test_acc"])
        return np.asarray(ev.values["test_acc"], dtype=np.float64).reshape(-1).tolist()

    return _cached(benchmark, ("final_test",), compute)


def mean_full_cost(benchmark) -> float:
    """Mean (over the space, seed-mean) cost of one training to the top fidelity, in ``cost_unit``."""
    return _mean_cost(benchmark, benchmark.max_fidelity)


def oracle(benchmark, constraints: Mapping[str, float] | None = None) -> float:
    """Best seed-mean top-fidelity ``test_acc`` over the space (over feasible architectures
    ``metric <= cap`` for every item of ``constraints``); NaN for benchmarks without an oracle
    (``has_oracle = False``, e.g. :class:`~nasbench.benchmarks.live.LiveBenchmark`)."""
    if not getattr(benchmark, "has_oracle", True):
        return math.nan  # e.g. a live benchmark: the best of the space is unknown
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
_ROW_ORDER = ("arch", "fidelity", "trial", "worker", "cost", "start", "finish", "wall", "incumbent", "incumbent_val",
              "incumbent_test")


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
        self._n = 0  # rows in the columns
        self._cap = max(int(capacity), 1)
        self._cols = {k: np.zeros(self._cap, dtype=t) for k, t in _INT_COLS.items()}
        self._cols.update({k: np.zeros(self._cap) for k in _FLOAT_COLS})
        self._vals = {m: np.zeros(self._cap) for m in metrics}
        self._pending: list[tuple] = []  # rows added by the runner, not yet in the columns

    # ------------------------------------------------------------- writing
    def _grow(self, need: int) -> None:
        while self._cap < need:
            self._cap *= 2
        for d in (self._cols, self._vals):
            for k, a in d.items():
                b = np.zeros(self._cap, dtype=a.dtype)
                b[: self._n] = a[: self._n]
                d[k] = b

    def _add(self, row: tuple) -> None:
        """Queue one row ``(arch, fidelity, trial, worker, cost, start, finish, wall, incumbent,
        incumbent_val, incumbent_test, *values in metric order)``; columns are filled on the
        next read (so the runner pays a list append per evaluation)."""
        self._pending.append(row)

    def _flush(self) -> None:
        rows = self._pending
        if not rows:
            return
        n0, n1 = self._n, self._n + len(rows)
        if n1 > self._cap:
            self._grow(n1)
        cols = list(zip(*rows))
        targets = [self._cols[k] for k in _ROW_ORDER] + list(self._vals.values())
        for a, col in zip(targets, cols):
            a[n0:n1] = col
        self._n = n1
        rows.clear()  # the same list: the runner holds its append

    def append(self, *, arch: int, fidelity: int, trial: int, worker: int, cost: float, start: float,
               finish: float, wall: float, values: Mapping[str, float], incumbent: int,
               incumbent_val: float, incumbent_test: float) -> None:
        """Add one row (the runner's job; traces are append-only)."""
        self._add((arch, fidelity, trial, worker, cost, start, finish, wall, incumbent, incumbent_val,
                   incumbent_test, *(values[m] for m in self._vals)))

    # ------------------------------------------------------------- reading
    def __len__(self) -> int:
        return self._n + len(self._pending)

    def _view(self, a: np.ndarray) -> np.ndarray:
        self._flush()
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
        self._flush()
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
        rows = self._rows_at(x, axis)  # flushes
        inc = np.concatenate([[np.nan], self._cols["incumbent_test"][: self._n]])
        return inc[rows + 1]

    def regret_at(self, x, axis: str = "time", oracle: float | None = None) -> np.ndarray:
        """Step function: regret at ``x`` (NaN before the first incumbent)."""
        o = self.oracle if oracle is None else float(oracle)
        return o - self.incumbent_test_at(x, axis)

    def final(self) -> dict:
        """Summary of the end state: incumbent arch index, its val/test accuracy, regret, time."""
        self._flush()
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
        self._flush()
        other._flush()
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
                f"seed={self.meta.get('seed')}, n={len(self)})")

    # ---------------------------------------------------------------- files
    def save(self, path) -> Path:
        """Write a compressed ``.npz`` (no pickles): columns, ``values/<metric>`` and ``meta`` JSON."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._flush()
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


_TRIAL_BLOCK: int | None = None


def _trial_block() -> int:
    """How many recorded-seed draws a run takes from its query RNG at once: 256 when
    ``rng.integers(k, size=n)`` yields exactly the draws of ``n`` calls ``rng.integers(k)``
    (checked once; numpy's bounded integers do), else 1.  The query RNG draws nothing else,
    so traces are the same either way."""
    global _TRIAL_BLOCK
    if _TRIAL_BLOCK is None:
        ok = True
        for k in (1, 2, 3, 5):
            a, b = np.random.default_rng(2024), np.random.default_rng(2024)
            ok &= [int(a.integers(k)) for _ in range(300)] == b.integers(k, size=300).tolist()
        _TRIAL_BLOCK = 256 if ok else 1
    return _TRIAL_BLOCK


class _Search:
    """Checks and set-up shared by every run of one search (strategy factory, benchmark, budget,
    workers): the benchmark's facts, the metrics queried and the oracle (per strategy metric
    set), and the seed-mean top-fidelity ``test_acc`` of incumbents (cached for all runs)."""

    def __init__(self, strategy, benchmark, budget, n_workers, fidelity, callbacks, name, record):
        if isinstance(strategy, Strategy):
            raise TypeError("run() takes a strategy factory (the class, or functools.partial(Class, **hparams)), "
                            "not an instance: the run seed must seed the strategy")
        if not callable(strategy):
            raise TypeError(f"strategy must be callable (space, seed) -> Strategy, got {type(strategy).__name__}")
        if int(n_workers) < 1:
            raise ValueError(f"n_workers must be >= 1, got {n_workers}")
        self.factory = strategy
        self.benchmark = benchmark
        self.n_workers = int(n_workers)
        self.budget = Budget.parse(budget, benchmark)
        self.callbacks = list(callbacks)
        self.name = name
        self.space = benchmark.space
        fids = np.asarray(benchmark.fidelities, dtype=np.int64)
        self.fids = fids
        self.fid_set = frozenset(fids.tolist())
        self.default_fid = int(fids[-1]) if fidelity is None else int(fids[benchmark.fidelity_pos(fidelity)])
        self.top_fid = int(fids[-1])
        self.continues = benchmark.fidelity_kind == "epoch_of_schedule"
        self.n_seeds = int(getattr(benchmark, "n_seeds", 1))
        self.record = record
        self.hparams = _hparams(strategy)
        self.space_name = self.space.name
        self.index_of = getattr(self.space, "_index_map", lambda: None)() or {}  # ops -> index
        self.answerers: dict = {}  # (metrics, fidelity) -> answer(i, trial, arch), see answerer()
        # benchmarks whose own class reads one architecture from arrays (tables, surrogates):
        # a subclass that might answer queries differently goes through query()
        self.reads_scalars = "_scalar_reader" in type(benchmark).__dict__
        self.final_test: dict[int, float] = {}
        # tables and surrogates: the whole column, read once per benchmark
        self.final_list = (_final_tests(benchmark) if self.reads_scalars and self.space.size <= _STATIC_LOOKUP_LIMIT
                           else None)
        self._metric_sets: dict = {}

    def metric_set(self, strat: Strategy) -> tuple:
        """``(q_metrics, s_items, c_items, constraints, oracle, q_scalar, static_rows)`` for a
        strategy's metrics and constraints; ``s_items``/``c_items`` pair each strategy metric /
        constraint with its position in ``q_metrics`` (the order of a trace row's values);
        one-architecture queries ask for ``q_scalar`` and append ``static_rows[index]`` (the
        trailing static metrics of ``q_metrics``; None when there are none)."""
        s_metrics = tuple(strat.metrics)
        constraints = dict(strat.constraints)
        key = (s_metrics, tuple(constraints.items()))
        got = self._metric_sets.get(key)
        if got is not None:
            return got
        bench = self.benchmark
        leak = [m for m in s_metrics if m.startswith("test")]
        if leak:
            raise ValueError(f"strategy {strat.name!r} asks for test metrics {leak}: search may only use "
                             "training/validation data")
        for m in ("val_acc", "test_acc"):
            if m not in bench.metrics:
                raise KeyError(f"{bench.name}: the runner needs metric {m!r}; available: {list(bench.metrics)}")
        bench.check_metrics(list(s_metrics) + list(constraints))  # KeyError naming valid metrics
        rec = self.record
        # "static": the objectives a Pareto front may use (params, FLOPs, latency, ...); attached
        # zero-cost scores (zc_*) are estimates, recorded only when named
        extra = ([m for m in bench.static_metrics if not m.startswith("zc_")]
                 if isinstance(rec, str) and rec == "static" else list(rec))
        if extra:
            bench.check_metrics(extra)
        q = tuple(dict.fromkeys(["val_acc", "test_acc", *s_metrics, *constraints, *extra]))
        pos = {m: k for k, m in enumerate(q)}
        # one-architecture queries read the trailing static metrics (they depend on neither seed
        # nor fidelity) from whole-space lists, built once per benchmark, instead of asking for them
        static = set(bench.static_metrics)
        n_tail = 0
        while n_tail < len(q) - 2 and q[len(q) - 1 - n_tail] in static:
            n_tail += 1
        rows = None
        if (n_tail and self.space.size <= _STATIC_LOOKUP_LIMIT and hasattr(bench, "table")
                and getattr(bench, "cheap_tables", True)):
            rows = _static_rows(bench, q[len(q) - n_tail:])
        else:
            n_tail = 0
        got = (q, tuple((m, pos[m]) for m in s_metrics), tuple((pos[m], cap) for m, cap in constraints.items()),
               constraints, oracle(bench, constraints), q[:len(q) - n_tail], rows)
        self._metric_sets[key] = got
        return got

    def charge_per_arch(self, strat: Strategy) -> float:
        """Seconds charged on the first evaluation of each architecture for the static metrics
        with a measured cost (``seconds_per_arch`` in their attrs, e.g. shipped zero-cost
        scores) that the strategy reads; 0 for tables that count cost in evaluations."""
        bench = self.benchmark
        if getattr(bench, "cost_unit", "") != "seconds":
            return 0.0
        mattrs = getattr(bench, "metric_attrs", {}) or {}
        total = 0.0
        for m in strat.metrics:
            c = (mattrs.get(m) or {}).get("seconds_per_arch") if m in bench.static_metrics else None
            if c is not None and math.isfinite(float(c)):
                total += float(c)
        return total

    def answerer(self, q: tuple, fidelity: int, rows: list | None):
        """``answer(i, trial, arch) -> (values, full cost)`` of one architecture at ``fidelity``
        (shared by the runs): the values of ``q`` followed by ``rows[i]`` (the static metrics
        appended, when ``rows`` is given) as Python floats; on a table or a surrogate read
        straight from its arrays (its ``_scalar_reader``), else one query per call.  A NaN cost is
        a missing result (the caller charges the mean)."""
        key = (q, fidelity)
        ans = self.answerers.get(key)
        if ans is None:
            bench = self.benchmark
            if self.reads_scalars:
                ans = bench._scalar_reader(q, fidelity, tail=rows)
            else:
                def ans(i, trial, arch):
                    ev = bench.query(arch, fidelity=fidelity, trial=trial, metrics=q)
                    vals = ev.values  # (1,) arrays
                    v = tuple([float(vals[m][0]) for m in q])
                    return (v + rows[i] if rows is not None else v), float(ev.cost[0])
            self.answerers[key] = ans
        return ans

    def test_value(self, i: int) -> float:
        """Seed-mean ``test_acc`` of architecture ``i`` at the top fidelity (reported, not charged)."""
        if self.final_list is not None:
            return self.final_list[i]
        v = self.final_test.get(i)
        if v is None:
            ev = self.benchmark.query(np.array([i], dtype=np.int64), fidelity=self.top_fid, seed="mean",
                                      metrics=["test_acc"])
            v = self.final_test[i] = float(np.asarray(ev.values["test_acc"]).reshape(-1)[0])
        return v


def _evaluate(search: _Search, jobs: list) -> tuple[list, float]:
    """Answer the jobs ``(run, index, fidelity, trial, paid, suggestion, arch)`` of one or many
    runs with one query per (fidelity, metric set), one recorded seed per row.

    Returns ``(values tuple in q_metrics order, full cumulative cost)`` per job, and the seconds
    spent querying (the callers charge them to the runs)."""
    bench = search.benchmark
    tb = time.perf_counter()
    if len(jobs) == 1:  # one architecture: pass the value itself (tables answer it on a scalar path)
        return [jobs[0][0].answer(jobs[0])], time.perf_counter() - tb
    f0, q0 = jobs[0][2], jobs[0][0].q_metrics
    if all(j[2] == f0 and j[0].q_metrics is q0 for j in jobs):  # the common case: one group
        groups = {(f0, q0): range(len(jobs))}
    else:
        groups = {}
        for k, job in enumerate(jobs):
            groups.setdefault((job[2], job[0].q_metrics), []).append(k)
    out: list = [None] * len(jobs)
    for (f, q), rows in groups.items():
        if len(rows) == 1:
            job = jobs[rows[0]]
            out[rows[0]] = job[0].answer(job)
            continue
        ev = bench.query(np.array([jobs[r][1] for r in rows], dtype=np.int64), fidelity=f,
                         trial=np.array([jobs[r][3] for r in rows], dtype=np.int64), metrics=q)
        vals = zip(*[np.asarray(ev.values[m], dtype=np.float64).reshape(-1).tolist() for m in q])
        cost = np.asarray(ev.cost, dtype=np.float64).reshape(-1).tolist()
        for r, v, c in zip(rows, vals, cost):
            out[r] = (v, c if math.isfinite(c) else _mean_cost(bench, f))
    return out, time.perf_counter() - tb


class _Run:
    """One search on its own simulated clock: strategy, query RNG, trace, event queue (free
    workers, running jobs), the runs of each architecture it trained, the incumbent and timers.

    With one worker, :meth:`run_serial` runs it to its end; otherwise :meth:`step` advances it
    until it needs evaluations (None: the run is over) and :meth:`start` puts the answered jobs
    on the workers.  :meth:`close` ends it.  ``run`` drives one of them, ``run_many`` many.
    """

    def __init__(self, search: _Search, seed):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        self.search = search
        bench, space = search.benchmark, search.space
        s_strat, s_query = np.random.SeedSequence(int(seed)).spawn(2)
        strat = search.factory(space, int(s_strat.generate_state(1, dtype=np.uint32)[0]))
        if not isinstance(strat, Strategy):
            raise TypeError(f"the strategy factory returned {type(strat).__name__}, not a Strategy")
        strat.setup(search.fids, bench.fidelity_kind)
        self.strat = strat
        self.qrng = np.random.default_rng(s_query)
        self.trials: list[int] = []
        self.tpos = 0
        (self.q_metrics, self.s_items, self.c_items, constraints, the_oracle, self.q_scalar,
         self.static_rows) = search.metric_set(strat)
        self.charge = search.charge_per_arch(strat)  # charged static information (zero-cost scores)
        self.name = search.name or _strategy_name(search.factory, strat)
        meta = {
            "strategy": self.name, "strategy_class": type(strat).__name__, "hparams": search.hparams,
            "benchmark": bench.name, "space": space.name, "seed": int(seed), "budget": search.budget.to_dict(),
            "n_workers": search.n_workers, "cost_unit": bench.cost_unit, "fidelity_kind": bench.fidelity_kind,
            "fidelities": search.fids.tolist(), "default_fidelity": search.default_fid, "oracle": the_oracle,
            "constraints": constraints, "allows_repeats": bool(strat.allows_repeats),
            "multi_fidelity": bool(strat.multi_fidelity),
        }
        try:
            import nasbench

            meta["nasbench_version"] = nasbench.__version__
        except Exception:  # pragma: no cover
            pass
        self.trace = Trace(self.q_metrics, meta)
        self.add_row = self.trace._pending.append  # Trace._add, bound once
        self.runs: dict[int, tuple] = {}  # index -> (trial, fidelity reached, full cost so far)
        self.heap: list = []  # (finish, seq, start, worker, job)
        self.free = list(range(search.n_workers))
        self.clock = 0.0
        self.n_started = 0
        self.seq = 0
        self.accepting = True
        self.inc_row, self.inc_val, self.inc_test = -1, -math.inf, math.nan
        budget = search.budget
        self.finish_limit = math.inf if budget.cost is None else budget.cost * (1 + 1e-12)
        self.max_evals, self.max_cost = budget.evaluations, budget.cost
        self.ask, self.tell = strat.ask, strat.tell  # bound once
        self.s_one = self.s_items[0] if len(self.s_items) == 1 else None
        # one-metric built-in strategies take one result as a float (Strategy._runner_tell)
        self.tell_one = strat._runner_tell() if self.s_one is not None else None
        self.s_pos = self.s_one[1] if self.s_one is not None else -1
        self.callbacks = search.callbacks
        self.answers: dict = {}  # fidelity -> the search's answerer of q_scalar
        self.t_strat = self.t_bench = 0.0
        self.t0 = time.perf_counter()

    def answer(self, job: tuple) -> tuple:
        """``(values tuple in q_metrics order, full cumulative cost)`` of one job (a missing
        result's NaN cost becomes the mean cost at its fidelity)."""
        _, i, f, trial, _, _, arch = job
        ans = self.answers.get(f)
        if ans is None:
            ans = self.answers[f] = self.search.answerer(self.q_scalar, f, self.static_rows)
        v, c = ans(i, trial, arch)
        return v, (c if c - c == 0.0 else _mean_cost(self.search.benchmark, f))  # c - c: NaN/inf test

    def _jobs(self, suggestions) -> list:
        """:meth:`_job` of each suggestion."""
        return [self._job(s) for s in suggestions]

    def _job(self, s) -> tuple:
        """``(run, index, fidelity, trial, paid, suggestion, arch)`` of one suggestion: a higher
        fidelity of an architecture this run trained continues that training on
        ``epoch_of_schedule`` tables (same recorded seed, its cost so far paid); anything else
        is a new training with the next recorded seed drawn by the query RNG
        (``qrng.integers(n_seeds)``, drawn in blocks)."""
        search = self.search
        if s.__class__ is Suggestion or isinstance(s, Suggestion):
            arch, f = s.arch, s.fidelity
        elif isinstance(s, Architecture):
            arch, f = s, None
        else:
            raise TypeError(f"strategy {self.name!r} returned {type(s).__name__}; expected Suggestion")
        i = search.index_of.get(arch.ops) if arch.__class__ is Architecture and arch.space == search.space_name else None
        if i is None:
            i = search.space.index(arch)  # checks the architecture
        if f is None:
            f = search.default_fid
        else:
            f = int(f)
            if f not in search.fid_set:
                raise ValueError(f"strategy {self.name!r} asked for fidelity {f}; {search.benchmark.name} has "
                                 f"{search.fids.tolist()}")
        st = self.runs.get(i)
        if st is not None and f > st[1] and search.continues:
            return (self, i, f, st[0], st[2], s, arch)
        t = self.tpos
        if t == len(self.trials):
            self.trials = self.qrng.integers(search.n_seeds, size=_trial_block()).tolist()
            t = 0
        self.tpos = t + 1
        return (self, i, f, self.trials[t], 0.0, s, arch)

    # The event loop.  With one worker each job is trained and recorded as soon as it is
    # answered: ``run_serial`` loops over whole evaluations (ask, answer, record, tell).  With
    # several workers (or to answer many runs' jobs with one batched query) a step is ``step``
    # (ask until there are jobs to answer; None: the run is over) and then ``start`` with their
    # answers, on an event queue.  Both give the same trace for one worker; both record
    # through ``_record``.
    def run_serial(self) -> None:
        """One worker: ask for one architecture, answer it, record it and tell the strategy,
        until the run is over (the event queue's trace with one worker: each job finishes
        before the next ask).  The per-run invariants live in locals for the whole loop."""
        search = self.search
        perf = time.perf_counter
        ask, job_of, record = self.ask, self._job, self._record
        runs, charge, limit, answers = self.runs, self.charge, self.finish_limit, self.answers
        max_evals, max_cost = self.max_evals, self.max_cost
        clock, n_started, t_strat, t_bench = self.clock, self.n_started, 0.0, 0.0
        try:
            while True:
                if max_evals is not None:
                    if n_started >= max_evals:
                        return
                elif clock >= max_cost or n_started >= _MAX_EVALUATIONS:
                    return
                ts = perf()
                sugg = ask(1)
                t_strat += perf() - ts
                if not sugg:
                    return  # the strategy has nothing more to suggest
                if len(sugg) > 1:
                    raise RuntimeError(f"strategy {self.name!r} returned {len(sugg)} suggestions for ask(1)")
                _, i, f, trial, paid, s, arch = job_of(sugg[0])
                tb = perf()
                ans = answers.get(f)
                if ans is None:
                    ans = answers[f] = search.answerer(self.q_scalar, f, self.static_rows)
                values, full = ans(i, trial, arch)
                now = perf()
                t_bench += now - tb
                if full - full != 0.0:  # NaN (or inf): a missing result, charged the mean cost
                    full = _mean_cost(search.benchmark, f)
                extra = charge if (charge and i not in runs) else 0.0
                runs[i] = (trial, f, full)
                cost = max(full - paid, 0.0) + extra
                n_started += 1
                finish = clock + cost
                if finish > limit:
                    return  # it would end after the budget
                record(i, f, trial, 0, cost, clock, finish, values, s, now)
                clock = finish
        finally:
            self.clock, self.n_started = clock, n_started
            self.t_strat += t_strat
            self.t_bench += t_bench

    def step(self) -> list | None:
        """Fill free workers with suggestions (returned as jobs to answer), else record the next
        finished job; None when the run is over."""
        max_evals, max_cost = self.max_evals, self.max_cost
        perf = time.perf_counter
        while True:
            if self.accepting and self.free:
                k = len(self.free)
                if max_evals is not None:
                    k = min(k, max_evals - self.n_started)
                elif self.clock >= max_cost or self.n_started >= _MAX_EVALUATIONS:
                    k = 0
                if k <= 0:
                    self.accepting = False
                else:
                    ts = perf()
                    sugg = self.ask(k)
                    self.t_strat += perf() - ts
                    if len(sugg) > k:
                        raise RuntimeError(f"strategy {self.name!r} returned {len(sugg)} suggestions for ask({k})")
                    if sugg:
                        return self._jobs(sugg)
                    if not self.heap:
                        return None  # the strategy has nothing more to suggest
            if not self.heap or not self._complete():
                return None

    def start(self, jobs: list, results: list) -> None:
        """Put answered jobs on free workers at the current simulated time."""
        runs, heap, free, clock = self.runs, self.heap, self.free, self.clock
        charge = self.charge
        for (_, i, f, trial, paid, s, _), (values, full) in zip(jobs, results):
            extra = charge if (charge and i not in runs) else 0.0
            runs[i] = (trial, f, full)
            cost = max(full - paid, 0.0) + extra
            heapq.heappush(heap, (clock + cost, self.seq, clock, heapq.heappop(free), (i, f, trial, cost, values, s)))
            self.seq += 1
        self.n_started += len(jobs)

    def _complete(self) -> bool:
        """Record the next finished job; False when the cost budget ends the run."""
        finish, _, start, w, (i, f, trial, cost, values, s) = heapq.heappop(self.heap)
        if finish > self.finish_limit:
            return False  # this and every later job would end after the budget
        self.clock = finish
        self._record(i, f, trial, w, cost, start, finish, values, s, _perf())
        heapq.heappush(self.free, w)
        return True

    def _record(self, i, f, trial, w, cost, start, finish, values, s, now) -> None:
        """Add a finished job's trace row (updating the incumbent; ``now``, a ``perf_counter``
        reading, dates its ``wall`` column) and tell the strategy."""
        v = values[0]  # val_acc
        if v > self.inc_val and math.isfinite(v) and (
                not self.c_items or all(values[p] <= cap for p, cap in self.c_items)):
            self.inc_row, self.inc_val = len(self.trace), v
            self.inc_test = self.search.test_value(i)
            self.t_bench += _perf() - now
            now = _perf()
        inc = self.inc_row
        self.add_row((i, f, trial, w, cost, start, finish, now - self.t0, inc,
                      self.inc_val if inc >= 0 else math.nan, self.inc_test, *values))
        ts = _perf()
        tell_one = self.tell_one
        if tell_one is not None:
            tell_one(s, i, values[self.s_pos])
        elif self.s_one is not None:
            one = self.s_one
            self.tell([s], _RunnerValues({one[0]: np.array([values[one[1]]])}))
        else:
            self.tell([s], _RunnerValues({m: np.array([values[p]]) for m, p in self.s_items}))
        self.t_strat += _perf() - ts
        if self.callbacks:
            for cb in self.callbacks:
                cb(self.trace)

    def close(self, wall: float | None = None) -> Trace:
        """The finished trace, with its timings in ``meta`` (``wall`` given by ``run_many``)."""
        wall = time.perf_counter() - self.t0 if wall is None else wall
        self.trace.meta.update(wall_seconds=wall, strategy_seconds=self.t_strat, benchmark_seconds=self.t_bench)
        self.trace._flush()
        return self.trace


_RUN_DOC = """
    Parameters
    ----------
    strategy : callable ``(space, seed) -> Strategy``
        A strategy class or ``functools.partial(Class, **hparams)`` (see the module docstring).
    benchmark : Benchmark
    budget : Budget, int (evaluations) or str (``"150"``, ``"3600s"``, ``"300x"``)
    {seed}
    n_workers : int
        Asynchronous simulated workers (per run).
    fidelity : int or None
        Fidelity used for suggestions without one (default: the top fidelity), e.g. 12 to search
        on NB201's 12-epoch signal.
    callbacks : callables ``f(trace)``
        Called after each recorded evaluation; they observe only.
    name : str or None
        Strategy name stored in the trace (default: the strategy's ``name``).
    record : "static" or sequence of str
        Extra metrics recorded in the trace for every evaluation (never shown to the strategy):
        ``"static"`` (default) records the benchmark's static metrics (params, FLOPs, latency,
        ...; not the attached zero-cost scores ``zc_*``, which are recorded only when named), so
        Pareto fronts can be drawn for any strategy.
"""


def run(strategy: Callable[..., Strategy], benchmark, budget, seed: int, *, n_workers: int = 1,
        fidelity: int | None = None, callbacks: Iterable[Callable[[Trace], None]] = (),
        name: str | None = None, record: str | Sequence[str] = "static") -> Trace:
    search = _Search(strategy, benchmark, budget, n_workers, fidelity, callbacks, name, record)
    r = _Run(search, seed)
    if search.n_workers == 1:
        r.run_serial()
        return r.close()
    jobs = r.step()
    while jobs is not None:
        results, seconds = _evaluate(search, jobs)
        r.t_bench += seconds
        r.start(jobs, results)
        jobs = r.step()
    return r.close()


def run_many(strategy: Callable[..., Strategy], benchmark, budget, seeds: Iterable[int], *, n_workers: int = 1,
             fidelity: int | None = None, callbacks: Iterable[Callable[[Trace], None]] = (),
             name: str | None = None, record: str | Sequence[str] = "static") -> list[Trace]:
    search = _Search(strategy, benchmark, budget, n_workers, fidelity, callbacks, name, record)
    t0 = time.perf_counter()
    runs = [_Run(search, s) for s in seeds]
    active = runs
    if search.n_workers == 1 and search.reads_scalars:
        # a table or a surrogate answers one architecture from its arrays for less than its
        # share of a batched query (perf/leaderboard.py), so nothing is gained by rounds: each
        # run goes to its end in turn (its state stays in the CPU's caches)
        for r in active:
            r.run_serial()
        active = []
    while active:
        asked, batch = [], []
        for r in active:
            jobs = r.step()
            if jobs is not None:
                asked.append((r, jobs))
                batch += jobs
        if batch:
            results, seconds = _evaluate(search, batch)
            share = seconds / len(batch)
            k = 0
            for r, jobs in asked:
                n = len(jobs)
                r.t_bench += share * n
                r.start(jobs, results[k:k + n])
                k += n
        active = [r for r, _ in asked]
    # wall time: each run's strategy and query time plus an equal share of the rest
    total = time.perf_counter() - t0
    rest = max(total - sum(r.t_strat + r.t_bench for r in runs), 0.0) / max(len(runs), 1)
    return [r.close(r.t_strat + r.t_bench + rest) for r in runs]


run.__doc__ = """Run one search on the simulated clock and return its :class:`Trace`.
""" + _RUN_DOC.format(seed="seed : int\n        Run seed; spawns the strategy seed and the query RNG.")

run_many.__doc__ = """Run one strategy for many seeds together (lockstep) and return their traces, in
    ``seeds`` order: ``run_many(f, b, budget, seeds)[k]`` equals ``run(f, b, budget, seeds[k])``
    bit for bit (apart from the wall-clock column and timings).

    Each run keeps its own strategy, query RNG and event queue; at every round each unfinished
    run advances until its strategy has suggested what to evaluate next, and all those
    suggestions are answered by one batched query (one recorded seed per row, see
    ``Benchmark.query(trial=...)``), then each run starts its jobs and is told its results in
    its own completion order: set-up, lookups and bookkeeping are shared across runs; only the
    strategies' own ``ask``/``tell`` remain per run.  On tables and surrogate benchmarks with
    one worker per run there is nothing to batch: :func:`run`'s one-worker step (ask, read the
    benchmark's arrays, record, tell) costs less than a row of a batched query there, so each
    run goes to its end in turn (rounds would only move the runs' states in and out of the
    CPU's caches).
    ``meta["wall_seconds"]`` of each trace is its strategy and query time plus an equal share
    of the rest.
""" + _RUN_DOC.format(seed="seeds : iterable of int\n        Run seeds (each as in :func:`run`).")
