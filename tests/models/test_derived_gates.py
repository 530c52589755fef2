"""Gates derived for sums and concatenations of gated tensors (models/derived_gates.py)."""

import numpy as np

from hat_tf.layers import TaskGate
from hat_tf.models.derived_gates import ConcatenatedGate, UnionGate


def gate_with(cumulative):
    gate = TaskGate(num_tasks=2, units=len(cumulative))
    gate.build()
    gate.cumulative.assign(np.asarray(cumulative, np.float32))
    return gate


def test_a_sum_uses_a_unit_where_any_summand_does():
    first, second = gate_with([0.0, 1.0, 0.2]), gate_with([0.5, 0.0, 0.7])
    union = UnionGate((first, second))
    assert union.units == 3
    np.testing.assert_allclose(union.cumulative, [0.5, 1.0, 0.7])
    nested = UnionGate((union, gate_with([0.9, 0.0, 0.0])))
    np.testing.assert_allclose(nested.cumulative, [0.9, 1.0, 0.7])


def test_a_concatenation_puts_the_gates_side_by_side_and_the_image_in_use():
    gated = gate_with([0.0, 0.3])
    concatenated = ConcatenatedGate(((gated, 2), (None, 3)))
    assert concatenated.units == 5
    np.testing.assert_allclose(concatenated.cumulative, [0.0, 0.3, 1.0, 1.0, 1.0])
