"""Each task's BatchNorm statistics recomputed as the network predicts: without dropout.

In training, a BatchNorm that follows a dropout normalises inputs whose variance the
dropout has widened, and its moving statistics average those; at prediction there is no
dropout, the inputs are narrower, and normalising them with the training statistics
shrinks them layer after layer (the "variance shift": Li, Chen, Hu and Yang, "Understanding
the Disharmony between Dropout and Batch Normalization by Variance Shift", CVPR 2019). A
BatchNorm that normalises each batch by its own statistics, at test too (GPM's AlexNet,
`track_running_stats=False`), does not see it; a per-task BatchNorm, whose moving
statistics let each image be scored alone, does. Measured on `alexnet_hat_bn` (10-split
CIFAR-100, seed 0, task 1, docs/results.md): test accuracy 0.444 with the statistics
training left, 0.616 with the same weights and statistics recomputed without dropout.

So in a network with per-task BatchNorms and dropout, before every validation of a task
(and so in the best weights the task keeps) the slots of the tasks being trained are set
to their statistics on a fixed share of their training images, the network run as in
training (each BatchNorm normalising by that batch, gates at s_max) with dropout off.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from hat_tf.data.task import Task
from hat_tf.layers import TaskBatchNormalization

# Training images a task's statistics are computed from, spread over its training set: one
# batch, so that each BatchNorm's batch statistics are theirs; a forward pass, against the
# forward and backward passes of an epoch (its cost: docs/models.md).
STATISTICS_IMAGES = 1024


def layers_of(network: keras.Model, kind: type) -> list:
    return [layer for layer in network._flatten_layers() if isinstance(layer, kind)]


def needs_recomputed_statistics(network: keras.Model) -> bool:
    """Whether `network` has per-task BatchNorms and dropout."""
    return bool(layers_of(network, TaskBatchNormalization)) and any(
        layer.rate > 0 for layer in layers_of(network, keras.layers.Dropout))


def statistics_images(images: np.ndarray) -> np.ndarray:
    """At most STATISTICS_IMAGES of `images`, evenly spaced (a task's training images may
    come in class order)."""
    stride = max(1, -(-len(images) // STATISTICS_IMAGES))
    return images[::stride]


def recompute_task_statistics(network: keras.Model, task_id: int, images: np.ndarray) -> None:
    """Sets task `task_id`'s moving mean and variance in every TaskBatchNormalization of
    `network` to their statistics on `images`, one batch, the network run as in training
    (each BatchNorm normalising by the batch) but without dropout. Eagerly: the BatchNorms'
    momentum (0 here: the moving statistics become the batch's) and the dropouts' rate are
    read at the call. Every other task's slots are left as they are."""
    norms = layers_of(network, TaskBatchNormalization)
    dropouts = layers_of(network, keras.layers.Dropout)
    momenta, rates = [n.momentum for n in norms], [d.rate for d in dropouts]
    try:
        for norm in norms:
            norm.momentum = 0.0
        for dropout in dropouts:
            dropout.rate = 0.0
        network({"image": images, "task_id": tf.fill([len(images)], task_id)}, training=True)
    finally:
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
        for dropout, rate in zip(dropouts, rates):
            dropout.rate = rate


class TaskStatisticsBeforeValidation(keras.callbacks.Callback):
    """Recomputes the per-task BatchNorm statistics of the tasks being trained before each
    validation of `fit` (`recompute_task_statistics`), so the validation loss that drives
    the lr schedule, and the best weights it keeps, are those of the network as it
    predicts.

    Args:
        network: The network `fit` trains.
        tasks: The (task id, Task) pairs it trains on.
    """

    def __init__(self, network: keras.Model, tasks: Sequence[tuple[int, Task]]):
        super().__init__()
        self.network = network
        self.images = [(task_id, statistics_images(task.x_train)) for task_id, task in tasks]

    def on_test_begin(self, logs=None):
        for task_id, images in self.images:
            recompute_task_statistics(self.network, task_id, images)
