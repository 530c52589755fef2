"""The train step's epoch logs: HAT adds its regulariser R (Eq. 5) and the range of s (Eq. 3)."""

import functools

import keras
import numpy as np
import pytest

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS, task_dataset
from hat_tf.methods.metrics import RunningMaximum, RunningMinimum
from hat_tf.training.loop import make_optimizer


def test_running_extrema_follow_every_update_and_reset():
    low, high = RunningMinimum(name="low"), RunningMaximum(name="high")
    for values in ([3.0, 5.0], [1.0], [4.0]):
        low.update_state(np.array(values, np.float32))
        high.update_state(np.array(values, np.float32))
    assert float(low.result()) == 1.0 and float(high.result()) == 5.0
    low.reset_state()
    low.update_state(7.0)
    assert float(low.result()) == 7.0


@functools.cache
def one_digits_task():
    return DATASETS.get("digits")(DataConfig(dataset="digits", num_tasks=1, train_limit=120))


def fit_history(model_name):
    sequence = one_digits_task()
    config = RunConfig(model=model_name, width=0.125, optim=OptimConfig(epochs=2))
    keras.utils.set_random_seed(0)
    model = build_model(config, sequence)
    tasks = [(0, sequence.tasks[0])]
    model.method.on_task_begin(0, steps_per_epoch=2)  # 102 training examples, batch 64
    model.compile(optimizer=make_optimizer(config.optim, model.method.gradient_clip_norm))
    history = model.fit(task_dataset(tasks, "train", 64), epochs=2, verbose=0, shuffle=False,
                        validation_data=task_dataset(tasks, "val", 64))
    return history.history


def test_hat_logs_its_regulariser_and_the_range_of_s():
    history = fit_history("alexnet_hat")
    assert set(history) == {"loss", "accuracy", "capacity_reg", "s_lowest", "s_highest",
                            "val_loss", "val_accuracy"}
    assert history["s_lowest"] == pytest.approx([1 / 400] * 2)  # Eq. 3 at the first batch
    assert history["s_highest"] == pytest.approx([400.0] * 2)  # and at the last
    # First task: R is the mean gate value (Eq. 5), at s = 1/400 and 400 half-open on average.
    assert all(0.0 < r < 1.0 for r in history["capacity_reg"])


def test_a_plain_network_logs_loss_and_accuracy_only():
    assert set(fit_history("alexnet_sgd")) == {"loss", "accuracy", "val_loss", "val_accuracy"}
