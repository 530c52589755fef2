"""Train a model on a sequence of tasks and measure what it forgets.

    python tools/train.py --model alexnet_hat --dataset digits
    python tools/train.py --model alexnet_hat --dataset cifar --data-dir DIR --epochs 10

Writes config.json, results.json, acc_matrix.csv, TensorBoard logs (tb/), checkpoints
(deleted when the run ends) and at the end the SavedModels (saved_models/) and report.md
with its plots to the run dir (default runs/<model>_<dataset>_seed<seed>_<time>).
Bad arguments (a number out of range or not finite, more --tasks than the dataset has, a
data file that cannot be used) exit with status 2 and one line, before anything is written
or --overwrite deletes anything.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import time
from typing import NoReturn

from hat_tf.console import import_tensorflow_quietly

tf = import_tensorflow_quietly()  # before anything else imports TensorFlow

from hat_tf import cli  # noqa: E402
from hat_tf.catalog import ARCHITECTURES, METHODS, MODELS, build_model, method_name  # noqa: E402
from hat_tf.cli import (  # noqa: E402
    Number,
    OneLineParser,
    add_method_arguments,
    add_run_arguments,
    changed_settings,
    method_settings,
    resolve_model,
    run_config,
)
from hat_tf.config import HatConfig, RunConfig  # noqa: E402
from hat_tf.data import DATASETS  # noqa: E402
from hat_tf.distribute import STRATEGIES  # noqa: E402
from hat_tf.export.run_exporter import EXPORT_MODES  # noqa: E402
from hat_tf.models.building import count_params  # noqa: E402
from hat_tf.runner import seeded_strategy, start_run  # noqa: E402
from hat_tf.training.callbacks import NonFiniteLossError  # noqa: E402
from hat_tf.training.checkpoint import CheckpointError, RunCheckpoint  # noqa: E402
from hat_tf.training.results import format_matrix  # noqa: E402


def methods() -> list:
    """Every registered method (its options are train.py's)."""
    return [METHODS.get(name) for name in METHODS.names()]


def build_parser() -> OneLineParser:
    parser = OneLineParser(description=__doc__,
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
                             "full network; full: the full network for every task too")
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


def parse_arguments(argv=None) -> argparse.Namespace:
    """The command's arguments, its model named by --model or by --arch and --method."""
    parser = build_parser()
    args = parser.parse_args(argv)
    resolve_model(parser, args, MODELS.names())
    return args


def to_config(args) -> RunConfig:
    run_dir = args.run_dir or os.path.join(
        "runs", f"{args.model}_{args.dataset}_seed{args.seed}_{time.strftime('%Y%m%d-%H%M%S')}")
    config = run_config(args, run_dir, HatConfig())
    return dataclasses.replace(config, strategy=args.strategy, export=args.export,
                               task_inference=args.task_inference,
                               reject_rotations=args.reject_rotations,
                               **method_settings(args, methods()))


def fail(message: str) -> NoReturn:
    cli.fail("train.py", message)


def check_reject_rotations(config: RunConfig) -> None:
    """Refuses --reject-rotations for a model whose method has no gates (the library's
    ContinualModel would, once the run has started)."""
    gated = [name for name in METHODS.names() if METHODS.get(name).needs_gates]
    if config.reject_rotations and method_name(config.model) not in gated:
        fail(f"--reject-rotations: expected a model of a method with HAT's gates "
             f"({', '.join(gated)}), received {config.model}")


def check_run_dir(args, config: RunConfig) -> None:
    """Refuses to overwrite a run by accident, and to resume one with other settings;
    deletes nothing (`start_run_dir` does, on --overwrite)."""
    if args.resume:
        if args.run_dir is None:
            fail("--resume needs the --run-dir of the run to continue")
        saved_path = os.path.join(config.run_dir, "config.json")
        if not RunCheckpoint(config.run_dir).exists() or not os.path.isfile(saved_path):
            fail(f"--resume: {config.run_dir} holds no checkpoint to continue from")
        with open(saved_path) as file:
            changed = changed_settings(json.load(file), config.to_dict())
        if changed:
            fail(f"--resume: the run in {config.run_dir} was started with other settings "
                 f"({', '.join(changed)}); resume it with its own")
    elif os.path.exists(config.run_dir) and not args.dry_run and not args.overwrite:
        fail(f"--run-dir {config.run_dir} exists already: choose another, or pass "
             "--resume or --overwrite")


def main(argv=None) -> None:
    args = parse_arguments(argv)
    config = to_config(args)
    check_reject_rotations(config)
    check_run_dir(args, config)
    sequence = cli.load_sequence("train.py", config.data)
    if args.dry_run:
        strategy = seeded_strategy(config)
        if config.strategy != "none":
            print(f"{config.strategy}: {strategy.num_replicas_in_sync} replicas")
        model = build_model(config, sequence, strategy)
        print(f"{config.model} on {sequence.name} ({len(sequence.tasks)} tasks): "
              f"{count_params(model.network):,} trainable parameters")
        return
    # Once the arguments and the data have passed, so that bad input never deletes a run.
    if args.overwrite and os.path.exists(config.run_dir):
        shutil.rmtree(config.run_dir)
    checkpoint = RunCheckpoint(config.run_dir, args.checkpoint_every)
    try:
        results = start_run(config, sequence, checkpoint=checkpoint, resume=args.resume)
    except CheckpointError as error:
        fail(f"--resume: {error}")
    except NonFiniteLossError as error:
        print(f"train.py: error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"\ntrain.py: interrupted; the run keeps its last checkpoint: continue it with "
              f"--resume --run-dir {config.run_dir}", file=sys.stderr)
        sys.exit(130)
    if not args.keep_checkpoint:
        checkpoint.remove()
    print(f"\nACC {results.acc:.4f}  BWT {results.bwt:+.4f}  "
          f"({results.train_seconds:.0f} s of training)\n"
          f"{format_matrix(results.acc_matrix, results.task_names)}\n"
          f"results in {config.run_dir} (report.md; tensorboard --logdir {config.run_dir})")


if __name__ == "__main__":
    main()
