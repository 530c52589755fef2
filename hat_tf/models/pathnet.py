"""PathNet (Fernando et al. 2017) on the HAT paper's AlexNet layers, as the HAT reference
code builds it (`networks/alexnet_pathnet.py`).

Each of AlexNet's L = 5 layers (conv1-3, fc1-2) is M modules side by side, each a
convolution or dense layer of AlexNet's shape at a reduced width. A path names N modules
in every layer (Fernando et al. §2.1: the genotype, an L × N matrix of module indices); an
example goes through its task's path: a layer's output is the sum, over the path's N
modules, of each module's output after ReLU, dropout and (convolutions) max-pooling, and
the task's head reads fc2's sum. The path of every task is a network variable (`paths`,
tasks × L × N), so checkpoints and SavedModels keep it; the method (methods/pathnet.py)
writes the path of the task it trains, and after the task its tournament's winner, whose
modules no later task trains (§2.3).

As the reference: M = 16 and N = 3 by default (its "better config"; methods/pathnet.py),
AlexNet's kernels and dropout in every module, the modules' outputs summed (a module that
a mutated path names twice counts twice), and PyTorch's default initialisation, kernels
and biases uniform in ±1/√fan_in: hat_tf's other networks draw Glorot kernels, which with
three modules summed at every layer start with logits about 40 times larger (on digits)
and diverge at the paper's learning rate. Where it departs:
- The module width is found by bisection so that the whole network has the HAT AlexNet's
  parameter count, as PNN's columns are (docs/algorithm.md §8: baselines matched in size);
  the reference's `expand_factor` 0.258 gives 3.3 % more than AlexNet-HAT on `cifar` (here +0.14 %).
- A batch whose examples share a path (every training batch) computes only its N modules,
  as the reference does; a batch of several paths (the test of all tasks at once, the
  multi-task export) computes all M modules and sums each example's own.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from hat_tf.models.alexnet import CONV_DROPOUT, CONV_KERNELS, DENSE_DROPOUT
from hat_tf.models.alexnet_shapes import LAYER_NAMES, NUM_CONVS, matched_width, trunk_layers
from hat_tf.models.network import TaskNetwork
from hat_tf.models.topology import GateGraph

DROPOUT = (*CONV_DROPOUT, *[DENSE_DROPOUT] * (len(LAYER_NAMES) - NUM_CONVS))


def pathnet_param_count(classes_per_task: Sequence[int], module_width: float,
                        modules: int) -> int:
    """Trainable parameters of a PathNet of `modules` modules a layer, each AlexNet's layer
    at `module_width`, with one head per task, without building it."""
    trunk = trunk_layers(module_width)
    module_params = sum(positions * fan_in * units + units for positions, fan_in, units in trunk)
    features = trunk[-1][2]
    return modules * module_params + sum(features * c + c for c in classes_per_task)


def pathnet_module_width(classes_per_task: Sequence[int], modules: int,
                         target_params: int) -> float:
    """The module width whose PathNet is closest to `target_params`."""
    return matched_width(lambda width: pathnet_param_count(classes_per_task, width, modules),
                         target_params)


class PathLayer(keras.layers.Layer):
    """One layer of PathNet: M convolutions (or dense layers) of the same shape, each module
    its own kernel and bias (so a module is frozen by leaving its variables out of
    training). Each example's output is the sum over the modules of its path of
    ReLU → dropout → [max-pool 2] of the module's output (Fernando et al. §2.1).

    Args:
        modules: M, the layer's modules.
        units: Each module's filters (or units).
        kernel_size: The convolutions' kernel size; None: dense modules.
        dropout: The dropout rate after each module's ReLU.
    """

    def __init__(self, modules: int, units: int, kernel_size: int | None, dropout: float,
                 **kwargs):
        super().__init__(**kwargs)
        self.num_modules = modules
        self.units = units
        self.kernel_size = kernel_size
        self.dropout = keras.layers.Dropout(dropout)
        self.pool = keras.layers.MaxPooling2D(2) if kernel_size else None

    def build(self, input_shape):
        channels = input_shape[-1]
        shape = ((self.kernel_size, self.kernel_size, channels, self.units) if self.kernel_size
                 else (channels, self.units))
        bound = 1 / np.sqrt(np.prod(shape[:-1]))  # 1/√fan_in: PyTorch's default, the reference's
        self.kernels = [self.add_weight(shape=shape, name=f"module{m}_kernel",
                                        initializer=keras.initializers.RandomUniform(-bound, bound))
                        for m in range(self.num_modules)]
        self.biases = [self.add_weight(shape=(self.units,), name=f"module{m}_bias",
                                       initializer=keras.initializers.RandomUniform(-bound, bound))
                       for m in range(self.num_modules)]

    def module_variables(self, module: int) -> list[keras.Variable]:
        """Module `module`'s kernel and bias."""
        return [self.kernels[module], self.biases[module]]

    def call(self, h, paths, training=False):
        """`paths`: (batch, N), the modules of each example's path in this layer."""
        one_path = tf.logical_and(tf.shape(paths)[0] > 0,
                                  tf.reduce_all(tf.equal(paths, paths[:1])))
        return tf.cond(one_path,
                       lambda: tf.reduce_sum(self._outputs(h, paths[0], training), axis=-2),
                       lambda: self._summed_per_example(h, paths, training))

    def _summed_per_example(self, h, paths, training):
        """Every module's output, each example summing its own path's."""
        outputs = self._outputs(h, tf.range(self.num_modules), training)
        by_module = tf.experimental.numpy.moveaxis(outputs, -2, 1)  # (batch, M, …, units)
        return tf.reduce_sum(tf.gather(by_module, paths, axis=1, batch_dims=1), axis=1)

    def _outputs(self, h, modules, training):
        """ReLU → dropout → [pool] of the modules `modules` (indices) on `h`, computed as one
        convolution (or product) with their kernels side by side: (…, modules, units)."""
        kernels = tf.gather(tf.stack([kernel.value for kernel in self.kernels]), modules)
        kernel = tf.experimental.numpy.moveaxis(kernels, 0, -2)  # (…kernel, modules, units)
        kernel = tf.reshape(kernel, [*kernel.shape[:-2], -1])
        bias = tf.reshape(tf.gather(tf.stack([bias.value for bias in self.biases]), modules), [-1])
        h = (tf.nn.conv2d(h, kernel, strides=1, padding="VALID") if self.kernel_size
             else tf.matmul(h, kernel)) + bias
        h = self.dropout(tf.nn.relu(h), training=training)
        if self.pool is not None:
            h = self.pool(h)
        return tf.reshape(h, tf.concat([tf.shape(h)[:-1], [-1, self.units]], axis=0))


