"""Validate cheap estimators against a table's ground truth: one results table + one figure.

``validate(bench, estimators, sample=None, target="test_acc")`` scores each estimator over rows
(the space as a search samples it) and over equivalence classes (each distinct network once)
with :func:`nasbench.results.score_ranking` (Kendall tau, Spearman, top-10 % precision, regret
of the top-1 pick and of the best of the top 10 picks), adds a percentile-bootstrap 95 % CI for
each of those five (resampling architectures; extra columns ``<col>_lo`` / ``<col>_hi``), the
cost per architecture, and the reference rows of :func:`nasbench.results.references` (one real
training seed against the others, the noise ceiling, params-only and FLOPs-only).

An *estimator* is any of:

- a :class:`~nasbench.estimators.base.PerformanceEstimator` (``estimate`` is called once on the
  class representatives of the population and broadcast to their rows: rows of one class build
  the same network; its ``cost_["per_arch_s"]`` is the cost);
- a precomputed ``(n_archs,)`` score array over rows (NaN = unscored, ``-inf`` = lowest);
- a dict ``{"scores": array, "seconds_per_arch": float, "kind": str, "k": int, "notes": str}``
  (``kind="predictor"`` for predictors' scores; ``k`` for learning-curve estimators ``lce@k`` /
  ``sotl@k``, drawn as lines over ``k`` in the figure).

``-inf`` scores (degenerate networks, e.g. AZ-NAS's identity blocks) are replaced by a value
below every finite score before ranking, so they rank last instead of being dropped.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from nasbench.results import references, score_ranking, write_results

__all__ = ["validate", "resolve_estimators", "plot_cost_quality", "CI_STATS", "write_report", "sample_population",
           "parse_estimator", "validate_live"]

CI_STATS = ("kendall_tau", "spearman", "top10_precision", "regret_top1", "regret_top10")


def _finite_order(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64).copy()
    fin = np.isfinite(p)
    low = (np.min(p[fin]) - 1.0 - abs(np.min(p[fin]))) if fin.any() else -1.0
    p[np.isneginf(p)] = low
    p[np.isposinf(p)] = (np.max(p[fin]) + 1.0 + abs(np.max(p[fin]))) if fin.any() else 1.0
    return p


def _ci_stats(p: np.ndarray, t: np.ndarray) -> dict:
    """The :data:`CI_STATS` columns exactly as :func:`nasbench.results.score_ranking` defines
    them (finite ``p``, ``t`` oriented higher = better), without its other columns (speed)."""
    from scipy.stats import kendalltau, spearmanr

    from nasbench.results import _top_precision

    order = np.argsort(-p, kind="stable")
    best = t.max()
    return {"kendall_tau": float(kendalltau(p, t)[0]), "spearman": float(spearmanr(p, t)[0]),
            "top10_precision": _top_precision(p, t, 0.10), "regret_top1": float(best - t[order[0]]),
            "regret_top10": float(best - t[order[:10]].max())}


def _bootstrap(p, t, rng, n_boot: int, higher_is_better: bool = True, **kw) -> dict:
    p = np.asarray(p, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    ok = np.isfinite(p) & np.isfinite(t)
    p, t = p[ok], (t[ok] if higher_is_better else -t[ok])
    vals = {c: [] for c in CI_STATS}
    n = len(p)
    import warnings

    with warnings.catch_warnings():  # a resample of a small population can be constant: NaN, dropped below
        warnings.simplefilter("ignore")
        for _ in range(int(n_boot)):
            i = rng.integers(0, n, size=n)
            r = _ci_stats(p[i], t[i])
            for c in CI_STATS:
                vals[c].append(r[c])
    out = {}
    for c in CI_STATS:
        v = np.asarray(vals[c], dtype=np.float64)
        v = v[np.isfinite(v)]
        lo, hi = (np.quantile(v, [0.025, 0.975]) if len(v) else (math.nan, math.nan))
        out[f"{c}_lo"], out[f"{c}_hi"] = float(lo), float(hi)
    return out


def _classes(bench) -> np.ndarray:
    cls = getattr(bench, "arch_class", None)
    return np.arange(bench.space.size) if cls is None else np.asarray(cls)


def sample_population(bench, over: str, sample=None, seed: int = 0) -> np.ndarray:
    """Sorted row indices ``validate`` scores: every row (``over="rows"``) or one representative
    per equivalence class (``"classes"``), or ``sample`` of them drawn uniformly without
    replacement, seeded by ``seed`` (the same draw for a table and a live benchmark of one space)."""
    from nasbench.rng import as_generator

    rng = as_generator(np.random.SeedSequence([int(seed), 0 if over == "rows" else 1]))
    n = bench.space.size
    idx = np.arange(n) if over == "rows" else np.unique(_classes(bench))
    if sample is not None and sample != "all" and int(sample) < len(idx):
        idx = np.sort(rng.choice(idx, size=int(sample), replace=False))
    return idx


def _row_scores(est, bench, idx: np.ndarray) -> tuple[np.ndarray, float, dict]:
    """Scores of rows ``idx``, seconds per architecture, extra row fields."""
    from nasbench.estimators.base import PerformanceEstimator

    extra = {}
    if isinstance(est, PerformanceEstimator):
        reps, inv = np.unique(_classes(bench)[idx], return_inverse=True)
        s = np.asarray(est.estimate(reps), dtype=np.float64)[inv]
        cost = getattr(est, "cost_", {})
        return s, float(cost.get("per_arch_s", math.nan)), {"setup_seconds": float(cost.get("setup_s", math.nan))}
    if isinstance(est, Mapping):
        s = np.asarray(est["scores"], dtype=np.float64)[idx]
        for key in ("kind", "k", "notes", "train_size", "setup_seconds"):
            if key in est:
                extra[key] = est[key]
        return s, float(est.get("seconds_per_arch", math.nan)), extra
    return np.asarray(est, dtype=np.float64)[idx], math.nan, extra


def validate(bench, estimators: Mapping[str, object], *, sample=None, target: str = "test_acc",
             over: Sequence[str] = ("rows", "classes"), n_boot: int = 200, seed: int = 0,
             notes: Mapping[str, str] | None = None, populations: Mapping[str, np.ndarray] | None = None) -> list[dict]:
    """Results rows (:data:`nasbench.results.COLUMNS` + CI columns) for every estimator and
    population, followed by the reference rows of each population.

    ``populations``: ``{"rows" | "classes": (m,) int indices}`` scores exactly those
    architectures (``over`` and ``sample`` are then unused) and computes the references over
    them too; a live benchmark passes what it trained (:func:`sample_population`).
    """
    from nasbench.rng import as_generator

    rows = []
    hib = bench.higher_is_better(target)
    f = bench.max_fidelity
    pops = dict(populations) if populations is not None else {ov: None for ov in over}
    for ov, given in pops.items():
        if given is None:
            idx = sample_population(bench, ov, sample, seed)
        else:
            idx = np.asarray(given, dtype=np.int64)
        truth = np.asarray(bench.query(idx, fidelity=f, seed="mean", metrics=[target]).values[target],
                           dtype=np.float64)
        for name, est in estimators.items():
            s, sec, extra = _row_scores(est, bench, idx)
            scored = ~np.isnan(s)
            p = _finite_order(s[scored])
            t = truth[scored]
            kw = dict(benchmark=bench.name, target=target, over=ov, higher_is_better=hib)
            kind = extra.pop("kind", "estimator")
            row = score_ranking(p, t, name=name, kind=kind, seconds_per_arch=sec,
                                notes=(notes or {}).get(name, extra.pop("notes", "")),
                                k=extra.pop("k", None), train_size=extra.pop("train_size", None),
                                setup_seconds=extra.pop("setup_seconds", math.nan), **kw)
            if n_boot:
                row.update(_bootstrap(p, t, as_generator(np.random.SeedSequence([int(seed), 7, len(rows)])),
                                      n_boot, **kw))
            row["n_unscored"] = int((~scored).sum())
            rows.append(row)
        for r in references(bench, target, over=ov, idx=given):
            r = dict(r)
            if r["name"] == "one-seed" and getattr(bench, "cost_unit", "") == "seconds":
                try:
                    cost = bench.query(idx, fidelity=f, trial=0, metrics=[target]).cost
                    r["seconds_per_arch"] = float(np.nanmean(np.asarray(cost, dtype=np.float64)))
                    r["notes"] += "; seconds_per_arch = the table's train time of one run"
                except Exception:  # pragma: no cover - cost not recorded
                    pass
            if r["name"] in ("params-only", "flops-only") and n_boot:
                m = r["name"].split("-")[0]
                x = np.asarray(bench.query(idx, metrics=[m], seed="mean").values[m], dtype=np.float64)
                r.update(_bootstrap(x, truth, as_generator(np.random.SeedSequence([int(seed), 9, len(rows)])),
                                    n_boot, benchmark=bench.name, target=target, over=ov, higher_is_better=hib))
            if given is not None:
                r["notes"] = (r.get("notes") or "") + f"; reference over the same {len(idx)} architectures"
            elif sample not in (None, "all"):
                r["notes"] = (r.get("notes") or "") + "; reference over the whole population, not the sample"
            rows.append(r)
    return rows


# ----------------------------------------------------------------------------- names -> estimators
_CURVE = re.compile(r"^(lce|sotl|acc)@(\d+)$")
ALIASES = {"azns": "aznas", "az-nas": "aznas", "naswot": "nwot"}
#: names that only exist as a table's shipped columns or as fitted models: never computed live
_TABLE_ONLY = re.compile(r"^(zc_.*|latency.*|energy.*)$")


def parse_estimator(raw: str) -> tuple:
    """One CLI name -> ``("curve", family, k)``, ``("vote", comps)`` (``vote:a+b+c``; plain
    ``vote`` is the shipped vote's proxies), ``("aznas", AZ_PROXIES)`` or ``("proxy", name)``;
    ``KeyError`` naming the valid forms for anything else."""
    from nasbench.estimators.zero_cost import AZ_PROXIES, PROXIES

    from nasbench.jobs.zero_cost import VOTE_DEFAULT

    name = ALIASES.get(raw, raw)
    m = _CURVE.match(name)
    if m:
        return ("curve", m.group(1), int(m.group(2)))
    if name.startswith("vote:"):
        comps = tuple(name[5:].split("+"))
        bad = [q for q in comps if ALIASES.get(q, q) not in PROXIES]
        if bad or not comps:
            raise KeyError(f"{raw}: unknown proxies {bad} in the vote; choose from {', '.join(PROXIES)}")
        return ("vote", tuple(ALIASES.get(q, q) for q in comps))
    if name == "vote":
        return ("vote", tuple(VOTE_DEFAULT))
    if name == "aznas":
        return ("aznas", tuple(AZ_PROXIES))
    if name in PROXIES:
        return ("proxy", name)
    raise KeyError(f"unknown estimator {raw!r}; choose from the proxies ({', '.join(PROXIES)}), aznas, vote, "
                   "vote:a+b+c, lce@k, sotl@k, acc@k")


def check_live_names(names: Sequence[str], epochs: int | None = None) -> list[str]:
    """The names ``validate_live`` can compute (``all``: every proxy, ``aznas`` and ``vote``),
    checked before anything trains: ``KeyError`` for unknown names and for table-only ones (a
    table's shipped ``zc_*`` / latency columns, predictors), ``ValueError`` for an ``@k`` that
    the schedule lacks."""
    from nasbench.estimators.zero_cost import PROXIES

    names = list(names)
    if "all" in names:
        names = [n for n in names if n != "all"] + [q for q in (*PROXIES, "aznas", "vote") if q not in names]
    try:
        from nasbench.catalog import PREDICTORS
    except Exception:  # pragma: no cover - catalog always present
        PREDICTORS = {}
    for raw in names:
        if _TABLE_ONLY.match(raw) or raw.split("+")[0] in PREDICTORS:
            hint = (f"; use the proxy's own name ({raw[3:]!r}) to compute it live" if raw.startswith("zc_")
                    and ALIASES.get(raw[3:], raw[3:]) in (*PROXIES, "aznas", "vote") else "")
            raise KeyError(f"{raw}: a table-only estimator (a shipped column or a fitted predictor); --live computes "
                           f"zero-cost proxies and learning-curve estimators on the architectures it trains{hint}")
        kind = parse_estimator(raw)
        if kind[0] == "curve" and epochs is not None:
            fam, k = kind[1], kind[2]
            if not 1 <= k <= int(epochs) or (fam == "lce" and k < 2):
                raise ValueError(f"{raw}: k must be in {'2' if fam == 'lce' else '1'}..{int(epochs)} (the live "
                                 f"schedule has {int(epochs)} epochs{'; lce needs k >= 2' if fam == 'lce' else ''})")
    return names


def _full(bench, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``(space.size,)`` scores, NaN (unscored) outside ``rows``."""
    out = np.full(bench.space.size, np.nan)
    out[rows] = values
    return out


def _curve_scores(bench, raw: str, name: str, k: int, archs=None) -> dict:
    """``lce@k`` / ``sotl@k`` / ``acc@k`` scored on the class representatives of ``archs``
    (default: every row) and broadcast to their rows; cost = the recorded training to epoch
    ``k`` plus the fit."""
    try:
        from nasbench.estimators import curves  # provided by the learning-curve work
    except ImportError as err:
        raise KeyError(f"{raw}: learning-curve estimators need nasbench.estimators.curves ({err})") from None
    est = curves.make_estimator(name, bench)
    if isinstance(est, Mapping):
        return dict(est, k=int(k))
    rows = np.arange(bench.space.size) if archs is None else np.asarray(archs, dtype=np.int64)
    reps, inv = np.unique(_classes(bench)[rows], return_inverse=True)
    if hasattr(est, "fit") and not hasattr(est, "cost_"):
        est.fit()
    scores = _full(bench, rows, np.asarray(est.estimate(reps), dtype=np.float64)[inv])
    cost = getattr(est, "cost_", {})
    return {"scores": scores, "seconds_per_arch": float(cost.get("per_arch_s", math.nan)), "k": int(k),
            "kind": "estimator", "setup_seconds": float(cost.get("setup_s", math.nan))}


def _live_zero_cost(bench, raw: str, kind: tuple, archs: np.ndarray, *, preset: str, seed: int,
                    batch_size: int, data) -> dict:
    """A :class:`~nasbench.estimators.zero_cost.ZeroCost` computed now on ``archs`` (class
    representatives) and broadcast to nothing else; its measured CPU cost per architecture.
    Aggregations (``vote``, ``aznas``) take ranks within ``archs`` (the reference set, charged
    as setup)."""
    from nasbench.estimators.zero_cost import ZeroCost

    proxy = kind[1] if kind[0] == "proxy" else ("aznas" if kind[0] == "aznas" else list(kind[1]))
    zc = ZeroCost(proxy, preset=preset, seed=int(seed), batch_size=int(batch_size), data=data)
    note = ""
    if zc.aggregated:
        zc.fit(reference_archs=archs)
        note = f"ranks within the {len(archs)} sampled architectures (the reference set; its cost is setup)"
    s = np.asarray(zc.estimate(archs), dtype=np.float64)
    return {"scores": _full(bench, archs, s), "seconds_per_arch": float(zc.cost_["per_arch_s"]),
            "setup_seconds": float(zc.cost_["setup_s"]), "kind": "estimator", "notes": note}


def resolve_estimators(bench, names: Sequence[str], preset: str | None = None, *, live_archs=None,
                       zc_seed: int = 0, batch_size: int = 64, data=None) -> dict:
    """CLI names -> estimators (:func:`validate`'s dict form, scores over every row, NaN = unscored).

    On a table (``live_archs=None``):

    - ``<proxy>`` / ``aznas`` / ``vote`` (and ``all``: every shipped ``zc_*``): the table's
      shipped ``zc_<name>`` static metric with its measured cost (``seconds_per_arch`` attr);
    - ``vote:a+b+c``: rank average of shipped proxies ``a, b, c`` (class representatives as the
      reference set), cost = the shared passes of those proxies;
    - ``lce@k`` / ``sotl@k`` / ``acc@k``: ``nasbench.estimators.curves.make_estimator(name, bench)``
      (the learning-curve work; when present on this branch), scored on the class
      representatives and broadcast to their rows; drawn as lines over ``k``.

    Live (``live_archs``: the trained class representatives of a
    :class:`~nasbench.benchmarks.live.LiveBenchmark`): the same names (see
    :func:`check_live_names`), proxies computed now by
    :class:`~nasbench.estimators.zero_cost.ZeroCost` on ``live_archs`` (network ``preset``,
    initialisation seed ``zc_seed``, batches of ``batch_size`` drawn from ``data``, the task's
    training split), curve estimators read from the live curves; only ``live_archs`` are scored.
    """
    from nasbench.jobs.zero_cost import aggregate_tables

    if live_archs is not None:
        archs = np.asarray(live_archs, dtype=np.int64)
        if preset is None:
            preset = getattr(getattr(bench, "config", None), "preset", None) or "nb201-mnist1d"
        out = {}
        for raw in check_live_names(names, epochs=bench.max_fidelity):
            kind = parse_estimator(raw)
            if kind[0] == "curve":
                out[raw] = _curve_scores(bench, raw, f"{kind[1]}@{kind[2]}", kind[2], archs)
            else:
                out[raw] = _live_zero_cost(bench, raw, kind, archs, preset=preset, seed=zc_seed,
                                           batch_size=batch_size, data=data)
        return out

    out = {}
    attrs = bench.metric_attrs
    zc = [m[3:] for m in bench.static_metrics if m.startswith("zc_")]
    if list(names) == ["all"] or "all" in names:
        names = [n for n in names if n != "all"] + [q for q in zc if q not in names]
    for raw in names:
        name = ALIASES.get(raw, raw)
        m = _CURVE.match(name)
        if m:
            out[raw] = _curve_scores(bench, raw, name, int(m.group(2)))
            continue
        if name.startswith("vote:"):
            comps = tuple(name[5:].split("+"))
            missing = [q for q in comps if f"zc_{q}" not in bench.static_metrics]
            if missing:
                raise KeyError(f"{raw}: no shipped scores for {missing}")
            tables = {f"zc_{q}": np.asarray(bench.table(f"zc_{q}"), dtype=np.float64) for q in comps}
            ag = aggregate_tables(tables, bench, {}, vote=comps)
            out[raw] = {"scores": ag["tables"]["zc_vote"],
                        "seconds_per_arch": _shared_cost(bench, comps)}
            continue
        col = f"zc_{name}"
        if col not in bench.static_metrics:
            raise KeyError(f"{raw}: no shipped static metric {col!r} in {bench.name} "
                           f"(have: {', '.join(zc) or 'none'}; run `nasbench estimators score`)")
        out[raw] = {"scores": np.asarray(bench.table(col), dtype=np.float64),
                    "seconds_per_arch": float(attrs[col].get("seconds_per_arch", math.nan))}
    return out


def _shared_cost(bench, comps) -> float:
    """Cost of several shipped proxies computed together: the max of their alone-costs is a lower
    bound; the passes they share are paid once, so use the union recorded per pass when known."""
    a = bench.metric_attrs
    vals = [float(a[f"zc_{q}"].get("seconds_per_arch", math.nan)) for q in comps]
    pass_s = a.get(f"zc_{comps[0]}", {}).get("pass_seconds")
    if pass_s:
        import json

        from nasbench.estimators.zero_cost import PASS_OF

        per = json.loads(pass_s) if isinstance(pass_s, str) else dict(pass_s)
        need = {"build"} | {p for q in comps for p in PASS_OF.get(q, ())}
        return float(sum(per.get(p, 0.0) for p in need))
    return float(np.nansum(vals))


# ----------------------------------------------------------------------------- report
_MD_COLS = ("name", "n", "kendall_tau", "spearman", "top10_precision", "regret_top1", "regret_top10",
            "seconds_per_arch")


def _ci_cell(r, c):
    v = r.get(c, math.nan)
    if not isinstance(v, (int, float)) or (isinstance(v, float) and math.isnan(v)):
        return ""
    lo, hi = r.get(f"{c}_lo"), r.get(f"{c}_hi")
    if c == "seconds_per_arch":
        return f"{v:.3g}"
    if isinstance(lo, float) and not math.isnan(lo):
        return f"{v:.3f} [{lo:.3f}, {hi:.3f}]"
    return f"{v:.3f}"


def markdown(rows: Sequence[Mapping]) -> str:
    """One markdown table per population; CIs in brackets."""
    parts = []
    for ov in ("rows", "classes"):
        rs = [r for r in rows if r.get("over") == ov]
        if not rs:
            continue
        est_n = [int(r["n"]) for r in rs if r.get("kind") not in ("reference", "baseline")] or [int(r["n"]) for r in rs]
        same = all("same" in str(r.get("notes", "")) for r in rs if r.get("kind") in ("reference", "baseline"))
        parts.append(f"**over {ov}** (n = {max(est_n)} scored; references over "
                     f"{'the same architectures' if same else 'the whole population'})\n")
        parts.append("| kind | " + " | ".join(_MD_COLS) + " |")
        parts.append("|---|" + "---|" * len(_MD_COLS))
        for r in rs:
            cells = [str(r.get("kind", ""))] + [str(r["name"]) if c == "name" else
                                                 (str(int(r["n"])) if c == "n" else _ci_cell(r, c)) for c in _MD_COLS]
            parts.append("| " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts)


def plot_cost_quality(rows: Sequence[Mapping], path, over: str = "rows", title: str = "",
                      names: Sequence[str] | None = None) -> Path:
    """x = seconds per architecture (log), y = Kendall tau with 95 % CI bars; one point per
    estimator, ``@k`` families as lines over k, predictors as squares, the one-seed reference
    as a star and the noise ceiling as a horizontal line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rs = [r for r in rows if r.get("over") == over and (names is None or r["name"] in names
                                                        or r.get("kind") in ("reference", "baseline"))]
    fig, ax = plt.subplots(figsize=(8.5, 5.5))
    fams: dict[str, list] = {}
    for r in rs:
        x, y = r.get("seconds_per_arch", math.nan), r.get("kendall_tau", math.nan)
        name = str(r["name"])
        if name == "ceiling":
            ax.axhline(y, color="0.3", ls="--", lw=1, label=f"seed-noise ceiling ({y:.3f})")
            continue
        if not (isinstance(x, float) and x > 0 and math.isfinite(x)):
            x = 1e-5  # free (a lookup): drawn at the left edge
        lo, hi = r.get("kendall_tau_lo", math.nan), r.get("kendall_tau_hi", math.nan)
        yerr = None if not (isinstance(lo, float) and math.isfinite(lo)) else [[max(y - lo, 0.0)], [max(hi - y, 0.0)]]
        k = r.get("k")
        if "@" in name and isinstance(k, (int, float)) and not isinstance(k, bool) and math.isfinite(k):
            fams.setdefault(name.split("@")[0], []).append((x, y, float(k), yerr))
            continue
        marker, color = "o", "C0"
        if r.get("kind") == "predictor":
            marker, color = "s", "C2"
        elif r.get("kind") in ("reference", "baseline"):
            marker, color = ("*", "C3") if name == "one-seed" else ("D", "0.4")
        ax.errorbar([x], [y], yerr=yerr, fmt=marker, color=color, ms=7 if marker != "*" else 12, capsize=2)
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=7)
    for i, (fam, pts) in enumerate(sorted(fams.items())):
        pts.sort(key=lambda t: t[2])
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        ax.plot(xs, ys, "-", marker=".", color=f"C{4 + i}", label=f"{fam}@k (k = {int(pts[0][2])}..{int(pts[-1][2])})")
        for p in pts:
            if p[3] is not None:
                ax.errorbar([p[0]], [p[1]], yerr=p[3], fmt="none", color=f"C{4 + i}", capsize=2)
    ax.set_xscale("log")
    ax.set_xlabel("seconds per architecture (CPU, log scale; left edge = free lookup)")
    ax.set_ylabel("Kendall tau vs seed-mean target (95 % bootstrap CI)")
    ax.set_title(title or f"cost vs ranking quality, over {over}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def write_report(rows: Sequence[Mapping], out, title: str = "", names: Sequence[str] | None = None,
                 header: str = "") -> dict:
    """``out/results.csv``, ``out/results.md`` (``header`` first), ``out/cost_quality_{rows,classes}.png``
    (the figure shows ``names`` only, when given, plus the references)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": write_results(rows, out / "results.csv")}
    md = out / "results.md"
    md.write_text((header.rstrip() + "\n\n" if header else "") + markdown(rows))
    paths["md"] = md
    for ov in ("rows", "classes"):
        if any(r.get("over") == ov for r in rows):
            paths[f"png_{ov}"] = plot_cost_quality(rows, out / f"cost_quality_{ov}.png", over=ov, title=title,
                                                    names=names)
    return paths


def size_dependence(bench, estimators: Mapping[str, object], target: str = "test_acc", over: str = "classes",
                    size: str = "params") -> list[dict]:
    """How much of each estimator's ranking is network size: Spearman with ``size``, with the
    target, and the partial Spearman with the target given ``size`` (rank-based; the information
    an estimator adds beyond counting parameters).  One dict per estimator, plus ``size`` itself."""
    from scipy.stats import rankdata

    n = bench.space.size
    cls = bench.arch_class if bench.arch_class is not None else np.arange(n)
    idx = np.arange(n) if over == "rows" else np.unique(cls)
    y = np.asarray(bench.query(idx, fidelity=bench.max_fidelity, seed="mean", metrics=[target]).values[target],
                   dtype=np.float64)
    z = np.asarray(bench.query(idx, metrics=[size], seed="mean").values[size], dtype=np.float64)
    out = []
    for name, est in list(estimators.items()) + [(f"{size}-only", {"scores": None})]:
        if name == f"{size}-only":
            x = z.copy()
        else:
            x, _, _ = _row_scores(est, bench, idx)
        ok = ~np.isnan(x) & np.isfinite(y) & np.isfinite(z)
        xr, yr, zr = (rankdata(_finite_order(v[ok])) for v in (x, y, z))
        rxy, rxz, ryz = (float(np.corrcoef(a, b)[0, 1]) for a, b in ((xr, yr), (xr, zr), (yr, zr)))
        denom = math.sqrt(max((1 - rxz ** 2) * (1 - ryz ** 2), 1e-12))
        out.append({"name": name, "over": over, "n": int(ok.sum()), "spearman_target": rxy,
                    f"spearman_{size}": rxz, f"partial_spearman_given_{size}": (rxy - rxz * ryz) / denom})
    return out


# ----------------------------------------------------------------------------- live ground truth
def validate_live(out, names: Sequence[str], *, task: str = "mnist1d", preset: str | None = None, epochs: int = 10,
                  seeds: Sequence[int] = (0, 1), sample: int = 50, cache=None, seed: int = 0,
                  target: str = "test_acc", n_boot: int = 200, batch_size: int | None = None,
                  data_root: str | None = None, zc_batch_size: int = 64, progress: bool = True) -> dict:
    """Validate estimators on ground truth trained now (``nasbench estimators validate --live``).

    Draws ``sample`` functional classes of the space uniformly (seeded by ``seed``: the draw
    ``validate(..., sample=N, seed=seed)`` makes on a table of the same space), trains their
    representatives with every seed in ``seeds`` for ``epochs`` epochs on ``task`` through a
    :class:`~nasbench.benchmarks.live.LiveBenchmark` whose record log lives in ``cache``
    (default ``out/live_cache``; resumable: a killed run loses at most the architecture in
    training, a rerun trains nothing it has), computes the named estimators on the same
    architectures (:func:`resolve_estimators` with ``live_archs``) and scores them with
    :func:`validate` over those classes, references (one-seed, Spearman-Brown ceiling with >= 2
    seeds, params-only) over the same architectures.  Trainer settings are ``nasbench train``'s
    for the task (:func:`nasbench.jobs.live.train_config`: the shipped table's for mnist1d /
    synthetic) with ``epochs``.  Writes :func:`write_report`'s files and ``settings.json``.

    Returns ``{"rows", "paths", "settings", "bench", "idx"}``.
    """
    import dataclasses
    import json
    import platform
    import time

    import torch

    from nasbench.benchmarks.live import LiveBenchmark
    from nasbench.jobs.live import TrainJob, _load_task, default_preset, train_config
    from nasbench.train.models import PRESETS

    if sample in (None, "all"):
        raise ValueError("--live trains every architecture it scores: give --sample N (e.g. 50)")
    sample = int(sample)
    if sample < 3:
        raise ValueError(f"--sample must be >= 3 for a ranking, got {sample}")
    names = check_live_names(names, epochs=epochs)  # before anything trains
    preset = preset or default_preset(task)
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    job = TrainJob(arch="", task=task, preset=preset, epochs=int(epochs), seeds=tuple(int(s) for s in seeds),
                   batch_size=batch_size, data_root=data_root, progress=False, compare=None)
    cfg, seeds = train_config(job, preset)
    task_obj = _load_task(job, preset)
    if tuple(task_obj.input_shape) != tuple(PRESETS[preset].input_shape):
        raise ValueError(f"task {task_obj.name!r} has inputs {task_obj.input_shape} but preset {preset!r} expects "
                         f"{PRESETS[preset].input_shape}")
    out = Path(out)
    cache = out / "live_cache" if cache is None else Path(cache)
    bench = LiveBenchmark(cache, task=task_obj, config=cfg, seeds=seeds,
                          name=f"live-{task_obj.name}-{int(epochs)}ep")
    idx = sample_population(bench, "classes", sample, seed)
    before = int(bench.cached()[idx].sum())
    t0 = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(idx), initial=before, desc=f"training {task_obj.name} ({int(epochs)} ep, seeds "
                                                          f"{list(seeds)})", unit="arch")
    try:
        for i in idx:
            if bench.cached()[i]:
                continue
            bench.query(np.array([int(i)]), fidelity=None, seed="mean", metrics=[target])  # trains + records
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        bench.close()
    train_wall = time.perf_counter() - t0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # proxies' CPU seconds on one thread, as the shipped scores
    t1 = time.perf_counter()
    try:
        est = resolve_estimators(bench, names, preset=preset, live_archs=idx, zc_seed=seed,
                                 batch_size=zc_batch_size, data=(task_obj.x_train, task_obj.y_train))
    finally:
        torch.set_num_threads(threads)
    est_wall = time.perf_counter() - t1
    rows = validate(bench, est, populations={"classes": idx}, target=target, n_boot=n_boot, seed=seed)
    tc = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("device", "threads")}
    settings = {
        "kind": "live_validation", "task": task_obj.name, "task_sha256": task_obj.meta.get("sha256"),
        "preset": preset, "epochs": int(epochs), "seeds": [int(s) for s in seeds], "n_architectures": int(len(idx)),
        "sample_seed": int(seed), "population": "one representative per functional class, drawn uniformly",
        "target": f"seed-mean {target} at epoch {int(epochs)}", "trainer": tc, "device": cfg.device,
        "zero_cost": {"init_seed": int(seed), "batch_size": int(zc_batch_size), "data": f"{task_obj.name} training split",
                      "threads": 1, "time_basis": "CPU seconds (time.process_time)"},
        "estimators": list(names), "cache": str(cache), "n_trained_this_run": int(bench.n_trained),
        "n_cached_before": before, "train_wall_s": round(train_wall, 1), "estimators_wall_s": round(est_wall, 1),
        "torch": torch.__version__, "host_cpu": platform.processor() or platform.machine(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "architectures": [bench.space.to_string(bench.space.from_index(int(i))) for i in idx],
        "indices": [int(i) for i in idx],
    }
    title = (f"live ground truth: {task_obj.name}, {int(epochs)} epochs, seeds {list(map(int, seeds))}, "
             f"n = {len(idx)} classes")
    header = (f"# Estimators on {title}\n\n"
              f"Ground truth trained now (no table): task `{task_obj.name}` (sha256 {task_obj.meta.get('sha256')}), "
              f"network preset `{preset}`, {int(epochs)} epochs (batch {cfg.batch_size}, lr {cfg.lr}, cosine, "
              f"{cfg.device}), seeds {list(map(int, seeds))} trained as one pack; target = seed-mean `{target}` at "
              f"the last epoch. {len(idx)} architectures, one per functional class, drawn uniformly (seed "
              f"{int(seed)}). Zero-cost proxies computed on the same architectures (initialisation seed {int(seed)}, "
              f"batches of {int(zc_batch_size)} from the task's training split); curve estimators read training "
              f"seed {int(seeds[0])}'s live curve. Costs: CPU seconds per architecture. References over the same "
              f"architectures. 95 % bootstrap CIs in brackets (n = {len(idx)}: wide).")
    paths = write_report(rows, out, title=title, names=list(names), header=header)
    (out / "settings.json").write_text(json.dumps(settings, indent=1))
    paths["settings"] = out / "settings.json"
    return {"rows": rows, "paths": paths, "settings": settings, "bench": bench, "idx": idx}
