"""Score predicting without the task id on a finished run, from its checkpoint.

    python tools/score_task_inference.py RUN_DIR [--out scores.json]

Rebuilds the run's network from config.json and its last checkpoint (a run trained with
`--keep-checkpoint`, or by a hat_tf that kept them), records the task detector's statistics
of every task from the final network (hat_tf/task_detection: for HAT the same as at each
task's end, since Eq. 2 keeps a task's features), and prints every rule's task-inference
and class-incremental accuracy on the validation and test sets, as `train.py
--task-inference` adds them to results.json. With --out, writes the scores as JSON.
Bad input exits with status 2 and one line; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os

from hat_tf.cli import OneLineParser, fail
from hat_tf.console import import_tensorflow_quietly

import_tensorflow_quietly()

from hat_tf.catalog import build_model  # noqa: E402
from hat_tf.config import RunConfig  # noqa: E402
from hat_tf.data import DATASETS  # noqa: E402
from hat_tf.reporting.task_inference import score_task_inference  # noqa: E402
from hat_tf.task_detection import TaskDetector, TaskFeatures  # noqa: E402
from hat_tf.task_detection.validation import validated_rule  # noqa: E402
from hat_tf.training.checkpoint import RunCheckpoint  # noqa: E402
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
    with open(results_path) as file:
        results = json.load(file)
    if results["tasks_completed"] < len(results["task_names"]):
        fail(TOOL, f"expected a finished run, received one with {results['tasks_completed']} "
                   f"of {len(results['task_names'])} tasks trained: {run_dir}")
    if not RunCheckpoint(run_dir).exists():
        fail(TOOL, f"{run_dir} has no checkpoint: train it with --keep-checkpoint")
    with open(config_path) as file:
        return RunConfig.from_dict(json.load(file))


def scores_of(run_dir: str, config: RunConfig) -> dict:
    """Every rule's scores (`score_task_inference`) of the run in `run_dir`, its detector
    recorded from the final network on every task's training set and its rule picked on
    the validation sets, as a run's end picks it."""
    sequence = DATASETS.get(config.data.dataset)(config.data)
    model = build_model(config, sequence)
    RunCheckpoint(run_dir).restore_network(model)
    detector = TaskDetector.for_network(model.network, sequence.classes_per_task,
                                        bool(model.method.graph.gates))
    features = TaskFeatures(model.network)
    for task_id, task in enumerate(sequence.tasks):
        detector.record(features, task_id, task.x_train, task.y_train)
    detector.rule = validated_rule(detector, model.network, sequence)
    return score_task_inference(detector, model.network, sequence)


def rule_lines(scores: dict) -> list[str]:
    """One line per rule: its test task-inference and class-incremental accuracy, the
    detector's default marked."""
    lines = [f"{'rule':<12} {'val task':>9} {'test task':>9} {'test CIL':>9}  bytes/task"]
    for name, rule in scores["task_inference_rules"].items():
        mark = "  (default)" if name == scores["task_inference_rule"] else ""
        lines.append(f"{name:<12} {rule['val_task_acc']:>9.3f} {rule['test_task_acc']:>9.3f} "
                     f"{rule['test_cil_acc']:>9.3f}  {max(rule['bytes_per_task']):,}{mark}")
    return lines


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    if args.out and os.path.exists(args.out):
        fail(TOOL, f"--out must not exist, received {args.out}")
    config = check_run(args.run_dir)
    scores = scores_of(args.run_dir, config)
    print("\n".join(rule_lines(scores)))
    if args.out:
        write_json(args.out, scores)


if __name__ == "__main__":
    main()
