"""Update factors of the shared weights, from the cumulative attention (paper Eq. 2).

    factor_{l,ij} = 1 − min(a_{l,i}^{≤t}, a_{l−1,j}^{≤t})

for a weight from input unit j to output unit i; per-output parameters use 1 − a_{l,i}^{≤t},
and a layer fed by the image (no gate) uses 1 − a_{l,i}^{≤t} too. HAT scales each step's
*update* by the factor (docs/algorithm.md §5), which the reference does to the gradient: the two
agree for plain SGD (where HAT takes the cheaper gradient path), and only the former keeps
protected weights fixed under momentum or Adam.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from hat_tf.models.topology import Connection


def unit_pair_minimum(post: tf.Tensor, pre: tf.Tensor | None, layout: str,
                      shape: tuple[int, ...], ungated: float = 1.0) -> tf.Tensor:
    """min(m_{l,i}, m_{l−1,j}) of a per-unit measure m for every weight of a variable of
    `shape`, from output unit i and input unit j by its layout (docs/algorithm.md §5): the
    `min` of Eq. 2 for m = a^{≤t}, and of any other measure of the units (AdaHAT's sums of
    binary masks). Per-output parameters, and a layer fed by the image (no gate), take
    m_{l,i} alone; a depthwise kernel fed by the image counts its inputs as `ungated`.

    Args:
        post: m of the output units (N_out,).
        pre: m of the input units (N_in,), or None for the image / per-output params.
        layout: `dense`, `conv`, `depthwise`, `flatten` or `per_output` (topology.LAYOUTS).
        shape: The variable's shape.
        ungated: m of an input without a gate, where the layout needs one.
    """
    if layout == "depthwise":
        # Kernel (kh, kw, C, m): its weight [·, ·, c, j] writes output unit c·m + j from
        # input unit c alone (TensorFlow's channel order), so Eq. 2's i and j are that pair.
        channels, multiplier = shape[-2:]
        pre = tf.fill([channels], ungated) if pre is None else pre
        return tf.broadcast_to(tf.minimum(tf.reshape(pre, [channels, 1]),
                                          tf.reshape(post, [channels, multiplier])), shape)
    if layout == "per_output" or pre is None:
        return tf.broadcast_to(post, shape)
    if layout == "flatten":
        # Keras flattens (H, W, C) with the channel fastest: input k has channel k mod C.
        pre = tf.tile(pre, [shape[0] // pre.shape[0]])
    return tf.broadcast_to(tf.minimum(tf.reshape(pre, [-1, 1]), tf.reshape(post, [1, -1])),
                           shape)


def update_factor(post: tf.Tensor, pre: tf.Tensor | None, layout: str,
                  shape: tuple[int, ...]) -> tf.Tensor:
    """The factor 1 − min(a_out, a_in) of a variable of `shape`, expanded from its gates
    (docs/algorithm.md §5; `unit_pair_minimum`; the image counts as in use).

    Args:
        post: a^{≤t} of the output units (N_out,).
        pre: a^{≤t} of the input units (N_in,), or None for the image / per-output params.
        layout: `dense`, `conv`, `depthwise`, `flatten` or `per_output` (topology.LAYOUTS).
        shape: The variable's shape.
    """
    return 1.0 - unit_pair_minimum(post, pre, layout, shape)


def connection_factor(connection: Connection) -> tf.Tensor:
    """update_factor for a GateGraph connection, from its gates' current a^{≤t}."""
    pre = None if connection.pre is None else tf.convert_to_tensor(connection.pre.cumulative)
    return update_factor(tf.convert_to_tensor(connection.post.cumulative), pre,
                         connection.layout, tuple(connection.variable.shape))


def task_row_factor(task_id: int, shape: tuple[int, ...]) -> tf.Tensor:
    """1 on row `task_id` of a (num_tasks, ...) variable, 0 elsewhere: other tasks' rows
    (their embeddings, their BatchNorm) never move."""
    row = tf.one_hot(task_id, shape[0])
    return tf.broadcast_to(tf.reshape(row, [-1] + [1] * (len(shape) - 1)), shape)


def conditioned_update(old: tf.Tensor, new: tf.Tensor, factor: tf.Tensor) -> tf.Tensor:
    """θ_old + factor ⊙ (θ_new − θ_old): the optimizer's step, scaled per weight."""
    return old + factor * (new - old)


def update_is_scaled_gradient(optimizer: keras.optimizers.Optimizer) -> bool:
    """Whether the optimizer's update is −lr·g with no state (plain SGD, no momentum, no
    weight decay: the paper's optimizer). Then factor ⊙ g yields exactly factor ⊙ update,
    the reference's gradient masking (docs/algorithm.md §5: under plain SGD "the two are the same"),
    for one multiplication instead of a copy of the weights and a second assignment. The
    global-norm clip then sees the conditioned gradient, as in the reference."""
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # mixed precision's wrapper
    return (type(optimizer) is keras.optimizers.SGD and not optimizer.momentum
            and not optimizer.weight_decay)
