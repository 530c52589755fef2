"""A Keras Functional or Sequential model read as a list of layer calls, inputs first.

hatify derives a task network from this list: which layers produce units, which tensors
they read, which gates reach which weights. Keras 3 has no public accessor for the call of a
layer inside a model, so the graph is walked the way Keras' own `Function` does: from the
model's outputs back through each tensor's `_keras_history` to the node (`Node`) that made
it, and on through the node's input tensors. A SeparableConv2D is read as the two
convolutions it computes, so that its depthwise outputs get a gate of their own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import keras


class UnsupportedModelError(ValueError):
    """A model, or one of its layers, that hatify cannot derive a gated network from."""


def refusal(layer: keras.layers.Layer, reason: str) -> UnsupportedModelError:
    """The one-line error for a layer: its name, its class and why."""
    return UnsupportedModelError(
        f"hatify cannot gate layer {layer.name!r} ({type(layer).__name__}): {reason}")


@dataclass(frozen=True)
class LayerCall:
    """One layer applied once: the tensors it reads and the tensor it writes, by key.

    Attributes:
        layer: The model's layer (hatify reads its class and config, never its weights).
        inputs: Keys of the tensors it reads, in the call's order.
        output: Key of the tensor it writes.
    """

    layer: keras.layers.Layer
    inputs: tuple[int, ...]
    output: int


@dataclass
class LayerGraph:
    """A model's layer calls in an order where every tensor is written before it is read.

    Attributes:
        calls: The calls, inputs first.
        input: Key of the model's input tensor (the image).
        output: Key of the model's output tensor (the features).
        shapes: Per key, the tensor's shape without the batch axis.
    """

    calls: list[LayerCall]
    input: int
    output: int
    shapes: dict[int, tuple]
    _readers: dict[int, list[LayerCall]] = field(default_factory=dict)

    def __post_init__(self):
        readers = defaultdict(list)
        for call in self.calls:
            for key in call.inputs:
                readers[key].append(call)
        self._readers = dict(readers)

    def sole_reader(self, key: int) -> LayerCall | None:
        """The one call that reads tensor `key`; None where several do, or none, or where it
        is the model's output (its features are read by the heads)."""
        readers = self._readers.get(key, [])
        return readers[0] if len(readers) == 1 and key != self.output else None


def read_layer_graph(model: keras.Model) -> LayerGraph:
    """The layer calls of a Functional or Sequential `model` with one input and one output.

    Raises:
        UnsupportedModelError: For a model of another kind (subclassed, not built on a
            `keras.Input`), several inputs or outputs, a nested model, or a layer called
            more than once (shared weights).
    """
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        inputs = outputs = None
    if not inputs or not outputs:
        raise UnsupportedModelError(
            f"hatify needs a Functional or Sequential model that starts with a keras.Input; "
            f"received {model.name!r} ({type(model).__name__})")
    if len(inputs) != 1 or len(outputs) != 1:
        raise UnsupportedModelError(
            f"hatify needs a model with one input (the image) and one output (the "
            f"features); received {model.name!r} with {len(inputs)} and {len(outputs)}")
    calls, shapes = [], {}
    _visit(outputs[0], calls, shapes, set())
    return LayerGraph(calls, id(inputs[0]), id(outputs[0]), shapes)


def _visit(tensor, calls: list[LayerCall], shapes: dict[int, tuple], layers: set[int]) -> None:
    """Adds the calls that `tensor` depends on, then the one that writes it (depth first);
    `shapes` holds the tensors seen, `layers` the ids of the layers called."""
    if id(tensor) in shapes:
        return
    shapes[id(tensor)] = tuple(tensor.shape[1:])
    layer, node_index, _ = tensor._keras_history
    if isinstance(layer, keras.layers.InputLayer):
        return
    if isinstance(layer, keras.Model):
        raise refusal(layer, "a model inside the model: build the features as one flat "
                             "Functional or Sequential model")
    node = layer._inbound_nodes[node_index]
    if len(node.outputs) != 1:
        raise refusal(layer, "a layer with several outputs")
    for parent in node.input_tensors:
        _visit(parent, calls, shapes, layers)
    if id(layer) in layers:
        raise refusal(layer, "called twice in the model: a shared layer has one set of "
                             "weights for two sets of units, and no one gate")
    layers.add(id(layer))
    calls += _calls(layer, node, tensor, shapes)


def _calls(layer, node, tensor, shapes: dict[int, tuple]) -> list[LayerCall]:
    """The call of `layer` (at `node`) that wrote `tensor`; a SeparableConv2D's as the calls
    of its two parts, the depthwise output keyed by the depthwise layer's id."""
    inputs = tuple(id(t) for t in node.input_tensors)
    if type(layer) is not keras.layers.SeparableConv2D:
        return [LayerCall(layer, inputs, id(tensor))]
    depthwise, pointwise = separable_parts(layer)
    shapes[id(depthwise)] = (*shapes[id(tensor)][:-1],
                             node.input_tensors[0].shape[-1] * layer.depth_multiplier)
    return [LayerCall(depthwise, inputs, id(depthwise)),
            LayerCall(pointwise, (id(depthwise),), id(tensor))]


def separable_parts(layer: keras.layers.SeparableConv2D) -> tuple[keras.layers.Layer, ...]:
    """A SeparableConv2D as the two convolutions it computes (tf.nn.separable_conv2d): a
    DepthwiseConv2D with its strides and dilation, then a 1×1 Conv2D with its bias and
    activation. Read so, the depthwise outputs are units with a gate of their own, and
    each kernel's factor meets the gates of the units it joins (paper Eq. 2)."""
    config = layer.get_config()
    depthwise = keras.layers.DepthwiseConv2D(
        config["kernel_size"], strides=config["strides"], padding=config["padding"],
        depth_multiplier=config["depth_multiplier"], data_format=config["data_format"],
        dilation_rate=config["dilation_rate"], use_bias=False,
        depthwise_initializer=config["depthwise_initializer"],
        depthwise_regularizer=config["depthwise_regularizer"],
        depthwise_constraint=config["depthwise_constraint"], name=f"{layer.name}_depthwise")
    pointwise = keras.layers.Conv2D(
        config["filters"], 1, data_format=config["data_format"],
        activation=config["activation"], use_bias=config["use_bias"],
        kernel_initializer=config["pointwise_initializer"],
        bias_initializer=config["bias_initializer"],
        kernel_regularizer=config["pointwise_regularizer"],
        bias_regularizer=config["bias_regularizer"],
        activity_regularizer=config["activity_regularizer"],
        kernel_constraint=config["pointwise_constraint"],
        bias_constraint=config["bias_constraint"], name=f"{layer.name}_pointwise")
    return depthwise, pointwise
