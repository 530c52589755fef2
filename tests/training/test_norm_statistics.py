"""Per-task BatchNorm statistics recomputed without dropout (hat_tf/training/norm_statistics.py):
after it, a task's images predicted with the moving statistics come out as the network
computes them in training without dropout, each BatchNorm normalising by the batch."""

import keras
import numpy as np
import pytest

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.layers import TaskBatchNormalization
from hat_tf.training.loop import train_task
from hat_tf.training.norm_statistics import (
    layers_of,
    needs_recomputed_statistics,
    recompute_task_statistics,
    statistics_images,
)


def silent(line):
    pass


@pytest.fixture(scope="module")
def digits():
    return DATASETS.get("digits")(DataConfig(dataset="digits", num_tasks=2, train_limit=160))


def network_of(model_name, digits, epochs=0):
    """`model_name` on two digits tasks, task 0 trained for `epochs` (0: as built)."""
    config = RunConfig(model=model_name, data=DataConfig(dataset="digits"), width=0.125,
                       optim=OptimConfig(optimizer="sgd", lr=0.05, epochs=max(epochs, 1)))
    keras.utils.set_random_seed(0)
    model = build_model(config, digits)
    if epochs:
        train_task(model, digits, 0, config, silent)
    return model.network


def outputs(network, images, task_id, training):
    return network({"image": images, "task_id": np.full(len(images), task_id, np.int32)},
                   training=training).numpy()


def without_dropout(network, images, task_id):
    """The network's training outputs on `images` with dropout off, its statistics kept."""
    norms = layers_of(network, TaskBatchNormalization)
    saved = [(n.moving_mean.numpy(), n.moving_variance.numpy()) for n in norms]
    dropouts = layers_of(network, keras.layers.Dropout)
    rates = [d.rate for d in dropouts]
    for dropout in dropouts:
        dropout.rate = 0.0
    result = outputs(network, images, task_id, training=True)
    for dropout, rate in zip(dropouts, rates):
        dropout.rate = rate
    for norm, (mean, variance) in zip(norms, saved):
        norm.moving_mean.assign(mean)
        norm.moving_variance.assign(variance)
    return result


@pytest.mark.parametrize("model_name, expected", [("alexnet_hat_bn", True),
                                                  ("alexnet_hat", False),
                                                  ("resnet18_hat_bn", False)])
def test_only_networks_with_per_task_batchnorms_and_dropout_need_it(model_name, expected,
                                                                    digits):
    assert needs_recomputed_statistics(network_of(model_name, digits)) == expected


def test_recomputed_statistics_make_prediction_match_training_without_dropout(digits):
    network = network_of("alexnet_hat_bn", digits, epochs=2)
    images = statistics_images(digits.tasks[0].x_train)
    norms = layers_of(network, TaskBatchNormalization)
    task1_slots = [(n.moving_mean.numpy()[1], n.moving_variance.numpy()[1]) for n in norms]
    rates = [d.rate for d in layers_of(network, keras.layers.Dropout)]
    for _ in range(30):  # moving statistics as training steps leave them: with dropout
        outputs(network, images, 0, training=True)
    target = without_dropout(network, images, 0)
    assert np.abs(outputs(network, images, 0, training=False) - target).max() > 1e-2

    recompute_task_statistics(network, 0, images)

    np.testing.assert_allclose(outputs(network, images, 0, training=False), target,
                               rtol=1e-4, atol=1e-4)
    for norm, (mean, variance) in zip(norms, task1_slots):  # task 1's slots untouched
        np.testing.assert_array_equal(norm.moving_mean.numpy()[1], mean)
        np.testing.assert_array_equal(norm.moving_variance.numpy()[1], variance)
    assert [n.momentum for n in norms] == [0.9] * len(norms)
    assert [d.rate for d in layers_of(network, keras.layers.Dropout)] == rates


def test_training_a_task_leaves_its_recomputed_statistics(digits):
    """train_task recomputes them before every validation, so the best weights it puts
    back hold statistics that match their own network without dropout."""
    network = network_of("alexnet_hat_bn", digits, epochs=2)
    images = statistics_images(digits.tasks[0].x_train)
    np.testing.assert_allclose(outputs(network, images, 0, training=False),
                               without_dropout(network, images, 0), rtol=1e-4, atol=1e-4)
