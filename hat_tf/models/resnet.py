"""ResNet18 for 32×32×3 inputs (CIFAR variant: 3×3 stem, no stem max-pool), with one head
per task and optional HAT gates and per-task BatchNorm (docs/algorithm.md §9).

HAT rules of the residual block (as CLOM, HAT-CL and CLArena do it):
- a gate after BN → ReLU of the block's first conv;
- one gate for the block output, applied after ReLU(BN(conv2) + shortcut);
- conv2 and the 1×1 shortcut projection both write the block-output units: post = the
  block-output gate, pre = the gate of their own input.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from hat_tf.layers import Norms, TaskGate
from hat_tf.models.alexnet import scaled
from hat_tf.models.network import TaskNetwork
from hat_tf.models.topology import GateGraph

STAGE_FILTERS = (64, 128, 256, 512)
BLOCKS_PER_STAGE = 2
# Below this many input channels a strided 1×1 conv goes through BasicBlock.shortcut's
# subsampling: oneDNN's kernel for its filter gradient corrupts the heap (issue 21).
ONEDNN_SAFE_POINTWISE_CHANNELS = 16


def conv(filters: int, size: int, stride: int, name: str) -> keras.layers.Conv2D:
    """A bias-free conv (BatchNorm follows), Glorot-uniform as in the paper and the seed."""
    return keras.layers.Conv2D(filters, size, strides=stride, padding="same", use_bias=False,
                               kernel_initializer="glorot_uniform", name=name)


def channel_scale(gate: TaskGate | None, task_id, s, training):
    """The gate's a^t shaped for an NHWC activation; None where the network has no gates."""
    return None if gate is None else gate.channel_scale(task_id, s, 4, training)


