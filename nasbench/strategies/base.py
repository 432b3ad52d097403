"""The :class:`Strategy` ask/tell contract and :class:`Suggestion`.

The contract (one form, used everywhere)
-----------------------------------------
``Strategy(space, seed, **hparams)``
    Settings only; the seed (int, ``SeedSequence`` or ``np.random.Generator``) drives every
    random choice, so the same seed gives the same suggestions for the same results.
``setup(fidelities, fidelity_kind)``
    Called once by :func:`nasbench.runner.run` before the first ``ask`` with the benchmark's
    fidelity axis (``(n_fid,)`` ints) and its kind.  Only multi-fidelity strategies use it;
    call it yourself when you drive a strategy by hand.
``ask(n) -> list[Suggestion]``
    At most ``n`` suggestions.  Fewer (possibly none) means "wait for pending results" when
    some are pending, and "search finished" (e.g. space exhausted) when none are.
``tell(suggestions, values)``
    ``suggestions``: the :class:`Suggestion` objects (or plain :class:`Architecture` values)
    that finished, in completion order; ``values``: ``{metric: ndarray (n,)}`` for every
    metric in :attr:`Strategy.metrics`, at the suggestion's fidelity.  NaN = no result (an
    architecture missing from a partial table); strategies rank it last.

A strategy never sees a benchmark and never sees test metrics (the runner refuses strategies
that ask for ``test_*``).  It declares ``allows_repeats`` (may it suggest the same
(architecture, fidelity) twice?) and ``multi_fidelity`` (does it set ``Suggestion.fidelity``?).
Constrained strategies expose ``constraints`` (``{metric: upper cap}``); the runner then picks
the incumbent among feasible evaluations only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Mapping, Sequence

import numpy as np

from nasbench.rng import as_generator
from nasbench.space import SearchSpace
from nasbench.types import Architecture

__all__ = ["Strategy", "Suggestion", "higher_is_better"]

_object_new = object.__new__


def higher_is_better(metric: str) -> bool:
    """Direction of a metric, by the naming rule of :class:`~nasbench.benchmarks.base.Benchmark`."""
    h = _HIGHER.get(metric)
    if h is None:
        h = _HIGHER[metric] = _higher_is_better(metric)
    return h


_HIGHER: dict = {}


def _higher_is_better(metric: str) -> bool:
    return not (metric.endswith("_loss") or metric in ("params", "flops", "train_time")
                or metric.startswith("latency") or metric.startswith("energy"))


class _RunnerValues(dict):
    """The ``values`` the runner passes to ``tell``: it built them from the strategy's own
    ``metrics``, one ``(n,)`` float64 array each, so ``_check_tell`` skips checking them."""

    __slots__ = ()


@dataclass(frozen=True)
class Suggestion:
    """One architecture to evaluate, at ``fidelity`` (``None``: the runner's default, the top)."""

    arch: Architecture
    fidelity: int | None = None


def _new_suggestion(arch: Architecture, fidelity: int | None) -> Suggestion:
    """``Suggestion(arch, fidelity)`` without the frozen dataclass's ``__init__`` (same value)."""
    s = _object_new(Suggestion)
    d = s.__dict__
    d["arch"] = arch
    d["fidelity"] = fidelity
    return s


class Strategy:
    """Base class of every search strategy (see the module docstring for the contract).

    Parameters
    ----------
    space : SearchSpace
    seed : int, np.random.SeedSequence or np.random.Generator
    objective : str
        Metric to maximise (or minimise, for losses), default ``"val_acc"``.

    Subclasses implement :meth:`ask` and :meth:`tell`; helpers here work on integer
    architecture indices (``space.index``), which is what strategies store internally.
    """

    name: str = "strategy"
    allows_repeats: bool = False
    multi_fidelity: bool = False

    def __init__(self, space: SearchSpace, seed, *, objective: str = "val_acc"):
        if not isinstance(space, SearchSpace):
            raise TypeError(f"space must be a SearchSpace, got {type(space).__name__}")
        self.space = space
        self.seed = seed
        self.objective = objective
        self.rng = as_generator(seed if not isinstance(seed, (int, np.integer)) else int(seed))
        # the strategy's own generator (not one the caller shares) may be read ahead in blocks
        # of raw 32-bit draws (see _randint); a shared one is always drawn from directly
        self._fast = self._fast_rng and not isinstance(seed, np.random.Generator)
        self.fidelities_: np.ndarray | None = None
        self.fidelity_kind_: str | None = None
        self._asked: set[int] = set()
        self._n_asked = 0
        self._K = space.n_ops
        self._L = space.n_edges
        self._pow = [self._K**e for e in range(self._L)]
        self._size = space.size

    # ------------------------------------------------------------ contract
    @property
    def metrics(self) -> tuple[str, ...]:
        """Metrics this strategy needs in :meth:`tell` (never ``test_*``)."""
        return (self.objective,)

    @property
    def constraints(self) -> dict[str, float]:
        """``{metric: cap}``: feasible evaluations have ``value <= cap`` (empty: unconstrained)."""
        return {}

    def setup(self, fidelities, fidelity_kind: str = "epoch_of_schedule") -> None:
        """Receive the benchmark's fidelity axis ``(n_fid,)`` and kind (called by the runner)."""
        fid = np.asarray(fidelities, dtype=np.int64).ravel()
        if fid.size == 0 or np.any(np.diff(fid) <= 0):
            raise ValueError(f"fidelities must be a non-empty increasing int array, got {fid.tolist()}")
        if fidelity_kind not in ("epoch_of_schedule", "schedule_length"):
            raise ValueError(f"fidelity_kind must be 'epoch_of_schedule' or 'schedule_length', got {fidelity_kind!r}")
        self.fidelities_ = fid
        self.fidelity_kind_ = fidelity_kind

    def ask(self, n: int) -> list[Suggestion]:
        """Up to ``n`` suggestions (see the module docstring)."""
        raise NotImplementedError

    def tell(self, suggestions: Sequence[Suggestion | Architecture], values: Mapping[str, np.ndarray]) -> None:
        """Report finished evaluations, in completion order."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed!r})"

    # ---------------------------------------------------- runner shortcut
    #: Methods that ``tell`` calls and a class's ``_tell_one`` does not (besides ``tell``,
    #: ``_check_tell``, ``_score_list`` and ``_score1``, always checked): the runner's shortcut
    #: is used only while a subclass overrides none of them.
    _tell_one_mirrors: tuple[str, ...] = ()

    def _runner_tell(self):
        """The runner's shortcut for telling one result of a one-metric strategy, or None.

        Classes may define ``_tell_one(suggestion, index, value)``: exactly what
        ``tell([suggestion], {metrics[0]: np.array([value])})`` does (``index`` is the space
        index of ``suggestion.arch``; ``value`` a Python float, NaN for no result), without
        building arrays or checking what the runner already checked.  It is returned only when
        ``tell``, ``_check_tell``, the scoring helpers and the methods named in
        ``_tell_one_mirrors`` are those of the class that defines ``_tell_one``, so a subclass
        that changes how results are told is always told through its own ``tell``."""
        cls = type(self)
        if len(self.metrics) != 1:
            return None
        for owner in cls.__mro__:
            if "_tell_one" in owner.__dict__:
                same = all(getattr(cls, m) is getattr(owner, m)
                           for m in ("tell", "_check_tell", "_score_list", "_score1", *owner._tell_one_mirrors))
                return self._tell_one if same else None
        return None

    def _score1(self, v: float) -> float:
        """One value of the objective as :meth:`_score_list` scores it (higher is better, NaN is ``-inf``)."""
        h = self.__dict__.get("_hib")
        if h is None:
            h = self._hib = higher_is_better(self.objective)
        if v != v:
            return -math.inf
        return v if h else -v

    # ------------------------------------------------------ random draws
    # ``rng.integers(n)`` and ``rng.choice(n, size=k, replace=False)`` cost about 1 and 4.5 us
    # per call; subclasses with ``_fast_rng = True`` draw the same numbers from a block of the
    # generator's raw 32-bit outputs (``rng.integers(2**32, size=B, dtype=np.uint32)``) with
    # numpy's own algorithms (Lemire's bounded integers; Floyd's sampling + Fisher-Yates for
    # ``choice``), checked equal draw for draw in tests/strategies/test_rng_readahead.py.  Reading ``rng``
    # first puts the generator in the state it would have had without read-ahead (snapshot
    # + redraw of the outputs used), so every other use of the generator sees the same stream.
    _fast_rng: bool = False
    _U32_BLOCK = 256

    @property
    def rng(self) -> np.random.Generator:
        if self.__dict__.get("_u32_buf"):
            self._u32_sync()
        return self._rng

    @rng.setter
    def rng(self, g: np.random.Generator) -> None:
        self._rng = g
        self._u32_buf, self._u32_pos, self._u32_state = [], 0, None
        self._fast = False  # a generator set from outside may be shared: never read ahead

    def _u32_sync(self) -> None:
        """Rewind the read-ahead: the generator as if only the used 32-bit outputs were drawn."""
        used, buf = self._u32_pos, self._u32_buf
        self._u32_buf, self._u32_pos = [], 0
        if used < len(buf):
            g = self._rng
            g.bit_generator.state = self._u32_state
            if used:
                g.integers(0, 1 << 32, size=used, dtype=np.uint32)
        self._u32_state = None

    def _u32_refill(self) -> list:
        """A new block of 32-bit outputs (the previous one is used up)."""
        g = self._rng
        self._u32_state = g.bit_generator.state
        buf = self._u32_buf = g.integers(0, 1 << 32, size=self._U32_BLOCK, dtype=np.uint32).tolist()
        self._u32_pos = 0
        return buf

    def _randint(self, n: int) -> int:
        """``int(self.rng.integers(n))``, same draws and stream."""
        if self._fast and 1 < n < 0xFFFFFFFF:  # numpy: Lemire's method on 32-bit outputs
            p, buf = self._u32_pos, self._u32_buf
            if p == len(buf):
                buf, p = self._u32_refill(), 0
            m = buf[p] * n
            p += 1
            left = m & 0xFFFFFFFF
            if left < n:
                th = (0x100000000 - n) % n
                while left < th:
                    if p == len(buf):
                        self._u32_pos = p
                        buf, p = self._u32_refill(), 0
                    m = buf[p] * n
                    p += 1
                    left = m & 0xFFFFFFFF
            self._u32_pos = p
            return m >> 32
        if n == 1 and self._fast:
            return 0  # numpy draws nothing for a single value
        return int(self.rng.integers(n))

    def _sample(self, n: int, k: int) -> list[int]:
        """``self.rng.choice(n, size=k, replace=False).tolist()``, same draws and stream."""
        if not self._fast or not 0 <= k <= n <= 10000:
            return self.rng.choice(n, size=k, replace=False).tolist()
        buf, q = self._u32_buf, self._u32_pos
        if k <= 8 and q + 2 * k - 1 <= len(buf):
            # every draw read inline from the block (as _randint reads them), unless one needs
            # Lemire's rejection test: then nothing is consumed and the general path below runs
            out: list[int] = []
            for j in range(n - k, n):  # Floyd's algorithm (k <= 8: the sample is its own set)
                b = j + 1
                if b == 1:
                    v = 0  # a bound of 1 draws nothing
                else:
                    m = buf[q] * b
                    q += 1
                    if (m & 0xFFFFFFFF) < b:
                        break
                    v = m >> 32
                out.append(j if v in out else v)
            else:
                for i in range(k - 1, 0, -1):  # numpy's shuffle of the sample
                    b = i + 1
                    m = buf[q] * b
                    q += 1
                    if (m & 0xFFFFFFFF) < b:
                        break
                    j = m >> 32
                    out[i], out[j] = out[j], out[i]
                else:
                    self._u32_pos = q
                    return out
        randint = self._randint
        out, seen = [], set()
        for j in range(n - k, n):  # Floyd's algorithm, as numpy
            v = randint(j + 1)
            if v in seen:
                v = j
            seen.add(v)
            out.append(v)
        for i in range(k - 1, 0, -1):  # numpy shuffles the sample
            j = randint(i + 1)
            out[i], out[j] = out[j], out[i]
        return out

    # ------------------------------------------------------------- helpers
    def _check_tell(self, suggestions, values) -> tuple[list[int], list[int | None]]:
        """Indices and fidelities of ``suggestions``; checks that ``values`` have shape ``(n,)``."""
        idx, fid = [], []
        space = self.space
        index, name = space.index, space.name
        d = self.__dict__.get("_imap")
        if d is None:
            # ops -> index: what SearchSpace.index reads first (nothing when a space redefines index)
            d = self._imap = (space._index_map() or {}) if type(space).index is SearchSpace.index else {}
        for s in suggestions:
            if s.__class__ is Suggestion:
                a = s.arch
                i = d.get(a.ops) if a.__class__ is Architecture and a.space == name else None
                idx.append(index(a) if i is None else i)
                fid.append(s.fidelity)
            elif isinstance(s, Suggestion):
                idx.append(index(s.arch))
                fid.append(s.fidelity)
            else:
                idx.append(index(s))
                fid.append(None)
        if values.__class__ is _RunnerValues:
            return idx, fid
        n = (len(idx),)
        for m in self.metrics:
            if m not in values:
                raise KeyError(f"{self.name}: tell() needs metric {m!r}; got {sorted(values)}")
            v = values[m]
            if (v.shape if v.__class__ is np.ndarray else np.shape(v)) != n:
                raise ValueError(f"{self.name}: values[{m!r}] must have shape ({len(idx)},), got {np.shape(values[m])}")
        return idx, fid

    def _score(self, values: Mapping[str, np.ndarray], metric: str | None = None) -> np.ndarray:
        """``(n,)`` float: the metric signed so that higher is better; NaN becomes ``-inf``."""
        m = self.objective if metric is None else metric
        v = np.asarray(values[m], dtype=np.float64)
        v = v if higher_is_better(m) else -v
        return np.where(np.isnan(v), -np.inf, v)

    def _score_list(self, values: Mapping[str, np.ndarray], metric: str | None = None) -> list[float]:
        """``_score(values, metric).tolist()`` computed on Python floats (same values, no arrays)."""
        m = self.objective if metric is None else metric
        v = values[m]
        v = v.tolist() if v.__class__ is np.ndarray and v.dtype == np.float64 else \
            np.asarray(v, dtype=np.float64).tolist()
        if higher_is_better(m):
            return [x if x == x else -math.inf for x in v]
        return [-x if x == x else -math.inf for x in v]

    def _arch(self, i: int) -> Architecture:
        return self.space.from_index(int(i))

    def _ops(self, i: int) -> list[int]:
        return list(self.space.from_index(i).ops)

    def _index(self, ops: Sequence[int]) -> int:
        d = self.__dict__.get("_imap_raw", False)
        if d is False:
            d = self._imap_raw = self.space._index_map()
        if d is not None:
            i = d.get(tuple(ops))
            if i is not None:
                return i
        return int(sum(int(o) * p for o, p in zip(ops, self._pow)))

    def _suggest(self, indices: Sequence[int], fidelity: int | None = None) -> list[Suggestion]:
        """Mark ``indices`` as asked and wrap them as suggestions (at the default fidelity, one
        shared frozen ``Suggestion`` per architecture, cached on the space like its
        ``Architecture`` objects)."""
        asked, space = self._asked, self.space
        arch = space.from_index
        out = []
        cache = space.__dict__.get("_sugg_of") if fidelity is None else None
        if cache is None and fidelity is None and "_arch_of" in space.__dict__:
            cache = space.__dict__["_sugg_of"] = {}
        if cache is None:
            for i in indices:
                i = int(i)
                asked.add(i)
                out.append(Suggestion(arch(i), fidelity))
            return out
        for i in indices:
            i = int(i)
            asked.add(i)
            s = cache.get(i)
            if s is None:
                s = cache[i] = _new_suggestion(arch(i), None)
            out.append(s)
        return out

    def _suggestion_at(self, i: int, fidelity: int) -> Suggestion:
        """``Suggestion(arch(i), fidelity)``: one shared frozen value per (architecture,
        fidelity), cached on the space like its ``Architecture`` objects."""
        space = self.space
        cache = space.__dict__.get("_sugg_at")
        s = cache.get((i, fidelity)) if cache is not None else None
        if s is None:
            s = _new_suggestion(space.from_index(i), fidelity)
            if cache is None and "_arch_of" in space.__dict__:
                cache = space.__dict__["_sugg_at"] = {}
            if cache is not None:
                cache[(i, fidelity)] = s
        return s

    def _suggest1(self, i: int) -> list[Suggestion]:
        """``_suggest((i,))`` for one index (the cached suggestion without the loop)."""
        cache = self.space.__dict__.get("_sugg_of")
        s = cache.get(i) if cache is not None else None
        if s is None:
            return self._suggest((i,))
        self._asked.add(i)
        return [s]

    def _ask_evolving(self, n: int, in_warmup, make_child) -> list[Suggestion]:
        """The ask loop of population methods: a random unseen architecture while
        ``in_warmup()`` is true, else ``make_child()`` (an index or ``None``); stops early
        when nothing new can be found."""
        out: list[int] = []
        for _ in range(n):
            if in_warmup():
                new = self._random_unseen(1)
                new = new[0] if new else None
            else:
                new = make_child()
            if new is None:
                break
            self._asked.add(new)  # so the next child in this batch differs
            self._n_asked += 1
            out.append(new)
        return self._suggest(out)

    def _random_unseen(self, n: int) -> list[int]:
        """Up to ``n`` distinct uniformly random indices never asked before (fewer if exhausted)."""
        size = self._size
        asked = self._asked
        if n == 1 and len(asked) <= 0.8 * size:  # the common case: no batch to keep distinct
            draw = self._randint
            i = draw(size)
            while i in asked:
                i = draw(size)
            return [i]
        out: list[int] = []
        taken = set()
        if n <= 0:
            return out
        if len(self._asked) > 0.8 * size:  # nearly exhausted: draw from the complement
            rest = np.setdiff1d(np.arange(size), np.fromiter(self._asked, dtype=np.int64))
            k = min(n, len(rest))
            return [int(x) for x in self.rng.choice(rest, size=k, replace=False)] if k else []
        draw, asked = self._randint, self._asked
        while len(out) < n:
            i = draw(size)
            if i not in asked and i not in taken:
                taken.add(i)
                out.append(i)
        return out

    def _mutate(self, i: int, n_edges: int = 1) -> int:
        """Index of a copy of ``i`` with ``n_edges`` distinct edges changed to a different op."""
        if n_edges == 1 and self._is_positional:  # index = sum(ops[e] * K**e): change one digit
            L, k1 = self._L, self._K - 1
            buf, q = self._u32_buf, self._u32_pos
            if self._fast and q + 2 <= len(buf) and L > 1 and k1 > 1:
                # both draws inline from the block (as _randint reads them), unless either
                # needs Lemire's rejection test
                m1, m2 = buf[q] * L, buf[q + 1] * k1
                if (m1 & 0xFFFFFFFF) >= L and (m2 & 0xFFFFFFFF) >= k1:
                    self._u32_pos = q + 2
                    p = self._pow[m1 >> 32]
                    o = (i // p) % self._K
                    new = m2 >> 32
                    if new >= o:
                        new += 1
                    return i + (new - o) * p
            e = self._randint(L)
            p = self._pow[e]
            o = (i // p) % self._K
            new = self._randint(k1)
            if new >= o:
                new += 1
            return i + (new - o) * p
        ops = self._ops(i)
        if n_edges > 1:
            edges = self._sample(self._L, n_edges)
        else:
            edges = [self._randint(self._L)]
        randint, k1 = self._randint, self._K - 1
        for e in edges:
            new = randint(k1)
            if new >= ops[e]:
                new += 1
            ops[e] = new
        return self._index(ops)

    @cached_property
    def _is_positional(self) -> bool:
        """Whether the space numbers architectures positionally (``SearchSpace``'s own
        ``index``/``from_index``: ``index = sum(ops[e] * K**e)``), so a one-edge change is
        arithmetic on the index (same draws, same result as building the op list); decided
        once per strategy."""
        t = type(self.space)
        return t.index is SearchSpace.index and t.from_index is SearchSpace.from_index

    def _mutate_unseen(self, i: int, tries: int = 50) -> int | None:
        """A one-edge mutation of ``i`` never asked before; falls back to random unseen."""
        for _ in range(tries):
            j = self._mutate(i)
            if j not in self._asked:
                return j
        rest = self._random_unseen(1)
        return rest[0] if rest else None

    def _neighbors(self, i: int) -> list[int]:
        """All ``L * (K - 1)`` one-edge neighbours of ``i`` (edge-major, op-minor order)."""
        ops = self._ops(i)
        base = int(i)
        out = []
        for e in range(self._L):
            p = self._pow[e]
            for o in range(self._K):
                if o != ops[e]:
                    out.append(base + (o - ops[e]) * p)
        return out
