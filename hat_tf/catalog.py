"""The models users name on the command line: every registered architecture composed with
every registered method (`<architecture>_<method>`, e.g. `alexnet_hat`, `resnet18_ewc`;
with `_bn`, ResNet18's BatchNorm per task: `resnet18_hat_bn`), the progressive network
(`alexnet_pnn`), PathNet (`alexnet_pathnet`), `hatified_recipe` (a Keras model under a
method), and the loop's `build_model` and `run_sequence` for a named model.

It imports every model and method, and the training loop takes its recipe from its caller,
so the catalog sits above training (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import tensorflow as tf

from hat_tf.config import RunConfig
from hat_tf.data.task import TaskSequence
from hat_tf.methods.base import Method
from hat_tf.methods.registry import METHODS, MethodSpec
from hat_tf.models.alexnet import AlexNet
from hat_tf.models.building import built, count_params
from hat_tf.models.hatified import HatifiedNetwork
from hat_tf.models.pathnet import PathNetAlexNet, pathnet_module_width
from hat_tf.models.pnn import ProgressiveAlexNet, pnn_width
from hat_tf.models.resnet import ResNet18
from hat_tf.models.vgg import vgg8_features
from hat_tf.registry import Registry
from hat_tf.training import loop
from hat_tf.training.continual_model import ContinualModel
from hat_tf.training.recipe import Recipe
from hat_tf.training.run_results import RunResults

__all__ = ["ARCHITECTURES", "METHODS", "MODELS", "Architecture", "build_model",
           "hatified_recipe", "method_name", "run_sequence"]

# The network a method trains: (sequence, config, gated, per_task_norm) → network.
NetworkBuilder = Callable[[TaskSequence, RunConfig, bool, bool], keras.Model]


@dataclass(frozen=True)
class Architecture:
    """A network the catalog composes with every method: model `<name>_<method>`, gated
    where the method needs gates (HAT), plain otherwise.

    Attributes:
        name: The models' prefix (`alexnet`).
        build: The network for (sequence, config, gated, per_task_norm).
        per_task_norm: Whether `<name>_<method>` keeps its BatchNorms per task, given
            whether the method is gated.
        norm_variant: Whether `<name>_<method>_bn` exists too: the same with every
            BatchNorm per task (ResNet18's HAT-BN; AlexNet's, which has none otherwise).
    """

    name: str
    build: NetworkBuilder
    per_task_norm: Callable[[bool], bool] = lambda gated: False
    norm_variant: bool = False

    def recipe(self, method: MethodSpec, per_task_norm: bool) -> Recipe:
        """The recipe of this network under `method`."""
        def build_network(sequence: TaskSequence, config: RunConfig) -> keras.Model:
            return self.build(sequence, config, method.needs_gates, per_task_norm)

        return Recipe(build_network, method, method.name)


ARCHITECTURES: Registry[Architecture] = Registry("architecture")


def register_architecture(architecture: Architecture) -> Architecture:
    return ARCHITECTURES.register(architecture.name)(architecture)


def _network_options(sequence: TaskSequence, config: RunConfig) -> dict:
    """What every architecture's network takes from the run's settings and its tasks."""
    return {"s_max": config.hat.s_max, "embedding_clip": config.hat.embedding_clip,
            "channel_mean": sequence.channel_mean, "channel_std": sequence.channel_std,
            "reject_output": config.reject_rotations}


def _alexnet(sequence: TaskSequence, config: RunConfig, gated: bool,
             per_task_norm: bool) -> keras.Model:
    return AlexNet(sequence.classes_per_task, gated=gated, width=config.width,
                   per_task_norm=per_task_norm, **_network_options(sequence, config))


def _resnet18(sequence: TaskSequence, config: RunConfig, gated: bool,
              per_task_norm: bool) -> keras.Model:
    return ResNet18(sequence.classes_per_task, gated=gated, per_task_norm=per_task_norm,
                    width=config.width, **_network_options(sequence, config))


def _hatified(features: Callable[[RunConfig], keras.Model]) -> NetworkBuilder:
    """The network `hatify` derives from the Keras model `features(config)`."""
    def build(sequence: TaskSequence, config: RunConfig, gated: bool,
              per_task_norm: bool) -> keras.Model:
        return HatifiedNetwork(features(config), sequence.classes_per_task, gated=gated,
                               per_task_norm=per_task_norm, **_network_options(sequence, config))

    return build


# `alexnet_hat`: the HAT paper's network, no BatchNorm; `alexnet_hat_bn`: a BatchNorm per
# task after every layer, as the 10-split CIFAR-100 benchmarks' AlexNet has them.
register_architecture(Architecture("alexnet", _alexnet, norm_variant=True))
# `resnet18_hat`: one BatchNorm shared by all tasks; `resnet18_hat_bn`: one per task.
register_architecture(Architecture("resnet18", _resnet18, norm_variant=True))
# A VGG-style Keras model run through hatify: per-task BatchNorm where gated (`vgg8_hat`),
# one shared otherwise (`vgg8_sgd`).
register_architecture(Architecture("vgg8", _hatified(lambda config: vgg8_features(config.width)),
                                   per_task_norm=lambda gated: gated))

NORM_SUFFIX = "_bn"


class ModelCatalog(Registry[Recipe]):
    """The models by name: every architecture × every method but those that train a
    network of their own (composed when asked, so a method registered later has its models
    too), and the models registered by name."""

    def _composed(self) -> dict[str, tuple[Architecture, MethodSpec, bool]]:
        models = {}
        for arch_name in ARCHITECTURES.names():
            arch = ARCHITECTURES.get(arch_name)
            for method in map(METHODS.get, METHODS.names()):
                if method.own_network:
                    continue
                models[f"{arch.name}_{method.name}"] = (arch, method,
                                                        arch.per_task_norm(method.needs_gates))
                if arch.norm_variant:
                    models[f"{arch.name}_{method.name}{NORM_SUFFIX}"] = (arch, method, True)
        return models

    def get(self, name: str) -> Recipe:
        composed = self._composed()
        if name in composed and name not in self._factories:
            arch, method, per_task_norm = composed[name]
            return arch.recipe(method, per_task_norm)
        return super().get(name)

    def names(self) -> list[str]:
        return sorted(set(self._factories) | set(self._composed()))


MODELS = ModelCatalog("model")


def _hat_alexnet_params(sequence: TaskSequence, config: RunConfig) -> int:
    """The HAT AlexNet's parameter count, which PNN and PathNet are sized to."""
    return count_params(built(_alexnet(sequence, config, gated=True, per_task_norm=False)))


