"""HAT for any Keras feature extractor: `hatify` derives a task network from the model's
layer graph, with a gate after every layer of units and the GateGraph that wires them.

The user's model is read, not changed: each of its layers is rebuilt from its config
(fresh weights, the same shapes), its BatchNorms become per-task ones (or shared ones),
and the gates go where models/gate_sites.py puts them. A weight's input gate is the gate of
the units that feed it, carried through the layers between (models/layer_rules.py): it is
derived from the model, not written by hand as for AlexNet and ResNet18.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from hat_tf.layers import Norms, TaskGate
from hat_tf.models.building import built
from hat_tf.models.gate_sites import Chain, Site, plan_sites
from hat_tf.models.gated_units import GatedUnits, UnitChain
from hat_tf.models.layer_graph import (
    LayerCall,
    LayerGraph,
    UnsupportedModelError,
    read_layer_graph,
)
from hat_tf.models.layer_rules import UnitGates, carried_gates, kernel_layout
from hat_tf.models.network import TaskNetwork
from hat_tf.models.topology import GateGraph


def rebuilt(call: LayerCall | None) -> keras.layers.Layer | None:
    """A new layer of the called layer's class and config, unbuilt, in the run's dtype
    policy (None for no call)."""
    if call is None:
        return None
    return type(call.layer).from_config({**call.layer.get_config(), "dtype": None})


@keras.saving.register_keras_serializable("hat_tf")
class HatifiedNetwork(TaskNetwork):
    """A Keras feature extractor (image → features) with HAT gates, per-task BatchNorm and
    one head per task. Build it with `hatify`.

    Call like AlexNet: `{"image": raw NHWC pixels, "task_id": int32 (batch,)}`, the gate
    scale `s` (None: s_max) and `all_heads` for every head's logits.

    Args:
        features: A Functional or Sequential model from images to (batch, features).
        classes_per_task: Classes of each task's head.
        gated: Add HAT gates; without, the same network plain (its trunk shared).
        per_task_norm: Every BatchNorm per task (TaskBatchNormalization); else one shared.
        s_max: Gate scale at evaluation.
        embedding_clip: Bound of the gate embeddings.
        channel_mean: Per-channel mean of the raw pixels, for input normalisation
            (default 0: none).
        channel_std: Per-channel standard deviation of the raw pixels (default 1).

    Raises:
        UnsupportedModelError: One line naming the first layer hatify cannot reason about.
    """

    def __init__(
        self,
        features: keras.Model,
        classes_per_task: Sequence[int],
        gated: bool = True,
        per_task_norm: bool = True,
        s_max: float = 400.0,
        embedding_clip: float = 6.0,
        channel_mean: Sequence[float] | None = None,
        channel_std: Sequence[float] | None = None,
        name: str | None = None,
        **kwargs,
    ):
        graph = read_layer_graph(features)
        _check_ends(features, graph)
        channels = graph.shapes[graph.input][-1]
        super().__init__(dict(features=keras.saving.serialize_keras_object(features),
                              gated=gated, per_task_norm=per_task_norm, s_max=s_max,
                              embedding_clip=embedding_clip),
                         classes_per_task, channel_mean or (0.0,) * channels,
                         channel_std or (1.0,) * channels, name=name or features.name,
                         **kwargs)
        self.image_shape = graph.shapes[graph.input]
        self.s_max = s_max
        self._input_key, self._output_key = graph.input, graph.output
        self._build_trunk(graph, Norms(per_task_norm, len(classes_per_task)),
                          gated, embedding_clip)

    def _build_trunk(self, graph: LayerGraph, norms: Norms, gated: bool,
                     embedding_clip: float) -> None:
        """The layers in the model's order, and the gates of every chain's input."""
        self.trunk, self._trunk_keys, self._chain_inputs = [], [], []
        gates = {graph.input: UnitGates(None)}
        for step in plan_sites(graph):
            if isinstance(step, Site):
                gate = (TaskGate(norms.num_tasks, graph.shapes[step.output][-1],
                                 embedding_clip, name="gate") if gated else None)
                layer = _gated_units(step, gate, norms, rank=len(graph.shapes[step.output]) + 1)
                self._chain_inputs.append([gates[key] for key in step.inputs[:len(step.chains)]])
                gates[step.output] = UnitGates(gate)
            else:
                layer = rebuilt(step)
                gates[step.output] = carried_gates(step, [gates[key] for key in step.inputs],
                                                   graph)
            self.trunk.append(layer)
            self._trunk_keys.append((step.inputs, step.output))

    def features(self, inputs, training=False, s=None):
        task_id = inputs["task_id"]
        s = self.s_max if s is None else s
        values = {self._input_key: self.standardized_image(inputs)}
        for layer, (keys, output) in zip(self.trunk, self._trunk_keys):
            args = [values[key] for key in keys]
            if isinstance(layer, GatedUnits):
                values[output] = layer(args, task_id=task_id, s=s, training=training)
            else:
                values[output] = layer(args if len(args) > 1 else args[0], training=training)
        return values[self._output_key]

    @property
    def sites(self) -> list[GatedUnits]:
        """The gate sites, in the model's order."""
        return [layer for layer in self.trunk if isinstance(layer, GatedUnits)]

    @property
    def gates(self) -> list[TaskGate]:
        """Every gate, in the model's order (none in the plain network)."""
        return [site.gate for site in self.sites if site.gate is not None]

    def gate_graph(self) -> GateGraph:
        """Each chain's kernel and bias from its input's gates to its site's gate (Eq. 2),
        its BatchNorm per task or by its site's gate; the plain network's trunk shared."""
        graph = GateGraph(task_private=self.head.variables_per_task())
        if not self.gates:
            graph.shared = [v for layer in self.trunk for v in layer.trainable_variables]
            return graph
        for site, inputs in zip(self.sites, self._chain_inputs):
            for chain, source in zip(site.chains, inputs):
                graph.connect(chain.producer, post=site.gate, pre=source.gate,
                              layout=kernel_layout(chain.producer, source))
                if chain.norm is not None:
                    graph.connect_norm(chain.norm, site.gate)
        graph.task_rows += [gate.embedding for gate in self.gates]
        return graph

    @classmethod
    def from_config(cls, config: dict) -> HatifiedNetwork:
        features = keras.saving.deserialize_keras_object(config["features"])
        return cls(features=features, **{k: v for k, v in config.items() if k != "features"})


