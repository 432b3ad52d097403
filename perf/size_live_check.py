"""NAS-Bench-301's live check of the shipped size surrogate (issue 15): search on the surrogate,
train the incumbents with the sample's settings, compare promised vs real.

    PYTHONPATH=. python perf/size_live_check.py OUT_DIR      (resumable)

Writes ``OUT_DIR/incumbents.json`` (the searches' final incumbents), ``OUT_DIR/records/`` (their
training, two generator workers) and ``OUT_DIR/compare.json`` (promised vs real).
"""
import json
import sys
from pathlib import Path


def main(out: str) -> dict:
    from nasbench import load_benchmark
    from nasbench.benchmarks.tabular import TabularBenchmark
    from nasbench.jobs.ground_truth import generate
    from nasbench.jobs.merge import merge_records
    from nasbench.jobs.size_validate import compare_incumbents, incumbent_generate_config, surrogate_incumbents

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    s = load_benchmark("size-mnist1d")
    inc_path = out / "incumbents.json"
    if inc_path.exists():
        inc = json.loads(inc_path.read_text())
    else:
        inc = surrogate_incumbents(s, strategies=("rs", "re", "ls", "bananas", "reinforce"), seeds=range(6),
                                   budget="100x")
        inc_path.write_text(json.dumps(inc, indent=1))
    print(len(inc["runs"]), "runs,", len(inc["archs"]), "distinct incumbents", flush=True)
    generate(incumbent_generate_config(inc["archs"], str(out / "records"), workers=2), progress=False)
    t = TabularBenchmark(merge_records(out / "records", out / "incumbents.h5",
                                       static_dir="tabular_data/generation/size_mnist1d_latency"))
    res = compare_incumbents(s, t, inc)
    n_fit = s.metadata["training_data"]["n_train_classes"]
    res["surrogate"] = f"size-mnist1d (fitted on {n_fit} trained architectures)"
    (out / "compare.json").write_text(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":  # the generator's workers are spawned: they must not rerun this
    print(json.dumps(main(sys.argv[1]), indent=1))
