"""Multitask: one network trained on every task at once, at the sequence's last task only,
from the run's initial weights (the published benchmarks' upper bound)."""

import keras
import numpy as np

from hat_tf.catalog import run_sequence
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS


def test_it_trains_nothing_before_the_last_task_and_then_every_task_from_the_start():
    config = RunConfig(model="alexnet_multitask", optim=OptimConfig(epochs=3), width=0.125)
    sequence = DATASETS.get("digits")(DataConfig(num_tasks=3, train_limit=200))
    keras.utils.set_random_seed(0)
    results = run_sequence(config, sequence, log=lambda line: None)
    assert results.epochs_per_task[:2] == [0, 0]
    assert results.epochs_per_task[2] > 0
    matrix = np.array([[np.nan if a is None else a for a in row] for row in results.acc_matrix])
    # untrained until the last task: its rows before repeat the first untrained answers
    np.testing.assert_array_equal(matrix[1, 0], matrix[0, 0])
    # the last row is the network trained on all three tasks: far above the untrained one
    assert np.all(matrix[2] > 0.8)
    assert np.mean(matrix[2, :2]) > np.mean(np.diag(matrix)[:2]) + 0.2
    assert results.method["trained_at_last_task_only"]
