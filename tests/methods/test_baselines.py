"""The HAT paper's baselines on two tiny digits tasks: what each must keep or change."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS, task_dataset
from hat_tf.methods.ewc import Ewc
from hat_tf.methods.joint import Joint
from hat_tf.training.loop import new_results, train_task

OPTIM = OptimConfig(epochs=2)


def silent(line):
    pass


@functools.cache
def digits():
    return DATASETS.get("digits")(DataConfig(num_tasks=3, train_limit=120))


def trained_on_task0(model_name):
    config = RunConfig(model=model_name, optim=OPTIM, width=0.125)
    keras.utils.set_random_seed(0)
    model = build_model(config, digits())
    train_task(model, digits(), 0, config, silent)
    return model, config


def values(variables):
    return [v.numpy().copy() for v in variables]


def test_sgd_frozen_changes_no_trunk_weight_after_task0():
    model, config = trained_on_task0("alexnet_sgd_frozen")
    trunk = model.method.graph.shared
    before = values(trunk)
    head1 = values(model.method.graph.task_private[1])
    train_task(model, digits(), 1, config, silent)
    for old, new in zip(before, values(trunk)):
        np.testing.assert_array_equal(old, new)
    assert any(not np.array_equal(a, b)
               for a, b in zip(head1, values(model.method.graph.task_private[1])))


def test_pnn_keeps_earlier_columns_bit_identical():
    model, config = trained_on_task0("alexnet_pnn")
    column0 = model.method.graph.task_private[0]
    before = values(column0)
    train_task(model, digits(), 1, config, silent)
    for old, new in zip(before, values(column0)):
        np.testing.assert_array_equal(old, new)


def test_ewc_penalty_is_zero_at_its_anchor_and_grows_away_from_it():
    model, _ = trained_on_task0("alexnet_ewc")
    method = model.method
    assert isinstance(method, Ewc)
    assert any(float(tf.reduce_sum(f)) > 0 for f in method.fisher)
    assert float(method.extra_loss(None, None, None)) == 0.0
    original = values(method.shared)
    penalties = []
    for step in (0.01, 0.1):
        for variable, value in zip(method.shared, original):
            variable.assign(value + step)
        penalties.append(float(method.extra_loss(None, None, None)))
    assert 0 < penalties[0] < penalties[1]


def test_lwf_distils_only_earlier_heads():
    model, _ = trained_on_task0("alexnet_lwf")
    method = model.method
    inputs, _ = next(iter(task_dataset([(1, digits().tasks[1])], "train", 16)))
    method.on_task_begin(0, steps_per_epoch=1)
    logits = model.network(inputs, all_heads=True)
    assert float(method.extra_loss(inputs, logits, None)) == 0.0  # task 0: no earlier head
    method.on_task_begin(1, steps_per_epoch=1)
    distillation = float(method.extra_loss(inputs, model.network(inputs, all_heads=True), None))
    assert distillation > 0  # cross-entropy of the old head with itself: its entropy
    for head, changes in ((0, True), (1, False)):  # head 0 is distilled, head 1 is not
        shift = np.zeros((1, 3, 2), np.float32)
        shift[0, head, 0] = 5.0
        shifted = float(method.extra_loss(inputs, logits + shift, None))
        assert (shifted != pytest.approx(distillation)) == changes


def test_joint_trains_task_t_on_the_union_of_tasks_up_to_t():
    assert Joint().training_tasks(2) == range(3)
    model, _ = trained_on_task0("alexnet_joint")
    model.method.on_task_begin(2, steps_per_epoch=1)
    trained = {id(v) for v in model.method.variables_to_train}
    for task in range(3):
        assert all(id(v) in trained for v in model.method.graph.task_private[task])


@pytest.mark.parametrize("model_name, clip", [
    ("alexnet_ewc", 100.0), ("alexnet_lwf", 100.0),  # reference ewc.py, lwf.py: clipgrad=100
    ("alexnet_hat", 10000.0), ("alexnet_sgd", 10000.0)])  # the reference's other methods
def test_each_method_clips_its_gradients_at_the_reference_norm(model_name, clip):
    config = RunConfig(model=model_name, optim=OptimConfig(epochs=1), width=0.125)
    model = build_model(config, digits())
    train_task(model, digits(), 0, config, silent)
    assert model.optimizer.global_clipnorm == clip
    assert new_results(config, digits(), model)["method"]["gradient_clip_norm"] == clip


def test_ewc_estimates_its_fisher_in_training_mode_and_leaves_no_state_behind():
    config = RunConfig(model="resnet18_ewc", width=0.0625)
    keras.utils.set_random_seed(0)
    model = build_model(config, digits())
    network, method = model.network, model.method
    data = task_dataset([(0, digits().tasks[0])], "train", 64)
    state = values(network.non_trainable_variables)
    method.on_task_end(0, data)
    for old, new in zip(state, values(network.non_trainable_variables)):
        np.testing.assert_array_equal(old, new)
    fisher = values(method.fisher)
    method.on_task_end(0, data)  # the same state, the same estimate
    for old, new in zip(fisher, values(method.fisher)):
        np.testing.assert_array_equal(old, new)
    network(next(iter(data))[0], training=True)  # the control: training mode moves them
    assert any(not np.array_equal(a, b)
               for a, b in zip(state, values(network.non_trainable_variables)))
