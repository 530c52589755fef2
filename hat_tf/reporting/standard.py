"""The reporters every run of `tools/train.py` gets."""

from __future__ import annotations

import os
from collections.abc import Callable

from hat_tf.config import RunConfig
from hat_tf.data.task import TaskSequence
from hat_tf.export.run_exporter import RunExporter
from hat_tf.reporting.capacity_warning import CAPACITY_WARNING_ABOVE, CapacityWarning
from hat_tf.reporting.mask_learning_warning import MaskLearningWarning
from hat_tf.reporting.report import MarkdownReport
from hat_tf.reporting.run_figures import RunFigureCache
from hat_tf.reporting.task_inference import TaskInferenceScorer
from hat_tf.reporting.tensorboard import TensorBoardReporter
from hat_tf.task_detection.recorder import TaskDetectorRecorder
from hat_tf.training.observer import RunObserver

TENSORBOARD_DIR = "tb"


def standard_observers(config: RunConfig, sequence: TaskSequence,
                       log: Callable[[str], None] = print) -> list[RunObserver]:
    """TensorBoard logs in `<run_dir>/tb`, the capacity and mask-learning warnings (printed
    with `log` and logged to TensorBoard), the task detector's statistics recorded at every
    task's end (hat_tf.task_detection), the SavedModels in `<run_dir>/saved_models`
    (hat_tf.export.run_exporter, as `config.export` says; none with `none`), with
    `config.task_inference` the task-inference scores after the last task, and `report.md`
    at the end, for `run_sequence` on `sequence`."""
    if config.run_dir is None:
        raise ValueError("reports need a run dir: received a RunConfig with run_dir=None")
    recorder = TaskDetectorRecorder(config.run_dir, sequence)
    figures = RunFigureCache(config.hat.s_max, capacity_threshold=CAPACITY_WARNING_ABOVE)
    tensorboard = TensorBoardReporter(os.path.join(config.run_dir, TENSORBOARD_DIR), config,
                                      figures)
    task_inference = ([TaskInferenceScorer(sequence, recorder)]
                      if config.task_inference else [])
    exports = ([RunExporter(config.run_dir, sequence, recorder, config.export)]
               if config.export != "none" else [])
    return [
        tensorboard,
        CapacityWarning(config.hat.s_max, CAPACITY_WARNING_ABOVE, log, tensorboard.writer),
        MaskLearningWarning(log=log, writer=tensorboard.writer),
        recorder,
        *exports,
        *task_inference,
        MarkdownReport(config.run_dir, config, figures),
    ]
