"""Which rule a run's detector infers with: the one that infers the task of the most
validation examples of all the run's tasks (never the test sets). No rule is best on
every benchmark (docs/results.md, "Predicting without the task id"): on digits the heads
are binary and saturated, and only the features' Mahalanobis distance tells the tasks
apart; on the cpu protocol's CIFAR tasks the heads' free energy does better.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from hat_tf.data.pipeline import array_batches
from hat_tf.data.task import TaskSequence
from hat_tf.task_detection.detector import TaskDetector


def rule_predictions(detector: TaskDetector, network, sequence: TaskSequence,
                     split: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """(true tasks, true classes, {rule: (chosen tasks, predicted classes)}) of every
    example of the `split` of every task; a rule's class is the argmax of its chosen
    task's head."""
    num_tasks = len(sequence.tasks)
    scores_of = tf.function(lambda images: detector.all_scores(network, images, num_tasks),
                            reduce_retracing=True)
    true_tasks, true_classes, chosen = [], [], {name: ([], []) for name in detector.rule_names}
    for task_id, task in enumerate(sequence.tasks):
        images, labels = task.split(split)
        for (batch,) in array_batches(images):
            logits, scores = scores_of(batch)
            logits = logits.numpy()
            for name, rule_scores in scores.items():
                tasks = np.argmax(rule_scores.numpy(), axis=0)
                chosen[name][0].append(tasks)
                chosen[name][1].append(np.argmax(logits[tasks, np.arange(len(tasks))], -1))
        true_tasks.append(np.full(len(labels), task_id))
        true_classes.append(labels)
    return (np.concatenate(true_tasks), np.concatenate(true_classes),
            {name: tuple(np.concatenate(part) for part in parts)
             for name, parts in chosen.items()})


def best_rule(task_accuracies: dict[str, float], default: str) -> str:
    """The rule with the highest share of tasks inferred right; on a tie `default` if it is
    among the best, else the first of them by name."""
    best = max(task_accuracies.values())
    tied = sorted(name for name, accuracy in task_accuracies.items() if accuracy == best)
    return default if default in tied else tied[0]


def validated_rule(detector: TaskDetector, network, sequence: TaskSequence) -> str:
    """The rule that `best_rule` picks on the validation sets of all of `sequence`'s tasks
    (the detector's own rule when they are empty)."""
    true_tasks, _, chosen = rule_predictions(detector, network, sequence, "val")
    if not len(true_tasks):
        return detector.rule
    return best_rule({name: float(np.mean(tasks == true_tasks))
                      for name, (tasks, _) in chosen.items()}, detector.rule)
