"""Prediction without the task id, scored at the end of a run: every rule of the run's task
detector on the validation and test sets of all tasks, the detector's own rule in
`task_inference_acc`, `cil_acc` and `task_confusion` (results.json). The HAT paper always
gives the task id; this is our addition."""

from __future__ import annotations

from hat_tf.data.task import TaskSequence
from hat_tf.task_detection import TaskDetector
from hat_tf.task_detection.max_logit import BASELINE_RULE
from hat_tf.task_detection.recorder import TaskDetectorRecorder
from hat_tf.task_detection.validation import rule_predictions
from hat_tf.training.observer import RunObserver
from hat_tf.training.results import task_confusion, task_inference_scores

BASELINE_MARK = "baseline"
PICKED_MARK = "picked on validation"


def rule_marks(name: str, scores: dict, picked: str) -> list[str]:
    """What the tables say a rule is: the published `baseline` (max_logit, marked so in its
    `scores`), the rule `picked on validation` (`picked`, the one the run infers with),
    both, or neither."""
    return [mark for mark, holds in ((BASELINE_MARK, scores.get("baseline")),
                                     (PICKED_MARK, name == picked)) if holds]


def score_task_inference(detector: TaskDetector, network, sequence: TaskSequence) -> dict:
    """The scores of every rule (`task_inference_rules`: per rule the share of tasks
    inferred right on the validation and test sets, the class-incremental accuracy on the
    test sets and the bytes it keeps per task; the published baseline, the argmax over all
    heads' concatenated logits, `max_logit`, marked `"baseline": true`), and of the
    detector's rule on the test sets: `task_inference_acc`, `cil_acc`, `task_confusion`
    (rows: true task, columns: inferred task, counts)."""
    rules = {name: {"bytes_per_task": size, **({"baseline": True} if name == BASELINE_RULE
                                               else {})}
             for name, size in detector.bytes_per_task().items()}
    for split in ("val", "test"):
        true_tasks, true_classes, chosen = rule_predictions(detector, network, sequence, split)
        for name, (tasks, classes) in chosen.items():
            scores = (task_inference_scores(true_tasks, tasks, true_classes, classes)
                      if len(tasks) else {"task_inference_acc": None, "cil_acc": None})
            rules[name][f"{split}_task_acc"] = scores["task_inference_acc"]
            rules[name][f"{split}_cil_acc"] = scores["cil_acc"]
    tasks, classes = chosen[detector.rule]
    return {**task_inference_scores(true_tasks, tasks, true_classes, classes),
            "task_inference_rule": detector.rule,
            "task_inference_rules": rules,
            "task_confusion": task_confusion(true_tasks, tasks, len(sequence.tasks))}


class TaskInferenceScorer(RunObserver):
    """At the run's end, once the recorder has picked the detector's rule, adds the
    task-inference scores (`score_task_inference`) to the results (returns them; the loop
    saves them in results.json).

    Args:
        sequence: The tasks, whose validation and test sets are scored.
        recorder: Whose task detector is scored (it records each task before this).
    """

    def __init__(self, sequence: TaskSequence, recorder: TaskDetectorRecorder):
        self.sequence = sequence
        self.recorder = recorder

    def on_run_end(self, model, results):
        return score_task_inference(self.recorder.detector, model.network, self.sequence)
