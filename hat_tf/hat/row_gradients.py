"""Gradients of gathered tables (the gate embeddings, per-task BatchNorm), kept to their
rows: a step touches the rows of its batch's task, whatever the number of tasks."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


def summed_rows(gradient: tf.IndexedSlices) -> tf.IndexedSlices:
    """The same gradient with one row per index, repeated indices' rows summed.

    The gate's forward pass and the regulariser R both gather the task's embedding row;
    Keras' global-norm clip would count the two rows as two gradients.
    """
    indices, positions = tf.unique(gradient.indices)
    values = tf.math.unsorted_segment_sum(gradient.values, positions, tf.size(indices))
    return tf.IndexedSlices(values, indices, gradient.dense_shape)


def scaled(gradient, table, factor: Callable[[tf.Tensor], tf.Tensor] = tf.identity):
    """gradient ⊙ factor(table), element-wise, with the factor computed only on the rows
    a sparse gradient has.

    Args:
        gradient: A dense gradient, or tf.IndexedSlices of the table's rows.
        table: A tensor or variable of the gradient's dense shape.
        factor: An element-wise function of the table (default: the table itself).
    """
    if isinstance(gradient, tf.IndexedSlices):
        rows = factor(tf.gather(table, gradient.indices))
        return tf.IndexedSlices(rows * gradient.values, gradient.indices, gradient.dense_shape)
    return factor(tf.convert_to_tensor(table)) * gradient
