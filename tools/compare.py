"""Run the HAT paper's comparison: every model, then the report.

    python tools/compare.py --protocol cpu --data-dir DIR --out ~/runs/cpu
    python tools/compare.py --protocol cpu10 --estimate-only
    python tools/compare.py --protocol cpu10 --data-dir DIR --out ~/runs/cpu10 --jobs 2
    python tools/compare.py --protocol cpu --families alexnet_more --out ~/runs/cpu --record-only
    python tools/compare.py --dataset cifar --data-dir DIR --epochs 10 --train-limit 2000

With --protocol (hat_tf/reporting/protocols.py: `cpu`, `cpu10`, `paper`, `cifar100_10`,
`cifar10_5`, `cifar100_10_gpu`), prints the grid's estimated training time (from finished
runs of the same models in the record and the repository's other grid records;
--estimate-only: that alone), then trains every family of the protocol (Joint first: A_J of
the forgetting ratio) at every seed, in the protocol's order of work, into
OUT/seed<k>/<model>, copies each finished run's results.json and config.json into the record
folder (--record, default runs/compare_<protocol> in the repository, to commit), and after
every finished run writes the grid's report there from whatever has finished (comparison.md,
scores.csv, summary.csv, forgetting_ratio_<family>.png), listing what is missing. --jobs N
trains N runs at once, each train.py with 1/N of the cores for TensorFlow's threads and its
output in <run dir>.log. --record-only trains nothing: it records the runs that finished in
OUT, e.g. those a background grid trained with train.py and the protocol's options, writes
the report once, and lists the runs not finished there. A run found finished in OUT whose
config.json holds other settings than the protocol's command gives it (its data folder and
exports aside) is refused in one line, exit status 2, before anything is recorded.

Without --protocol, trains --models (the AlexNet family by default) at one seed and budget
into OUT/<model>, then writes OUT/comparison.md, comparison.csv and forgetting_ratio.png
(tools/report.py).

Rerunning the same command after a kill continues the grid: a run that is complete (in OUT,
or in the record) is skipped, an unfinished one resumes from its checkpoint (train.py
--resume), and one killed before its first checkpoint starts anew.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import NoReturn

from hat_tf.console import import_tensorflow_quietly

import_tensorflow_quietly()  # its start-up lines would come before --help's usage

from hat_tf import cli  # noqa: E402
from hat_tf.catalog import MODELS  # noqa: E402
from hat_tf.cli import (  # noqa: E402
    RUN_NUMBERS,
    Number,
    OneLineParser,
    changed_settings,
    flatten,
    output_problem,
)
from hat_tf.data import DATASETS  # noqa: E402
from hat_tf.reporting.finished_runs import IncomparableRunsError, load_results  # noqa: E402
from hat_tf.reporting.grid import (  # noqa: E402
    GRID_FILE,
    WALL_FILE,
    recorded_wall_seconds,
    run_path,
    write_grid_spec,
)
from hat_tf.reporting.grid_estimate import estimate_runs, estimate_text  # noqa: E402
from hat_tf.reporting.protocols import ALEXNET, PROTOCOLS, Family, Protocol  # noqa: E402
from hat_tf.train_command import parse_arguments, to_config  # noqa: E402
from hat_tf.training.checkpoint import RunCheckpoint  # noqa: E402
from hat_tf.training.results import write_atomically  # noqa: E402

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(TOOLS)
BUDGET_OPTIONS = ("data_dir", "epochs", "tasks", "train_limit", "width", "batch_size")
WALL_CLOCK_EVERY = 30.0  # seconds between its updates during a call
SMALL_OUTPUTS = ("results.json", "config.json", WALL_FILE)
# Settings in which a finished run may differ from its protocol's, as they change nothing it
# measures: where its data lie, and which SavedModels it writes.
UNMEASURED_SETTINGS = ("data.data_dir", "export")


def fail(message: str) -> NoReturn:
    cli.fail("compare.py", message)


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


@contextlib.contextmanager
def wall_clock(run_dir: str, resuming: bool, jobs: int = 1, threads: int | None = None):
    """Keeps the run's wall_seconds.json up to date while the block runs, writing it every
    WALL_CLOCK_EVERY seconds, so that a grid killed in the middle of a call (a session's
    end) loses at most that much of it. With `jobs` above 1 the file says how many trainings
    were run at once, each on its share of the cores (`concurrent_trainings`): each takes
    longer than alone. `threads`, where set (TF_NUM_INTRAOP_THREADS of the training's
    environment: --jobs, or the caller's, as when a background grid runs one compare.py on
    each core), goes in as `tensorflow_threads`.

    A resumed run adds this call to its earlier ones from the start. A new or restarted one
    (--overwrite) counts this call alone, and only once train.py has written its
    config.json: before that, train.py may still be emptying the run dir."""
    spent = (recorded_wall_seconds(run_dir) or 0.0) if resuming else 0.0
    start, clock_started = time.monotonic(), time.time()
    config = os.path.join(run_dir, "config.json")

    def write() -> None:
        if resuming or (os.path.isfile(config) and os.path.getmtime(config) >= clock_started):
            wall = {"wall_seconds": spent + time.monotonic() - start}
            if jobs > 1:
                wall["concurrent_trainings"] = jobs
            if threads:
                wall["tensorflow_threads"] = threads
            write_atomically(os.path.join(run_dir, WALL_FILE), json.dumps(wall))

    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.wait(WALL_CLOCK_EVERY):
            write()

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    try:
        yield
    finally:
        stop.set()
        writer.join()
        write()


def thread_environment(jobs: int) -> dict[str, str] | None:
    """The environment of one of `jobs` trainings at once: TensorFlow's thread pools given
    an equal share of the machine's cores (None for one training: TensorFlow's default)."""
    if jobs == 1:
        return None
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    return {**os.environ, "TF_NUM_INTRAOP_THREADS": threads, "TF_NUM_INTEROP_THREADS": threads}


def train(model: str, run_dir: str, options: list[str], jobs: int = 1) -> None:
    """Trains the run of `model` in `run_dir`, or continues it; exits as train.py did when
    it fails (2 with train.py's one line for bad input). With `jobs` above 1 (trainings at
    once), train.py gets its share of the cores and writes its output to `run_dir`.log."""
    restart = restart_options(run_dir)
    resuming = restart == ["--resume"]
    log = f"{run_dir}.log" if jobs > 1 else None
    if log:
        os.makedirs(os.path.dirname(log), exist_ok=True)
    print(f"{model}: {'resuming' if resuming else 'training'} into {run_dir}"
          + (f" (its output: {log})" if log else ""), flush=True)
    command = [sys.executable, os.path.join(TOOLS, "train.py"), "--model", model,
               "--run-dir", run_dir, *options, *restart]
    environment = thread_environment(jobs)
    threads = (environment or os.environ).get("TF_NUM_INTRAOP_THREADS", "")
    with wall_clock(run_dir, resuming, jobs, int(threads) if threads.isdigit() else None), \
            (open(log, "a") if log else contextlib.nullcontext()) as output:
        status = subprocess.run(command, env=environment, stdout=output,
                                stderr=output).returncode
    if status and log:
        print(f"compare.py: training {model} failed, its output: {log}", file=sys.stderr)
    if status == 2:  # bad input, which train.py has named in its one line
        sys.exit(2)
    if status:
        sys.exit(f"compare.py: training {model} failed")


def train_all(trainings: list[tuple[str, str, list[str]]], jobs: int,
              on_finished: Callable[[str], None]) -> None:
    """Trains each (model, run dir, train.py options) of `trainings`, `jobs` at once, taken
    in their order, and calls `on_finished(run_dir)` here after each, as they finish. A
    failed training stops the rest from starting; those running are waited for and
    recorded, then the failure exits as in `train`."""
    failed = threading.Event()

    def train_unless_one_failed(model: str, run_dir: str, options: list[str]) -> bool:
        if failed.is_set():
            return False
        try:
            train(model, run_dir, options, jobs)
        except (SystemExit, Exception):
            failed.set()
            raise
        return True

    failure = None
    with ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(train_unless_one_failed, *training): training[1]
                   for training in trainings}
        for future in as_completed(futures):
            try:
                trained = future.result()
            except (SystemExit, Exception) as error:
                failure = failure or error
                continue
            if trained:
                on_finished(futures[future])
    if failure:
        raise failure


def keep_small_outputs(run_dir: str, record_dir: str) -> None:
    """Copies the run's small outputs (SMALL_OUTPUTS) into its folder of the record."""
    os.makedirs(record_dir, exist_ok=True)
    for name in SMALL_OUTPUTS:
        if os.path.isfile(os.path.join(run_dir, name)):
            shutil.copyfile(os.path.join(run_dir, name), os.path.join(record_dir, name))


