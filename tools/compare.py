"""Run the HAT paper's comparison for one dataset and seed: every model, then the report.

    python tools/compare.py --dataset cifar --data-dir DIR --epochs 10 --train-limit 2000

Trains each model with tools/train.py (same dataset, seed and budget; Joint first, as the
reference A_J) into OUT/<model>, and then writes OUT/comparison.md, comparison.csv and
forgetting_ratio.png (tools/report.py). Rerunning the same command after a kill continues
the grid: a model whose run is complete is skipped, an unfinished run resumes from its
checkpoint (train.py --resume), and one killed before its first checkpoint starts anew.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from hat_tf.cli import RUN_NUMBERS, OneLineParser
from hat_tf.reporting.comparison import IncomparableRunsError, load_results
from hat_tf.training.checkpoint import RunCheckpoint

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


def restart_options(run_dir: str) -> list[str]:
    """train.py's options to go on with an unfinished run in `run_dir`: none for a new
    one, --resume where it has a checkpoint, --overwrite where it was killed before one."""
    if not os.path.exists(run_dir):
        return []
    return ["--resume"] if RunCheckpoint(run_dir).exists() else ["--overwrite"]


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
        restart = restart_options(run_dir)
        print(f"{model}: {'resuming' if restart == ['--resume'] else 'training'} into "
              f"{run_dir}", flush=True)
        command = [sys.executable, os.path.join(TOOLS, "train.py"), "--model", model,
                   "--dataset", args.dataset, "--seed", str(args.seed), "--run-dir", run_dir,
                   *budget, *restart]
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
