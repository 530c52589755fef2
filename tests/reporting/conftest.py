"""Small runs started as train.py starts one (`runner.start_run`), with every standard
reporter, shared by the tests."""

from dataclasses import dataclass

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.reporting.standard import standard_observers
from hat_tf.runner import start_run
from hat_tf.training.observer import RunObserver


class Recorder(RunObserver):
    """Keeps the model, its gate embeddings before the first task and the order of the
    hooks' calls."""

    def __init__(self):
        self.calls = []
        self.model = None
        self.initial_embeddings = None

    def on_run_begin(self, model, results):
        self.model = model
        self.initial_embeddings = [gate.embedding.numpy() for gate in model.method.graph.gates]
        self.calls.append("run_begin")

    def task_callbacks(self, task_id):
        self.calls.append(f"callbacks {task_id}")
        return []

    def on_task_end(self, task_id, model, results):
        self.calls.append(f"task_end {task_id}")

    def on_run_end(self, model, results):
        self.calls.append("run_end")


@dataclass
class Run:
    run_dir: object
    results: dict
    log_lines: list
    recorder: Recorder

    def events(self, subdir=""):
        """The run's TensorBoard events in `tb/<subdir>`, every tensor kept."""
        accumulator = EventAccumulator(str(self.run_dir / "tb" / subdir),
                                       size_guidance={"tensors": 0})
        accumulator.Reload()
        return accumulator


def small_run(run_dir, model_name, epochs):
    config = RunConfig(model=model_name, width=0.125, optim=OptimConfig(epochs=epochs),
                       data=DataConfig(dataset="digits", num_tasks=2, train_limit=120),
                       run_dir=str(run_dir), export="none")  # the reports read no SavedModel
    sequence = DATASETS.get("digits")(config.data)
    log_lines, recorder = [], Recorder()
    observers = [*standard_observers(config, sequence, log_lines.append), recorder]
    results = start_run(config, sequence, log=log_lines.append, observers=observers)
    return Run(run_dir, results, log_lines, recorder)


@pytest.fixture(scope="session")
def hat_run(tmp_path_factory):
    return small_run(tmp_path_factory.mktemp("runs") / "hat", "alexnet_hat", epochs=2)


@pytest.fixture(scope="session")
def plain_run(tmp_path_factory):
    return small_run(tmp_path_factory.mktemp("runs") / "sgd", "alexnet_sgd", epochs=1)