def measurement_records(record: str) -> list[str]:
    """Where the grid's estimate reads finished runs: its own record first, then the
    repository's other grid records (runs/compare_*/)."""
    others = sorted(os.path.dirname(path) for path in
                    glob.glob(os.path.join(REPOSITORY, "runs", "compare_*", GRID_FILE)))
    return [record, *(other for other in others
                      if os.path.realpath(other) != os.path.realpath(record))]


def print_estimate(protocol: Protocol, seeds: tuple[int, ...], out: str | None, record: str,
                   families: tuple[str, ...] | None) -> None:
    """Prints the estimated training time of the grid's runs that are still to train."""
    runs = protocol.runs(seeds, families)
    to_train = [(seed, family, model) for seed, family, model in runs
                if not finished(run_path(record, seed, model))
                and not (out and finished(run_path(out, seed, model)))]
    estimates = estimate_runs(protocol, to_train, measurement_records(record))
    print(estimate_text(protocol, estimates, len(runs) - len(to_train)), flush=True)


def run_protocol(protocol: Protocol, seeds: tuple[int, ...], out: str, record: str,
                 data_dir: str | None, families: tuple[str, ...] | None = None,
                 estimate_only: bool = False, jobs: int = 1, record_only: bool = False) -> None:
    """Prints the grid's estimated time (only that if `estimate_only`), then trains the grid
    in its order (`Protocol.runs`: its stages, or seed by seed and family by family; only
    `families`, by name, if given), `jobs` runs at once, skipping what has finished, and
    writes its report into `record` after every run; the report lists the whole grid,
    whatever was left out. Runs that finished in `out` are recorded first, with one report;
    `record_only` stops there and lists the runs that did not, with no estimate."""
    if not record_only:
        print_estimate(protocol, seeds, out, record, families)
    if estimate_only:
        return
    trainings, records, finished_in_out = [], {}, []
    for seed, family, model in protocol.runs(seeds, families):
        recorded, run_dir = run_path(record, seed, model), run_path(out, seed, model)
        records[run_dir] = recorded
        options = train_options(protocol, family, seed, data_dir)
        if finished(recorded):
            print(f"{model}, seed {seed}: using the finished run in {recorded}")
        elif finished(run_dir):
            check_settings(protocol, model, run_dir, options)
            finished_in_out.append(run_dir)
        else:
            trainings.append((model, run_dir, options))
    write_grid_spec(record, protocol, seeds)
    for run_dir in finished_in_out:
        print(f"recording the finished run in {run_dir}")
        keep_small_outputs(run_dir, records[run_dir])
    if finished_in_out or record_only:
        report_grid(record)
    if record_only:
        for model, run_dir, _ in trainings:
            print(f"{model}: not finished in {run_dir}, not recorded")
        return
    train_all(trainings, jobs, lambda run_dir: record_run(run_dir, records[run_dir], record))


