"""Train a model on a sequence of tasks and measure what it forgets.

    python tools/train.py --model alexnet_hat --dataset digits
    python tools/train.py --model alexnet_hat --dataset cifar --data-dir DIR --epochs 10

Writes config.json, results.json, acc_matrix.csv, TensorBoard logs (tb/) and at the end
report.md with its plots to the run dir (default runs/<model>_<dataset>_seed<seed>_<time>).
Bad arguments exit with status 2 and one line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

from hat_tf.console import import_tensorflow_quietly

tf = import_tensorflow_quietly()  # before anything else imports TensorFlow

import keras  # noqa: E402

from hat_tf.catalog import MODELS  # noqa: E402
from hat_tf.config import DataConfig, HatConfig, OptimConfig, RunConfig  # noqa: E402
from hat_tf.data import DATASETS, DataUnavailableError, InvalidDataError  # noqa: E402
from hat_tf.distribute import STRATEGIES, make_strategy  # noqa: E402
from hat_tf.models.building import count_params  # noqa: E402
from hat_tf.reporting.standard import standard_observers  # noqa: E402
from hat_tf.training.callbacks import NonFiniteLossError  # noqa: E402
from hat_tf.training.checkpoint import CheckpointError, RunCheckpoint  # noqa: E402
from hat_tf.training.loop import build_model, run_sequence  # noqa: E402
from hat_tf.training.results import format_matrix, save_results, write_json  # noqa: E402

DEFAULTS = RunConfig()


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def number(kind, low, high=None, low_open=False):
    """An argparse type: `kind` (int or float) in [low, high], or (low, high] if `low_open`;
    no upper bound when `high` is None."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {kind.__name__}, received {text!r}") from None
        below = value <= low if low_open else value < low
        if below or (high is not None and value > high):
            bound = f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}]"
            raise argparse.ArgumentTypeError(f"expected a value in {bound}, received {text}")
        return value

    return parse


def parse_args(argv):
    optim, hat = DEFAULTS.optim, DEFAULTS.hat
    parser = OneLineParser(description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=MODELS.names(),
                        help="architecture and method")
    parser.add_argument("--dataset", default="digits", choices=DATASETS.names(),
                        help="task sequence (default digits: offline, 5 tasks)")
    parser.add_argument("--data-dir", default=os.environ.get("HAT_DATA_DIR"),
                        help="folder with cifar10.npz and cifar100.npz (default: $HAT_DATA_DIR; "
                             "without one, tensorflow-datasets is tried)")
    parser.add_argument("--epochs", type=number(int, 1), default=optim.epochs,
                        help=f"cap on epochs per task (default {optim.epochs})")
    parser.add_argument("--seed", type=number(int, 0), default=0,
                        help="seed of the task order, the validation split and the weights")
    parser.add_argument("--run-dir", help="where results go (must not exist yet)")
    parser.add_argument("--batch-size", type=number(int, 1), default=optim.batch_size,
                        help=f"examples per step (default {optim.batch_size})")
    parser.add_argument("--lr", type=number(float, 0, low_open=True), default=optim.lr,
                        help=f"initial learning rate of every task (default {optim.lr})")
    parser.add_argument("--optimizer", default=optim.optimizer,
                        help="Keras optimizer name, new for every task (default sgd)")
    parser.add_argument("--momentum", type=number(float, 0, 1), default=optim.momentum,
                        help="momentum of sgd (default 0, as in the paper)")
    parser.add_argument("--smax", type=number(float, 1), default=hat.s_max,
                        help=f"HAT's s_max, the gate scale at evaluation (default {hat.s_max:g})")
    parser.add_argument("--capacity-weight", type=number(float, 0), default=hat.capacity_weight,
                        help=f"HAT's c in Eq. 5 (default {hat.capacity_weight})")
    parser.add_argument("--tasks", type=number(int, 1),
                        help="learn only the first N tasks of the sequence")
    parser.add_argument("--train-limit", type=number(int, 2),
                        help="at most N training examples per task (before the validation split)")
    parser.add_argument("--val-fraction", type=number(float, 0, 0.9, low_open=True),
                        default=DEFAULTS.data.val_fraction,
                        help="share of each task's training set for validation (default 0.15)")
    parser.add_argument("--width", type=number(float, 0, low_open=True), default=DEFAULTS.width,
                        help="multiplier of every layer's units (default 1: the paper's sizes)")
    parser.add_argument("--deterministic", action="store_true",
                        help="TensorFlow's deterministic ops: the same seed gives the same "
                             "results, and so does a killed and resumed run (slower)")
    parser.add_argument("--strategy", default=DEFAULTS.strategy, choices=list(STRATEGIES),
                        help="tf.distribute strategy: none (one device) or mirrored (this "
                             "machine's GPUs, else its logical CPUs); --batch-size is the "
                             "global batch, split among the replicas")
    restart = parser.add_mutually_exclusive_group()
    restart.add_argument("--resume", action="store_true",
                         help="continue the run in --run-dir from its last checkpoint, with "
                              "the same settings")
    restart.add_argument("--overwrite", action="store_true",
                         help="delete an existing --run-dir and start anew")
    parser.add_argument("--dry-run", action="store_true",
                        help="build the model for the dataset, print its parameter count, "
                             "train and write nothing")
    return parser.parse_args(argv)


