"""Records the task detector's statistics at the end of every task of a run, and keeps
them across `--resume` (`<run_dir>/task_detector.npz`)."""

from __future__ import annotations

import io
import os

import numpy as np

from hat_tf.data.task import TaskSequence
from hat_tf.task_detection.detector import TaskDetector, TaskOutputs
from hat_tf.task_detection.validation import validated_rule
from hat_tf.training.observer import RunObserver
from hat_tf.training.results import write_atomically

STATE_FILE = "task_detector.npz"
TASKS_RECORDED = "tasks_recorded"


class TaskDetectorRecorder(RunObserver):
    """Builds the run's `detector` and, after every task, records that task's statistics
    from its training set and saves the detector's state atomically.

    A resumed run loads the saved state. A run killed after a task's checkpoint but before
    its statistics were saved resumes from that checkpoint's network, which is the one the
    task ended with: the missing tasks are recorded again from it, as they would have been
    (every task, where the file was saved by a detector with other rules).
    At the run's end the detector's rule becomes the one best on the validation sets
    (validation.py), unless `rule` fixes it. Reporters that read `detector` (the exports,
    the scores) come after it.

    Args:
        run_dir: The run's folder.
        sequence: The tasks, whose training sets are recorded.
        rule: The rule the detector infers with (None: picked on validation at the end).
    """

    def __init__(self, run_dir: str, sequence: TaskSequence, rule: str | None = None):
        self.path = os.path.join(run_dir, STATE_FILE)
        self.sequence = sequence
        self.rule = rule
        self.detector: TaskDetector | None = None
        self.outputs: TaskOutputs | None = None

    def on_run_begin(self, model, results):
        self.detector = TaskDetector.for_network(
            model.network, self.sequence.classes_per_task, bool(model.method.graph.gates),
            self.rule)
        self.outputs = TaskOutputs(model.network)
        for task_id in range(self._load(), results["tasks_completed"]):
            self._record(task_id)

    def on_task_end(self, task_id, model, results):
        self._record(task_id)

    def on_run_end(self, model, results):
        if self.rule is None:
            self.detector.rule = validated_rule(self.detector, model.network, self.sequence)

    def _record(self, task_id: int) -> None:
        task = self.sequence.tasks[task_id]
        self.detector.record(self.outputs, task_id, task.x_train, task.y_train,
                             held_out=(task.x_val, task.y_val))
        buffer = io.BytesIO()
        np.savez(buffer, *[v.numpy() for v in self.detector.state()],
                 **{TASKS_RECORDED: task_id + 1})
        write_atomically(self.path, buffer.getvalue())

    def _load(self) -> int:
        """Loads the saved state, if any; returns how many tasks it holds (0 when it was
        saved by a detector with other rules: every task is then recorded again)."""
        if not os.path.isfile(self.path):
            return 0
        state = self.detector.state()
        with np.load(self.path) as saved:
            arrays = [saved[f"arr_{index}"] for index in range(len(saved.files) - 1)]
            if len(arrays) != len(state) or not all(  # a variable of a task's own size
                    variable.shape.is_compatible_with(array.shape)  # (ViM's) fits any
                    for variable, array in zip(state, arrays)):
                return 0
            for variable, array in zip(state, arrays):
                variable.assign(array)
            return int(saved[TASKS_RECORDED])
