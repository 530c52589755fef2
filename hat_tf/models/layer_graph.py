"""A Keras Functional or Sequential model read as a list of layer calls, inputs first.

hatify derives a task network from this list: which layers produce units, which tensors
they read, which gates reach which weights. Keras 3 has no public accessor for the call of a
layer inside a model, so the graph is walked the way Keras' own `Function` does: from the
model's outputs back through each tensor's `_keras_history` to the node (`Node`) that made
it, and on through the node's input tensors.
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
    calls, seen = [], {}
    _visit(outputs[0], calls, seen)
    shapes = {id(tensor): tuple(tensor.shape[1:]) for tensor in seen.values()}
    return LayerGraph(calls, id(inputs[0]), id(outputs[0]), shapes)


def _visit(tensor, calls: list[LayerCall], seen: dict) -> None:
    """Adds the calls that `tensor` depends on, then the one that writes it (depth first)."""
    if id(tensor) in seen:
        return
    seen[id(tensor)] = tensor
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
        _visit(parent, calls, seen)
    if any(call.layer is layer for call in calls):
        raise refusal(layer, "called twice in the model: a shared layer has one set of "
                             "weights for two sets of units, and no one gate")
    calls.append(LayerCall(layer, tuple(id(t) for t in node.input_tensors), id(tensor)))
