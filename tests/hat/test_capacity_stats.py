import numpy as np
import pytest

from hat_tf.hat.capacity_stats import capacity_used, newly_over, reuse_matrix, used_units


def test_a_unit_is_used_above_one_half():
    np.testing.assert_array_equal(used_units(np.array([0.0, 0.5, 0.51, 1.0])),
                                  [False, False, True, True])


def test_capacity_is_the_fraction_of_used_units():
    assert capacity_used(np.array([0.9, 0.1, 1.0, 0.0])) == 0.5
    assert capacity_used(np.zeros(3)) == 0.0


def test_capacity_of_several_layers_counts_every_unit_once():
    layers = [np.array([1.0]), np.array([0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0])]
    assert capacity_used(layers) == pytest.approx(2 / 8)  # not the layers' mean, (1 + 1/7)/2


def test_capacity_of_no_units_is_refused():
    with pytest.raises(ValueError, match="received no units"):
        capacity_used(np.zeros(0))


def test_reuse_is_the_share_of_the_later_mask_inside_the_earlier():
    task_attention = np.array([
        [1, 1, 1, 1, 0, 0, 0, 0],  # task 0: units 0-3
        [0, 0, 1, 1, 1, 1, 0, 0],  # task 1: units 2-5, half of them task 0's
        [1, 0, 0, 0, 0, 0, 0, 1],  # task 2: units 0 and 7
    ], np.float32)
    reuse = reuse_matrix(task_attention)
    np.testing.assert_allclose(reuse, [
        [1.0, 2 / 4, 1 / 2],
        [2 / 4, 1.0, 0.0],
        [1 / 4, 0.0, 1.0],
    ])


def test_reuse_of_an_empty_mask_is_undefined():
    reuse = reuse_matrix(np.array([[0.9, 0.8], [0.1, 0.2]]))
    assert reuse[0, 0] == 1.0 and reuse[1, 0] == 0.0
    assert np.isnan(reuse[:, 1]).all()


def test_reuse_wants_tasks_by_units():
    with pytest.raises(ValueError, match=r"received shape \(3,\)"):
        reuse_matrix(np.ones(3))


def test_newly_over_names_the_layers_that_just_passed_the_threshold():
    before = {"conv1": 0.95, "conv2": 0.5, "fc1": 0.9}
    after = {"conv1": 0.97, "conv2": 0.92, "fc1": 0.9, "fc2": 0.91}
    assert newly_over(before, after, 0.9) == ["conv2", "fc2"]
