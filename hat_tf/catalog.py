"""The models users name on the command line: an architecture paired with a method."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from hat_tf.config import RunConfig
from hat_tf.data.task import TaskSequence
from hat_tf.methods.base import Method
from hat_tf.methods.finetune import FineTuning
from hat_tf.methods.hat import Hat
from hat_tf.models.alexnet import AlexNet
from hat_tf.registry import Registry


@dataclass(frozen=True)
class Recipe:
    """How to build a named model: its network for a task sequence, and its method."""

    build_network: Callable[[TaskSequence, RunConfig], keras.Model]
    build_method: Callable[[RunConfig], Method]


MODELS: Registry[Recipe] = Registry("model")


def _alexnet(gated: bool) -> Callable[[TaskSequence, RunConfig], keras.Model]:
    def build(sequence: TaskSequence, config: RunConfig) -> keras.Model:
        return AlexNet(sequence.classes_per_task, gated=gated, width=config.width,
                       s_max=config.hat.s_max, embedding_clip=config.hat.embedding_clip,
                       channel_mean=sequence.channel_mean, channel_std=sequence.channel_std)

    return build


MODELS.register("alexnet_sgd")(Recipe(_alexnet(gated=False), lambda config: FineTuning()))
MODELS.register("alexnet_hat")(Recipe(_alexnet(gated=True), lambda config: Hat(config.hat)))
