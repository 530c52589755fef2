import numpy as np
import pytest

from hat_tf.hat.mask_learning import (
    clamped_share,
    embedding_moved,
    gate_values,
    mask_learning,
    switched_share,
)

S_MAX, CLIP = 400.0, 6.0
START = np.array([0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 0.1, -0.1])
# units 0 and 1 switch (on → off, off → on); 4 and 5 go to the clamp; the rest stay put
END = np.array([-0.5, 0.5, 1.0, -1.0, 6.0, -6.0, 0.1, -0.1])


def test_gate_values_are_the_sigmoid_without_overflow():
    np.testing.assert_allclose(gate_values(np.array([-1.0, 0.0, 0.5]), 2.0),
                               1 / (1 + np.exp(-np.array([-2.0, 0.0, 1.0]))))
    with np.errstate(over="raise"):
        np.testing.assert_array_equal(gate_values(np.array([-CLIP, CLIP]), S_MAX), [0.0, 1.0])


def test_moved_is_the_mean_absolute_change():
    assert embedding_moved(START, END) == pytest.approx((1 + 1 + 4 + 4) / 8)
    assert embedding_moved(START, START) == 0.0


def test_switched_counts_the_gates_that_crossed_one_half_both_ways():
    assert switched_share(START, END, S_MAX) == pytest.approx(2 / 8)
    # a move that keeps the sign keeps the gate: 0.1 → 6 stays on
    assert switched_share(np.array([0.1]), np.array([6.0]), S_MAX) == 0.0


def test_at_clamp_is_the_share_at_either_bound():
    assert clamped_share(END, CLIP) == pytest.approx(2 / 8)
    assert clamped_share(START, CLIP) == 0.0


def test_several_layers_count_every_unit_once():
    starts, ends = [START[:2], START[2:]], [END[:2], END[2:]]  # 2 units and 6
    record = mask_learning(starts, ends, S_MAX, CLIP)
    assert record == pytest.approx(mask_learning(START, END, S_MAX, CLIP))
    assert record["switched"] == pytest.approx(2 / 8)  # not the layers' mean, (1 + 0) / 2
