"""Progressive Neural Networks (Rusu et al., 2016) on the HAT paper's AlexNet layers, with
the lateral adapters of the HAT reference code (`networks/alexnet_progressive.py`).

One AlexNet column per task; earlier columns are never trained again, so nothing is
forgotten. Every layer l of column k after the first, and its head, also reads the outputs
of columns 0..k−1 at layer l−1, through an adapter (Rusu et al. §2, Eq. 2): each earlier
column's output times a learned scalar α_j, concatenated, reduced to one column's width by
V (a 1×1 convolution before a conv layer, a dense layer before a dense one), ReLU (none
before the head), then the lateral weights U, added to the column's own W·h:

    h^l_k = ReLU(W h^{l−1}_k + U ReLU(V [α_0 h^{l−1}_0, …, α_{k−1} h^{l−1}_{k−1}]))
    (then the layer's dropout and pooling; the head: W h_k + U V [α_j h_j]).

As the reference: the adapters' placement and shapes, U with W's kernel size, no ReLU in
the head's adapter, α drawn from N(0, 1) (the reference's `torch.nn.Embedding` default),
the dropout of AlexNet, earlier columns frozen. Where it departs:
- W and U are one kernel on [h_k, adapter output] (the same sum, W·h_k + U·a), so a layer
  has one bias where the reference's W and U have one each (the same function; c_l
  parameters fewer per lateral layer), and Glorot draws that kernel as one.
- An earlier column feeds the laterals with its own laterals included, as it computed
  when it was trained (Rusu et al.). The reference recomputes the earlier columns without
  their laterals (`h_prev2 = conv2[j](h_prev1[j])`), so a later column reads features the
  earlier one never produced.
- The head's adapter feeds each task's own head. In the reference it only enters the
  outputs of earlier tasks in a forward for a later one, which neither training nor
  testing reads (both take task t's output from the forward for t): its weights never
  change the loss there.
- The column width is found by bisection so the whole network has the HAT AlexNet's
  parameter count (docs/algorithm.md §8: baselines matched in size), where the reference scales
  every layer by 1.117/T (sized for the 8-dataset mixture; ≈ 2.6 % over on `cifar`).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from hat_tf.models.alexnet import CONV_DROPOUT, CONV_KERNELS, DENSE_DROPOUT
from hat_tf.models.alexnet_shapes import LAYER_NAMES, NUM_CONVS, matched_width, trunk_layers
from hat_tf.models.network import TaskNetwork
from hat_tf.models.topology import GateGraph


def pnn_param_count(classes_per_task: Sequence[int], width: float) -> int:
    """Trainable parameters of a PNN of `width`-scaled AlexNet columns, without building it."""
    trunk = trunk_layers(width)
    total = 0
    for column, classes in enumerate(classes_per_task):
        for depth, (positions, fan_in, units) in enumerate([*trunk, (1, trunk[-1][2], classes)]):
            lateral = column > 0 and depth > 0
            total += positions * fan_in * units * (2 if lateral else 1) + units  # [W; U], b
            if lateral:  # the adapter: α, then V with its bias
                total += column + column * fan_in * fan_in + fan_in
    return total


def pnn_width(classes_per_task: Sequence[int], target_params: int) -> float:
    """The column width whose PNN is closest to `target_params`."""
    return matched_width(lambda width: pnn_param_count(classes_per_task, width), target_params)


class LateralAdapter(keras.layers.Layer):
    """The adapter of the laterals into one layer of a column: the earlier columns' outputs
    each times its learned scalar α_j, concatenated, reduced by V to `units`, then ReLU
    unless it feeds a head (Rusu et al. §2; reference `networks/alexnet_progressive.py`).

    Args:
        num_earlier: The earlier columns, one α each.
        units: V's output width: one column's width at this depth.
        conv: V is a 1×1 convolution (feature maps), else a dense layer.
        nonlinear: Apply the ReLU (the reference omits it before the heads).
    """

    def __init__(self, num_earlier: int, units: int, conv: bool, nonlinear: bool, **kwargs):
        super().__init__(**kwargs)
        self.num_earlier = num_earlier
        self.nonlinear = nonlinear
        self.reduce = (keras.layers.Conv2D(units, 1, kernel_initializer="glorot_uniform",
                                           name="reduce")
                       if conv else keras.layers.Dense(units, kernel_initializer="glorot_uniform",
                                                       name="reduce"))

    def build(self, input_shape):
        self.scales = self.add_weight(shape=(self.num_earlier,), name="scales",
                                      initializer=keras.initializers.RandomNormal(0.0, 1.0))
        shape = list(input_shape[0])
        self.reduce.build((*shape[:-1], shape[-1] * self.num_earlier))

    def call(self, earlier):
        scales = tf.cast(self.scales, earlier[0].dtype)
        h = self.reduce(tf.concat([scales[j] * x for j, x in enumerate(earlier)], axis=-1))
        return tf.nn.relu(h) if self.nonlinear else h


class ProgressiveAlexNet(TaskNetwork):
    """One AlexNet column per task with adapted lateral connections; called like AlexNet.

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
        num_tasks = len(classes_per_task)
        self.columns = [self._column(task, column_width) for task in range(num_tasks)]
        self.adapters = [self._adapters(task, column_width) for task in range(num_tasks)]
        self.conv_dropouts = [keras.layers.Dropout(r) for r in CONV_DROPOUT]
        self.dense_dropout = keras.layers.Dropout(DENSE_DROPOUT)
        self.pool = keras.layers.MaxPooling2D(2)
        self.flatten = keras.layers.Flatten()

    @staticmethod
    def _column(task: int, width: float) -> list[keras.layers.Layer]:
        """Column `task`'s own layers (its head is in `self.head`)."""
        return [keras.layers.Conv2D(units, CONV_KERNELS[depth], name=f"column{task}_{name}",
                                    kernel_initializer="glorot_uniform")
                if depth < NUM_CONVS else
                keras.layers.Dense(units, kernel_initializer="glorot_uniform",
                                   name=f"column{task}_{name}")
                for depth, ((_, _, units), name) in enumerate(zip(trunk_layers(width),
                                                                  LAYER_NAMES))]

    @staticmethod
    def _adapters(task: int, width: float) -> list[LateralAdapter]:
        """Column `task`'s adapters into its layers 2.. and its head, each as wide as one
        column's input there; none for the first column."""
        if task == 0:
            return []
        trunk = trunk_layers(width)
        widths = [fan_in for _, fan_in, _ in trunk[1:]] + [trunk[-1][2]]
        return [LateralAdapter(task, units, conv=depth < NUM_CONVS, nonlinear=name != "head",
                               name=f"column{task}_{name}_adapter")
                for depth, (units, name) in enumerate(zip(widths, [*LAYER_NAMES[1:], "head"]),
                                                      start=1)]

    def features(self, inputs, training=False, s=None):
        """One tensor per column: its input to its head, laterals included."""
        image = self.standardized_image(inputs)
        num_tasks = len(self.columns)
        features = [image] * num_tasks  # per column, its input to the current layer
        for depth in range(len(LAYER_NAMES)):
            if depth == NUM_CONVS:
                features = [self.flatten(h) for h in features]
            features = [self._layer(task, depth, features, training) for task in range(num_tasks)]
        return [self._with_laterals(task, len(LAYER_NAMES), features)
                for task in range(num_tasks)]

    def _with_laterals(self, task: int, depth: int, features: list):
        """Column `task`'s input to layer `depth` (the head after the last), followed by its
        adapter's output on the earlier columns' inputs, which it does not train through."""
        if task == 0 or depth == 0:
            return features[task]
        adapter = self.adapters[task][depth - 1]
        lateral = adapter([tf.stop_gradient(h) for h in features[:task]])
        return tf.concat([features[task], lateral], axis=-1)

    def _layer(self, task: int, depth: int, features: list, training):
        h = tf.nn.relu(self.columns[task][depth](self._with_laterals(task, depth, features)))
        if depth < NUM_CONVS:
            return self.pool(self.conv_dropouts[depth](h, training=training))
        return self.dense_dropout(h, training=training)

    def gate_graph(self) -> GateGraph:
        """Each column, its adapters and its head are private to its task."""
        return GateGraph(task_private=[
            [v for layer in column + adapters for v in layer.trainable_variables] + head
            for column, adapters, head in zip(self.columns, self.adapters,
                                              self.head.variables_per_task())
        ])
