"""Score predicting without the task id on a finished run, from its checkpoint.

    python tools/score_task_inference.py RUN_DIR [--out scores.json]

Rebuilds the run's network from config.json and its last checkpoint (a run trained with
`--keep-checkpoint`, or by a hat_tf that kept them), records the task detector's statistics
of every task from the final network (hat_tf/task_detection: for HAT the same as at each
task's end, since Eq. 2 keeps a task's features), and prints every rule's task-inference
and class-incremental accuracy on the validation and test sets, as `train.py
--task-inference` adds them to results.json. With --out, writes the scores as JSON.
Bad input (no finished run with its checkpoint, a results.json or config.json that cannot
be read, data that is gone, an --out that exists or cannot be written) exits with status 2
and one line; nothing is written.
"""

from __future__ import annotations

import argparse
import os

from hat_tf.cli import OneLineParser, check_output, fail, load_sequence, read_json
from hat_tf.console import import_tensorflow_quietly

import_tensorflow_quietly()

from hat_tf.catalog import MODELS, build_model  # noqa: E402
from hat_tf.config import RunConfig  # noqa: E402
from hat_tf.data import DATASETS  # noqa: E402
from hat_tf.reporting.finished_runs import (  # noqa: E402
    IncomparableRunsError,
    trained_results,
)
from hat_tf.reporting.task_inference import rule_marks, score_task_inference  # noqa: E402
from hat_tf.task_detection import TaskDetector, TaskOutputs  # noqa: E402
from hat_tf.task_detection.validation import validated_rule  # noqa: E402
from hat_tf.training.checkpoint import CheckpointError, RunCheckpoint  # noqa: E402
from hat_tf.training.results import write_json  # noqa: E402

TOOL = "score_task_inference.py"


def build_parser() -> OneLineParser:
    parser = OneLineParser(description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="a finished run's folder, with config.json and "
                                        "checkpoints/")
    parser.add_argument("--out", help="a JSON file for the scores (must not exist)")
    return parser


def check_run(run_dir: str) -> RunConfig:
    """The config of the finished run in `run_dir`, after checking it can be scored."""
    config_path = os.path.join(run_dir, "config.json")
    results_path = os.path.join(run_dir, "results.json")
    if not (os.path.isfile(config_path) and os.path.isfile(results_path)):
        fail(TOOL, f"expected a run dir with config.json and results.json, received {run_dir}")
    try:
        trained_results(run_dir)  # every task trained; its exports and reports may be owed
    except IncomparableRunsError as error:
        fail(TOOL, str(error))
    if not RunCheckpoint(run_dir).exists():
        fail(TOOL, f"{run_dir} has no checkpoint: train it with --keep-checkpoint")
    settings = read_json(TOOL, config_path, "a run's JSON settings")
    try:
        config = RunConfig.from_dict(settings)
    except (AttributeError, TypeError, ValueError) as error:  # not a dict, unknown settings
        fail(TOOL, f"{config_path}: expected the settings of a run of this hat_tf, received "
                   f"ones it cannot read ({type(error).__name__}: {error})")
    if config.model not in MODELS.names():
        fail(TOOL, f"{config_path}: expected a model of this hat_tf, received {config.model!r}")
    if config.data.dataset not in DATASETS.names():
        fail(TOOL, f"{config_path}: expected a dataset of this hat_tf, received "
                   f"{config.data.dataset!r}")
    return config


def recorded_detector(run_dir: str, config: RunConfig):
    """(the run's final network, its task sequence, a detector whose statistics of every
    task are recorded from that network on the task's training set and calibrated on its
    validation set, as at each task's end)."""
    sequence = load_sequence(TOOL, config.data)  # its data gone or damaged: one line
    model = build_model(config, sequence)
    try:
        RunCheckpoint(run_dir).restore_network(model)
    except CheckpointError as error:
        fail(TOOL, f"expected a checkpoint of the run's network in {run_dir}, received one "
                   f"that cannot be used ({error})")
    detector = TaskDetector.for_network(model.network, sequence.classes_per_task,
                                        bool(model.method.graph.gates))
    outputs = TaskOutputs(model.network)
    for task_id, task in enumerate(sequence.tasks):
        detector.record(outputs, task_id, task.x_train, task.y_train,
                        held_out=(task.x_val, task.y_val))
    return model.network, sequence, detector


def scores_of(run_dir: str, config: RunConfig) -> dict:
    """Every rule's scores (`score_task_inference`) of the run in `run_dir`, its detector
    recorded from the final network (`recorded_detector`) and its rule picked on the
    validation sets, as a run's end picks it."""
    network, sequence, detector = recorded_detector(run_dir, config)
    detector.rule = validated_rule(detector, network, sequence)
    return score_task_inference(detector, network, sequence)


def rule_lines(scores: dict) -> list[str]:
    """One line per rule: its validation and test task-inference and test
    class-incremental accuracy, the published baseline (argmax over all heads' logits)
    and the rule picked on validation marked (`rule_marks`)."""
    width = max(map(len, ["rule", *scores["task_inference_rules"]]))
    lines = [f"{'rule':<{width}} {'val task':>9} {'test task':>9} {'test CIL':>9}  bytes/task"]
    for name, rule in scores["task_inference_rules"].items():
        mark = "".join(f"  ({mark})" for mark in rule_marks(name, rule,
                                                             scores["task_inference_rule"]))
        lines.append(f"{name:<{width}} {rule['val_task_acc']:>9.3f} {rule['test_task_acc']:>9.3f} "
                     f"{rule['test_cil_acc']:>9.3f}  {max(rule['bytes_per_task']):,}{mark}")
    return lines


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    if args.out and os.path.exists(args.out):
        fail(TOOL, f"--out must not exist, received {args.out}")
    if args.out:
        check_output(TOOL, "--out", args.out, folder=False)  # before minutes of scoring
    config = check_run(args.run_dir)
    scores = scores_of(args.run_dir, config)
    print("\n".join(rule_lines(scores)))
    if args.out:
        write_json(args.out, scores)


if __name__ == "__main__":
    main()
