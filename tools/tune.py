"""Search a method's hyperparameters with keras-tuner, the search its module declares:
HAT's s_max (paper Eq. 3) and c (Eq. 5), EWC's λ, LwF's λ and T, AdaHAT's α (with HAT's
two), IMM's and LFL's λ; a trial learns the whole task sequence with the budget options
of train.py.

    python tools/tune.py --model alexnet_hat --dataset digits --trials 20 --epochs 10

The objective, maximised: the mean validation accuracy over all tasks after the last task
(each task's own validation split, scored with its own head). s_max is searched in 25–800
on a log scale, c in 0.1–2.5 (the paper's Fig. 4); EWC's λ in 100–100000, LwF's λ in
0.1–10 and T in 0.5–4, AdaHAT's α in 1e-8–1e-2, on log scales (the others:
docs/tuning.md); the lr (--tune-lr) in 0.01–0.25.

Writes to the run dir (default runs/tune_<model>_<dataset>_seed<seed>_<time>):
trials.csv and trials.md (per trial the searched values, lr, the objective, test ACC and
BWT), best_command.txt (the best settings as a train.py command), sensitivity.png (the
objective over each searched value, after the HAT paper's Fig. 4), tb/ (tensorboard
--logdir RUN_DIR/tb: the HPARAMS tab), trials/<trial_id>/ (each trial's results.json) and
keras_tuner/ (the oracle's state, which --resume continues from).

Chief/worker search: run the same command in every process with KERASTUNER_TUNER_ID
(chief, tuner0, tuner1, …), KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT set; the
chief serves the oracle, the workers run the trials, and the chief writes the summary.
Bad arguments exit with status 2 and one line.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import time

from hat_tf.console import import_tensorflow_quietly

tf = import_tensorflow_quietly()  # before anything else imports TensorFlow

from hat_tf.catalog import MODELS, method_name  # noqa: E402
from hat_tf.cli import (  # noqa: E402
    Number,
    OneLineParser,
    add_run_arguments,
    changed_settings,
    check_output,
    fail,
    load_sequence,
    run_command_line,
    run_config,
)
from hat_tf.config import HatConfig, RunConfig  # noqa: E402
from hat_tf.data import DATASETS  # noqa: E402
from hat_tf.training.results import write_json  # noqa: E402
from hat_tf.tuning import hparams  # noqa: E402
from hat_tf.tuning.distributed import CHIEF, WORKER, DistributionError, search_role  # noqa: E402
from hat_tf.tuning.space import LR, search_space, searches  # noqa: E402
from hat_tf.tuning.summary import best_trial, trials_table, write_summary  # noqa: E402
from hat_tf.tuning.tuner import ORACLES, TENSORBOARD_DIR, SequenceTuner, make_oracle  # noqa: E402

TOOL = "tune.py"
SETTINGS_FILE = "search.json"  # what --resume checks: the same search, only --trials may grow


def tunable_models() -> list[str]:
    """The models whose method has hyperparameters to search (space.searches)."""
    tunable = searches()
    return [name for name in MODELS.names() if method_name(name) in tunable]


def build_parser() -> OneLineParser:
    parser = OneLineParser(description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(parser, tunable_models(), DATASETS.names())
    parser.add_argument("--trials", type=Number(int, 1), default=10,
                        help="trials in the whole search, workers' together (default 10)")
    parser.add_argument("--algorithm", choices=sorted(ORACLES), default="random",
                        help="keras-tuner's oracle: random search or Bayesian optimisation "
                             "(default random)")
    parser.add_argument("--tune-lr", action="store_true",
                        help="search the initial learning rate too (otherwise --lr is used)")
    parser.add_argument("--run-dir", help="where the search's files go (must not hold a "
                                          "search yet)")
    restart = parser.add_mutually_exclusive_group()
    restart.add_argument("--resume", action="store_true",
                         help="continue the search in --run-dir from keras-tuner's saved "
                              "state (interrupted trials run again)")
    restart.add_argument("--overwrite", action="store_true",
                         help="delete an existing --run-dir and start anew")
    return parser


def search_settings(args, base: RunConfig) -> dict:
    """What makes a search itself: --resume refuses to continue one with other settings."""
    return {"algorithm": args.algorithm, "tune_lr": args.tune_lr, "base": base.to_dict()}


def check_run_dir(args, run_dir: str, settings: dict, role: str) -> None:
    """Refuses to overwrite a search by accident and to resume one with other settings;
    workers only add their trials to the chief's run dir, so they never delete it.

    A run dir holds a search once it has `search.json`: a worker started before the chief
    may have made the folder already.
    """
    check_output(TOOL, "--run-dir", run_dir)
    if role == WORKER:
        if args.overwrite:
            fail(TOOL, "--overwrite: a worker never deletes the run dir; pass it to the chief")
        return
    saved_path = os.path.join(run_dir, SETTINGS_FILE)
    if args.resume:
        if args.run_dir is None or not os.path.isfile(saved_path):
            fail(TOOL, f"--resume: {run_dir} holds no search to continue ({SETTINGS_FILE} "
                       "is missing); pass the --run-dir of an earlier search")
        try:
            with open(saved_path) as file:
                saved = json.load(file)
        except (OSError, ValueError) as error:
            fail(TOOL, f"--resume: expected the search's settings in {saved_path}, received "
                       f"a file that cannot be read ({type(error).__name__}: {error})")
        if not isinstance(saved, dict):
            fail(TOOL, f"--resume: expected the search's settings in {saved_path}, received "
                       f"a JSON {type(saved).__name__}")
        changed = changed_settings(saved, settings)
        if changed:
            fail(TOOL, f"--resume: the search in {run_dir} was started with other settings "
                       f"({', '.join(changed)}); resume it with its own")
    elif os.path.exists(saved_path) and not args.overwrite:
        fail(TOOL, f"--run-dir {run_dir} holds a search already: choose another, or pass "
                   "--resume or --overwrite")


def start_new_search(args, run_dir: str, settings: dict) -> None:
    """Empties the run dir on --overwrite, then writes the settings and the HPARAMS
    experiment (the chief's, or the lone process's, part)."""
    if args.overwrite:
        shutil.rmtree(run_dir, ignore_errors=True)
    write_json(os.path.join(run_dir, SETTINGS_FILE), settings)
    hparams.write_experiment(os.path.join(run_dir, TENSORBOARD_DIR),
                             search_space(args.tune_lr, method_name(args.model)))


def train_command(args, best) -> str:
    """The tools/train.py command line that trains with the best trial's settings."""
    settings = argparse.Namespace(**{**vars(args), "lr": float(f"{best[LR]:.4g}")})
    searched = [word for s in searches()[method_name(args.model)]
                for word in (s.option, f"{best[s.name]:.4g}")]
    return shlex.join(["python", "tools/train.py", *run_command_line(settings), *searched])


