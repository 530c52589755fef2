"""TaskBatchNormalization: each example normalised by its own task's statistics and with
its own task's gamma and beta, in a training batch of several tasks (Joint's, Multitask's)
as in one of a single task (every continual method's), and at inference."""

import numpy as np
import pytest
import tensorflow as tf

from hat_tf.layers import TaskBatchNormalization

EPSILON = 1e-5
MOMENTUM = 0.9
GAMMA = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
BETA = np.array([[0.5, -0.5], [1.5, -1.5], [2.5, -2.5]], np.float32)


def three_task_norm() -> TaskBatchNormalization:
    norm = TaskBatchNormalization(num_tasks=3, momentum=MOMENTUM, epsilon=EPSILON)
    norm.build((None, 4, 4, 2))
    norm.gamma.assign(GAMMA)
    norm.beta.assign(BETA)
    return norm


def images(task_id: np.ndarray) -> np.ndarray:
    """A batch whose tasks have far apart statistics: task t's images N(4t, 1 + t)."""
    rng = np.random.default_rng(0)
    return np.stack([rng.normal(4.0 * t, 1.0 + t, (4, 4, 2)) for t in task_id]).astype(
        np.float32)


def normalised(x, mean, variance, task):
    return (x - mean) / np.sqrt(variance + EPSILON) * GAMMA[task] + BETA[task]


@pytest.mark.parametrize("task_id", [[0, 2, 0, 2, 2, 0, 2], [1, 1, 1, 1, 1]],
                         ids=["two tasks mixed", "one task"])
def test_training_normalises_each_task_by_its_own_examples_and_moves_only_its_slot(task_id):
    task_id = np.array(task_id, np.int32)
    x = images(task_id)
    norm = three_task_norm()

    outputs = norm(x, task_id, training=True).numpy()

    for task in range(3):
        rows = task_id == task
        if not rows.any():
            np.testing.assert_array_equal(norm.moving_mean.numpy()[task], 0.0)
            np.testing.assert_array_equal(norm.moving_variance.numpy()[task], 1.0)
            continue
        mean, variance = x[rows].mean((0, 1, 2)), x[rows].var((0, 1, 2))
        np.testing.assert_allclose(outputs[rows], normalised(x[rows], mean, variance, task),
                                   rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(norm.moving_mean.numpy()[task], (1 - MOMENTUM) * mean,
                                   rtol=1e-5)
        np.testing.assert_allclose(norm.moving_variance.numpy()[task],
                                   MOMENTUM + (1 - MOMENTUM) * variance, rtol=1e-5)


def test_inference_normalises_each_example_by_its_tasks_moving_statistics():
    task_id = np.array([2, 0, 1, 2], np.int32)
    x = images(task_id)
    norm = three_task_norm()
    moving_mean = np.array([[1.0, -1.0], [2.0, 0.0], [8.0, 9.0]], np.float32)
    moving_variance = np.array([[1.0, 4.0], [0.25, 1.0], [9.0, 2.0]], np.float32)
    norm.moving_mean.assign(moving_mean)
    norm.moving_variance.assign(moving_variance)

    outputs = norm(x, task_id, training=False).numpy()

    for row, task in enumerate(task_id):
        np.testing.assert_allclose(
            outputs[row], normalised(x[row], moving_mean[task], moving_variance[task], task),
            rtol=1e-5, atol=1e-5)


def test_each_tasks_gamma_and_beta_learn_from_its_own_examples_alone():
    task_id = np.array([0, 2, 0, 2, 2], np.int32)
    x = images(task_id)
    norm = three_task_norm()

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(norm(x, task_id, training=True))
    d_beta = tape.gradient(loss, norm.beta)

    # d(sum of outputs)/d beta[t] = the number of task t's outputs per channel: 16 a map.
    np.testing.assert_allclose(tf.convert_to_tensor(d_beta).numpy(),
                               [[2 * 16, 2 * 16], [0, 0], [3 * 16, 3 * 16]])
