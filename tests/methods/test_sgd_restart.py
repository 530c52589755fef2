"""SGD-R (methods/sgd_restart.py) as the HAT paper's reference ran it: every task starts
from the run's initial network, on its own data alone; fine-tuning, the control, starts
from where the previous task left it."""

import functools

import keras
import numpy as np

from hat_tf.catalog import build_model, run_sequence
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.methods.sgd_restart import Restart
from tests.methods.test_joint import TaskStarts


@functools.cache
def digits():
    return DATASETS.get("digits")(DataConfig(num_tasks=3, train_limit=120))


def task_starts(model_name):
    """The network when each task's training begins, and the run's results."""
    config = RunConfig(model=model_name, optim=OptimConfig(epochs=2), width=0.125)
    keras.utils.set_random_seed(0)
    starts = TaskStarts()
    results = run_sequence(config, digits(), log=lambda line: None, observers=[starts])
    return starts.starts, results


def test_every_task_starts_from_the_initial_weights_and_trains_on_its_own_data():
    starts, results = task_starts("alexnet_sgd_restart")
    initial = starts[0].values
    for task in (1, 2):
        for old, new in zip(initial, starts[task].values, strict=True):
            np.testing.assert_array_equal(old, new)
    assert Restart().training_tasks(2) == range(2, 3)
    # The restart takes task 0's trained head back too (the reference copies the whole
    # initial model): after task 2 task 0 scores what the untrained network scores.
    assert results.acc_matrix[2][0] != results.acc_matrix[0][0]


def test_fine_tuning_goes_on_from_the_previous_task():
    starts, _ = task_starts("alexnet_sgd")
    assert any(not np.array_equal(a, b) for a, b in zip(starts[0].values, starts[1].values))


def test_a_checkpoint_keeps_the_initial_weights():
    config = RunConfig(model="alexnet_sgd_restart", width=0.125)
    keras.utils.set_random_seed(0)
    model = build_model(config, digits())
    saved = model.method.checkpoint_variables()
    assert [tuple(v.shape) for v in saved] == [tuple(v.shape) for v in model.network.variables]
    for kept, variable in zip(saved, model.network.variables):
        np.testing.assert_array_equal(kept.numpy(), variable.numpy())
