"""What a run's reporters see of it: a few hooks the task sequence calls, all optional."""

from __future__ import annotations

import keras

from hat_tf.training.continual_model import ContinualModel


class RunObserver:
    """Watches a run without changing it (TensorBoard, reports, warnings).

    `run_sequence` calls the hooks in this order: `on_run_begin`; per task
    `task_callbacks` (given to that task's `fit`), then `on_task_end` once the task is
    tested; `on_run_end`. `results` is the run's results dict so far (results.json).
    """

    def on_run_begin(self, model: ContinualModel, results: dict) -> None:
        """Before the first task; `results` has the run's names and no accuracies yet."""

    def task_callbacks(self, task_id: int) -> list[keras.callbacks.Callback]:
        """Keras callbacks for the `fit` of task `task_id` (per-epoch logs)."""
        return []

    def on_task_end(self, task_id: int, model: ContinualModel, results: dict) -> None:
        """After task `task_id` is trained, its masks folded in, and every task tested."""

    def on_run_end(self, model: ContinualModel, results: dict) -> None:
        """After the last task."""
