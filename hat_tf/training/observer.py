"""What a run's reporters see of it: a few hooks the task sequence calls, all optional."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from hat_tf.training.continual_model import ContinualModel


class RunObserver:
    """Watches a run without changing it (TensorBoard, reports, exports, warnings).

    `run_sequence` calls the hooks in this order: `on_run_begin`; per task
    `task_callbacks` (given to that task's `fit`), then `on_task_end` once the task is
    tested; `on_run_end`. `results` is a copy of the run's results so far (a
    `run_results.RunResults`, with what the observers before this one added), read as
    results.json's dict (`results["acc"]`), which any such Mapping can stand in for:
    changing it changes nothing. What an
    observer adds to the results it returns from `on_task_end` or `on_run_end`, a dict of
    keys of `run_results.OBSERVER_KEYS` (or None: nothing), which the loop adds to the
    run's results before the next observer sees them, and saves.
    """

    def on_run_begin(self, model: ContinualModel, results: Mapping[str, Any]) -> None:
        """Before the first task; `results` has the run's names and no accuracies yet."""

    def task_callbacks(self, task_id: int) -> list[keras.callbacks.Callback]:
        """Keras callbacks for the `fit` of task `task_id` (per-epoch logs)."""
        return []

    def on_task_end(self, task_id: int, model: ContinualModel,
                    results: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """After task `task_id` is trained, its masks folded in, and every task tested;
        returns what it adds to the results."""

    def on_run_end(self, model: ContinualModel,
                   results: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """After the last task; returns what it adds to the results."""
