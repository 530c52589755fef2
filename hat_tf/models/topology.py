"""The GateGraph: which gate guards each weighted variable of a network (docs/architecture.md).

Model builders describe their wiring once; HAT turns the description into the update
factors of paper Eq. 2, and the coverage check refuses a network in which some trainable
variable is neither conditioned, task-private, nor declared shared on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import keras

from hat_tf.layers import TaskBatchNormalization, TaskGate

# How the gates expand to a variable's shape (docs/algorithm.md §5):
#   dense      kernel (in, out): pre gate over rows, post gate over columns
#   conv       kernel (kh, kw, in, out): pre over the input channels, post over the outputs
#   depthwise  kernel (kh, kw, C, m) of a depthwise conv: output channel c·m + j reads input
#              channel c alone, so pre and post meet per channel
#   flatten    dense kernel after a conv's Flatten: each input carries its channel's gate
#   per_output bias, BatchNorm gamma/beta: the post gate alone
LAYOUTS = ("dense", "conv", "depthwise", "flatten", "per_output")


class GateSource(Protocol):
    """What guards the units a weight reads: a TaskGate, or a gate derived from several
    (models/derived_gates.py). Conditioning needs only their cumulative attention."""

    units: int

    @property
    def cumulative(self):
        """a^{≤t} of the units, (units,)."""


@dataclass(frozen=True)
class Connection:
    """A variable written by the units of `post` from the units of `pre` (None: the image)."""

    variable: keras.Variable
    post: TaskGate
    pre: GateSource | None
    layout: str

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, received {self.layout!r}")


@dataclass
class GateGraph:
    """The network's variables, each in exactly one role.

    Attributes:
        connections: Shared weights conditioned by their gates (paper Eq. 2).
        task_rows: Variables of shape (num_tasks, ...) whose row t belongs to task t alone
            (gate embeddings, per-task BatchNorm).
        task_private: Per task, the variables only that task trains and uses (its output
            head; its PNN column).
        shared: Variables declared shared and unprotected on purpose (a plain network).
    """

    connections: list[Connection] = field(default_factory=list)
    task_rows: list[keras.Variable] = field(default_factory=list)
    task_private: list[list[keras.Variable]] = field(default_factory=list)
    shared: list[keras.Variable] = field(default_factory=list)

    def connect(self, layer: keras.layers.Layer, post: TaskGate, pre: GateSource | None,
                layout: str) -> None:
        """Conditions a conv or dense layer: its kernel by `layout`, its bias by `post`."""
        self.connections.append(Connection(layer.kernel, post, pre, layout))
        if layer.bias is not None:
            self.connect_per_output([layer.bias], post)

    def connect_per_output(self, variables: list[keras.Variable], post: TaskGate) -> None:
        """Conditions per-output parameters (a shared BatchNorm's gamma, beta) by `post`."""
        self.connections += [Connection(v, post, None, "per_output") for v in variables]

    def connect_norm(self, norm: keras.layers.Layer, post: TaskGate) -> None:
        """A BatchNorm between a layer and its gate `post`: a per-task one's rows are
        task-private; a shared one's gamma and beta are conditioned by 1 − a_out."""
        if isinstance(norm, TaskBatchNormalization):
            self.task_rows += [norm.gamma, norm.beta]
        else:
            self.connect_per_output([norm.gamma, norm.beta], post=post)

    @property
    def gates(self) -> list[TaskGate]:
        """Every gate that guards a connection, in network order, each once."""
        unique = {id(c.post): c.post for c in self.connections}
        return list(unique.values())

    def trainable_for(self, tasks: range) -> set[int]:
        """ids of the variables that training on `tasks` may change: all but the private
        variables of other tasks."""
        others = {id(v) for task, private in enumerate(self.task_private) if task not in tasks
                  for v in private}
        return {id(v) for v in self._all() if id(v) not in others}

    def unclassified(self, variables: list[keras.Variable]) -> list[str]:
        """Paths of the trainable `variables` the graph gives no role (should be none)."""
        known = {id(v) for v in self._all()}
        return [v.path for v in variables if v.trainable and id(v) not in known]

    def check_covers(self, variables: list[keras.Variable]) -> None:
        """Raises ValueError naming every trainable variable left without a role."""
        missing = self.unclassified(variables)
        if missing:
            raise ValueError(
                "the GateGraph gives no role (conditioned, task-private or shared) to: "
                + ", ".join(missing)
            )

    def _all(self) -> list[keras.Variable]:
        return ([c.variable for c in self.connections] + self.task_rows
                + [v for private in self.task_private for v in private] + self.shared)
