"""Gates derived from others, for tensors whose units several gated layers write.

A weight's input gate is the gate of the units that feed it (paper Eq. 2). Where those units
are a sum of gated tensors (keras.layers.Add with no layer of units to gate the sum) or a
concatenation of them, no TaskGate guards them directly: their cumulative attention a^{≤t}
is derived from the gates of the parts. A derived gate has no embedding of its own and adds
no units to the capacity regulariser (paper Eq. 5): only real gates are units there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

from hat_tf.models.topology import GateSource


@dataclass(frozen=True)
class UnionGate:
    """The units of a sum of gated tensors: a unit is in use by a task if it is in use in
    any summand, a^{≤t} = max over the summands (element-wise).

    Attributes:
        sources: The gates of the summands, all of one size.
    """

    sources: tuple[GateSource, ...]

    @property
    def units(self) -> int:
        return self.sources[0].units

    @property
    def cumulative(self) -> tf.Tensor:
        return tf.reduce_max(tf.stack([tf.convert_to_tensor(source.cumulative)
                                       for source in self.sources]), axis=0)


@dataclass(frozen=True)
class ConcatenatedGate:
    """The units of a concatenation along the channels: the parts' gates side by side. A
    part without a gate (the image) has all its units in use.

    Attributes:
        parts: (gate or None, units) of each part, in the concatenation's order.
    """

    parts: tuple[tuple[GateSource | None, int], ...]

    @property
    def units(self) -> int:
        return sum(units for _, units in self.parts)

    @property
    def cumulative(self) -> tf.Tensor:
        return tf.concat([tf.ones([units]) if source is None
                          else tf.convert_to_tensor(source.cumulative)
                          for source, units in self.parts], axis=0)


def gate_measure(source: GateSource, measure: Callable[[GateSource], tf.Tensor],
                 ungated: float) -> tf.Tensor:
    """A per-unit measure of the units `source` guards, (units,): `measure(gate)` of a gate,
    derived as `cumulative` is where the gate is derived (a sum's units: the summands'
    maximum; a concatenation's: its parts' side by side, `ungated` for a part without a
    gate). With a^{≤t} as the measure and 1 as `ungated` it is `source.cumulative`; AdaHAT
    measures the units by the sum of earlier tasks' binary masks instead."""
    if isinstance(source, UnionGate):
        return tf.reduce_max(tf.stack([gate_measure(s, measure, ungated)
                                       for s in source.sources]), axis=0)
    if isinstance(source, ConcatenatedGate):
        return tf.concat([tf.fill([units], ungated) if part is None
                          else gate_measure(part, measure, ungated)
                          for part, units in source.parts], axis=0)
    return tf.convert_to_tensor(measure(source))
