"""A snapshot of a HAT network's masks after a task, its capacity and reuse, and the
record of whether the task's masks learned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hat_tf.hat.capacity_stats import capacity_used, reuse_matrix
from hat_tf.hat.mask_learning import mask_learning
from hat_tf.layers import TaskGate

NETWORK = "network"  # the name of all gated layers together, beside the layers' own


def layer_name(gate: TaskGate) -> str:
    """A gate's path without the model's name: `gate_conv1`, `stage1_block1/gate1`."""
    return gate.path.split("/", 1)[-1]


@dataclass(frozen=True)
class LayerCapacity:
    """Shares of a layer's units in use after task t (docs/algorithm.md §11).

    Attributes:
        units: Units (channels) of the layer.
        task: Fraction with a^t > 0.5: task t's own mask.
        cumulative: Fraction with a^{≤t} > 0.5: the capacity tasks 1..t hold together.
    """

    units: int
    task: float
    cumulative: float


@dataclass(frozen=True)
class MaskSnapshot:
    """The masks of a gated network after task t, one entry per gated layer, in order.

    Attributes:
        layer_names: Names of the gated layers (empty for a network without gates).
        task_attention: Per layer, (t + 1, units): a^τ = σ(s_max·e^τ) of tasks τ ≤ t
            (paper Eq. 1 at evaluation).
        cumulative: Per layer, (units,): a^{≤t} as HAT keeps it (paper Eq. 2 context).
    """

    layer_names: list[str]
    task_attention: list[np.ndarray]
    cumulative: list[np.ndarray]

    @classmethod
    def read(cls, gates: Sequence[TaskGate], tasks_learned: int, s_max: float) -> MaskSnapshot:
        """Reads the gates after `tasks_learned` tasks (tasks 0 .. tasks_learned − 1)."""
        tasks = np.arange(tasks_learned, dtype=np.int32)
        return cls(
            layer_names=[layer_name(gate) for gate in gates],
            task_attention=[np.asarray(gate.attention(tasks, s_max)) for gate in gates],
            cumulative=[np.asarray(gate.cumulative) for gate in gates],
        )

    def capacity(self) -> dict[str, LayerCapacity]:
        """Per layer, then for the whole network (`NETWORK`, every unit counted once);
        empty for a network without gates."""
        if not self.layer_names:
            return {}
        rows = {
            name: LayerCapacity(len(cumulative), capacity_used(attention[-1]),
                                capacity_used(cumulative))
            for name, attention, cumulative in zip(self.layer_names, self.task_attention,
                                                   self.cumulative)
        }
        rows[NETWORK] = LayerCapacity(
            sum(len(c) for c in self.cumulative),
            capacity_used([a[-1] for a in self.task_attention]),
            capacity_used(self.cumulative),
        )
        return rows

    def history(self) -> list[dict[str, LayerCapacity]]:
        """`capacity()` after each task 1..t, read from the masks now: a task's own mask
        a^τ is fixed once it is learned (its embedding row is task-private) and a^{≤τ} is
        the running max of them (hat_tf.hat.masks), so a resumed run has them all too."""
        if not self.layer_names:
            return []
        return [MaskSnapshot(self.layer_names, [a[:tasks] for a in self.task_attention],
                             [a[:tasks].max(axis=0) for a in self.task_attention]).capacity()
                for tasks in range(1, len(self.task_attention[0]) + 1)]

    def reuse(self) -> dict[str, np.ndarray]:
        """The network's reuse matrix (`NETWORK`, the layers' masks concatenated), then
        each layer's (see `reuse_matrix`); empty for a network without gates."""
        if not self.layer_names:
            return {}
        matrices = {NETWORK: reuse_matrix(np.concatenate(self.task_attention, axis=1))}
        matrices.update({name: reuse_matrix(attention)
                         for name, attention in zip(self.layer_names, self.task_attention)})
        return matrices


def mask_learning_record(gates: Sequence[TaskGate], task_start: Sequence[np.ndarray],
                         task_id: int, s_max: float, clip: float) -> dict[str, dict]:
    """Whether task `task_id`'s masks learned (docs/algorithm.md §11, "Mask learning"), read after
    the task, its best weights restored and its mask folded into a^{≤t}.

    Args:
        gates: The network's gates, in order.
        task_start: Per gate, the task's embedding row e^t when the task began.
        task_id: The task just learned.
        s_max: Gate scale at evaluation.
        clip: Bound of the embeddings (paper §2.5).

    Returns:
        Per layer, then for the whole network (`NETWORK`): `units`, `moved` (mean
        |e_end − e_start|), `switched` (share of units whose a^t > 0.5 changed),
        `at_clamp` (share of e_end at ±clip), `capacity` (share with a^t > 0.5) and
        `cumulative_capacity` (a^{≤t} > 0.5); shares are fractions. Empty without gates.
    """
    if not gates:
        return {}
    capacity = MaskSnapshot.read(gates, task_id + 1, s_max).capacity()
    starts = [np.asarray(row) for row in task_start]
    ends = [np.asarray(gate.embedding[task_id]) for gate in gates]
    learning = [mask_learning(start, end, s_max, clip) for start, end in zip(starts, ends)]
    learning.append(mask_learning(starts, ends, s_max, clip))
    return {name: {"units": row.units, **moves, "capacity": row.task,
                   "cumulative_capacity": row.cumulative}
            for (name, row), moves in zip(capacity.items(), learning)}
