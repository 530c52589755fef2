import keras
import numpy as np

from hat_tf.hat.conditioning import (
    conditioned_update,
    task_row_factor,
    unit_pair_minimum,
    update_factor,
    update_is_scaled_gradient,
)

RNG = np.random.default_rng(0)


def loop_factor(post, pre, shape, channel_of_input):
    """1 − min(a_out[i], a_in[j]) by explicit loops over the kernel."""
    factor = np.empty(shape, np.float32)
    for index in np.ndindex(*shape):
        i, j = index[-1], channel_of_input(index[-2])
        factor[index] = 1 - min(post[i], pre[j])
    return factor


def test_dense_kernel():
    post, pre = RNG.random(4).astype(np.float32), RNG.random(3).astype(np.float32)
    expected = loop_factor(post, pre, (3, 4), lambda j: j)
    np.testing.assert_allclose(update_factor(post, pre, "dense", (3, 4)), expected)


def test_conv_kernel_broadcasts_per_channel_over_space():
    post, pre = RNG.random(5).astype(np.float32), RNG.random(2).astype(np.float32)
    expected = loop_factor(post, pre, (3, 3, 2, 5), lambda j: j)
    np.testing.assert_allclose(update_factor(post, pre, "conv", (3, 3, 2, 5)), expected)


def test_flatten_gives_each_input_the_gate_of_its_channel():
    channels, spatial = 3, 4  # a (2, 2, 3) feature map flattened channel-fastest
    post, pre = RNG.random(6).astype(np.float32), RNG.random(channels).astype(np.float32)
    expected = loop_factor(post, pre, (spatial * channels, 6), lambda j: j % channels)
    np.testing.assert_allclose(update_factor(post, pre, "flatten", (12, 6)), expected)


def test_depthwise_kernel_meets_its_input_channel_only():
    """Kernel (kh, kw, C, m): weight [·, ·, c, j] writes output c·m + j from input c."""
    channels, multiplier = 3, 2
    post = RNG.random(channels * multiplier).astype(np.float32)
    pre = RNG.random(channels).astype(np.float32)
    shape = (2, 2, channels, multiplier)
    expected = np.empty(shape, np.float32)
    for index in np.ndindex(*shape):
        c, j = index[-2:]
        expected[index] = 1 - min(post[c * multiplier + j], pre[c])
    np.testing.assert_allclose(update_factor(post, pre, "depthwise", shape), expected)
    image_fed = update_factor(post, None, "depthwise", shape)
    np.testing.assert_allclose(image_fed[0, 0], (1 - post).reshape(channels, multiplier))


def test_first_layer_and_biases_use_the_output_gate_alone():
    post = np.array([0.0, 0.25, 1.0], np.float32)
    np.testing.assert_allclose(update_factor(post, None, "conv", (2, 2, 3, 3))[0, 0, 0],
                               [1.0, 0.75, 0.0])
    np.testing.assert_allclose(update_factor(post, None, "per_output", (3,)), [1.0, 0.75, 0.0])


def test_task_rows_move_only_for_their_task():
    np.testing.assert_array_equal(task_row_factor(1, (3, 2)), [[0, 0], [1, 1], [0, 0]])


def test_update_is_scaled_by_the_factor():
    old, new = np.array([1.0, 1.0, 1.0]), np.array([3.0, 3.0, 3.0])
    np.testing.assert_allclose(conditioned_update(old, new, np.array([0.0, 0.5, 1.0])),
                               [1.0, 2.0, 3.0])


def test_only_plain_sgd_takes_the_gradient_path():
    assert update_is_scaled_gradient(keras.optimizers.SGD(0.05))
    assert update_is_scaled_gradient(
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.05)))
    assert not update_is_scaled_gradient(keras.optimizers.SGD(0.05, momentum=0.9))
    assert not update_is_scaled_gradient(keras.optimizers.SGD(0.05, weight_decay=1e-4))
    assert not update_is_scaled_gradient(keras.optimizers.Adam())


def test_the_minimum_of_any_unit_measure_is_expanded_as_the_gates_are():
    """unit_pair_minimum takes counts as well as a^{≤t} (AdaHAT's sums of binary masks):
    the factor of Eq. 2 is one minus it, and an input without a gate takes `ungated`."""
    post, pre = np.array([0.0, 2.0, 3.0], np.float32), np.array([1.0, 4.0], np.float32)
    np.testing.assert_array_equal(unit_pair_minimum(post, pre, "dense", (2, 3)),
                                  [[0.0, 1.0, 1.0], [0.0, 2.0, 3.0]])
    np.testing.assert_array_equal(unit_pair_minimum(post, None, "conv", (1, 1, 2, 3))[0, 0],
                                  [[0.0, 2.0, 3.0]] * 2)
    counts = np.array([1.0, 5.0, 0.0, 2.0], np.float32)
    np.testing.assert_array_equal(
        unit_pair_minimum(counts, None, "depthwise", (1, 1, 2, 2), ungated=np.inf)[0, 0],
        counts.reshape(2, 2))
    a_out, a_in = RNG.random(4).astype(np.float32), RNG.random(3).astype(np.float32)
    np.testing.assert_array_equal(update_factor(a_out, a_in, "dense", (3, 4)),
                                  1.0 - unit_pair_minimum(a_out, a_in, "dense", (3, 4)))
