"""NAS-Bench-301's live check of the shipped size surrogate (issue 15): search on the surrogate,
train the incumbents with the sample's settings, compare promised vs real.  Usage: PYTHONPATH=. python perf/size_live_check.py OUT_DIR (resumable)."""
import json, sys
from pathlib import Path
from nasbench import load_benchmark
from nasbench.jobs.ground_truth import generate
from nasbench.jobs.merge import merge_records
from nasbench.benchmarks.tabular import TabularBenchmark
from nasbench.jobs.size_validate import surrogate_incumbents, incumbent_generate_config, compare_incumbents
out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
s = load_benchmark("size-mnist1d")
inc_path = out / "incumbents.json"
if inc_path.exists():
    inc = json.loads(inc_path.read_text())
else:
    inc = surrogate_incumbents(s, strategies=("rs", "re", "ls", "bananas", "reinforce"), seeds=range(6), budget="100x")
    inc_path.write_text(json.dumps(inc, indent=1))
print(len(inc["runs"]), "runs,", len(inc["archs"]), "distinct incumbents", flush=True)
cfg = incumbent_generate_config(inc["archs"], str(out / "records"), workers=2)
generate(cfg, progress=False)
t = TabularBenchmark(merge_records(out / "records", out / "incumbents.h5",
                                   static_dir="tabular_data/generation/size_mnist1d_latency"))
res = compare_incumbents(s, t, inc)
res["surrogate"] = "size-mnist1d (fitted at 927 trained architectures)"
(out / "compare.json").write_text(json.dumps(res, indent=1))
print(json.dumps(res, indent=1))
