"""The HAT paper's AlexNet for 32×32×3 inputs (docs/algorithm.md §9; reference
`networks/alexnet_hat.py`).

conv 64 k4 → conv 128 k3 → conv 256 k2, each ReLU → dropout (0.2, 0.2, 0.5) → max-pool 2
→ gate; then dense 2048 → dense 2048, each ReLU → dropout 0.5 → gate; one head per task.
≈ 6.5 M trunk parameters at width 1. The plain variant (no gates) is the SGD baseline.

With `per_task_norm`, every conv and dense layer is bias-free and followed by a BatchNorm
per task before its ReLU: the AlexNet of the 10-split CIFAR-100 benchmarks (GPM, Saha et al.
ICLR 2021; WSN, Kang et al. ICML 2022), whose BatchNorms the HAT paper's network lacks, kept
per task as ResNet18-HAT-BN keeps them (docs/algorithm.md §9).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from hat_tf.layers import Norms, TaskGate
from hat_tf.models.network import TaskNetwork
from hat_tf.models.topology import GateGraph

CONV_FILTERS = (64, 128, 256)
CONV_KERNELS = (4, 3, 2)
CONV_DROPOUT = (0.2, 0.2, 0.5)
DENSE_UNITS = (2048, 2048)
DENSE_DROPOUT = 0.5


def scaled(units: int, width: float) -> int:
    """`units` times the width multiplier, at least 1."""
    return max(1, int(round(units * width)))


class AlexNet(TaskNetwork):
    """AlexNet with one head per task and, when `gated`, a TaskGate after every layer.

    Call with `{"image": uint8 or float NHWC in 0..255, "task_id": int32 (batch,)}` and the
    gate scale `s` (None: `s_max`, as at evaluation). Returns the logits of each example's
    own task head, or with `all_heads` every head's, (batch, tasks, classes).

    Args:
        classes_per_task: Classes of each task's head.
        gated: Add HAT gates (paper Eq. 1).
        width: Multiplier of every layer's units (1 = the paper's network).
        per_task_norm: A per-task BatchNorm after every conv and dense layer (before its
            ReLU), whose layers then have no bias; False: the paper's network, no BatchNorm.
        s_max: Gate scale at evaluation (paper: 400).
        embedding_clip: Bound of the gate embeddings.
        channel_mean: Per-channel mean of the raw pixels, for input normalisation.
        channel_std: Per-channel standard deviation of the raw pixels.
    """

    def __init__(
        self,
        classes_per_task: Sequence[int],
        gated: bool,
        width: float = 1.0,
        per_task_norm: bool = False,
        s_max: float = 400.0,
        embedding_clip: float = 6.0,
        channel_mean: Sequence[float] = (0.0, 0.0, 0.0),
        channel_std: Sequence[float] = (1.0, 1.0, 1.0),
        name: str = "alexnet",
        **kwargs,
    ):
        super().__init__(dict(gated=gated, width=width, per_task_norm=per_task_norm,
                              s_max=s_max, embedding_clip=embedding_clip),
                         classes_per_task, channel_mean, channel_std, name=name, **kwargs)
        self.s_max = s_max
        num_tasks = len(classes_per_task)
        self.convs = [
            keras.layers.Conv2D(scaled(f, width), k, use_bias=not per_task_norm,
                                kernel_initializer="glorot_uniform", name=f"conv{i + 1}")
            for i, (f, k) in enumerate(zip(CONV_FILTERS, CONV_KERNELS))
        ]
        self.conv_dropouts = [keras.layers.Dropout(r) for r in CONV_DROPOUT]
        self.pool = keras.layers.MaxPooling2D(2)
        self.flatten = keras.layers.Flatten()
        self.denses = [
            keras.layers.Dense(scaled(u, width), use_bias=not per_task_norm,
                               kernel_initializer="glorot_uniform", name=f"fc{i + 1}")
            for i, u in enumerate(DENSE_UNITS)
        ]
        self.dense_dropout = keras.layers.Dropout(DENSE_DROPOUT)
        self.gates = [
            TaskGate(num_tasks, layer.filters if hasattr(layer, "filters") else layer.units,
                     embedding_clip, name=f"gate_{layer.name}")
            for layer in self.convs + self.denses
        ] if gated else []
        norms = Norms(per_task=True, num_tasks=num_tasks)
        self.norms = [norms(f"bn_{layer.name}") for layer in self.convs + self.denses
                      ] if per_task_norm else []

    def features(self, inputs, training=False, s=None):
        return self.stage_outputs(inputs, training, s)[-1]

    def detector_features(self, inputs, s=None):
        """(fc2's output for the heads, the flattened conv trunk, fc1 and fc2 concatenated
        for the task detector). On digits the Mahalanobis distance of the three infers
        the task of more validation images than fc2's alone, which a head trained on two
        classes has shaped the most (docs/results.md, "Predicting without the task id")."""
        stages = self.stage_outputs(inputs, False, s)
        return stages[-1], tf.concat(stages, axis=-1)

    def stage_outputs(self, inputs, training, s):
        """[the flattened conv trunk, fc1, fc2], each gated by the example's task."""
        task_id = inputs["task_id"]
        s = self.s_max if s is None else s
        h = self.standardized_image(inputs)
        for index, dropout in enumerate(self.conv_dropouts):
            h = self._stage(index, dropout, h, task_id, s, training, pool=True)
        stages = [self.flatten(h)]
        for index in range(len(self.convs), len(self.convs) + len(self.denses)):
            stages.append(self._stage(index, self.dense_dropout, stages[-1], task_id, s,
                                      training, pool=False))
        return stages

    def _stage(self, index, dropout, h, task_id, s, training, pool):
        """Layer `index` of the convs then the denses → [BatchNorm] → ReLU → dropout →
        [max-pool] → gate (docs/algorithm.md §2).

        The gate a ≥ 0 commutes with ReLU, dropout and max-pooling, so it rides on what
        precedes them where it can, sparing a pass over the activations: on the per-task
        BatchNorm's gamma and beta (TaskBatchNormalization's `channel_scale`, each
        example's own row), or in training, where a batch holds one task, on a conv's
        kernel and bias (TaskGate.folded_conv). Elsewhere each example's output is gated.
        """
        layer = (self.convs + self.denses)[index]
        gate = self.gates[index] if self.gates else None
        folded = gate is not None and (bool(self.norms) or (training and pool))
        if self.norms:
            scale = gate.channel_scale(task_id, s, len(h.shape), training) if gate else None
            h = self.norms[index](layer(h), task_id=task_id, training=training,
                                  channel_scale=scale)
        else:
            h = gate.folded_conv(layer, h, task_id, s) if folded else layer(h)
        h = dropout(tf.nn.relu(h), training=training)
        h = self.pool(h) if pool else h
        return h if folded else self._gate(gate, h, task_id, s, training)

    @staticmethod
    def _gate(gate, h, task_id, s, training):
        return h if gate is None else gate(h, task_id=task_id, s=s, training=training)

    def gate_graph(self) -> GateGraph:
        """The wiring of gates to weights (docs/algorithm.md §5); every trunk weight is shared
        and unprotected in the plain variant."""
        graph = GateGraph(task_private=self.head.variables_per_task())
        if not self.gates:
            graph.shared = [v for layer in self.convs + self.denses + self.norms
                            for v in layer.trainable_variables]
            return graph
        layouts = ["conv"] * len(self.convs) + ["flatten"] + ["dense"] * (len(self.denses) - 1)
        pre = None
        for index, (layer, gate, layout) in enumerate(zip(self.convs + self.denses, self.gates,
                                                          layouts)):
            graph.connect(layer, post=gate, pre=pre, layout=layout)
            if self.norms:
                graph.connect_norm(self.norms[index], gate)
            pre = gate
        graph.task_rows += [gate.embedding for gate in self.gates]
        return graph