def train_options(protocol: Protocol, family: Family, seed: int,
                  data_dir: str | None) -> list[str]:
    """train.py's options (but --model and --run-dir) for a run of `family` at `seed`."""
    data = ["--data-dir", data_dir] if data_dir else []
    return ["--dataset", protocol.dataset, "--seed", str(seed), *protocol.options,
            *family.options, *data]


def check_settings(protocol: Protocol, model: str, run_dir: str, options: list[str]) -> None:
    """Refuses, in one line, a finished run in --out whose settings (its config.json) are
    not those the protocol's train.py command gives it (where it, its data and its exports
    lie aside: MOVABLE_SETTINGS of hat_tf/cli.py, UNMEASURED_SETTINGS): a run trained
    another way is never recorded as the protocol's."""
    path, what = os.path.join(run_dir, "config.json"), "the settings of a finished run"
    saved = cli.read_json("compare.py", path, what)
    if not isinstance(saved, dict):
        fail(f"{path}: expected {what}, received a JSON {type(saved).__name__}")
    expected = to_config(parse_arguments(["--model", model, "--run-dir", run_dir,
                                          *options])).to_dict()
    changed = [setting for setting in changed_settings(saved, expected)
               if setting not in UNMEASURED_SETTINGS]
    if changed:
        saved, expected = flatten(saved), flatten(expected)
        fail(f"{run_dir}: expected the settings protocol {protocol.name} gives {model} ("
             + ", ".join(f"{setting} {expected.get(setting)!r}" for setting in changed)
             + "), received a run with " + ", ".join(f"{setting} {saved.get(setting)!r}"
                                                    for setting in changed)
             + "; nothing recorded")


