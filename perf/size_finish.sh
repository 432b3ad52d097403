#!/usr/bin/env bash
# After `nasbench generate --space size-mnist1d ... --sample 2000` has finished: merge the sample
# with the static pass, refit the size surrogate, rerun the checks and NAS-Bench-301's live check.
# Run from the repository root with the `train` and `predictors` extras installed.  Minutes.
set -euo pipefail
export OMP_NUM_THREADS=1
nasbench merge tabular_data/generation/size_mnist1d -o tabular_data/size_mnist1d_sample.h5 \
    --static tabular_data/generation/size_mnist1d_latency
rm -rf surrogates/size-mnist1d
nasbench surrogate fit --benchmark tabular_data/size_mnist1d_sample.h5 --train-fraction 1.0 -o surrogates/size-mnist1d
nasbench surrogate info size-mnist1d
PYTHONPATH=. python perf/size_checks.py "perf/size_checks_$(date +%F).json"
rm -rf results/size_live_check
PYTHONPATH=. python perf/size_live_check.py results/size_live_check
rm -f results/size_live_check/incumbents.h5   # derivable from the records
