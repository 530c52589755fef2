"""Joint as the HAT paper ran it (docs/algorithm.md §11): every task starts again from the run's
initial network, also after a kill and a resume mid-task."""

import functools

import keras
import numpy as np
import pytest

from hat_tf.catalog import build_model, run_sequence
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.training.checkpoint import RunCheckpoint
from hat_tf.training.loop import train_task
from hat_tf.training.observer import RunObserver


def silent(line):
    pass


@functools.cache
def digits():
    return DATASETS.get("digits")(DataConfig(num_tasks=3, train_limit=120))


def values(variables):
    return [v.numpy().copy() for v in variables]


class NetworkAtTrainBegin(keras.callbacks.Callback):
    """Records every variable of the network when the task's `fit` begins."""

    def __init__(self, network):
        super().__init__()
        self.network = network
        self.values = None

    def on_train_begin(self, logs=None):
        self.values = values(self.network.variables)


def test_every_task_starts_from_the_initial_network_batchnorm_statistics_included():
    config = RunConfig(model="resnet18_joint", optim=OptimConfig(epochs=1), width=0.0625)
    keras.utils.set_random_seed(0)
    model = build_model(config, digits())
    network = model.network
    initial = values(network.variables)
    statistics = [i for i, v in enumerate(network.variables) if "moving" in v.path]
    assert statistics  # the BatchNorm moving means and variances are among the variables
    for task in range(3):
        start = NetworkAtTrainBegin(network)
        train_task(model, digits(), task, config, silent, callbacks=[start])
        for old, new in zip(initial, start.values):
            np.testing.assert_array_equal(old, new)
        trained = values(network.variables)  # the control: the task did train
        assert all(not np.array_equal(initial[i], trained[i]) for i in statistics)


class Killed(Exception):
    pass


def kill_at(trigger):
    """A log that stops the run at the first line containing `trigger` (an epoch's line
    comes before that epoch's checkpoint is saved)."""

    def log(line):
        if trigger in line:
            raise Killed(line)

    return log


class TaskStarts(RunObserver):
    """Records the network when each task's `fit` begins."""

    def __init__(self):
        self.starts = {}

    def on_run_begin(self, model, results):
        self.network = model.network

    def task_callbacks(self, task_id):
        self.starts[task_id] = NetworkAtTrainBegin(self.network)
        return [self.starts[task_id]]


def latest_network(run_dir):
    """The network variables of the run's latest checkpoint."""
    folder = run_dir / "checkpoints"
    with np.load(folder / (folder / "latest").read_text().strip() / "network.npz") as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def resumed_run(config, sequence, run_dir, seed, log):
    """The run continued from its checkpoint by a process whose own initial weights differ."""
    keras.utils.set_random_seed(seed)
    starts = TaskStarts()
    with pytest.raises(Killed):
        run_sequence(config, sequence, log=log, observers=[starts],
                     checkpoint=RunCheckpoint(str(run_dir)), resume=True)
    return starts


def test_resumed_tasks_start_from_the_runs_initial_weights_or_go_on_from_mid_task(tmp_path):
    config = RunConfig(model="alexnet_joint", optim=OptimConfig(epochs=2), width=0.125)
    sequence = DATASETS.get("digits")(DataConfig(num_tasks=2, train_limit=120))
    keras.utils.set_random_seed(0)
    first = TaskStarts()
    with pytest.raises(Killed):  # the latest checkpoint is the one after task 1
        run_sequence(config, sequence, log=kill_at("task 2/2  epoch   1"), observers=[first],
                     checkpoint=RunCheckpoint(str(tmp_path)))
    initial = first.starts[0].values
    between = resumed_run(config, sequence, tmp_path, 1, kill_at("task 2/2  epoch   2"))
    for old, new in zip(initial, between.starts[1].values):
        np.testing.assert_array_equal(old, new)
    mid_task = latest_network(tmp_path)  # task 2 after its first epoch
    resumed = resumed_run(config, sequence, tmp_path, 2, kill_at("after task 2/2"))
    for old, new in zip(mid_task, resumed.starts[1].values):
        np.testing.assert_array_equal(old, new)
    assert any(not np.array_equal(a, b) for a, b in zip(initial, mid_task))
