"""LwF (methods/lwf.py) as the HAT reference code runs it: from task 1 on, λ·Σ_{τ<t} of the
cross-entropy between the earlier heads' softmax(logits/T) of the network as it was when the
task began and of the network now, on the new task's images."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS, task_dataset
from hat_tf.methods.lwf import Lwf, LwfConfig
from hat_tf.training.loop import train_task


@functools.cache
def digits():
    return DATASETS.get("digits")(DataConfig(num_tasks=3, train_limit=120))


def after_task0(weight=2.0, temperature=1.0):
    config = RunConfig(model="alexnet_lwf", width=0.125, optim=OptimConfig(epochs=2),
                       lwf=LwfConfig(weight=weight, temperature=temperature))
    keras.utils.set_random_seed(0)
    model = build_model(config, digits())
    train_task(model, digits(), 0, config, lambda line: None)
    return model


def task_batch(task):
    return next(iter(task_dataset([(task, digits().tasks[task])], "train", 32)))[0]


def distillation(model, inputs):
    """The loss LwF adds to the step and its gradients with respect to the network."""
    network = model.network
    with tf.GradientTape() as tape:
        logits = network(inputs, training=False, all_heads=True)[..., :network.head.max_classes]
        loss = model.method.extra_loss(inputs, logits, None)
    return float(loss), tape.gradient(loss, network.trainable_variables)


def softmax(logits):
    exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def test_at_the_tasks_start_the_copy_is_exact_the_loss_the_old_entropy_and_its_gradient_zero():
    model, inputs = after_task0(), task_batch(1)
    assert isinstance(model.method, Lwf)
    model.method.on_task_begin(1, steps_per_epoch=1)
    old = softmax(model.network(inputs, training=False, all_heads=True).numpy()[:, 0, :2])
    loss, gradients = distillation(model, inputs)
    entropy = -np.mean(np.sum(old * np.log(old), axis=-1))
    assert loss == pytest.approx(2.0 * entropy, rel=1e-4)
    assert max(float(tf.reduce_max(tf.abs(g))) for g in gradients if g is not None) < 1e-5


def test_it_rises_as_the_network_moves_and_matches_a_hand_computation_at_t_2():
    model, inputs = after_task0(weight=0.5, temperature=2.0), task_batch(2)
    method, network = model.method, model.network
    method.on_task_begin(2, steps_per_epoch=1)  # heads 0 and 1 are distilled
    old = network(inputs, training=False, all_heads=True).numpy()
    start = [v.numpy() for v in network.trainable_variables]
    losses = []
    for factor in (1.0, 1.05, 1.2):
        for variable, value in zip(network.trainable_variables, start):
            variable.assign(value * factor)
        losses.append(distillation(model, inputs)[0])
    assert losses[0] < losses[1] < losses[2]
    new = network(inputs, training=False, all_heads=True).numpy()
    by_hand = 0.5 * sum(
        -np.mean(np.sum(softmax(old[:, t, :2] / 2) * np.log(softmax(new[:, t, :2] / 2)), -1))
        for t in (0, 1))
    assert losses[2] == pytest.approx(by_hand, rel=1e-4)


def test_it_is_off_at_the_first_task():
    model, inputs = after_task0(), task_batch(1)
    model.method.on_task_begin(0, steps_per_epoch=1)
    for variable in model.network.trainable_variables:
        variable.assign(variable * 1.1)
    assert distillation(model, inputs)[0] == 0.0
