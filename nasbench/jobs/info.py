"""Job: ``nasbench info TABLE`` — what a table holds, how complete it is, where it comes from."""
from __future__ import annotations

import json

import numpy as np

__all__ = ["describe"]

_PROVENANCE_KEYS = ("task", "preset", "rule", "epochs", "torch", "train_device", "train_threads", "host_cpu", "cpu_capability",
                    "n_classes", "n_trained_classes", "train_core_seconds", "holdout", "git_commit", "created")


def describe(name_or_path, root=None) -> str:
    """A human-readable summary of a tabular benchmark (metrics with units, coverage, best values)."""
    from nasbench.benchmarks.tabular import load_benchmark

    b = load_benchmark(name_or_path, root=root)
    lines = [f"{b.name}: {b.path}",
             f"  space {b.space.name} ({b.space.size} architectures), coverage {100 * b.coverage():.1f}%",
             f"  fidelities {b.fidelities.tolist()} ({b.fidelity_kind}), {b.n_seeds} seed(s)"
             f"{' (values are seed means)' if b.seeds_are_means else ''}, cost in {b.cost_unit}"]
    lines.append("  metrics (seed mean at the top fidelity: best / median):")
    for m in (*b.metrics, *b.static_metrics):
        a = b.metric_attrs.get(m, {})
        t = b.table(m, seed="mean")
        ok = np.isfinite(t)
        best = (np.nanmax(t) if b.higher_is_better(m) else np.nanmin(t)) if ok.any() else np.nan
        med = np.nanmedian(t) if ok.any() else np.nan
        unit = a.get("unit", "")
        split = f" [{a['split']}]" if "split" in a else ""
        lines.append(f"    {m:22s}{split:8s} {best:10.4g} / {med:<10.4g} {unit}")
    attrs = b.attrs
    prov = {k: attrs[k] for k in _PROVENANCE_KEYS if k in attrs}
    if prov:
        lines.append("  provenance:")
        for k, v in prov.items():
            v = v if isinstance(v, (str, int, float)) else json.dumps(v, default=str)
            lines.append(f"    {k}: {str(v)[:110]}")
    return "\n".join(lines)
