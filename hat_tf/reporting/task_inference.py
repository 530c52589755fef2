"""Prediction without the task id, scored at the end of a run (`task_inference_acc`,
`cil_acc` in results.json). The HAT paper always gives the task id; this is our addition."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from hat_tf.data.task import TaskSequence
from hat_tf.export import infer_task
from hat_tf.training.observer import RunObserver
from hat_tf.training.results import save_results, task_inference_scores

BATCH_SIZE = 256


def score_task_inference(network, sequence: TaskSequence) -> dict:
    """Infers the task of every test example of every task from the network's heads under
    their own masks (`infer_task`), and scores the task and the class chosen."""
    num_tasks = len(sequence.tasks)
    infer = tf.function(lambda images: infer_task(network, images, num_tasks))
    true_tasks, chosen_tasks, true_classes, predicted_classes = [], [], [], []
    for task_id, task in enumerate(sequence.tasks):
        for start in range(0, len(task.y_test), BATCH_SIZE):
            chosen, probabilities = infer(task.x_test[start:start + BATCH_SIZE])
            chosen_tasks.append(chosen.numpy())
            predicted_classes.append(np.argmax(probabilities.numpy(), axis=-1))
        true_tasks.append(np.full(len(task.y_test), task_id))
        true_classes.append(task.y_test)
    return task_inference_scores(*(np.concatenate(parts) for parts in (
        true_tasks, chosen_tasks, true_classes, predicted_classes)))


class TaskInferenceScorer(RunObserver):
    """After the last task adds `task_inference_acc` and `cil_acc` to the results and
    saves them (results.json) again.

    Args:
        run_dir: The run's folder.
        sequence: The tasks, whose test sets are scored.
    """

    def __init__(self, run_dir: str, sequence: TaskSequence):
        self.run_dir = run_dir
        self.sequence = sequence

    def on_task_end(self, task_id, model, results):
        if task_id + 1 == len(self.sequence.tasks):
            results.update(score_task_inference(model.network, self.sequence))
            save_results(self.run_dir, results)