def record_run(run_dir: str, recorded: str, record: str) -> None:
    """Copies the finished run's small outputs into the record and reports the grid."""
    keep_small_outputs(run_dir, recorded)
    report_grid(record)


def report_grid(record: str) -> None:
    """tools/report.py --grid: the grid's report from what has finished."""
    status = subprocess.run([sys.executable, os.path.join(TOOLS, "report.py"), "--grid",
                             record]).returncode
    if status:
        sys.exit(f"compare.py: the report of {record} failed")


def run_models(args: argparse.Namespace) -> None:
    """Trains --models at one seed and budget, then writes their comparison."""
    seed = 0 if args.seed is None else args.seed
    out = args.out or os.path.join("runs", f"compare_{args.dataset}_seed{seed}")
    budget = [item for option in BUDGET_OPTIONS if getattr(args, option) is not None
              for item in (f"--{option.replace('_', '-')}", str(getattr(args, option)))]
    models = args.models or list(ALEXNET.models)
    run_dirs = [os.path.join(out, model) for model in models]
    trainings = []
    for model, run_dir in zip(models, run_dirs):
        if finished(run_dir):
            print(f"{model}: using the finished run in {run_dir}")
        else:
            trainings.append((model, run_dir, ["--dataset", args.dataset, "--seed", str(seed),
                                               *budget]))
    train_all(trainings, args.jobs, lambda run_dir: None)
    report = [sys.executable, os.path.join(TOOLS, "report.py"), *run_dirs[1:],
              "--joint", run_dirs[0], "--out", out]
    sys.exit(subprocess.run(report).returncode)


