"""The hatified VGG-style example (vgg8_hat) and its plain twin (vgg8_sgd)."""

import pytest

from hat_tf.catalog import build_model
from hat_tf.config import RunConfig
from hat_tf.models.building import count_params
from tests.models.test_resnet import CLASSES, Cifar

CONV_UNITS = 64 + 64 + 128 + 128 + 256 + 256
CONVS = 9 * (3 * 64 + 64 * 64 + 64 * 128 + 128 * 128 + 128 * 256 + 256 * 256)  # no biases
DENSE = 4 * 4 * 256 * 512 + 512  # the flattened 4×4×256 map into 512 units
TRUNK = CONVS + 2 * CONV_UNITS + DENSE  # with one shared BatchNorm's gamma and beta
HEADS = sum(512 * c + c for c in CLASSES)
TASKS = len(CLASSES)


@pytest.mark.parametrize("model_name, expected", [
    ("vgg8_sgd", TRUNK + HEADS),
    # a gate per conv and dense unit per task; gamma and beta per task
    ("vgg8_hat", TRUNK + HEADS + TASKS * (CONV_UNITS + 512) + (TASKS - 1) * 2 * CONV_UNITS),
])
def test_parameter_counts_at_full_width_are_pinned(model_name, expected):
    network = build_model(RunConfig(model=model_name), Cifar).network
    assert count_params(network) == expected
    assert TRUNK == 3_243_968


def test_every_trunk_weight_is_conditioned_or_per_task():
    network = build_model(RunConfig(model="vgg8_hat", width=0.125), Cifar).network
    graph = network.gate_graph()
    graph.check_covers(network.trainable_variables)
    layouts = [c.layout for c in graph.connections if c.layout != "per_output"]
    assert layouts == ["conv"] * 6 + ["flatten"]
    assert [site.fold for site in network.sites] == ["always"] * 6 + ["never"]
