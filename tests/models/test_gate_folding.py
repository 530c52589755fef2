"""Gates folded into the weights before them must gate as the gate itself does (a ≥ 0):
ResNet18's into the BatchNorms' gamma and beta (channel_scale), in training and at
inference; AlexNet's into the convs' kernel and bias (folded_conv), in training."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from hat_tf.layers import SharedBatchNormalization, TaskBatchNormalization, TaskGate

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


def gated_stage(conv, gate, images, task_id, s, folded):
    """AlexNet's conv → ReLU → max-pool → gate, with the gate folded into the conv or not."""
    pool = keras.layers.MaxPooling2D(2)
    if folded:
        return pool(tf.nn.relu(gate.folded_conv(conv, images, task_id, s)))
    return gate(pool(tf.nn.relu(conv(images))), task_id=task_id, s=s, training=True)


def test_gate_folded_into_a_conv_equals_the_gated_stage_and_its_gradients():
    """AlexNet folds its conv gates into the kernel and bias in training (folded_conv):
    the outputs and the gradients of kernel, bias and embedding must be the unfolded ones."""
    images = tf.constant(RNG.normal(size=(4, 9, 9, 3)).astype(np.float32))
    conv = keras.layers.Conv2D(6, 3, bias_initializer="random_normal")
    conv.build(images.shape)
    gate = TaskGate(num_tasks=3, units=6)
    gate.build()
    gate.embedding.assign(RNG.normal(size=(3, 6)).astype(np.float32))
    gate.embedding[2, 0].assign(-6.0)  # a closed unit
    task_id, s = tf.constant([2, 2, 2, 2]), tf.constant(1.5)

    results = []
    for folded in (True, False):
        with tf.GradientTape() as tape:
            outputs = gated_stage(conv, gate, images, task_id, s, folded)
            loss = tf.reduce_sum(outputs * tf.range(outputs.shape[-1], dtype=tf.float32))
        gradients = tape.gradient(loss, [conv.kernel, conv.bias, gate.embedding])
        results.append([outputs] + [tf.convert_to_tensor(g) for g in gradients])

    for folded, unfolded in zip(*results):
        # Folding reorders float32 sums: allow rounding relative to the tensor's scale.
        scale = np.abs(unfolded).max()
        np.testing.assert_allclose(folded, unfolded, rtol=1e-5, atol=1e-5 * scale)
    assert np.count_nonzero(results[0][0]) > results[0][0].numpy().size // 4
    assert np.abs(results[0][3][2]).sum() > 0  # the task's embedding row learns


def test_folded_conv_of_an_empty_replica_share_is_empty():
    conv = keras.layers.Conv2D(6, 3)
    gate = TaskGate(num_tasks=3, units=6)
    outputs = gate.folded_conv(conv, tf.zeros((0, 9, 9, 3)), tf.zeros((0,), tf.int32), 400.0)
    assert outputs.shape == (0, 7, 7, 6)
