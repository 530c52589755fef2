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

import json
import os
import shutil
import sys
from typing import NoReturn

from hat_tf.console import import_tensorflow_quietly

tf = import_tensorflow_quietly()  # before anything else imports TensorFlow

from hat_tf import cli, train_command  # noqa: E402
from hat_tf.catalog import METHODS, build_model, method_name  # noqa: E402
from hat_tf.cli import OneLineParser, changed_settings  # noqa: E402
from hat_tf.config import RunConfig  # noqa: E402
from hat_tf.models.building import count_params  # noqa: E402
from hat_tf.runner import seeded_strategy, start_run  # noqa: E402
from hat_tf.train_command import to_config  # noqa: E402
from hat_tf.training.callbacks import NonFiniteLossError  # noqa: E402
from hat_tf.training.checkpoint import CheckpointError, RunCheckpoint  # noqa: E402
from hat_tf.training.results import format_matrix  # noqa: E402


def build_parser() -> OneLineParser:
    """The command's parser (hat_tf/train_command.py), described by this file's docstring."""
    return train_command.build_parser(__doc__)


def parse_arguments(argv=None):
    """The command's arguments (hat_tf/train_command.py)."""
    return train_command.parse_arguments(argv, __doc__)


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