def _pnn(sequence: TaskSequence, config: RunConfig) -> keras.Model:
    """PNN columns sized so the network matches the HAT AlexNet's parameter count."""
    target = _hat_alexnet_params(sequence, config)
    return ProgressiveAlexNet(sequence.classes_per_task,
                              column_width=pnn_width(sequence.classes_per_task, target),
                              channel_mean=sequence.channel_mean,
                              channel_std=sequence.channel_std)


# Progressive networks: a network whose earlier columns freeze, trained by fine-tuning.
MODELS.register("alexnet_pnn")(Recipe(_pnn, METHODS.get("sgd"), "sgd"))


def _pathnet(sequence: TaskSequence, config: RunConfig) -> keras.Model:
    """PathNet's modules sized so the network matches the HAT AlexNet's parameter count."""
    target = _hat_alexnet_params(sequence, config)
    settings = config.pathnet
    return PathNetAlexNet(sequence.classes_per_task,
                          module_width=pathnet_module_width(sequence.classes_per_task,
                                                            settings.modules, target),
                          modules=settings.modules, path_modules=settings.path_modules,
                          channel_mean=sequence.channel_mean,
                          channel_std=sequence.channel_std)


# PathNet: its network of modules and paths, trained by its tournament (methods/pathnet.py).
MODELS.register("alexnet_pathnet")(Recipe(_pathnet, METHODS.get("pathnet"), "pathnet"))


def hatified_recipe(features: Callable[[RunConfig], keras.Model], method: str | Method,
                    per_task_norm: bool = True) -> Recipe:
    """A Keras feature extractor under a method: the network `hatify` derives from
    `features(config)`, gated where the method needs gates (HAT), plain otherwise.

    Args:
        features: The Keras model of a run's config.
        method: A registered method's name, or a Method object (the one the run trains
            with: a recipe of an object builds one model).
        per_task_norm: Every BatchNorm per task (else one shared by all tasks).

    Raises:
        ValueError: The method trains only a network of its own (PathNet).
    """
    if isinstance(method, Method):
        def build_method(config: RunConfig) -> Method:
            return method

        gated, name, own_network = method.needs_gates, method_label(method), method.own_network
    else:
        spec = METHODS.get(method)
        build_method, gated, name = spec, spec.needs_gates, spec.name
        own_network = spec.own_network
    if own_network:
        raise ValueError(f"the method {name} trains only a network of its own (its model in "
                         "tools/train.py), not one hatify derives from a Keras model")

    def build_network(sequence: TaskSequence, config: RunConfig) -> keras.Model:
        return _hatified(features)(sequence, config, gated, per_task_norm)

    return Recipe(build_network, build_method, name)


def method_label(method: Method) -> str:
    """The name of a Method object: its class's registered name, else (a class of one's
    own, a subclass of a registered one included) the class's name in lower case."""
    return vars(type(method)).get("name") or type(method).__name__.lower()


def method_name(model: str) -> str:
    """The name in METHODS of the method the model `model` trains with."""
    return MODELS.get(model).method


def build_model(config: RunConfig, sequence: TaskSequence,
                strategy: tf.distribute.Strategy | None = None) -> ContinualModel:
    """The model `config.model` names, built for `sequence` (`training.loop.build_model`)."""
    return loop.build_model(config, sequence, MODELS.get(config.model), strategy)


def run_sequence(config: RunConfig, sequence: TaskSequence, **options) -> RunResults:
    """Learns `sequence` with the model `config.model` names: `training.loop.run_sequence`,
    whose keyword arguments `options` are."""
    return loop.run_sequence(config, sequence, MODELS.get(config.model), **options)