def to_config(args) -> RunConfig:
    return RunConfig(
        model=args.model,
        data=DataConfig(dataset=args.dataset, data_dir=args.data_dir, seed=args.seed,
                        num_tasks=args.tasks, train_limit=args.train_limit,
                        val_fraction=args.val_fraction),
        optim=OptimConfig(optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
                          batch_size=args.batch_size, momentum=args.momentum),
        hat=HatConfig(s_max=args.smax, capacity_weight=args.capacity_weight),
        width=args.width,
        deterministic=args.deterministic,
        strategy=args.strategy,
        run_dir=args.run_dir or os.path.join("runs", f"{args.model}_{args.dataset}_seed{args.seed}_"
                                                      f"{time.strftime('%Y%m%d-%H%M%S')}"),
    )


def fail(message: str) -> None:
    print(f"train.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def check_run_dir(args, config: RunConfig) -> None:
    """Refuses to overwrite a run by accident, and to resume one with other settings."""
    if args.resume:
        if args.run_dir is None:
            fail("--resume needs the --run-dir of the run to continue")
        saved_path = os.path.join(config.run_dir, "config.json")
        if not RunCheckpoint(config.run_dir).exists() or not os.path.isfile(saved_path):
            fail(f"--resume: {config.run_dir} holds no checkpoint to continue from")
        with open(saved_path) as file:
            saved = flatten(json.load(file))
        now = flatten(config.to_dict())
        movable = ("run_dir", "strategy")  # a run may move to another dir or devices
        changed = sorted(key for key in saved.keys() | now.keys()
                         if key not in movable and saved.get(key) != now.get(key))
        if changed:
            fail(f"--resume: the run in {config.run_dir} was started with other settings "
                 f"({', '.join(changed)}); resume it with its own")
    elif os.path.exists(config.run_dir) and not args.dry_run:
        if not args.overwrite:
            fail(f"--run-dir {config.run_dir} exists already: choose another, or pass "
                 "--resume or --overwrite")
        shutil.rmtree(config.run_dir)


def flatten(settings: dict, prefix: str = "") -> dict:
    """{"optim": {"lr": 0.05}} → {"optim.lr": 0.05}."""
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def main(argv=None) -> None:
    args = parse_args(argv)
    config = to_config(args)
    if config.data.data_dir is not None and not os.path.isdir(config.data.data_dir):
        fail(f"--data-dir {config.data.data_dir} is not a directory")
    check_run_dir(args, config)
    try:
        sequence = DATASETS.get(config.data.dataset)(config.data)
    except (DataUnavailableError, InvalidDataError) as error:
        fail(str(error))
    keras.utils.set_random_seed(config.data.seed)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = make_strategy(config.strategy)
    if config.strategy != "none":
        print(f"{config.strategy}: {strategy.num_replicas_in_sync} replicas")
    if args.dry_run:
        model = build_model(config, sequence, strategy)
        print(f"{config.model} on {sequence.name} ({len(sequence.tasks)} tasks): "
              f"{count_params(model.network):,} trainable parameters")
        return
    if not args.resume:
        write_json(os.path.join(config.run_dir, "config.json"), config.to_dict())
    try:
        results = run_sequence(config, sequence,
                               on_task_end=lambda r: save_results(config.run_dir, r),
                               observers=standard_observers(config, sequence),
                               checkpoint=RunCheckpoint(config.run_dir), resume=args.resume,
                               strategy=strategy)
    except CheckpointError as error:
        fail(f"--resume: {error}")
    except NonFiniteLossError as error:
        print(f"train.py: error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"\ntrain.py: interrupted; the run keeps its last checkpoint: continue it with "
              f"--resume --run-dir {config.run_dir}", file=sys.stderr)
        sys.exit(130)
    print(f"\nACC {results['acc']:.4f}  BWT {results['bwt']:+.4f}  "
          f"({results['train_seconds']:.0f} s of training)\n"
          f"{format_matrix(results['acc_matrix'], results['task_names'])}\n"
          f"results in {config.run_dir} (report.md; tensorboard --logdir {config.run_dir})")


if __name__ == "__main__":
    main()
