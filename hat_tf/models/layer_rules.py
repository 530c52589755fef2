"""What hatify knows of each Keras layer: which produce units, and how the others carry the
gates of the units they read (docs/algorithm.md §2, §5).

A gate a ≥ 0 on a unit passes through a layer that treats each channel alone and keeps a
zero a zero (pooling, dropout, padding, ReLU): the units after it are guarded by the gate
before it. Any layer hatify does not know is refused with one line that names it.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from hat_tf.models.derived_gates import ConcatenatedGate, UnionGate
from hat_tf.models.layer_graph import LayerCall, LayerGraph, refusal
from hat_tf.models.topology import GateSource

# Layers whose outputs are units, each with its own gate (paper Eq. 1).
PRODUCERS = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)
ACTIVATION_LAYERS = (keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU,
                     keras.layers.ELU)
# Layers that act on each channel alone, keep a zero a zero and commute with a scale a ≥ 0.
CHANNELWISE = (keras.layers.Dropout, keras.layers.SpatialDropout2D,
               keras.layers.GaussianDropout, keras.layers.MaxPooling2D,
               keras.layers.AveragePooling2D, keras.layers.GlobalAveragePooling2D,
               keras.layers.GlobalMaxPooling2D, keras.layers.ZeroPadding2D,
               keras.layers.Cropping2D, keras.layers.UpSampling2D, keras.layers.Identity)

# Keras activations by name (keras.activations.serialize): f(a·x) = a·f(x) for a ≥ 0, so a
# gate folds through them into the weights before; f(0) = 0, so a closed unit stays closed.
HOMOGENEOUS = frozenset({"linear", "relu", "leaky_relu"})
KEEPS_ZERO = HOMOGENEOUS | {"relu6", "elu", "selu", "tanh", "silu", "gelu", "hard_silu",
                            "mish", "softsign"}
ELEMENTWISE = KEEPS_ZERO | {"sigmoid", "hard_sigmoid", "softplus", "exponential"}


@dataclass(frozen=True)
class ActivationKind:
    """What an activation does to a gate before it.

    Attributes:
        name: Keras' name of the function (a ReLU layer's variant spelled out).
        elementwise: Each unit's output depends on that unit alone (not softmax).
        keeps_zero: f(0) = 0.
        homogeneous: f(a·x) = a·f(x) for every a ≥ 0.
    """

    name: str
    elementwise: bool
    keeps_zero: bool
    homogeneous: bool


def activation_kind(layer: keras.layers.Layer) -> ActivationKind:
    """The kind of an activation layer, or of the `activation` of a conv or dense layer."""
    if isinstance(layer, keras.layers.ReLU):
        return _relu_kind(layer)
    if isinstance(layer, keras.layers.LeakyReLU):
        name = "leaky_relu"
    elif isinstance(layer, keras.layers.ELU):
        name = "elu"
    else:
        name = keras.activations.serialize(layer.activation)
        name = name if isinstance(name, str) else "a custom function"
    return ActivationKind(name, name in ELEMENTWISE, name in KEEPS_ZERO, name in HOMOGENEOUS)


def _relu_kind(layer: keras.layers.ReLU) -> ActivationKind:
    """keras.layers.ReLU: max(x, 0) and its leaky, capped (ReLU6) and thresholded variants."""
    plain = layer.threshold == 0 and layer.max_value is None
    capped_at_6 = layer.threshold == 0 and layer.negative_slope == 0 and layer.max_value == 6
    name = ("leaky_relu" if layer.negative_slope else "relu") if plain else (
        "relu6" if capped_at_6 else "a thresholded or capped relu")
    keeps_zero = layer.threshold <= 0 or layer.negative_slope == 0
    return ActivationKind(name, True, keeps_zero, plain)


@dataclass(frozen=True)
class UnitGates:
    """What guards the units of a tensor.

    Attributes:
        gate: Their gate (a TaskGate or a derived one); None for the image and in a network
            without gates (all units in use).
        flattened: The tensor is a conv's feature map flattened: each feature carries the
            gate of its channel (docs/algorithm.md §5).
    """

    gate: GateSource | None
    flattened: bool = False


def kernel_layout(producer: keras.layers.Layer, inputs: UnitGates) -> str:
    """How the gates expand to the kernel of a unit-producing layer (topology.LAYOUTS)."""
    if isinstance(producer, keras.layers.DepthwiseConv2D):
        return "depthwise"
    if isinstance(producer, keras.layers.Conv2D):
        return "conv"
    return "flatten" if inputs.flattened else "dense"


def check_producer(call: LayerCall) -> None:
    """Refuses a conv or dense layer whose weights the layouts do not describe."""
    layer = call.layer
    if type(layer) not in PRODUCERS:
        raise refusal(layer, "a subclass of a Keras layer may compute anything")
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise refusal(layer, "channels_first: hatify gates the last axis (channels_last)")
    if getattr(layer, "groups", 1) != 1:
        raise refusal(layer, "a grouped convolution")
    kind = activation_kind(layer)
    if not kind.elementwise:
        raise refusal(layer, f"its activation {kind.name} is not element-wise")


def check_norm(call: LayerCall, graph: LayerGraph) -> None:
    """Refuses a BatchNormalization over another axis than the channels."""
    rank = len(graph.shapes[call.output])
    if call.layer.axis not in (-1, rank):
        raise refusal(call.layer, f"normalises axis {call.layer.axis}, not the channels")


def carried_gates(call: LayerCall, inputs: list[UnitGates], graph: LayerGraph) -> UnitGates:
    """The gates of the units a layer without units of its own writes, from those it reads.

    Raises:
        UnsupportedModelError: For a layer hatify does not know, or one that would let the
            units a gate closed carry values on.
    """
    layer = call.layer
    if isinstance(layer, ACTIVATION_LAYERS):
        return _activation(layer, inputs[0])
    if type(layer) in CHANNELWISE:
        return inputs[0]
    if type(layer) is keras.layers.Flatten:
        return UnitGates(inputs[0].gate, flattened=len(graph.shapes[call.inputs[0]]) > 1
                         or inputs[0].flattened)
    if type(layer) is keras.layers.Add:
        return _sum(layer, inputs)
    if type(layer) is keras.layers.Concatenate:
        return _concatenation(call, inputs, graph)
    if type(layer) is keras.layers.Rescaling:
        return _rescaling(layer, inputs[0])
    if isinstance(layer, keras.layers.BatchNormalization):
        raise refusal(layer, "it does not follow a Conv2D, DepthwiseConv2D or Dense layer "
                             "directly: hatify gates units after conv/dense → BatchNorm → "
                             "activation, and a BatchNorm elsewhere shifts closed units")
    raise refusal(layer, "hatify does not know how it treats the gated units it reads")


def _activation(layer: keras.layers.Layer, inputs: UnitGates) -> UnitGates:
    kind = activation_kind(layer)
    if not kind.elementwise:
        raise refusal(layer, f"{kind.name} is not element-wise")
    if inputs.gate is not None and not kind.keeps_zero:
        raise refusal(layer, f"{kind.name}(0) ≠ 0 would open the units a gate before it "
                             "closed: put it straight after a conv, dense or BatchNorm layer")
    return inputs


def _sum(layer: keras.layers.Layer, inputs: list[UnitGates]) -> UnitGates:
    """A unit of a sum is in use where it is in any summand (UnionGate); the image is
    in use everywhere."""
    if len({part.flattened for part in inputs}) > 1:
        raise refusal(layer, "adds a flattened feature map to a tensor that is not")
    gates = [part.gate for part in inputs]
    if any(gate is None for gate in gates):
        return UnitGates(None, inputs[0].flattened)
    unique = list({id(gate): gate for gate in gates}.values())
    if len({gate.units for gate in unique}) > 1:
        raise refusal(layer, "adds flattened maps of different channel counts")
    return UnitGates(unique[0] if len(unique) == 1 else UnionGate(tuple(unique)),
                     inputs[0].flattened)


def _concatenation(call: LayerCall, inputs: list[UnitGates], graph: LayerGraph) -> UnitGates:
    """The parts' gates side by side (ConcatenatedGate), along the channels only."""
    layer = call.layer
    if layer.axis not in (-1, len(graph.shapes[call.output])):
        raise refusal(layer, f"concatenates axis {layer.axis}: hatify gates the channels, "
                             "the last axis")
    if any(part.flattened for part in inputs):
        raise refusal(layer, "concatenates flattened feature maps")
    if all(part.gate is None for part in inputs):
        return UnitGates(None)
    return UnitGates(ConcatenatedGate(tuple(
        (part.gate, graph.shapes[key][-1]) for part, key in zip(inputs, call.inputs))))


def _rescaling(layer: keras.layers.Rescaling, inputs: UnitGates) -> UnitGates:
    """x·scale + offset: a scale keeps a zero a zero; an offset on gated units would not."""
    if inputs.gate is not None and np.any(np.asarray(layer.offset) != 0):
        raise refusal(layer, "its offset would open the units a gate before it closed: "
                             "rescale the image only")
    return inputs
