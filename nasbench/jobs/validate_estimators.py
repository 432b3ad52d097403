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

__all__ = ["validate", "resolve_estimators", "plot_cost_quality", "CI_STATS", "write_report"]

CI_STATS = ("kendall_tau", "spearman", "top10_precision", "regret_top1", "regret_top10")


def _finite_order(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64).copy()
    fin = np.isfinite(p)
    low = (np.min(p[fin]) - 1.0 - abs(np.min(p[fin]))) if fin.any() else -1.0
    p[np.isneginf(p)] = low
    p[np.isposinf(p)] = (np.max(p[fin]) + 1.0 + abs(np.max(p[fin]))) if fin.any() else 1.0
    return p


def _bootstrap(p, t, rng, n_boot: int, **kw) -> dict:
    vals = {c: [] for c in CI_STATS}
    n = len(p)
    for _ in range(int(n_boot)):
        i = rng.integers(0, n, size=n)
        r = score_ranking(p[i], t[i], name="boot", **kw)
        for c in CI_STATS:
            vals[c].append(r[c])
    out = {}
    for c in CI_STATS:
        v = np.asarray(vals[c], dtype=np.float64)
        v = v[np.isfinite(v)]
        lo, hi = (np.quantile(v, [0.025, 0.975]) if len(v) else (math.nan, math.nan))
        out[f"{c}_lo"], out[f"{c}_hi"] = float(lo), float(hi)
    return out


def _population(bench, over: str, sample, rng) -> np.ndarray:
    n = bench.space.size
    cls = bench.arch_class if bench.arch_class is not None else np.arange(n)
    idx = np.arange(n) if over == "rows" else np.unique(cls)
    if sample is not None and sample != "all" and int(sample) < len(idx):
        idx = np.sort(rng.choice(idx, size=int(sample), replace=False))
    return idx


def _row_scores(est, bench, idx: np.ndarray) -> tuple[np.ndarray, float, dict]:
    """Scores of rows ``idx``, seconds per architecture, extra row fields."""
    from nasbench.estimators.base import PerformanceEstimator

    extra = {}
    if isinstance(est, PerformanceEstimator):
        cls = bench.arch_class if bench.arch_class is not None else np.arange(bench.space.size)
        reps, inv = np.unique(cls[idx], return_inverse=True)
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
             notes: Mapping[str, str] | None = None) -> list[dict]:
    """Results rows (:data:`nasbench.results.COLUMNS` + CI columns) for every estimator and
    population, followed by the reference rows of each population."""
    from nasbench.rng import as_generator

    rows = []
    hib = bench.higher_is_better(target)
    f = bench.max_fidelity
    for ov in over:
        rng = as_generator(np.random.SeedSequence([int(seed), 0 if ov == "rows" else 1]))
        idx = _population(bench, ov, sample, rng)
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
        for r in references(bench, target, over=ov):
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
            if sample not in (None, "all"):
                r["notes"] = (r.get("notes") or "") + "; reference over the whole population, not the sample"
            rows.append(r)
    return rows


# ----------------------------------------------------------------------------- names -> estimators
_CURVE = re.compile(r"^(lce|sotl)@(\d+)$")
ALIASES = {"azns": "aznas", "az-nas": "aznas", "naswot": "nwot"}


def resolve_estimators(bench, names: Sequence[str], preset: str | None = None) -> dict:
    """CLI names -> estimators.

    - ``<proxy>`` / ``aznas`` / ``vote`` (and ``all``: every shipped ``zc_*``): the table's
      shipped ``zc_<name>`` static metric with its measured cost (``seconds_per_arch`` attr);
    - ``vote:a+b+c``: rank average of shipped proxies ``a, b, c`` (class representatives as the
      reference set), cost = the shared passes of those proxies;
    - ``lce@k`` / ``sotl@k``: ``nasbench.estimators.curves`` (when installed on this branch),
      via its ``make_estimator(name, bench)``.
    """
    from nasbench.jobs.zero_cost import aggregate_tables

    out = {}
    attrs = bench.metric_attrs
    zc = [m[3:] for m in bench.static_metrics if m.startswith("zc_")]
    if list(names) == ["all"] or "all" in names:
        names = [n for n in names if n != "all"] + [q for q in zc if q not in names]
    for raw in names:
        name = ALIASES.get(raw, raw)
        m = _CURVE.match(name)
        if m:
            try:
                from nasbench.estimators import curves  # provided by the learning-curve work
            except ImportError as err:
                raise KeyError(f"{raw}: learning-curve estimators need nasbench.estimators.curves ({err})") from None
            est = curves.make_estimator(name, bench)
            out[raw] = {"scores": est["scores"], "seconds_per_arch": est["seconds_per_arch"], "k": int(m.group(2)),
                        "kind": "estimator", "notes": est.get("notes", "")} if isinstance(est, Mapping) else est
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
        parts.append(f"**over {ov}** (n = {max(int(r['n']) for r in rs)})\n")
        parts.append("| kind | " + " | ".join(_MD_COLS) + " |")
        parts.append("|---|" + "---|" * len(_MD_COLS))
        for r in rs:
            cells = [str(r.get("kind", ""))] + [str(r["name"]) if c == "name" else
                                                 (str(int(r["n"])) if c == "n" else _ci_cell(r, c)) for c in _MD_COLS]
            parts.append("| " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts)


def plot_cost_quality(rows: Sequence[Mapping], path, over: str = "rows", title: str = "") -> Path:
    """x = seconds per architecture (log), y = Kendall tau with 95 % CI bars; one point per
    estimator, ``@k`` families as lines over k, predictors as squares, the one-seed reference
    as a star and the noise ceiling as a horizontal line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rs = [r for r in rows if r.get("over") == over]
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
        yerr = None if not (isinstance(lo, float) and math.isfinite(lo)) else [[y - lo], [hi - y]]
        if "@" in name and isinstance(r.get("k"), float) and math.isfinite(r["k"]):
            fams.setdefault(name.split("@")[0], []).append((x, y, r["k"], yerr))
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


def write_report(rows: Sequence[Mapping], out, title: str = "") -> dict:
    """``out/results.csv``, ``out/results.md``, ``out/cost_quality_{rows,classes}.png``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": write_results(rows, out / "results.csv")}
    md = out / "results.md"
    md.write_text(markdown(rows))
    paths["md"] = md
    for ov in ("rows", "classes"):
        if any(r.get("over") == ov for r in rows):
            paths[f"png_{ov}"] = plot_cost_quality(rows, out / f"cost_quality_{ov}.png", over=ov, title=title)
    return paths
