import numpy as np
import pytest

from hat_tf.hat.capacity import capacity_regulariser


def test_first_task_is_the_mean_gate_value():
    current = [np.array([0.2, 0.4], np.float32), np.array([1.0, 0.0, 0.6], np.float32)]
    previous = [np.zeros(2, np.float32), np.zeros(3, np.float32)]
    assert float(capacity_regulariser(current, previous)) == pytest.approx(2.2 / 5)


def test_units_used_by_earlier_tasks_cost_nothing():
    current = [np.array([0.5, 1.0, 0.25], np.float32), np.array([1.0, 1.0], np.float32)]
    previous = [np.array([1.0, 0.0, 0.5], np.float32), np.array([0.0, 0.75], np.float32)]
    # numerator: 0.5·0 + 1·1 + 0.25·0.5 + 1·1 + 1·0.25 = 2.375; denominator: 0+1+0.5+1+0.25
    assert float(capacity_regulariser(current, previous)) == pytest.approx(2.375 / 2.75)


def test_a_full_network_costs_zero_not_nan():
    full = [np.ones(3, np.float32)]
    assert float(capacity_regulariser(full, full)) == 0.0