def build_parser() -> OneLineParser:
    parser = OneLineParser(description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protocol", choices=list(PROTOCOLS),
                        help="a named grid: its models, seeds and budget")
    parser.add_argument("--seeds", nargs="+", type=RUN_NUMBERS["seed"],
                        help="with --protocol: the seeds (default: the protocol's)")
    parser.add_argument("--families", nargs="+",
                        help="with --protocol: train only these of its families (e.g. "
                             "alexnet: its table gets every seed sooner)")
    parser.add_argument("--estimate-only", action="store_true",
                        help="with --protocol: print the grid's estimated training time "
                             "and stop")
    parser.add_argument("--record-only", action="store_true",
                        help="with --protocol: train nothing; record the runs finished in "
                             "--out (e.g. trained by train.py with the protocol's options) "
                             "and write the report")
    parser.add_argument("--record", help="with --protocol: where the small outputs and the "
                                         "report go (default runs/compare_<protocol>)")
    parser.add_argument("--dataset", help="as in train.py (without --protocol: required)")
    parser.add_argument("--seed", type=RUN_NUMBERS["seed"],
                        help="as in train.py (default 0; with --protocol: --seeds)")
    parser.add_argument("--models", nargs="+",
                        help="the first one is the Joint reference (default: the AlexNet "
                             "family of the HAT paper)")
    parser.add_argument("--out", help="folder of the runs (default "
                                      "runs/compare_<dataset>_seed<seed>; with --protocol: "
                                      "required, best outside the repository)")
    parser.add_argument("--jobs", type=Number(int, 1), default=1,
                        help="trainings at once, in the grid's order, each with an equal "
                             "share of the cores for TensorFlow's threads and its output in "
                             "<run dir>.log (default 1; on this project's 2-core CPU two "
                             "1-thread trainings train 1.3-1.4 times the images per second "
                             "of one: docs/results.md)")
    for option in BUDGET_OPTIONS:
        parser.add_argument(f"--{option.replace('_', '-')}", type=RUN_NUMBERS.get(option),
                            help="passed to train.py (with --protocol only --data-dir)")
    return parser


def check_protocol_arguments(parser: OneLineParser, args: argparse.Namespace) -> None:
    """With --protocol the protocol sets the models and the budget; --out is needed."""
    if args.estimate_only and args.record_only:
        parser.error("--estimate-only trains and records nothing, received --record-only too")
    if not args.out and not args.estimate_only:
        parser.error("--protocol needs --out (a folder for the runs, best outside the "
                     "repository)")
    fixed = [option for option in ("dataset", "seed", "models", *BUDGET_OPTIONS[1:])
             if getattr(args, option) is not None]
    if fixed:
        parser.error(f"--protocol {args.protocol} sets the dataset, models and budget, received "
                     f"--{fixed[0].replace('_', '-')}")
    names = [family.name for family in PROTOCOLS[args.protocol].families]
    unknown = [name for name in args.families or () if name not in names]
    if unknown:
        parser.error(f"--families: expected some of {', '.join(names)}, received {unknown[0]}")
    problem = args.record and output_problem(args.record, folder=True)
    if problem:
        parser.error(f"--record: {problem}")


def main(argv=None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    # What train.py would refuse only once earlier runs have trained, or what would make
    # it fail with a traceback (a run dir under a file), is refused before anything runs.
    if args.data_dir is not None and not os.path.isdir(args.data_dir):
        parser.error(f"--data-dir: expected a folder with cifar10.npz and cifar100.npz, "
                     f"received {args.data_dir}, which is not a folder")
    problem = args.out and output_problem(args.out, folder=True)
    if problem:
        parser.error(f"--out: {problem}")
    if args.protocol is None:
        if args.dataset is None:
            parser.error("expected --protocol or --dataset, received neither")
        for flag in ("families", "estimate_only", "record_only"):
            if getattr(args, flag):
                parser.error(f"--{flag.replace('_', '-')} needs --protocol")
        if args.dataset not in DATASETS.names():
            parser.error(f"--dataset: expected one of {', '.join(DATASETS.names())}, received "
                         f"{args.dataset}")
        unknown = [model for model in args.models or () if model not in MODELS.names()]
        if unknown:
            parser.error(f"--models: expected models of tools/train.py ("
                         f"{', '.join(MODELS.names())}), received {unknown[0]}")
        run_models(args)
        return
    check_protocol_arguments(parser, args)
    protocol = PROTOCOLS[args.protocol]
    record = args.record or os.path.join(REPOSITORY, "runs", f"compare_{protocol.name}")
    run_protocol(protocol, tuple(args.seeds or protocol.seeds), args.out, record,
                 args.data_dir, tuple(args.families) if args.families else None,
                 args.estimate_only, args.jobs, args.record_only)


if __name__ == "__main__":
    main()