class PathNetAlexNet(TaskNetwork):
    """PathNet of AlexNet-shaped modules with one head per task; called like AlexNet, each
    example through its task's path (`paths`).

    Args:
        classes_per_task: Classes of each task's head.
        module_width: Multiplier of AlexNet's units in every module (`pathnet_module_width`).
        modules: M, modules a layer.
        path_modules: N, modules a path names in each layer.
        channel_mean: Per-channel mean of the raw pixels, for input normalisation.
        channel_std: Per-channel standard deviation of the raw pixels.
    """

    def __init__(self, classes_per_task: Sequence[int], module_width: float, modules: int,
                 path_modules: int, channel_mean: Sequence[float] = (0.0, 0.0, 0.0),
                 channel_std: Sequence[float] = (1.0, 1.0, 1.0), name: str = "pathnet",
                 **kwargs):
        super().__init__(dict(module_width=module_width, modules=modules,
                              path_modules=path_modules), classes_per_task, channel_mean,
                         channel_std, name=name, **kwargs)
        if not 1 <= path_modules <= modules:
            raise ValueError(f"a path names 1 to {modules} modules a layer (the layer's), "
                             f"received {path_modules}")
        self.path_layers = [
            PathLayer(modules, units, CONV_KERNELS[depth] if depth < NUM_CONVS else None,
                      DROPOUT[depth], name=layer_name)
            for depth, ((_, _, units), layer_name) in enumerate(zip(trunk_layers(module_width),
                                                                    LAYER_NAMES))]
        self.flatten = keras.layers.Flatten()
        # Until a task's path is set, modules 0..N−1 of every layer.
        first_modules = np.tile(np.arange(path_modules, dtype=np.int32),
                                (len(classes_per_task), len(LAYER_NAMES), 1))
        self.paths = self.add_weight(shape=first_modules.shape, dtype="int32", trainable=False,
                                     initializer=lambda shape, dtype: first_modules,
                                     name="paths")

    @property
    def num_modules(self) -> int:
        """M, the modules of each layer."""
        return self.settings["modules"]

    def set_path(self, task_id: int, path) -> None:
        """Makes `path` (L × N module indices) task `task_id`'s."""
        self.paths.assign(tf.tensor_scatter_nd_update(self.paths, [[task_id]],
                                                      tf.cast(path, tf.int32)[None]))

    def module_variables(self, paths) -> list[keras.Variable]:
        """The variables of every module that `paths` (…, L, N) name, each once."""
        paths = np.asarray(paths).reshape(-1, *self.paths.shape[1:])
        return [v for depth, layer in enumerate(self.path_layers)
                for module in sorted(set(paths[:, depth].ravel().tolist()))
                for v in layer.module_variables(module)]

    def features(self, inputs, training=False, s=None):
        """fc2's output through each example's task path (no gates: `s` is unused)."""
        paths = tf.gather(self.paths, inputs["task_id"])  # (batch, L, N)
        h = self.standardized_image(inputs)
        for depth, layer in enumerate(self.path_layers):
            if depth == NUM_CONVS:
                h = self.flatten(h)
            h = layer(h, paths[:, depth], training=training)
        return h

    def gate_graph(self) -> GateGraph:
        """Every module shared (the method freezes those on earlier tasks' paths), each head
        private to its task."""
        modules = [v for layer in self.path_layers for v in layer.trainable_variables]
        return GateGraph(task_private=self.head.variables_per_task(), shared=modules)