def _gated_units(site: Site, gate: TaskGate | None, norms: Norms, rank: int) -> GatedUnits:
    """A site's layers: its chains and activation rebuilt, and its gate."""
    chains = [_unit_chain(chain, norms, f"chain{index}")
              for index, chain in enumerate(site.chains)]
    return GatedUnits(chains, rebuilt(site.activation), gate, site.fold, rank, name=site.name)


def _unit_chain(chain: Chain, norms: Norms, name: str) -> UnitChain:
    """A chain's layers rebuilt, its BatchNorm made by `norms` with the same momentum and
    epsilon (gamma and beta always learned)."""
    norm = None
    if chain.norm is not None:
        user_norm = chain.norm.layer
        norm = norms(user_norm.name, momentum=user_norm.momentum, epsilon=user_norm.epsilon)
    return UnitChain(rebuilt(chain.producer), norm, rebuilt(chain.activation), name=name)


def _check_ends(features: keras.Model, graph: LayerGraph) -> None:
    """Refuses an input of unknown size, and features that are not one vector per image."""
    image, output = graph.shapes[graph.input], graph.shapes[graph.output]
    if None in image:
        raise UnsupportedModelError(f"hatify needs a fixed image shape; {features.name!r} "
                                    f"takes {(None, *image)}")
    if len(output) != 1:
        raise UnsupportedModelError(
            f"hatify needs features of shape (batch, features); {features.name!r} gives "
            f"{(None, *output)}: end it with GlobalAveragePooling2D or Flatten (for "
            "keras.applications, pooling='avg')")


def hatify(
    features: keras.Model,
    classes_per_task: Sequence[int],
    gated: bool = True,
    per_task_norm: bool = True,
    s_max: float = 400.0,
    embedding_clip: float = 6.0,
    channel_mean: Sequence[float] | None = None,
    channel_std: Sequence[float] | None = None,
) -> HatifiedNetwork:
    """The task network of a Keras feature extractor, built (every variable made).

    `features` is read, not changed: a Functional or Sequential model from images to
    (batch, features), built from Conv2D, DepthwiseConv2D, Dense, BatchNormalization,
    activations, dropout, pooling, padding, Flatten, Add and Concatenate. The network has a
    gate after every conv/dense layer (after its BatchNorm and activation), per-task
    BatchNorm where `per_task_norm`, one head per task, and a GateGraph derived from the
    layer graph. Arguments as HatifiedNetwork's.
    """
    return built(HatifiedNetwork(features, classes_per_task, gated=gated,
                                 per_task_norm=per_task_norm, s_max=s_max,
                                 embedding_clip=embedding_clip, channel_mean=channel_mean,
                                 channel_std=channel_std))
