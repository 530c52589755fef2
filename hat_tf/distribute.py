"""Training on several devices: tf.distribute strategies and the step's replica sums.

Data parallelism: every replica holds a copy of every variable and runs the train step on
its share of the global batch; the optimizer sums the replicas' gradients. What the step
computes from whole-batch statistics (the loss's mean, BatchNorm's moments) goes through
`replica_sum`, so a step on N replicas is the single-device step on the global batch, up
to rounding.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


def _local_devices() -> list[str]:
    """This machine's GPUs; without any, its logical CPU devices (one unless the process
    split the CPU with `tf.config.set_logical_device_configuration`)."""
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return [device.name for device in devices]


STRATEGIES: dict[str, Callable[[], tf.distribute.Strategy]] = {
    "none": tf.distribute.get_strategy,  # the default strategy: one device, as without any
    "mirrored": lambda: tf.distribute.MirroredStrategy(_local_devices()),
}


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The strategy called `name` (a key of STRATEGIES)."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}")
    return STRATEGIES[name]()


def replica_sum(values):
    """The sum of `values` (a tensor or a nest of them) over all replicas, in every replica.

    In the train step of a tf.distribute strategy this all-reduces; without one (one
    replica) and in cross-replica context it returns `values` unchanged.
    """
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: the values are the whole batch's already
        return values
    return context.all_reduce(tf.distribute.ReduceOp.SUM, values)


def global_moments(inputs: tf.Tensor, axes: list[int]) -> tuple[tf.Tensor, tf.Tensor]:
    """Mean and variance of `inputs` over `axes` and over the global batch, the same in
    every replica (a synchronised BatchNorm's statistics), however unevenly split.

    Two passes, as tf.nn.moments (E[x²] − E[x]², one pass, loses digits to cancellation):
    without a strategy it is tf.nn.moments up to rounding.
    """
    count, total = replica_sum([
        tf.cast(tf.reduce_prod(tf.gather(tf.shape(inputs), axes)), inputs.dtype),
        tf.reduce_sum(inputs, axes),
    ])
    mean = total / count
    variance = replica_sum(tf.reduce_sum(tf.square(inputs - mean), axes)) / count
    return mean, variance


def global_group_moments(inputs: tf.Tensor, group: tf.Tensor,
                         num_groups: int) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Per group of examples (`group`: each example's, in [0, num_groups)): the mean and
    variance per channel (the last axis) of its examples over the global batch, each
    [num_groups, channels], and its number of examples; a group without examples has
    mean 0 and variance 0.

    Two passes, as `global_moments`; its statistics, group by group, up to rounding. The
    sums per group are a product with the one-hot matrix of `group`.
    """
    spatial = list(range(1, len(inputs.shape) - 1))
    members = tf.one_hot(group, num_groups, dtype=inputs.dtype)  # [batch, groups]

    def group_sums(values):  # [batch, ...positions, channels] -> [groups, channels]
        return tf.linalg.matmul(members, tf.reduce_sum(values, spatial), transpose_a=True)

    positions = tf.cast(tf.reduce_prod(tf.shape(inputs)[1:-1]), inputs.dtype)
    examples, total = replica_sum([tf.reduce_sum(members, 0), group_sums(inputs)])
    count = tf.maximum(examples * positions, 1.0)[:, None]
    mean = total / count
    example_mean = tf.reshape(tf.gather(mean, group),
                              [-1] + [1] * len(spatial) + [inputs.shape[-1]])
    variance = replica_sum(group_sums(tf.square(inputs - example_mean))) / count
    return mean, variance, examples
