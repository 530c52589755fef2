"""Where hatify puts the gates of a model: one after every layer of units (docs/algorithm.md
§2, §9).

A layer of units is a conv, depthwise conv or dense layer with what follows it alone: a
BatchNorm, then an activation (conv → [BN] → [activation]). Its gate comes after all of
them, since a gate does not commute with every activation (ReLU6, sigmoid). Where such
layers end in an `Add` that nothing else reads (a residual block), one gate guards the sum
and the activation after it: conv2 and the shortcut projection write the block-output
units, whose gate is their `post`, and the identity input joins the sum as it is (the
residual rule of docs/algorithm.md §9, as CLOM, HAT-CL and CLArena gate ResNets).

The gate multiplies the site's output, or, where that is exact, is folded into the weights
before it (`Site.fold`): a training batch holds one task, and for a ≥ 0 and a positively
homogeneous activation f (ReLU, leaky ReLU, none), a·f(BN(x)) = f(BN_{aγ,aβ}(x)) and
a·f(conv(x)) = f(conv_{a·kernel, a·bias}(x)).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from hat_tf.models.layer_graph import LayerCall, LayerGraph
from hat_tf.models.layer_rules import (
    ACTIVATION_LAYERS,
    PRODUCERS,
    activation_kind,
    check_norm,
    check_producer,
)

# Site.fold: where the gate goes into the weights before it instead of onto the outputs.
NEVER, IN_TRAINING, ALWAYS = "never", "training", "always"


@dataclass(frozen=True)
class Chain:
    """A layer of units before its gate: conv/dense → [BatchNorm] → [activation]."""

    producer: LayerCall
    norm: LayerCall | None = None
    activation: LayerCall | None = None

    @property
    def end(self) -> int:
        """Key of the chain's last tensor."""
        return (self.activation or self.norm or self.producer).output

    def fold_target(self) -> str | None:
        """Where a gate after the chain folds exactly: `norm` (its BatchNorm's gamma and
        beta), `conv` (the kernel and bias of a Conv2D without one), or None."""
        layers = [self.producer.layer] if self.norm is None else []
        layers += [self.activation.layer] if self.activation else []
        if not all(activation_kind(layer).homogeneous for layer in layers):
            return None
        if self.norm is not None:
            return "norm"
        return "conv" if type(self.producer.layer) is keras.layers.Conv2D else None


@dataclass(frozen=True)
class Site:
    """Where one gate goes, and the units it guards.

    Attributes:
        name: The gate's layer: the producer's name, or the Add's.
        chains: The layers of units whose outputs the gate guards (their `post`).
        passive: Keys of the other tensors an Add sums with the chains' outputs.
        activation: The activation after the Add, if any.
        output: Key of the gated tensor.
        fold: NEVER, IN_TRAINING (a conv fold: inference gates each example by its own
            task) or ALWAYS (BatchNorm folds, per example at inference).
    """

    name: str
    chains: tuple[Chain, ...]
    passive: tuple[int, ...]
    activation: LayerCall | None
    output: int
    fold: str

    @property
    def inputs(self) -> tuple[int, ...]:
        """Keys of the tensors the site reads: each chain's input, then the passive ones."""
        return tuple(chain.producer.inputs[0] for chain in self.chains) + self.passive


def plan_sites(graph: LayerGraph) -> list[Site | LayerCall]:
    """The model's steps in order: gate sites, and the calls of the layers between them."""
    steps, taken, pending = [], set(), {}  # pending: Add output key → chains it sums
    for call in graph.calls:
        if id(call) in taken:
            continue
        if isinstance(call.layer, PRODUCERS):
            chain = _chain(call, graph)
            taken.update(id(c) for c in (chain.norm, chain.activation) if c is not None)
            add = graph.sole_reader(chain.end)
            if add is not None and type(add.layer) is keras.layers.Add:
                pending.setdefault(add.output, []).append(chain)
            else:
                steps.append(_site(call.layer.name, (chain,), (), None, chain.end))
        elif call.output in pending:
            steps.append(_sum_site(call, pending.pop(call.output), graph, taken))
        else:
            steps.append(call)
    return steps


def _chain(producer: LayerCall, graph: LayerGraph) -> Chain:
    """The producer with the BatchNorm, then the activation, that alone read its output."""
    check_producer(producer)
    norm = _sole_reader_of_type(graph, producer.output, keras.layers.BatchNormalization)
    if norm is not None:
        check_norm(norm, graph)
    return Chain(producer, norm, _activation_after(graph, (norm or producer).output))


def _sum_site(add: LayerCall, chains: list[Chain], graph: LayerGraph, taken: set) -> Site:
    """A site for the chains an Add sums, its other inputs and the activation after it."""
    ends = {chain.end for chain in chains}
    passive = tuple(key for key in add.inputs if key not in ends)
    activation = _activation_after(graph, add.output)
    if activation is not None:
        taken.add(id(activation))
    output = (activation or add).output
    return _site(add.layer.name, tuple(chains), passive, activation, output)


def _site(name, chains, passive, activation, output) -> Site:
    return Site(name, chains, passive, activation, output, _fold(chains, activation))


def _fold(chains: tuple[Chain, ...], activation: LayerCall | None) -> str:
    """ALWAYS where every chain folds into its BatchNorm, IN_TRAINING where some fold into
    their conv, NEVER where one cannot fold or the activation after an Add is not
    positively homogeneous."""
    targets = {chain.fold_target() for chain in chains}
    if None in targets or (activation and not activation_kind(activation.layer).homogeneous):
        return NEVER
    return ALWAYS if targets == {"norm"} else IN_TRAINING


def _activation_after(graph: LayerGraph, key: int) -> LayerCall | None:
    """The element-wise activation layer that alone reads tensor `key`, if any (another
    one, a softmax, is refused where it stands: layer_rules.carried_gates)."""
    reader = _sole_reader_of_type(graph, key, ACTIVATION_LAYERS)
    if reader is None or not activation_kind(reader.layer).elementwise:
        return None
    return reader


def _sole_reader_of_type(graph: LayerGraph, key: int, types) -> LayerCall | None:
    reader = graph.sole_reader(key)
    return reader if reader is not None and isinstance(reader.layer, types) else None
