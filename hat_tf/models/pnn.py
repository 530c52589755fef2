"""Progressive Neural Networks (Rusu et al., 2016) on the HAT paper's AlexNet layers.

One AlexNet column per task. Layer l of column t reads the layer l−1 outputs of columns
0..t (concatenated: the lateral connections); earlier columns are never trained again, so
nothing is forgotten. The column width is chosen so the whole network has about the HAT
AlexNet's parameter count (HAT_SPEC §8: baselines matched in size).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from hat_tf.models.alexnet import (
    CONV_DROPOUT,
    CONV_FILTERS,
    CONV_KERNELS,
    DENSE_DROPOUT,
    DENSE_UNITS,
    scaled,
)
from hat_tf.models.network import TaskNetwork
from hat_tf.models.topology import GateGraph

IMAGE_CHANNELS = 3
FLAT_POSITIONS = 2 * 2  # AlexNet's last conv map is 2×2 at 32×32 inputs


def pnn_param_count(classes_per_task: Sequence[int], width: float) -> int:
    """Trainable parameters of a PNN of `width`-scaled AlexNet columns, without building it."""
    num_tasks = len(classes_per_task)
    convs = [scaled(f, width) for f in CONV_FILTERS]
    denses = [scaled(u, width) for u in DENSE_UNITS]
    fan_ins = [(IMAGE_CHANNELS, False)] + [(c, True) for c in convs[:-1]]
    total = 0
    for column in range(num_tasks):
        lateral = column + 1
        for (fan_in, is_lateral), filters, kernel in zip(fan_ins, convs, CONV_KERNELS):
            total += kernel * kernel * fan_in * (lateral if is_lateral else 1) * filters + filters
        inputs = [convs[-1] * FLAT_POSITIONS] + denses[:-1]
        for fan_in, units in zip(inputs, denses):
            total += fan_in * lateral * units + units
    return total + sum(denses[-1] * c + c for c in classes_per_task)


def pnn_width(classes_per_task: Sequence[int], target_params: int) -> float:
    """The column width whose PNN is closest to `target_params` (bisection on the width)."""
    low, high = 0.01, 1.0
    for _ in range(40):
        middle = (low + high) / 2
        if pnn_param_count(classes_per_task, middle) < target_params:
            low = middle
        else:
            high = middle
    return min((low, high), key=lambda w: abs(pnn_param_count(classes_per_task, w)
                                              - target_params))


class ProgressiveAlexNet(TaskNetwork):
    """One AlexNet column per task with lateral connections; called like AlexNet.

    Args:
        classes_per_task: Classes of each task's head (on its own column).
        column_width: Multiplier of each column's units (see `pnn_width`).
        channel_mean: Per-channel mean of the raw pixels, for input normalisation.
        channel_std: Per-channel standard deviation of the raw pixels.
    """

    def __init__(self, classes_per_task: Sequence[int], column_width: float,
                 channel_mean: Sequence[float] = (0.0, 0.0, 0.0),
                 channel_std: Sequence[float] = (1.0, 1.0, 1.0), name: str = "pnn", **kwargs):
        super().__init__(dict(column_width=column_width), classes_per_task, channel_mean,
                         channel_std, name=name, **kwargs)
        self.columns = [self._column(task, column_width) for task in range(len(classes_per_task))]
        self.conv_dropouts = [keras.layers.Dropout(r) for r in CONV_DROPOUT]
        self.dense_dropout = keras.layers.Dropout(DENSE_DROPOUT)
        self.pool = keras.layers.MaxPooling2D(2)
        self.flatten = keras.layers.Flatten()

    @staticmethod
    def _column(task: int, width: float) -> list[keras.layers.Layer]:
        convs = [keras.layers.Conv2D(scaled(f, width), k, kernel_initializer="glorot_uniform",
                                     name=f"column{task}_conv{i + 1}")
                 for i, (f, k) in enumerate(zip(CONV_FILTERS, CONV_KERNELS))]
        denses = [keras.layers.Dense(scaled(u, width), kernel_initializer="glorot_uniform",
                                     name=f"column{task}_fc{i + 1}")
                  for i, u in enumerate(DENSE_UNITS)]
        return convs + denses

    def call(self, inputs, training=False, s=None, all_heads=False):
        image = self.standardized_image(inputs)
        outputs = []  # per column, the output of its current layer
        for depth in range(len(self.columns[0])):
            layer_outputs = []
            for task, column in enumerate(self.columns):
                if depth == 0:
                    h = image
                else:  # laterals: earlier columns feed this one, and are not trained through it
                    h = tf.concat([tf.stop_gradient(o) for o in outputs[:task]]
                                  + [outputs[task]], axis=-1)
                layer_outputs.append(self._layer(column[depth], depth, h, training))
            outputs = layer_outputs
        return self.head(outputs, task_id=None if all_heads else inputs["task_id"])

    def _layer(self, layer, depth, h, training):
        num_convs = len(CONV_FILTERS)
        if depth < num_convs:
            h = tf.nn.relu(layer(h))
            return self.pool(self.conv_dropouts[depth](h, training=training))
        if depth == num_convs:
            h = self.flatten(h)
        return self.dense_dropout(tf.nn.relu(layer(h)), training=training)

    def gate_graph(self) -> GateGraph:
        """Each column is private to its task, like its head."""
        return GateGraph(task_private=[
            [v for layer in column for v in layer.trainable_variables] + head
            for column, head in zip(self.columns, self.head.variables_per_task())
        ])
