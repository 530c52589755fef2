"""Run the HAT paper's comparison for one dataset and seed: every model, then the report.

    python tools/compare.py --dataset cifar --data-dir DIR --epochs 10 --train-limit 2000

Trains each model with tools/train.py (same dataset, seed and budget; Joint first, as the
reference A_J) into OUT/<model>, skipping models whose run is complete there already, and
then writes OUT/comparison.md, comparison.csv and forgetting_ratio.png (tools/report.py).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from hat_tf.cli import RUN_NUMBERS, OneLineParser
from hat_tf.reporting.comparison import IncomparableRunsError, load_results

TOOLS = os.path.dirname(os.path.abspath(__file__))
PAPER_MODELS = ["alexnet_joint", "alexnet_hat", "alexnet_sgd", "alexnet_sgd_frozen",
                "alexnet_ewc", "alexnet_lwf", "alexnet_pnn"]
BUDGET_OPTIONS = ("data_dir", "epochs", "tasks", "train_limit", "width", "batch_size")


def finished(run_dir: str) -> bool:
    """Whether `run_dir` holds a run that completed all its tasks."""
    try:
        load_results(run_dir)
    except IncomparableRunsError:
        return False
    return True


def build_parser() -> OneLineParser:
    parser = OneLineParser(description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, help="as in train.py")
    parser.add_argument("--seed", type=RUN_NUMBERS["seed"], default=0,
                        help="as in train.py (default 0)")
    parser.add_argument("--models", nargs="+", default=PAPER_MODELS,
                        help="the first one is the Joint reference (default: the AlexNet "
                             "family of the HAT paper)")
    parser.add_argument("--out", help="folder of the runs and the report "
                                      "(default runs/compare_<dataset>_seed<seed>)")
    for option in BUDGET_OPTIONS:
        parser.add_argument(f"--{option.replace('_', '-')}", type=RUN_NUMBERS.get(option),
                            help="passed to train.py")
    return parser


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    out = args.out or os.path.join("runs", f"compare_{args.dataset}_seed{args.seed}")
    budget = [item for option in BUDGET_OPTIONS if getattr(args, option) is not None
              for item in (f"--{option.replace('_', '-')}", str(getattr(args, option)))]
    run_dirs = [os.path.join(out, model) for model in args.models]
    for model, run_dir in zip(args.models, run_dirs):
        if finished(run_dir):
            print(f"{model}: using the finished run in {run_dir}")
            continue
        print(f"{model}: training into {run_dir}", flush=True)
        command = [sys.executable, os.path.join(TOOLS, "train.py"), "--model", model,
                   "--dataset", args.dataset, "--seed", str(args.seed), "--run-dir", run_dir,
                   *budget]
        status = subprocess.run(command).returncode
        if status == 2:  # bad input, which train.py has named in its one line
            sys.exit(2)
        if status:
            sys.exit(f"compare.py: training {model} failed")
    report = [sys.executable, os.path.join(TOOLS, "report.py"), *run_dirs[1:],
              "--joint", run_dirs[0], "--out", out]
    sys.exit(subprocess.run(report).returncode)


if __name__ == "__main__":
    main()