def summarise(tuner: SequenceTuner, args, run_dir: str, lr: float) -> None:
    """Writes and prints the table of trials, the best command and the plot."""
    table = trials_table(tuner.oracle.trials.values(), lr)
    best = best_trial(table)
    command = None if best is None else train_command(args, best)
    write_summary(run_dir, table, f"Search: {args.model} on {args.dataset}, seed "
                                  f"{args.seed}, {args.algorithm}", command)
    print(f"\n{table.to_string(index=False, float_format=lambda v: f'{v:.4f}')}\n"
          f"best: {command or 'no trial completed'}\n"
          f"report in {run_dir}/trials.md; tensorboard --logdir {run_dir}/{TENSORBOARD_DIR}")


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    try:
        role = search_role()
    except DistributionError as error:
        fail(TOOL, str(error))
    run_dir = args.run_dir or os.path.join("runs", f"tune_{args.model}_{args.dataset}_seed"
                                                   f"{args.seed}_{time.strftime('%Y%m%d-%H%M%S')}")
    base = run_config(args, run_dir=None, hat=HatConfig())
    settings = search_settings(args, base)
    check_run_dir(args, run_dir, settings, role)
    sequence = load_sequence(TOOL, base.data)
    if role != WORKER and not args.resume:
        start_new_search(args, run_dir, settings)
    oracle = make_oracle(args.algorithm, args.trials, args.tune_lr, args.seed,
                         method_name(args.model))
    tuner = SequenceTuner(oracle, base, sequence, run_dir)
    if role == CHIEF:
        print(f"chief: serving the oracle at {os.environ['KERASTUNER_ORACLE_IP']}:"
              f"{os.environ['KERASTUNER_ORACLE_PORT']} until the workers finish "
              f"{args.trials} trials", flush=True)
    try:
        tuner.search()
    except KeyboardInterrupt:
        print(f"\n{TOOL}: interrupted; continue the search with --resume --run-dir {run_dir}",
              file=sys.stderr)
        sys.exit(130)
    if role == WORKER:
        print(f"worker {tuner.tuner_id}: no trials left; the chief writes the summary")
        return
    summarise(tuner, args, run_dir, base.optim.lr)


if __name__ == "__main__":
    main()
