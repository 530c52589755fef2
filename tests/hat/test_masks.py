import numpy as np

from hat_tf.hat.masks import cumulative_max, update_cumulative_masks
from hat_tf.layers import TaskGate


def test_cumulative_max_is_element_wise():
    previous = np.array([0.0, 0.9, 0.3], np.float32)
    current = np.array([0.5, 0.1, 0.3], np.float32)
    np.testing.assert_array_equal(cumulative_max(previous, current),
                                  np.array([0.5, 0.9, 0.3], np.float32))


def test_update_folds_each_task_at_s_max_into_the_gate():
    gate = TaskGate(num_tasks=2, units=3)
    gate.build()
    gate.embedding.assign([[1.0, -1.0, 0.001], [-1.0, 1.0, -1.0]])
    update_cumulative_masks([gate], 0, s_max=400.0)
    np.testing.assert_allclose(gate.cumulative, 1 / (1 + np.exp(-400 * np.array([1, -1, 0.001]))),
                               rtol=1e-6, atol=1e-7)
    update_cumulative_masks([gate], 1, s_max=400.0)
    np.testing.assert_allclose(gate.cumulative, [1.0, 1.0, 1 / (1 + np.exp(-0.4))],
                               rtol=1e-6, atol=1e-7)
