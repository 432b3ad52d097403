"""``LiveBenchmark``: the trainer behind the :class:`~nasbench.benchmarks.base.Benchmark` contract.

A query trains what no table holds: the first query of an architecture trains it (every seed,
packed, whole schedule, as ``nasbench generate`` does) and appends the result to a crash-safe
record log (:mod:`nasbench.io.records`) in ``cache``; every later query, in this process or a
later one, is a lookup.  Results are shared within an equivalence class exactly as in the
tables (``rule="function"``: the class representative is trained), so a live search sees what
the shipped table would show when trained with the same settings.

Cost is the measured training time (one-thread process CPU time on CPU; synchronised wall time
on CUDA), cumulative per epoch, so the runner's simulated clock charges what the training
cost.  There is no oracle: ``best()`` raises (the best architecture of the space is unknown
without training all of it); pass ``oracle=`` to the leaderboard, or compare strategies by
their incumbents.  Traces are deterministic only through the cache and the reproducible
trainer (see ``nasbench.train.trainer``): the same cache gives the same trace; a cold cache on
another CPU gives other draws.  Static metrics: ``params`` (millions, exact, per architecture).
This module imports torch (the ``train`` extra).
"""
from __future__ import annotations

import dataclasses
import os
import platform
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from nasbench.benchmarks.base import Benchmark, pick_seeds
from nasbench.io.records import Record, RecordWriter, read_records
from nasbench.types import PER_EPOCH_METRICS, Evaluation

__all__ = ["LiveBenchmark"]


