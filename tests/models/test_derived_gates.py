"""Gates derived for sums and concatenations of gated tensors (models/derived_gates.py)."""

import numpy as np

from hat_tf.layers import TaskGate
from hat_tf.models.derived_gates import ConcatenatedGate, UnionGate, gate_measure


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


def test_any_unit_measure_is_derived_as_the_cumulative_attention_is():
    """gate_measure with a^{≤t} is `cumulative`; with another measure (AdaHAT's counts) a
    sum takes the summands' maximum and a part without a gate takes `ungated`."""
    first, second = gate_with([0.0, 1.0, 0.2]), gate_with([0.5, 0.0, 0.7])
    nested = ConcatenatedGate(((UnionGate((first, second)), 3), (None, 2)))
    np.testing.assert_array_equal(gate_measure(nested, lambda gate: gate.cumulative, 1.0),
                                  nested.cumulative)
    counts = {id(first): np.array([2.0, 0.0, 1.0], np.float32),
              id(second): np.array([0.0, 3.0, 1.0], np.float32)}
    np.testing.assert_array_equal(gate_measure(nested, lambda gate: counts[id(gate)], np.inf),
                                  [2.0, 3.0, 1.0, np.inf, np.inf])
