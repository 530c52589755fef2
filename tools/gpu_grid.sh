#!/usr/bin/env bash
# The comparison grids at the budgets a 2-core CPU cannot give, for one NVIDIA GPU with
# TensorFlow installed (`pip install -r requirements.txt -e .` on it):
#
#     tools/gpu_grid.sh DATA_DIR OUT_DIR
#
# 1. cpu10, seed 0, the AlexNet family: the HAT paper's 10 CIFAR tasks at 15 epochs a task,
#    the same runs as the CPU grid's first stage (ρ≤10 beside the paper's);
# 2. cifar100_10, its AlexNet rows (HAT on 3 seeds, the others on one; 200-epoch cap);
# 3. cifar100_10_gpu: cifar100_10's ResNet18 rows at full width (the published network);
# 4. paper, seed 0, the AlexNet family: the HAT paper's whole protocol (200-epoch cap).
# Each grid's runs go to OUT_DIR/<protocol>/seed<k>/<model>, their small outputs and the
# regenerated report to runs/compare_<protocol> of this repository (commit them): for cpu10,
# cifar100_10 and paper the CPU grid's own records, so a run trained here is not trained
# again on the CPU.
# Rerunning the script continues where it stopped (tools/compare.py skips finished runs and
# resumes unfinished ones). Not timed here: no GPU machine lent to this project has
# TensorFlow (docs/protocol.md, "On one GPU").
set -euo pipefail
if [ $# -ne 2 ] || [ ! -d "$1" ]; then
  echo "gpu_grid.sh: expected DATA_DIR (a folder with cifar10.npz and cifar100.npz) and" \
       "OUT_DIR, received: $*" >&2
  exit 2
fi
data_dir=$(cd "$1" && pwd)
out_dir=$(realpath -m "$2")
cd "$(dirname "$0")/.."
python tools/compare.py --protocol cpu10 --seeds 0 --families alexnet \
  --data-dir "$data_dir" --out "$out_dir/cpu10"
python tools/compare.py --protocol cifar100_10 --families alexnet alexnet_bn alexnet_baselines \
  --data-dir "$data_dir" --out "$out_dir/cifar100_10"
python tools/compare.py --protocol cifar100_10_gpu --data-dir "$data_dir" \
  --out "$out_dir/cifar100_10_gpu"
python tools/compare.py --protocol paper --seeds 0 --families alexnet \
  --data-dir "$data_dir" --out "$out_dir/paper"
