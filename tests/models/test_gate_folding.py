"""ResNet18 folds its HAT gates into the BatchNorms' gamma and beta (channel_scale): for
a ≥ 0 that must equal gating the ReLU's output, in training and at inference."""

import numpy as np
import pytest
import tensorflow as tf

from hat_tf.layers import SharedBatchNormalization, TaskBatchNormalization

RNG = np.random.default_rng(0)
INPUTS = RNG.normal(1.0, 2.0, (4, 5, 5, 6)).astype(np.float32)


def randomized(norm):
    norm.build(INPUTS.shape)
    for table in (norm.gamma, norm.beta):
        table.assign(RNG.normal(size=table.shape).astype(np.float32))
    return norm


@pytest.mark.parametrize("make_norm", [lambda: TaskBatchNormalization(3),
                                       SharedBatchNormalization])
@pytest.mark.parametrize("training, task_id", [(True, [2, 2, 2, 2]), (False, [0, 2, 1, 1])])
def test_scaled_batchnorm_equals_the_gated_relu(make_norm, training, task_id):
    norm = randomized(make_norm())
    task_id = tf.constant(task_id)
    rows = 1 if training else len(task_id)  # a training batch holds one task
    gate = RNG.uniform(size=(rows, 1, 1, 6)).astype(np.float32)
    gate[..., 0] = 0.0  # a closed unit

    folded = tf.nn.relu(norm(INPUTS, task_id=task_id, training=training,
                             channel_scale=gate)).numpy()
    gated = tf.nn.relu(norm(INPUTS, task_id=task_id, training=training)) * gate

    np.testing.assert_allclose(folded, gated, rtol=1e-5, atol=1e-6)
    assert np.count_nonzero(folded) > folded.size // 4  # not trivially all zero
