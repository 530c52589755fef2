"""The layers of a hatified network that hold units: a gate site (models/gate_sites.py) as
Keras layers, with fresh weights of the user's layers' shapes."""

from __future__ import annotations

import keras
import tensorflow as tf

from hat_tf.layers import TaskGate
from hat_tf.models.gate_sites import ALWAYS, IN_TRAINING


class UnitChain(keras.layers.Layer):
    """conv/dense → [BatchNorm] → [activation]: a layer of units before its gate.

    Args:
        producer: The conv, depthwise conv or dense layer.
        norm: A TaskBatchNormalization or SharedBatchNormalization after it, or None.
        activation: The activation layer after them, or None.
    """

    def __init__(self, producer: keras.layers.Layer, norm: keras.layers.Layer | None,
                 activation: keras.layers.Layer | None, **kwargs):
        super().__init__(**kwargs)
        self.producer = producer
        self.norm = norm
        self.activation = activation

    def call(self, inputs, task_id, training=False, scale=None, gate=None, s=None):
        """The chain's output, times the gate's a^t where it is folded in: `scale`
        (TaskGate.channel_scale) into the BatchNorm, or without one, `gate` at scale `s`
        into the conv (TaskGate.folded_conv, the training batch's one task)."""
        if scale is not None and self.norm is None:
            h = self.producer.activation(gate.folded_conv(self.producer, inputs, task_id, s))
        else:
            h = self.producer(inputs)
        if self.norm is not None:
            h = self.norm(h, task_id=task_id, training=training, channel_scale=scale)
        return h if self.activation is None else self.activation(h)


class GatedUnits(keras.layers.Layer):
    """One gate and the units it guards: the chains, summed with the `passive` inputs where
    the model adds them, then the activation after the sum, then h' = a^t ⊙ h (paper Eq. 1).

    Args:
        chains: The UnitChains whose outputs the gate guards.
        activation: The activation after the sum, or None.
        gate: The TaskGate; None in a network without gates.
        fold: Where the gate is folded into the weights (gate_sites.Site.fold).
        rank: Rank of the output, batch included.
    """

    def __init__(self, chains: list[UnitChain], activation: keras.layers.Layer | None,
                 gate: TaskGate | None, fold: str, rank: int, **kwargs):
        super().__init__(**kwargs)
        self.chains = chains
        self.activation = activation
        self.gate = gate
        self.fold = fold
        self.rank = rank

    def call(self, inputs, task_id, s, training=False):
        """`inputs`: each chain's input, then the passive ones."""
        folded = self.gate is not None and (
            self.fold == ALWAYS or (self.fold == IN_TRAINING and training))
        scale = self.gate.channel_scale(task_id, s, self.rank, training) if folded else None
        count = len(self.chains)
        terms = [chain(x, task_id=task_id, training=training, scale=scale, gate=self.gate,
                       s=s) for chain, x in zip(self.chains, inputs[:count])]
        terms += [x if scale is None else x * tf.cast(scale, x.dtype) for x in inputs[count:]]
        h = terms[0] if len(terms) == 1 else tf.add_n(terms)
        if self.activation is not None:
            h = self.activation(h)
        if self.gate is None or folded:
            return h
        return self.gate(h, task_id=task_id, s=s, training=training)
