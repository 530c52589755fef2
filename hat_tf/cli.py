"""What the command-line tools share: their options, one-line errors, reading JSON files
and loading the data.

Only the tools parse argv; they turn it into a `RunConfig` here, so the library below
them takes config objects. This module does not import TensorFlow (`load_sequence` does,
when called).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NoReturn

from hat_tf.config import (
    METHOD_SECTIONS,
    PRECISIONS,
    SECTIONS,
    DataConfig,
    HatConfig,
    Number,
    OptimConfig,
    RunConfig,
)

if TYPE_CHECKING:
    from hat_tf.data import TaskSequence

DEFAULTS = RunConfig()


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def fail(tool: str, message: str) -> NoReturn:
    """Reports bad input in one line, `<tool>: error: <message>`, and exits with status 2."""
    print(f"{tool}: error: {message}", file=sys.stderr)
    sys.exit(2)


def read_json(tool: str, path: str, what: str):
    """The JSON value of `path`; refuses (`fail`) a file that cannot be read as JSON,
    saying it expected `what`."""
    try:
        with open(path) as file:
            return json.load(file)
    except (OSError, ValueError) as error:  # ValueError: json.JSONDecodeError, bad UTF-8
        fail(tool, f"{path}: expected {what}, received a file that cannot be read "
                   f"({type(error).__name__}: {error})")


def output_problem(path: str, folder: bool) -> str | None:
    """Why the tools cannot write the folder (`folder`) or the file `path`, or None if they
    can: it is a file where a folder is wanted or the reverse, it would go under a file, or
    the nearest folder that exists cannot be written. Creates nothing."""
    if os.path.exists(path) and os.path.isdir(path) != folder:
        return (f"expected a {'folder' if folder else 'file'}, received the "
                f"{'file' if folder else 'folder'} {path}")
    above = os.path.abspath(path)
    while not os.path.exists(above):
        above = os.path.dirname(above)
    if above != os.path.abspath(path) and not os.path.isdir(above):
        return (f"expected a path in a folder, received {path}, which lies under the file "
                f"{above}")
    writable = above if os.path.isdir(above) else os.path.dirname(above)
    if not os.access(writable, os.W_OK | os.X_OK):
        return f"expected a path that can be written, received {path} ({writable} is read-only)"
    return None


def check_output(tool: str, option: str, path: str, folder: bool = True) -> None:
    """Refuses (`fail`) an output `path` the tool cannot write (`output_problem`), before it
    does any work: a folder if `folder`, else a file."""
    problem = output_problem(path, folder)
    if problem:
        fail(tool, f"{option}: {problem}")


# np.random.seed (under keras.utils.set_random_seed) takes seeds below 2**32, and so does
# keras-tuner's Bayesian oracle, which tune.py gives seed + 1.
MAX_SEED = 2**32 - 2
# The ranges of the numeric run options; compare.py passes some on to train.py.
RUN_NUMBERS = {
    "epochs": Number(int, 1),
    "seed": Number(int, 0, MAX_SEED),
    "batch_size": Number(int, 1),
    "lr": Number(float, 0, low_open=True),
    "momentum": Number(float, 0, 1),
    "tasks": Number(int, 1),
    "train_limit": Number(int, 2),
    "val_fraction": Number(float, 0, 0.9, low_open=True),
    "width": Number(float, 0, low_open=True),
}


def add_run_arguments(parser: argparse.ArgumentParser, models: Sequence[str],
                      datasets: Sequence[str], architectures: Sequence[str] = (),
                      methods: Sequence[str] = ()) -> list[argparse.Action]:
    """The model, the data and the training budget of a run: every setting of a
    `RunConfig` but the methods' hyperparameters and the run dir. Returns the options added.

    With `architectures` and `methods` (the catalog's), `--arch` and `--method` may name
    the model instead of `--model` (`resolve_model` checks which the command gave)."""
    optim = DEFAULTS.optim
    composing = bool(architectures)
    model = parser.add_argument(
        "--model", required=not composing, choices=models,
        help="architecture and method" + (" (or --arch and --method)" if composing else ""))
    if composing:
        parser.add_argument("--arch", choices=architectures,
                            help="the network, with --method instead of --model (alexnet, "
                                 "resnet18, …)")
        parser.add_argument("--method", choices=methods,
                            help="the method, with --arch instead of --model (hat, ewc, …)")
    return [
        model,
        parser.add_argument("--dataset", default="digits", choices=datasets,
                            help="task sequence (default digits: offline, 5 tasks)"),
        parser.add_argument("--data-dir", default=os.environ.get("HAT_DATA_DIR"),
                            help="folder with cifar10.npz and cifar100.npz (default: "
                                 "$HAT_DATA_DIR; without one, tensorflow-datasets is tried)"),
        parser.add_argument("--epochs", type=RUN_NUMBERS["epochs"], default=optim.epochs,
                            help=f"cap on epochs per task (default {optim.epochs})"),
        parser.add_argument("--seed", type=RUN_NUMBERS["seed"], default=0,
                            help="seed of the task order, the validation split and the weights"),
        parser.add_argument("--batch-size", type=RUN_NUMBERS["batch_size"],
                            default=optim.batch_size,
                            help=f"examples per step (default {optim.batch_size})"),
        parser.add_argument("--lr", type=RUN_NUMBERS["lr"], default=optim.lr,
                            help=f"initial learning rate of every task (default {optim.lr})"),
        parser.add_argument("--optimizer", default=optim.optimizer,
                            help="Keras optimizer name, new for every task (default sgd)"),
        parser.add_argument("--momentum", type=RUN_NUMBERS["momentum"],
                            default=optim.momentum,
                            help="momentum of sgd (default 0, as in the paper)"),
        parser.add_argument("--no-restore-at-drop", dest="restore_at_drop",
                            action="store_false",
                            help="put the best weights back only at a task's end, as the HAT "
                                 "reference code does, not also at every lr drop"),
        parser.add_argument("--augment", action="store_true",
                            help="train on random crops (the image padded by 4 pixels) and "
                                 "horizontal flips, new every epoch (default: none, as in the "
                                 "paper; for natural images such as CIFAR's)"),
        parser.add_argument("--tasks", type=RUN_NUMBERS["tasks"],
                            help="learn only the first N tasks of the sequence"),
        parser.add_argument("--train-limit", type=RUN_NUMBERS["train_limit"],
                            help="at most N training examples per task (before the validation "
                                 "split)"),
        parser.add_argument("--val-fraction", type=RUN_NUMBERS["val_fraction"],
                            default=DEFAULTS.data.val_fraction,
                            help="share of each task's training set for validation "
                                 "(default 0.15)"),
        parser.add_argument("--width", type=RUN_NUMBERS["width"],
                            default=DEFAULTS.width,
                            help="multiplier of every layer's units (default 1: the paper's "
                                 "sizes)"),
        parser.add_argument("--deterministic", action="store_true",
                            help="TensorFlow's deterministic ops: the same seed gives the same "
                                 "results, and so does a killed and resumed run (slower)"),
        parser.add_argument("--precision", default=DEFAULTS.precision, choices=PRECISIONS,
                            help="Keras dtype policy (default float32); mixed_bfloat16: "
                                 "bfloat16 compute, float32 weights (CPUs with AVX512_BF16, "
                                 "GPUs); mixed_float16: float16 with loss scaling (GPUs)"),
    ]


def method_options(methods: Iterable) -> list:
    """The options of the registered methods `methods` (methods/registry.py's MethodSpec:
    each one's `Option`s), each flag once (HAT's are every gated method's)."""
    options = {}
    for method in methods:
        for option in method.options:
            options.setdefault(option.flag, option)
    return list(options.values())


def add_method_arguments(parser: argparse.ArgumentParser,
                         methods: Iterable) -> list[argparse.Action]:
    """Every option of the methods `methods` (HAT's s_max and c, EWC's λ, LwF's λ and T,
    …), each with its setting's default; a run reads only its own method's. Returns the
    options added."""
    actions = []
    for option in method_options(methods):
        default = getattr(getattr(DEFAULTS, option.section), option.setting)
        actions.append(parser.add_argument(
            option.flag, type=option.type, choices=option.choices, default=default,
            help=option.help.format(default=default)))
    return actions


def method_settings(args: argparse.Namespace, methods: Iterable) -> dict:
    """The sections of a `RunConfig` that the options of `add_method_arguments` set (`hat`,
    `ewc`, …), for `dataclasses.replace`."""
    values: dict[str, dict] = {}
    for option in method_options(methods):
        values.setdefault(option.section, {})[option.setting] = getattr(args, option.dest)
    sections = {**SECTIONS, **METHOD_SECTIONS}
    return {section: sections[section](**settings) for section, settings in values.items()}


def resolve_model(parser: argparse.ArgumentParser, args: argparse.Namespace,
                  models: Sequence[str]) -> None:
    """Sets `args.model` from `--arch` and `--method` (`<arch>_<method>`) where the command
    gave those instead of `--model`; a parser error where it gave neither, both, or a pair
    that names no model."""
    composed = getattr(args, "arch", None) is not None or getattr(args, "method", None) is not None
    if args.model is not None:
        if composed:
            parser.error("expected --model or --arch and --method, received both")
        return
    if args.arch is None or args.method is None:
        parser.error("expected --model, or --arch and --method")
    name = f"{args.arch}_{args.method}"
    if name not in models:
        parser.error(f"--arch {args.arch} --method {args.method}: expected a model of "
                     f"train.py, received {name}")
    args.model = name


def run_config(args: argparse.Namespace, run_dir: str | None, hat: HatConfig) -> RunConfig:
    """The `RunConfig` of the options `add_run_arguments` added, with HAT's settings `hat`."""
    return RunConfig(
        model=args.model,
        data=DataConfig(dataset=args.dataset, data_dir=args.data_dir, seed=args.seed,
                        num_tasks=args.tasks, train_limit=args.train_limit,
                        val_fraction=args.val_fraction),
        optim=OptimConfig(optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
                          batch_size=args.batch_size, momentum=args.momentum,
                          restore_at_drop=args.restore_at_drop, augment=args.augment),
        hat=hat,
        width=args.width,
        deterministic=args.deterministic,
        precision=args.precision,
        run_dir=run_dir,
    )


def load_sequence(tool: str, data: DataConfig) -> TaskSequence:
    """The task sequence `data` describes; exits with one line (`fail`) when its data cannot
    be found or read, or --tasks asks for more tasks than the benchmark has.

    Imports hat_tf.data, and so TensorFlow: for the tools that train, which have it already.
    """
    from hat_tf.data import DATASETS, DataUnavailableError, InvalidDataError, TaskCountError

    if data.data_dir is not None and not os.path.isdir(data.data_dir):
        fail(tool, f"--data-dir {data.data_dir} is not a directory")
    try:
        return DATASETS.get(data.dataset)(data)
    except (DataUnavailableError, InvalidDataError) as error:
        fail(tool, str(error))
    except TaskCountError as error:
        fail(tool, f"{error.benchmark} has {error.available} tasks, received --tasks "
                   f"{data.num_tasks}")


def run_command_line(args: argparse.Namespace) -> list[str]:
    """The options of `add_run_arguments` that `args` sets to other values than their
    defaults (and the required --model), as command-line words: `["--model",
    "alexnet_hat", ...]`."""
    words = []
    for action in add_run_arguments(argparse.ArgumentParser(), models=(), datasets=()):
        value = getattr(args, action.dest)
        if value == action.default and not action.required:
            continue
        words += [action.option_strings[0]] if action.nargs == 0 else [
            action.option_strings[0], str(value)]
    return words


# Settings a run may change when it resumes: it may move to another dir or other devices.
MOVABLE_SETTINGS = ("run_dir", "strategy")
# Settings renamed since runs were saved: old name → (new name, old value → new value).
RENAMED_SETTINGS = {
    "mixed_precision": ("precision", lambda on: "mixed_float16" if on else "float32"),
}
# Settings that runs saved and that are gone: a run saved with one resumes without it.
# optim.clipnorm: no option set it; the method declares its clip (Method.gradient_clip_norm).
RETIRED_SETTINGS = ("optim.clipnorm",)


def changed_settings(saved: dict, now: dict) -> list[str]:
    """The dotted names (`optim.lr`) of the settings that differ between two nested dicts
    of settings, MOVABLE_SETTINGS aside; a setting `saved` lacks counts as its default,
    one saved under an old name (RENAMED_SETTINGS) counts under its new one, and a retired
    one (RETIRED_SETTINGS) not at all."""
    saved, now = flatten(saved), flatten(now)
    for retired in RETIRED_SETTINGS:
        saved.pop(retired, None)
    for old, (new, translate) in RENAMED_SETTINGS.items():
        if old in saved:
            saved[new] = translate(saved.pop(old))
    # A run saved before a setting existed ran with that setting's default.
    defaults = flatten(DEFAULTS.to_dict())
    saved = {**{key: defaults[key] for key in now.keys() - saved.keys() if key in defaults},
             **saved}
    return sorted(key for key in saved.keys() | now.keys()
                  if key not in MOVABLE_SETTINGS and saved.get(key) != now.get(key))


def flatten(settings: dict, prefix: str = "") -> dict:
    """{"optim": {"lr": 0.05}} → {"optim.lr": 0.05}."""
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