class BasicBlock(keras.layers.Layer):
    """conv3×3 → BN → ReLU → [gate] → conv3×3 → BN, plus the shortcut, → ReLU → [gate];
    each gate folded into the BatchNorms before its ReLU (see `call`)."""

    def __init__(self, in_filters: int, filters: int, stride: int, norms: Norms,
                 num_tasks: int, gated: bool, embedding_clip: float, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = conv(filters, 3, stride, "conv1")
        self.bn1 = norms("bn1")
        self.conv2 = conv(filters, 3, 1, "conv2")
        self.bn2 = norms("bn2")
        # The input's subsampling before the 1×1 projection (see `shortcut`), and the
        # projection's own stride: together the block's stride.
        self.subsample = (stride if stride > 1 and in_filters < ONEDNN_SAFE_POINTWISE_CHANNELS
                          else 1)
        projection = stride != 1 or in_filters != filters
        self.shortcut_conv = (conv(filters, 1, stride // self.subsample, "shortcut_conv")
                              if projection else None)
        self.shortcut_bn = norms("shortcut_bn") if projection else None
        self.gate1 = TaskGate(num_tasks, filters, embedding_clip, name="gate1") if gated else None
        self.gate_out = (TaskGate(num_tasks, filters, embedding_clip, name="gate_out")
                         if gated else None)

    def call(self, inputs, task_id, s, training=False):
        """The gates ride on the BatchNorms' gamma and beta (TaskBatchNormalization's
        `channel_scale`): for a ≥ 0, a ⊙ ReLU(u + v) = ReLU(a⊙u + a⊙v), so gating the
        block output scales conv2's BN and the shortcut instead of the output."""
        gate1, gate_out = (channel_scale(gate, task_id, s, training)
                           for gate in (self.gate1, self.gate_out))
        h = tf.nn.relu(self.bn1(self.conv1(inputs), task_id=task_id, training=training,
                                channel_scale=gate1))
        h = self.bn2(self.conv2(h), task_id=task_id, training=training, channel_scale=gate_out)
        return tf.nn.relu(h + self.shortcut(inputs, task_id, gate_out, training))

    def shortcut(self, inputs, task_id, gate_out, training):
        """The identity, or the 1×1 projection → BN where the shape changes; gated.

        Where the input has fewer than 16 channels, a strided projection is computed as a
        stride-1 1×1 conv of the input subsampled at the stride: the same numbers (a 1×1
        "same" conv pads nothing). TensorFlow 2.21's oneDNN filter gradient of a strided
        1×1 conv with so few input channels corrupts the heap at odd batch sizes on AVX-512
        CPUs (tests/models/onednn_strided_pointwise_crash.py reproduces it). Wider inputs
        keep the strided conv: the subsampling's gradient costs 1.2–2.9× the projection's.
        """
        if self.shortcut_conv is None:
            return inputs if gate_out is None else inputs * tf.cast(gate_out, inputs.dtype)
        if self.subsample > 1:
            inputs = inputs[:, :: self.subsample, :: self.subsample, :]
        return self.shortcut_bn(self.shortcut_conv(inputs), task_id=task_id,
                                training=training, channel_scale=gate_out)

    def connect(self, graph: GateGraph, pre: TaskGate | None) -> None:
        """Adds the block's wiring to `graph`; `pre` gates the block's input."""
        graph.connect(self.conv1, post=self.gate1, pre=pre, layout="conv")
        graph.connect(self.conv2, post=self.gate_out, pre=self.gate1, layout="conv")
        norms = [(self.bn1, self.gate1), (self.bn2, self.gate_out)]
        if self.shortcut_conv is not None:
            graph.connect(self.shortcut_conv, post=self.gate_out, pre=pre, layout="conv")
            norms.append((self.shortcut_bn, self.gate_out))
        for norm, gate in norms:
            graph.connect_norm(norm, gate)


class ResNet18(TaskNetwork):
    """ResNet18 (CIFAR variant) with one head per task; ≈ 11.2 M parameters at width 1.

    Call like AlexNet: `{"image", "task_id"}`, the gate scale `s` (None: s_max), and
    `all_heads` for every head's logits.

    Args:
        classes_per_task: Classes of each task's head.
        gated: Add HAT gates.
        per_task_norm: Keep every BatchNorm per task (ResNet18-HAT-BN); else one shared BN.
        width: Multiplier of every stage's filters (1 = 64-128-256-512).
        s_max: Gate scale at evaluation.
        embedding_clip: Bound of the gate embeddings.
        channel_mean: Per-channel mean of the raw pixels, for input normalisation.
        channel_std: Per-channel standard deviation of the raw pixels.
    """

    def __init__(
        self,
        classes_per_task: Sequence[int],
        gated: bool,
        per_task_norm: bool,
        width: float = 1.0,
        s_max: float = 400.0,
        embedding_clip: float = 6.0,
        channel_mean: Sequence[float] = (0.0, 0.0, 0.0),
        channel_std: Sequence[float] = (1.0, 1.0, 1.0),
        name: str = "resnet18",
        **kwargs,
    ):
        super().__init__(dict(gated=gated, per_task_norm=per_task_norm, width=width,
                              s_max=s_max, embedding_clip=embedding_clip),
                         classes_per_task, channel_mean, channel_std, name=name, **kwargs)
        self.s_max = s_max
        num_tasks = len(classes_per_task)
        norms = Norms(per_task_norm, num_tasks)
        stem_filters = scaled(STAGE_FILTERS[0], width)
        self.stem_conv = conv(stem_filters, 3, 1, "stem_conv")
        self.stem_bn = norms("stem_bn")
        self.stem_gate = (TaskGate(num_tasks, stem_filters, embedding_clip, name="stem_gate")
                          if gated else None)
        self.blocks = []
        in_filters = stem_filters
        for stage, base in enumerate(STAGE_FILTERS):
            filters = scaled(base, width)
            for index in range(BLOCKS_PER_STAGE):
                stride = 2 if stage > 0 and index == 0 else 1
                self.blocks.append(BasicBlock(
                    in_filters, filters, stride, norms=norms, num_tasks=num_tasks,
                    gated=gated, embedding_clip=embedding_clip,
                    name=f"stage{stage + 1}_block{index + 1}"))
                in_filters = filters
        self.pool = keras.layers.GlobalAveragePooling2D()

    def features(self, inputs, training=False, s=None):
        task_id = inputs["task_id"]
        s = self.s_max if s is None else s
        h = self.standardized_image(inputs)
        stem_gate = channel_scale(self.stem_gate, task_id, s, training)
        h = tf.nn.relu(self.stem_bn(self.stem_conv(h), task_id=task_id, training=training,
                                    channel_scale=stem_gate))
        for block in self.blocks:
            h = block(h, task_id=task_id, s=s, training=training)
        return self.pool(h)

    def gate_graph(self) -> GateGraph:
        """The wiring of docs/algorithm.md §9; the plain variant declares its trunk shared."""
        graph = GateGraph(task_private=self.head.variables_per_task())
        if self.stem_gate is None:
            graph.shared = [v for layer in [self.stem_conv, self.stem_bn, *self.blocks]
                            for v in layer.trainable_variables]
            return graph
        graph.connect(self.stem_conv, post=self.stem_gate, pre=None, layout="conv")
        graph.connect_norm(self.stem_bn, self.stem_gate)
        pre = self.stem_gate
        for block in self.blocks:
            block.connect(graph, pre)
            pre = block.gate_out
        graph.task_rows += [gate.embedding for gate in self.gates]
        return graph

    @property
    def gates(self) -> list[TaskGate]:
        """Every gate, in network order."""
        if self.stem_gate is None:
            return []
        return [self.stem_gate] + [g for b in self.blocks for g in (b.gate1, b.gate_out)]
