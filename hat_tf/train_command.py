"""The options of tools/train.py and the `RunConfig` they give: the run's settings as
config.json records them.

tools/train.py parses its command line here; tools/compare.py asks, of a run it finds
finished, which settings its protocol would have given it (`to_config` of the train.py
command it would run), so that a run trained with other settings is never recorded as
the protocol's.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

from hat_tf.catalog import ARCHITECTURES, METHODS, MODELS
from hat_tf.cli import (
    Number,
    OneLineParser,
    add_method_arguments,
    add_run_arguments,
    method_settings,
    resolve_model,
    run_config,
)
from hat_tf.config import HatConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.distribute import STRATEGIES
from hat_tf.export.run_exporter import EXPORT_MODES


def methods() -> list:
    """Every registered method (its options are train.py's)."""
    return [METHODS.get(name) for name in METHODS.names()]


def build_parser(description: str | None = None) -> OneLineParser:
    """train.py's parser: the run's settings (`add_run_arguments`), every method's options,
    and what the command does with the run (its dir, resuming, exports, checkpoints)."""
    parser = OneLineParser(description=description,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(parser, MODELS.names(), DATASETS.names(), ARCHITECTURES.names(),
                      METHODS.names())
    add_method_arguments(parser, methods())
    parser.add_argument("--run-dir", help="where results go (must not exist yet)")
    parser.add_argument("--strategy", default=RunConfig().strategy, choices=list(STRATEGIES),
                        help="tf.distribute strategy: none (one device) or mirrored (this "
                             "machine's GPUs, else its logical CPUs); --batch-size is the "
                             "global batch, split among the replicas")
    parser.add_argument("--export", default=RunConfig().export, choices=EXPORT_MODES,
                        help="compact (default): each task's SavedModel without the units its "
                             "mask leaves off where that is exact (AlexNet-HAT), else the "
                             "full network; full: the full network for every task too; "
                             "none: no SavedModels (the results, reports and a kept "
                             "checkpoint only)")
    parser.add_argument("--task-inference", action="store_true",
                        help="at the end, score prediction without the task id "
                             "(task_inference_acc, cil_acc in results.json)")
    parser.add_argument("--reject-rotations", action="store_true",
                        help="give every task's head an output 'not this task', trained on "
                             "rotated copies of half of each batch (HAT's gated methods "
                             "only); the task-inference rule reject reads it")
    parser.add_argument("--checkpoint-every", type=Number(float, 0), default=30.0,
                        metavar="SECONDS",
                        help="write a checkpoint at an epoch end at most every SECONDS "
                             "(default 30; 0: every epoch), and at every task's end")
    parser.add_argument("--keep-checkpoint", action="store_true",
                        help="keep the checkpoint when the run ends (it is deleted then; an "
                             "unfinished run always keeps it)")
    restart = parser.add_mutually_exclusive_group()
    restart.add_argument("--resume", action="store_true",
                         help="continue the run in --run-dir from its last checkpoint, with "
                              "the same settings")
    restart.add_argument("--overwrite", action="store_true",
                         help="delete an existing --run-dir and start anew")
    parser.add_argument("--dry-run", action="store_true",
                        help="build the model for the dataset, print its parameter count, "
                             "train and write nothing")
    return parser


def parse_arguments(argv=None, description: str | None = None) -> argparse.Namespace:
    """train.py's arguments, its model named by --model or by --arch and --method."""
    parser = build_parser(description)
    args = parser.parse_args(argv)
    resolve_model(parser, args, MODELS.names())
    return args


def to_config(args: argparse.Namespace) -> RunConfig:
    """The run's settings; without --run-dir, runs/<model>_<dataset>_seed<seed>_<time>."""
    run_dir = args.run_dir or os.path.join(
        "runs", f"{args.model}_{args.dataset}_seed{args.seed}_{time.strftime('%Y%m%d-%H%M%S')}")
    config = run_config(args, run_dir, HatConfig())
    return dataclasses.replace(config, strategy=args.strategy, export=args.export,
                               task_inference=args.task_inference,
                               reject_rotations=args.reject_rotations,
                               **method_settings(args, methods()))
