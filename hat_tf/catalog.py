"""The models users name on the command line: an architecture paired with a method."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from hat_tf.config import RunConfig
from hat_tf.data.task import TaskSequence
from hat_tf.methods.base import Method
from hat_tf.methods.ewc import Ewc
from hat_tf.methods.finetune import FineTuning
from hat_tf.methods.frozen import FrozenTrunk
from hat_tf.methods.hat import Hat
from hat_tf.methods.joint import Joint
from hat_tf.methods.lwf import Lwf
from hat_tf.models.alexnet import AlexNet
from hat_tf.models.building import built, count_params
from hat_tf.models.pnn import ProgressiveAlexNet, pnn_width
from hat_tf.models.resnet import ResNet18
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


def _resnet18(gated: bool, per_task_norm: bool) -> Callable[[TaskSequence, RunConfig],
                                                             keras.Model]:
    def build(sequence: TaskSequence, config: RunConfig) -> keras.Model:
        return ResNet18(sequence.classes_per_task, gated=gated, per_task_norm=per_task_norm,
                        width=config.width, s_max=config.hat.s_max,
                        embedding_clip=config.hat.embedding_clip,
                        channel_mean=sequence.channel_mean, channel_std=sequence.channel_std)

    return build


def _pnn(sequence: TaskSequence, config: RunConfig) -> keras.Model:
    """PNN columns sized so the network matches the HAT AlexNet's parameter count."""
    target = count_params(built(_alexnet(gated=True)(sequence, config)))
    return ProgressiveAlexNet(sequence.classes_per_task,
                              column_width=pnn_width(sequence.classes_per_task, target),
                              channel_mean=sequence.channel_mean,
                              channel_std=sequence.channel_std)


def _fine_tuning(config: RunConfig) -> Method:
    return FineTuning()


def _joint(config: RunConfig) -> Method:
    return Joint()


def _hat(config: RunConfig) -> Method:
    return Hat(config.hat)


def _frozen_trunk(config: RunConfig) -> Method:
    return FrozenTrunk()


def _ewc(config: RunConfig) -> Method:
    return Ewc()


def _lwf(config: RunConfig) -> Method:
    return Lwf()


MODELS.register("alexnet_sgd")(Recipe(_alexnet(gated=False), _fine_tuning))
MODELS.register("alexnet_joint")(Recipe(_alexnet(gated=False), _joint))
MODELS.register("alexnet_hat")(Recipe(_alexnet(gated=True), _hat))
MODELS.register("alexnet_sgd_frozen")(Recipe(_alexnet(gated=False), _frozen_trunk))
MODELS.register("alexnet_ewc")(Recipe(_alexnet(gated=False), _ewc))
MODELS.register("alexnet_lwf")(Recipe(_alexnet(gated=False), _lwf))
MODELS.register("alexnet_pnn")(Recipe(_pnn, _fine_tuning))
MODELS.register("resnet18_sgd")(Recipe(_resnet18(gated=False, per_task_norm=False), _fine_tuning))
MODELS.register("resnet18_joint")(Recipe(_resnet18(gated=False, per_task_norm=False), _joint))
MODELS.register("resnet18_hat")(Recipe(_resnet18(gated=True, per_task_norm=False), _hat))
MODELS.register("resnet18_hat_bn")(Recipe(_resnet18(gated=True, per_task_norm=True), _hat))
MODELS.register("resnet18_ewc")(Recipe(_resnet18(gated=False, per_task_norm=False), _ewc))
MODELS.register("resnet18_lwf")(Recipe(_resnet18(gated=False, per_task_norm=False), _lwf))
