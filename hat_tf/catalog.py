"""The models users name on the command line (an architecture paired with a method), the
methods by name, which a user's own Keras model can be trained with, and the loop's
`build_model` and `run_sequence` for a named model.

It imports every model and method, and the training loop takes its recipe from its caller,
so the catalog sits above training (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from hat_tf.config import RunConfig
from hat_tf.data.task import TaskSequence
from hat_tf.methods.base import Method
from hat_tf.methods.ewc import Ewc
from hat_tf.methods.finetune import FineTuning
from hat_tf.methods.frozen import FrozenTrunk
from hat_tf.methods.hat import Hat
from hat_tf.methods.joint import Joint
from hat_tf.methods.lwf import Lwf
from hat_tf.methods.multitask import Multitask
from hat_tf.models.alexnet import AlexNet
from hat_tf.models.building import built, count_params
from hat_tf.models.hatified import HatifiedNetwork
from hat_tf.models.pnn import ProgressiveAlexNet, pnn_width
from hat_tf.models.resnet import ResNet18
from hat_tf.models.vgg import vgg8_features
from hat_tf.registry import Registry
from hat_tf.training import loop
from hat_tf.training.continual_model import ContinualModel
from hat_tf.training.recipe import Recipe
from hat_tf.training.run_results import RunResults

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


METHODS: Registry[Callable[[RunConfig], Method]] = Registry("method")


@METHODS.register("sgd")
def _fine_tuning(config: RunConfig) -> Method:
    return FineTuning()


@METHODS.register("joint")
def _joint(config: RunConfig) -> Method:
    return Joint()


@METHODS.register("multitask")
def _multitask(config: RunConfig) -> Method:
    return Multitask()


@METHODS.register("hat")
def _hat(config: RunConfig) -> Method:
    return Hat(config.hat)


@METHODS.register("sgd_frozen")
def _frozen_trunk(config: RunConfig) -> Method:
    return FrozenTrunk()


@METHODS.register("ewc")
def _ewc(config: RunConfig) -> Method:
    return Ewc(config.ewc)


@METHODS.register("lwf")
def _lwf(config: RunConfig) -> Method:
    return Lwf(config.lwf)


def hatified_recipe(features: Callable[[RunConfig], keras.Model], method: str,
                    per_task_norm: bool = True) -> Recipe:
    """A Keras feature extractor under a registered method: the network `hatify` derives
    from `features(config)`, gated where the method needs gates (HAT), plain otherwise."""
    build_method = METHODS.get(method)

    def build_network(sequence: TaskSequence, config: RunConfig) -> keras.Model:
        return HatifiedNetwork(features(config), sequence.classes_per_task,
                               gated=build_method(config).needs_gates,
                               per_task_norm=per_task_norm, s_max=config.hat.s_max,
                               embedding_clip=config.hat.embedding_clip,
                               channel_mean=sequence.channel_mean,
                               channel_std=sequence.channel_std)

    return Recipe(build_network, build_method)


def _vgg8(config: RunConfig) -> keras.Model:
    return vgg8_features(config.width)


MODELS.register("alexnet_sgd")(Recipe(_alexnet(gated=False), METHODS.get("sgd")))
MODELS.register("alexnet_joint")(Recipe(_alexnet(gated=False), METHODS.get("joint")))
MODELS.register("alexnet_multitask")(Recipe(_alexnet(gated=False),
                                             METHODS.get("multitask")))
MODELS.register("alexnet_hat")(Recipe(_alexnet(gated=True), METHODS.get("hat")))
MODELS.register("alexnet_sgd_frozen")(Recipe(_alexnet(gated=False), METHODS.get("sgd_frozen")))
MODELS.register("alexnet_ewc")(Recipe(_alexnet(gated=False), METHODS.get("ewc")))
MODELS.register("alexnet_lwf")(Recipe(_alexnet(gated=False), METHODS.get("lwf")))
MODELS.register("alexnet_pnn")(Recipe(_pnn, METHODS.get("sgd")))
MODELS.register("resnet18_sgd")(Recipe(_resnet18(gated=False, per_task_norm=False),
                                       METHODS.get("sgd")))
MODELS.register("resnet18_joint")(Recipe(_resnet18(gated=False, per_task_norm=False),
                                         METHODS.get("joint")))
MODELS.register("resnet18_multitask")(Recipe(_resnet18(gated=False, per_task_norm=False),
                                              METHODS.get("multitask")))
MODELS.register("resnet18_hat")(Recipe(_resnet18(gated=True, per_task_norm=False),
                                       METHODS.get("hat")))
MODELS.register("resnet18_hat_bn")(Recipe(_resnet18(gated=True, per_task_norm=True),
                                          METHODS.get("hat")))
MODELS.register("resnet18_ewc")(Recipe(_resnet18(gated=False, per_task_norm=False),
                                       METHODS.get("ewc")))
MODELS.register("resnet18_lwf")(Recipe(_resnet18(gated=False, per_task_norm=False),
                                       METHODS.get("lwf")))
# A VGG-style Keras model run through hatify, and the same model plain (shared BatchNorm).
MODELS.register("vgg8_hat")(hatified_recipe(_vgg8, "hat"))
MODELS.register("vgg8_sgd")(hatified_recipe(_vgg8, "sgd", per_task_norm=False))


def method_name(model: str) -> str:
    """The name in METHODS of the method the model `model` trains with."""
    method = type(MODELS.get(model).build_method(RunConfig()))
    return next(name for name in METHODS.names()
                if type(METHODS.get(name)(RunConfig())) is method)


def build_model(config: RunConfig, sequence: TaskSequence,
                strategy: tf.distribute.Strategy | None = None) -> ContinualModel:
    """The model `config.model` names, built for `sequence` (`training.loop.build_model`)."""
    return loop.build_model(config, sequence, MODELS.get(config.model), strategy)


def run_sequence(config: RunConfig, sequence: TaskSequence, **options) -> RunResults:
    """Learns `sequence` with the model `config.model` names: `training.loop.run_sequence`,
    whose keyword arguments `options` are."""
    return loop.run_sequence(config, sequence, MODELS.get(config.model), **options)