class LiveBenchmark(Benchmark):
    """Train on demand, cache every result.

    Parameters
    ----------
    cache : path
        Directory of the record log (created; reused: earlier results are lookups).
    task : Task or str
        A :class:`~nasbench.train.data.Task` or a name for :func:`~nasbench.train.data.load_task`
        (default ``"mnist1d"``).
    config : TrainConfig or None
        Trainer settings (default: the shipped table's, ``MNIST1D_TABLE_CONFIG``).
    seeds : sequence of int
        Training seeds, trained as one pack (default: the table's 0 1 2).
    space : SearchSpace or None
        Default: ``NB201Space()``.
    rule : str or None
        Equivalence rule whose class representative is trained for every member (``None``:
        train every architecture itself).
    name : str
    progress : bool
        Print one line per architecture trained.

    Attributes
    ----------
    n_trained : int
        Architectures trained by this object (cache misses).
    """

    fidelity_kind = "epoch_of_schedule"
    cost_unit = "seconds"
    seeds_are_means = False
    has_oracle = False
    cheap_tables = False  # whole-space arrays would mean training (or building) every network
    _OPTIONAL = ("task_sha256",)

    def __init__(self, cache, task="mnist1d", config=None, seeds: Sequence[int] = (0, 1, 2), space=None,
                 rule: str | None = "function", name: str = "live", progress: bool = False):
        from nasbench.train.trainer import MNIST1D_TABLE_CONFIG

        if space is None:
            from nasbench.spaces import NB201Space

            space = NB201Space()
        self.space = space
        self.config = MNIST1D_TABLE_CONFIG if config is None else config
        self.seeds = np.asarray([int(s) for s in seeds], dtype=np.int32)
        if len(self.seeds) == 0:
            raise ValueError("at least one training seed is needed")
        self.n_seeds = len(self.seeds)
        self.name = name
        self.metrics = tuple(PER_EPOCH_METRICS)
        self.static_metrics = ("params",)
        self.fidelities = np.arange(1, int(self.config.epochs) + 1, dtype=np.int32)
        self.rule = rule
        self._cls = space.class_index(rule) if rule is not None else None
        self._task_arg = task
        self._task = None
        self.progress = progress
        self.cache = Path(cache)
        self.cache.mkdir(parents=True, exist_ok=True)
        self._check_manifest()
        self._records: dict[int, Record] = read_records(self.cache)
        self._params: dict[int, float] = {}
        self._writer: RecordWriter | None = None
        self.n_trained = 0

    # ------------------------------------------------------------- caching
    def _manifest(self) -> dict:
        cfg = dataclasses.asdict(self.config)
        for k in ("device", "threads"):
            cfg.pop(k, None)
        task = self._task_arg if isinstance(self._task_arg, str) else getattr(self._task_arg, "name", "task")
        out = {"space": self.space.name, "task": task, "seeds": self.seeds.tolist(), "rule": self.rule,
               "trainer": cfg}
        sha = None if isinstance(self._task_arg, str) else (getattr(self._task_arg, "meta", None) or {}).get("sha256")
        if sha:  # a Task object: its data, not only its name (two synthetic tasks share the name)
            out["task_sha256"] = sha
        return out

    def _check_manifest(self) -> None:
        import json

        path = self.cache / "live.json"
        want = self._manifest()
        if path.is_file():
            have = json.loads(path.read_text())
            # task_sha256 is checked when both sides recorded it (caches made before it existed lack it)
            diff = sorted(k for k in want if have.get(k) != want[k] and not (k in self._OPTIONAL and k not in have))
            if diff:
                raise ValueError(f"{self.cache}: cached results were trained with other settings ({', '.join(diff)}: "
                                 f"{[have.get(k) for k in diff]} != {[want[k] for k in diff]}); use another cache "
                                 "directory")
        else:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(want, indent=1, sort_keys=True))
            os.replace(tmp, path)

    def _task_obj(self):
        if self._task is None:
            from nasbench.train.data import load_task

            self._task = load_task(self._task_arg) if isinstance(self._task_arg, str) else self._task_arg
        return self._task

    def _record(self, i: int) -> Record:
        """The record of the architecture whose training answers row ``i`` (trained if missing)."""
        r = int(self._cls[i]) if self._cls is not None else int(i)
        rec = self._records.get(r)
        if rec is None:
            from nasbench.train.trainer import Trainer

            t0 = time.perf_counter()
            curve = Trainer(self.config).train(self.space.from_index(r), self._task_obj(), self.seeds.tolist())
            arrays = {k: v.astype(np.float32) for k, v in curve.metrics.items()}
            arrays["train_time"] = curve.train_time.astype(np.float32)
            arrays["diverged"] = curve.diverged
            arrays["seeds"] = curve.seeds
            rec = Record(r, arrays, dict(curve.info, wall_s=round(time.perf_counter() - t0, 3), pid=os.getpid(),
                                         host=platform.node()))
            if self._writer is None:
                self._writer = RecordWriter(self.cache)
            self._writer.append(rec)  # fsync'd before the result is used
            self._records[r] = rec
            self.n_trained += 1
            if self.progress:
                print(f"live: trained {self.space.to_string(self.space.from_index(r))} "
                      f"(val_acc {np.nanmean(arrays['val_acc'][:, -1]):.2f}, {rec.info['wall_s']:.1f} s)")
        return rec

    def cached(self) -> np.ndarray:
        """``(space.size,)`` bool: rows whose result is in the cache (answered without training)."""
        have = np.zeros(self.space.size, dtype=bool)
        reps = np.fromiter(self._records, dtype=np.int64, count=len(self._records))
        if self._cls is None:
            have[reps] = True
        else:
            have = np.isin(self._cls, reps)
        return have

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __del__(self):  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass

    # ------------------------------------------------------------ contract
    @property
    def arch_class(self) -> np.ndarray | None:
        """``(space.size,)`` int: the row whose training answers each row (its class
        representative under ``rule``), as a table's ``arch_class``; ``None`` without a rule."""
        return self._cls

    def _param(self, i: int) -> float:
        v = self._params.get(i)
        if v is None:
            from nasbench.train.models import build_model, count_params

            v = self._params[i] = float(count_params(build_model(self.space.from_index(i), self.config.preset)))
        return v

    def query(self, archs, *, fidelity: int | None = None, seed=0, trial=None,
              metrics: Sequence[str] | None = None) -> Evaluation:
        """Evaluate a batch (training what the cache lacks); see :meth:`Benchmark.query`.

        Returns per-epoch values ``(n,)`` at ``fidelity`` or ``(n, n_epochs)`` curves, static
        ``params`` ``(n,)`` (millions), and cumulative ``cost`` (seconds) of the per-epoch shape.
        """
        per, static = self.check_metrics(metrics)
        idx = self.space.as_indices(archs)
        n = len(idx)
        cols = pick_seeds(n, self.n_seeds, seed, trial)
        pos = None if fidelity is None else self.fidelity_pos(fidelity)
        recs = [self._record(int(i)) for i in idx]
        values: dict[str, np.ndarray] = {}

        def pick(name: str) -> np.ndarray:
            stack = np.stack([r.arrays[name] for r in recs]) if n else np.zeros((0, self.n_seeds, len(self.fidelities)))
            stack = stack.astype(np.float64)  # (n, n_seeds, n_fid)
            if cols is None:
                with np.errstate(all="ignore"):
                    import warnings

                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)
                        v = np.nanmean(stack, axis=1)
            else:
                v = stack[np.arange(n), cols]
            return v if pos is None else v[:, pos]

        for m in per:
            values[m] = pick(m)
        for m in static:
            values[m] = np.array([self._param(int(i)) for i in idx], dtype=np.float64)
        cost = pick("train_time")
        return Evaluation(values=values, cost=cost, fidelity=fidelity, fidelities=self.fidelities,
                          cost_unit=self.cost_unit)

    def table(self, metric: str, fidelity: int | None = None, seed="mean") -> np.ndarray:
        """Whole-space arrays are not available live except from the cache: NaN where uncached
        (static ``params`` are computed for every architecture)."""
        self.check_metrics([metric])
        if metric in self.static_metrics:
            return np.array([self._param(i) for i in range(self.space.size)], dtype=np.float64)
        out = np.full(self.space.size, np.nan)
        have = np.flatnonzero(self.cached())
        if len(have):
            f = self.max_fidelity if fidelity is None else fidelity
            out[have] = self.query(have, fidelity=f, seed=seed, metrics=[metric]).values[metric]
        return out

    def best(self, metric: str = "test_acc", fidelity: int | None = None) -> float:
        raise NotImplementedError(
            f"{self.name}: a live benchmark has no oracle (the best {metric!r} of the space is unknown "
            "without training all of it); give the leaderboard an oracle, or compare incumbents")

    def coverage(self) -> float:
        """Every architecture can be answered (by training): 1.0."""
        return 1.0

    def __repr__(self) -> str:
        return f"LiveBenchmark({self.name!r}, cache={str(self.cache)!r}, {len(self._records)} trained)"
