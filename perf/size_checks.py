"""The size space's checks on the shipped sample and surrogate (README "The size space").

Usage: PYTHONPATH=. python perf/size_checks.py OUT.json [TABLE] [SURROGATE] [COST ...]

Defaults: table ``size-mnist1d-sample``, surrogate ``size-mnist1d``, cost metrics: every
``latency_*`` column, then ``flops`` and ``params``.  Writes width effects, held-out scores next
to seed-to-seed noise, and Pareto agreement per cost metric (nasbench.jobs.size_checks).
"""
from __future__ import annotations

import json
import sys

from nasbench import load_benchmark
from nasbench.jobs.size_checks import heldout_report, pareto_agreement, width_effects


def main(out, table="size-mnist1d-sample", surrogate="size-mnist1d", costs=()):
    t, s = load_benchmark(table), load_benchmark(surrogate)
    costs = list(costs) or [m for m in s.static_metrics if m.startswith("latency_")] + ["flops", "params"]
    res = {"table": t.name, "surrogate": s.name, "width_effects": width_effects(t),
           "heldout": heldout_report(s, t), "pareto": {}}
    for c in costs:
        p = pareto_agreement(s, t, c)
        res["pareto"][c] = p
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    short = {k: v for k, v in res.items() if k != "width_effects"}
    for p in short["pareto"].values():
        p["whole_space"] = {k: v for k, v in p["whole_space"].items() if k != "surrogate_front"}
    print(json.dumps(short, indent=1))


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], *(a[1:3]), costs=a[3:]) if len(a) > 1 else main(a[0])
