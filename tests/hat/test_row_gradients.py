"""Sparse gradients of gathered tables: rows summed once, scaled row by row."""

import numpy as np
import tensorflow as tf
from keras.src.optimizers.base_optimizer import global_norm

from hat_tf.hat.row_gradients import scaled, summed_rows

# Row 1 twice (the gate's forward pass and R both gather the task's row), row 2 once.
REPEATED = tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
                            tf.constant([1, 1, 2]), tf.constant([4, 2]))


def test_summed_rows_is_the_same_gradient_with_each_row_once():
    summed = summed_rows(REPEATED)
    np.testing.assert_array_equal(tf.convert_to_tensor(summed), tf.convert_to_tensor(REPEATED))
    assert sorted(summed.indices.numpy()) == [1, 2]
    # What Keras' global-norm clip sees: the dense gradient's norm, not the rows' one.
    np.testing.assert_allclose(global_norm([summed]),
                               tf.norm(tf.convert_to_tensor(REPEATED)), rtol=1e-6)


def test_scaled_sparse_rows_match_the_dense_product():
    table = tf.reshape(tf.range(8, dtype=tf.float32), [4, 2])
    for factor in (tf.identity, tf.cosh):
        sparse = tf.convert_to_tensor(scaled(REPEATED, table, factor))
        dense = scaled(tf.convert_to_tensor(REPEATED), table, factor)
        np.testing.assert_allclose(sparse, dense, rtol=1e-6)
