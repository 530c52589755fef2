"""LFL (methods/lfl.py) as the HAT reference code runs it: from task 1 on, λ·Σ‖f − f_old‖²/2
over the batch, zero where the task starts and growing as the features move."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS, task_dataset
from hat_tf.methods.lfl import Lfl, LflConfig
from hat_tf.training.loop import new_results, train_task
from tests.tools.tool_modules import load_tool


@functools.cache
def digits():
    return DATASETS.get("digits")(DataConfig(num_tasks=2, train_limit=120))


def after_task0(weight=0.05):
    config = RunConfig(model="alexnet_lfl", width=0.125, optim=OptimConfig(epochs=2),
                       lfl=LflConfig(weight=weight))
    keras.utils.set_random_seed(0)
    model = build_model(config, digits())
    train_task(model, digits(), 0, config, lambda line: None)
    return model, config


def task1_batch():
    return next(iter(task_dataset([(1, digits().tasks[1])], "train", 32)))[0]


def total(model, inputs):
    """The penalty the step adds to its mean loss: the mean of the per-example values."""
    return float(tf.reduce_mean(model.method.extra_loss(inputs, None, None)))


def test_the_penalty_is_zero_at_the_tasks_start_and_rises_as_the_features_move():
    model, _ = after_task0()
    method, inputs = model.method, task1_batch()
    assert isinstance(method, Lfl)
    method.on_task_begin(1, steps_per_epoch=1)
    assert total(model, inputs) == 0.0
    trunk = method.graph.shared
    start = [v.numpy() for v in trunk]
    penalties = []
    for step in (0.001, 0.01, 0.1):
        for variable, value in zip(trunk, start):
            variable.assign(value + step)
        penalties.append(total(model, inputs))
    assert 0.0 < penalties[0] < penalties[1] < penalties[2]


def test_it_is_the_references_batch_sum_and_off_at_the_first_task():
    model, _ = after_task0(weight=0.5)
    method, inputs = model.method, task1_batch()
    method.on_task_begin(1, steps_per_epoch=1)
    old = method.old_network.features(inputs, training=False).numpy()
    for variable in method.graph.shared:
        variable.assign(variable * 1.1)
    new = model.network.features(inputs, training=False).numpy()
    assert total(model, inputs) == pytest.approx(0.5 * 0.5 * np.sum((new - old) ** 2),
                                                 rel=1e-5)
    method.on_task_begin(0, steps_per_epoch=1)  # the first task has no earlier network
    for variable in method.graph.shared:
        variable.assign(variable * 1.1)
    assert total(model, inputs) == 0.0


def test_lambda_is_a_setting_and_the_clip_the_references():
    train = load_tool("train")
    config = train.to_config(train.build_parser().parse_args(
        ["--model", "alexnet_lfl", "--lfl-lambda", "0.01", "--tasks", "2"]))
    assert config.lfl == LflConfig(weight=0.01) and config.to_dict()["lfl"] == {"weight": 0.01}
    keras.utils.set_random_seed(0)
    model = build_model(RunConfig(model="alexnet_lfl", width=0.125), digits())
    assert model.method.weight == 0.05
    assert new_results(RunConfig(model="alexnet_lfl"), digits(),
                       model)["method"]["gradient_clip_norm"] == 200.0
