"""One results schema for everything that ranks architectures: predictors and estimators.

A predictor evaluated under White et al.'s protocol (train size x trial), a zero-cost proxy, a
supernet or a learning-curve extrapolation all produce the same kind of row: how well a score
``pred`` of ``n`` architectures ranks them against a ground truth ``truth``, what it cost, and
on which population (``over="rows"``: the space as a search samples it; ``over="classes"``:
each distinct network once).  :func:`score_ranking` makes one such row (built on
:func:`nasbench.metrics.rank_agreement`), :func:`summarize` averages rows over trials (mean
and standard error), :func:`references` computes the rows every result stands next to (one
real training run, the reliability ceiling of the target, params-only / FLOPs-only), and
:func:`write_results` writes CSV + markdown.  numpy + scipy only; no pandas.

The columns (:data:`COLUMNS`):

============================  ===========================================================
``kind``                      ``predictor``, ``estimator``, ``reference`` or ``baseline``
``name``                      e.g. ``xgb``, ``synflow``, ``lce@3``, ``one-seed``
``benchmark``, ``target``     table name and ground-truth metric (e.g. ``test_acc``)
``over``                      ``rows`` or ``classes``
``train_size``, ``k``         training-set size (predictors) / epochs seen (curves); NaN
``trial``                     repeat index (NaN in summaries)
``n``                         architectures scored
``kendall_tau``, ``spearman``, ``pearson``
``sparse_kendall_tau``        reference rounded to ``resolution`` (nasbench.metrics' form)
``sparse_kendall_tau_pred``   predictions rounded to ``resolution`` (NAS-Bench-301/NASLib)
``resolution``                the rounding step, in the target's unit
``top1_precision``, ``top5_precision``, ``top10_precision``
                              share of the true top k % found in the predicted top k %
``r2``, ``mae``               on the target's scale (NaN for scores on another scale)
``regret_top1``               truth best minus truth of the predicted best
``regret_top10``              truth best minus the best truth among the predicted top 10
``setup_seconds``             one-off cost (fit, supernet training, ...)
``seconds_per_arch``          cost of scoring one architecture
``notes``                     free text
============================  ===========================================================
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from nasbench.metrics import rank_agreement

__all__ = ["COLUMNS", "SCORE_COLUMNS", "score_ranking", "summarize", "bootstrap_ci", "references",
           "population", "write_results", "to_markdown"]

SCORE_COLUMNS = ("n", "kendall_tau", "spearman", "pearson", "sparse_kendall_tau", "sparse_kendall_tau_pred",
                 "top1_precision", "top5_precision", "top10_precision", "r2", "mae", "regret_top1",
                 "regret_top10", "setup_seconds", "seconds_per_arch")
COLUMNS = ("kind", "name", "benchmark", "target", "over", "train_size", "k", "trial", *SCORE_COLUMNS,
           "resolution", "notes")
_NAN = float("nan")


def _top_precision(p: np.ndarray, t: np.ndarray, frac: float) -> float:
    k = max(1, int(round(frac * len(t))))
    tp = np.argsort(-p, kind="stable")[:k]
    tt = np.argsort(-t, kind="stable")[:k]
    return float(len(np.intersect1d(tp, tt)) / k)


def score_ranking(pred, truth, *, name: str, kind: str = "predictor", benchmark: str = "", target: str = "",
                  over: str = "rows", train_size=None, k=None, trial=None, higher_is_better: bool = True,
                  same_scale: bool = False, resolution: float = 0.1, setup_seconds: float = _NAN,
                  seconds_per_arch: float = _NAN, notes: str = "") -> dict:
    """One results row: how well ``pred`` ranks ``truth``.

    Parameters
    ----------
    pred, truth : array-like, shape (n,)
        Scores of the same architectures (NaN rows are left out).  ``pred`` is "higher =
        better" (an estimator's convention); ``truth`` is oriented by ``higher_is_better``.
    same_scale : bool
        ``pred`` predicts ``truth`` in its unit (a regressor): R2, MAE and
        ``sparse_kendall_tau_pred`` are computed; otherwise they are NaN.
    resolution : float
        Rounding step for the sparse Kendall taus, in ``truth``'s unit.
    """
    from scipy.stats import kendalltau, pearsonr

    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(truth, dtype=np.float64)
    if p.shape != t.shape or p.ndim != 1:
        raise ValueError(f"pred and truth must be 1-D arrays of one length, got {p.shape} and {t.shape}")
    if over not in ("rows", "classes"):
        raise ValueError(f"over must be 'rows' or 'classes', got {over!r}")
    ok = np.isfinite(p) & np.isfinite(t)
    p, t = p[ok], t[ok]
    if not higher_is_better:
        t = -t
        if same_scale:
            p = -p
    ra = rank_agreement(p, t, resolution=resolution)
    row = {c: _NAN for c in COLUMNS}
    row.update(kind=kind, name=name, benchmark=benchmark, target=target, over=over,
               train_size=_NAN if train_size is None else train_size, k=_NAN if k is None else k,
               trial=_NAN if trial is None else trial, n=int(len(t)), resolution=float(resolution),
               setup_seconds=float(setup_seconds), seconds_per_arch=float(seconds_per_arch), notes=notes)
    if len(t) < 2:
        return row
    row.update(kendall_tau=ra["kendall_tau"], spearman=ra["spearman"], sparse_kendall_tau=ra["sparse_kendall_tau"])
    row["pearson"] = float(pearsonr(p, t)[0]) if np.ptp(p) > 0 and np.ptp(t) > 0 else _NAN
    for frac, col in ((0.01, "top1_precision"), (0.05, "top5_precision"), (0.10, "top10_precision")):
        row[col] = _top_precision(p, t, frac)
    best = t.max()
    order = np.argsort(-p, kind="stable")
    row["regret_top1"] = float(best - t[order[0]])
    row["regret_top10"] = float(best - t[order[:10]].max())
    if same_scale:
        resid = p - t
        ss = float(((t - t.mean()) ** 2).sum())
        row["r2"] = 1.0 - float((resid ** 2).sum()) / ss if ss > 0 else _NAN
        row["mae"] = float(np.abs(resid).mean())
        pr = np.round(p / resolution) * resolution
        row["sparse_kendall_tau_pred"] = float(kendalltau(pr, t)[0])
    return row


def bootstrap_ci(pred, truth, statistic: str = "kendall_tau", *, n_boot: int = 200, seed=0,
                 level: float = 0.95, **kw) -> tuple[float, float]:
    """Percentile bootstrap CI of one :func:`score_ranking` column (resampling architectures)."""
    from nasbench.rng import as_generator

    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(truth, dtype=np.float64)
    rng = as_generator(seed)
    n = len(p)
    vals = []
    for _ in range(int(n_boot)):
        i = rng.integers(0, n, size=n)
        vals.append(score_ranking(p[i], t[i], name="boot", **kw)[statistic])
    lo, hi = np.nanquantile(vals, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def summarize(rows: Iterable[Mapping], by: Sequence[str] = ("kind", "name", "benchmark", "target", "over",
                                                             "train_size", "k")) -> list[dict]:
    """Mean and standard error over trials: one dict per group of ``by``.

    Each score column ``c`` becomes ``c`` (mean) and ``c_se`` (standard error; NaN for one
    trial); ``trial`` becomes the number of trials.
    """
    groups: dict[tuple, list[Mapping]] = {}
    for r in rows:
        key = tuple(_key(r.get(b)) for b in by)
        groups.setdefault(key, []).append(r)
    out = []
    for key, rs in groups.items():
        s = {b: rs[0].get(b) for b in by}
        s["trial"] = len(rs)
        for c in SCORE_COLUMNS:
            v = np.array([float(r.get(c, _NAN)) for r in rs], dtype=np.float64)
            v = v[np.isfinite(v)]
            s[c] = float(v.mean()) if len(v) else _NAN
            s[c + "_se"] = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else _NAN
        s["resolution"] = rs[0].get("resolution", _NAN)
        s["notes"] = rs[0].get("notes", "")
        out.append(s)
    return out


def _key(v):
    return "nan" if isinstance(v, float) and math.isnan(v) else v


def population(benchmark, over: str) -> np.ndarray:
    """Architecture indices scored ``over="rows"`` (every row with results) or ``"classes"``
    (one representative per equivalence class with results: the table's ``arch_class``, or,
    for tables without one such as imported NB201, the space's functional classes)."""
    n = benchmark.space.size
    cover = getattr(benchmark, "covered", None)
    idx = np.arange(n) if cover is None else np.flatnonzero(cover())
    if over == "rows":
        return idx
    if over != "classes":
        raise ValueError(f"over must be 'rows' or 'classes', got {over!r}")
    cls = getattr(benchmark, "arch_class", None)
    if cls is None and hasattr(benchmark.space, "class_index"):
        cls = benchmark.space.class_index("function")
        # a class counts when one of its members has results; its representative is that member
        order = idx[np.argsort(np.asarray(cls)[idx], kind="stable")]
        _, first = np.unique(np.asarray(cls)[order], return_index=True)
        return np.sort(order[first])
    if cls is None:
        return idx
    return np.unique(np.asarray(cls)[idx])


def references(benchmark, target: str = "test_acc", *, over: str = "rows", fidelity: int | None = None,
               baselines: Sequence[str] = ("params", "flops"), resolution: float = 0.1, idx=None) -> list[dict]:
    """The rows every ranking result stands next to, on one table.

    ``idx``: the architectures to compute them over (default: :func:`population` of ``over``;
    a live benchmark passes the architectures it trained, since it has no whole population).

    - ``one-seed`` (kind ``reference``): each recorded seed scored against the mean of the
      other seeds, averaged over seeds: what one real training run achieves.  A model fitted
      on many architectures averages seed noise and can beat it.
    - ``ceiling`` (kind ``reference``): the reliability of the seed-mean target.  With r the
      mean pairwise correlation between seeds and K seeds, Spearman-Brown gives the
      reliability of the K-seed mean, r_K = K r / (1 + (K - 1) r); no score correlates with
      the observed target better than sqrt(r_K) (Spearman column), and for roughly Gaussian
      scores Kendall tau is bounded by 2/pi * arcsin(sqrt(r_K)).  An estimate, not a theorem
      about ranks.
    - ``params``, ``flops`` (kind ``baseline``): the static metric itself as the score, oriented
      as "bigger network = better" for a higher-is-better target (accuracy) and "bigger
      network = worse" otherwise (latency, loss).
    Tables with one seed (or seed means only) and static targets (one value per architecture,
    e.g. latency) have no ``one-seed`` or ``ceiling`` row; a static target is not its own
    baseline.
    """
    from scipy.stats import pearsonr, spearmanr

    idx = population(benchmark, over) if idx is None else np.asarray(idx, dtype=np.int64)
    f = benchmark.max_fidelity if fidelity is None else int(fidelity)
    hib = benchmark.higher_is_better(target)
    mean = np.asarray(benchmark.query(idx, fidelity=f, seed="mean", metrics=[target]).values[target], dtype=np.float64)
    rows = []
    K = int(getattr(benchmark, "n_seeds", 1))
    common = dict(benchmark=benchmark.name, target=target, over=over, resolution=resolution)
    static = tuple(getattr(benchmark, "static_metrics", ()))
    if K >= 2 and not getattr(benchmark, "seeds_are_means", False) and target not in static:
        per = np.stack([np.asarray(benchmark.query(idx, fidelity=f, trial=k, metrics=[target]).values[target],
                                   dtype=np.float64) for k in range(K)])  # (K, n)
        one = []
        for k in range(K):
            others = np.delete(per, k, axis=0).mean(0)
            one.append(score_ranking(per[k], others, name="one-seed", kind="reference", higher_is_better=hib,
                                     same_scale=True, trial=k, **common))
        s = summarize(one)[0]
        s["notes"] = f"each of {K} seeds against the mean of the others"
        rows.append(s)
        ok = np.all(np.isfinite(per), axis=0)
        rs, rp = [], []
        for a in range(K):
            for b in range(a + 1, K):
                rs.append(spearmanr(per[a, ok], per[b, ok])[0])
                rp.append(pearsonr(per[a, ok], per[b, ok])[0])
        r_s, r_p = float(np.mean(rs)), float(np.mean(rp))
        rel_s = K * r_s / (1 + (K - 1) * r_s)
        rel_p = K * r_p / (1 + (K - 1) * r_p)
        ceil = {c: _NAN for c in COLUMNS}
        ceil.update(kind="reference", name="ceiling", train_size=_NAN, k=_NAN, trial=_NAN, n=int(ok.sum()),
                    spearman=math.sqrt(max(rel_s, 0.0)), pearson=math.sqrt(max(rel_p, 0.0)),
                    kendall_tau=2 / math.pi * math.asin(math.sqrt(max(rel_p, 0.0))),
                    notes=f"Spearman-Brown reliability of the {K}-seed mean (pairwise Spearman {r_s:.3f}, "
                          f"Pearson {r_p:.3f})", **common)
        rows.append(ceil)
    for m in baselines:
        if m not in static or m == target:
            continue
        x = np.asarray(benchmark.query(idx, metrics=[m], seed="mean").values[m], dtype=np.float64)
        rows.append(score_ranking(x if hib else -x, mean, name=f"{m}-only", kind="baseline", higher_is_better=hib,
                                  **common))
    return rows


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        return f"{v:.4g}"
    return str(v)


def write_results(rows: Sequence[Mapping], path) -> Path:
    """Write rows as CSV with :data:`COLUMNS` first (extra keys, e.g. ``*_se``, after)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = sorted({k for r in rows for k in r} - set(COLUMNS))
    cols = [c for c in COLUMNS if any(c in r for r in rows)] + extra
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: _fmt(r.get(c, "")) for c in cols})
    return path


def to_markdown(rows: Sequence[Mapping], columns: Sequence[str] = ("kind", "name", "over", "train_size", "n",
                                                                     "kendall_tau", "spearman",
                                                                     "sparse_kendall_tau", "top10_precision",
                                                                     "r2", "seconds_per_arch")) -> str:
    """A markdown table; a column ``c`` with a ``c_se`` companion prints as ``mean ± se``."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        cells = []
        for c in columns:
            v, se = r.get(c, ""), r.get(c + "_se")
            s = _fmt(v) if c != "n" or v == "" else str(int(v))
            if s and c != "n" and isinstance(se, float) and not math.isnan(se):
                s = f"{v:.3f} ± {se:.3f}" if abs(v) >= 0.01 or v == 0 else f"{v:.3g} ± {se:.2g}"
            cells.append(s)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
