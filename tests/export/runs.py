"""A tiny digits run started as train.py starts one (`runner.start_run`), with the
standard observers and its checkpoint kept, for the tests of the exports and of
tools/predict.py and tools/score_task_inference.py (the `exported_run` fixture)."""

from dataclasses import dataclass

import numpy as np
import pytest

from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.export.serving import task_probabilities
from hat_tf.reporting.standard import standard_observers
from hat_tf.runner import start_run
from hat_tf.task_detection import TaskDetector
from hat_tf.task_detection.recorder import TaskDetectorRecorder
from hat_tf.training.checkpoint import RunCheckpoint
from hat_tf.training.observer import RunObserver


class ExpectedPredictions(RunObserver):
    """At each task's end, the in-memory network's probabilities for `images` under that
    task, as its export must reproduce them; keeps the model."""

    def __init__(self, images, classes_per_task):
        self.images = images
        self.classes_per_task = classes_per_task
        self.per_task = []
        self.model = None

    def on_task_end(self, task_id, model, results):
        self.model = model
        self.per_task.append(task_probabilities(
            model.network, self.images, task_id, self.classes_per_task[task_id]).numpy())


@dataclass
class ExportedRun:
    run_dir: object
    results: dict
    sequence: object
    images: np.ndarray
    expected: ExpectedPredictions
    recorder: TaskDetectorRecorder

    @property
    def detector(self) -> TaskDetector:
        return self.recorder.detector


@pytest.fixture(scope="session")
def exported_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "hat"
    config = RunConfig(model="alexnet_hat", width=0.125, optim=OptimConfig(epochs=2),
                       data=DataConfig(dataset="digits", num_tasks=2, train_limit=120),
                       task_inference=True, run_dir=str(run_dir))
    sequence = DATASETS.get("digits")(config.data)
    images = np.concatenate([task.x_test[:4] for task in sequence.tasks])
    expected = ExpectedPredictions(images, sequence.classes_per_task)
    observers = standard_observers(config, sequence, lambda line: None)
    results = start_run(config, sequence, log=lambda line: None,
                        observers=[*observers, expected], checkpoint=RunCheckpoint(str(run_dir)))
    recorder = next(o for o in observers if isinstance(o, TaskDetectorRecorder))
    return ExportedRun(run_dir, results, sequence, images, expected, recorder)
