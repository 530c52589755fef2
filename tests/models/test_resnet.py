import numpy as np
import pytest

from hat_tf.catalog import build_model
from hat_tf.config import RunConfig
from hat_tf.data.task import TaskSequence
from hat_tf.models.building import count_params

# The HAT paper's incremental CIFAR: 5 tasks of 2 classes and 5 of 20.
CIFAR = TaskSequence("cifar", (), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
CLASSES = [2, 20] * 5
TRUNK = 11_168_832  # torchvision-style CIFAR ResNet18 without its 10-class head
HEADS = sum(512 * c + c for c in CLASSES)
BN_CHANNELS = 64 + 2 * 2 * (64 + 128 + 256 + 512) + (128 + 256 + 512)  # stem, blocks, shortcuts
GATE_UNITS = 64 + 2 * 2 * (64 + 128 + 256 + 512)  # stem gate, two gates per block


class Cifar:
    classes_per_task = CLASSES
    channel_mean = CIFAR.channel_mean
    channel_std = CIFAR.channel_std


def network(model_name, width=1.0):
    return build_model(RunConfig(model=model_name, width=width), Cifar).network


@pytest.mark.parametrize("model_name, expected", [
    ("resnet18_sgd", TRUNK + HEADS),
    ("resnet18_joint", TRUNK + HEADS),
    ("resnet18_hat", TRUNK + HEADS + 10 * GATE_UNITS),
    ("resnet18_hat_bn", TRUNK + HEADS + 10 * GATE_UNITS + 9 * 2 * BN_CHANNELS),
])
def test_parameter_counts_at_full_width_are_pinned(model_name, expected):
    assert count_params(network(model_name)) == expected


def test_full_width_is_the_papers_11_2_million():
    assert TRUNK + HEADS == 11_225_262


@pytest.mark.parametrize("model_name", ["resnet18_hat", "resnet18_hat_bn"])
def test_every_conv_and_norm_parameter_is_protected(model_name):
    net = network(model_name, width=0.125)
    graph = net.gate_graph()
    graph.check_covers(net.trainable_variables)
    conditioned = {c.variable.path: c for c in graph.connections}
    for block in net.blocks:
        if block.shortcut_conv is not None:  # the downsample convs forks forgot
            shortcut = conditioned[block.shortcut_conv.kernel.path]
            assert shortcut.post is block.gate_out and shortcut.pre is not None
        assert conditioned[block.conv2.kernel.path].post is block.gate_out
        assert conditioned[block.conv2.kernel.path].pre is block.gate1
    norm_paths = {v.path for v in net.trainable_variables if "bn" in v.path}
    if model_name == "resnet18_hat":
        assert norm_paths <= conditioned.keys()
    else:
        assert norm_paths <= {v.path for v in graph.task_rows}


def test_block_input_gate_feeds_the_next_block():
    net = network("resnet18_hat_bn", width=0.125)
    conditioned = {c.variable.path: c for c in net.gate_graph().connections}
    for before, after in zip(net.blocks, net.blocks[1:]):
        assert conditioned[after.conv1.kernel.path].pre is before.gate_out


def test_per_task_batchnorm_selects_each_examples_task():
    net = network("resnet18_hat_bn", width=0.125)
    for layer in net._flatten_layers():
        if hasattr(layer, "moving_mean") and len(layer.moving_mean.shape) == 2:
            layer.moving_mean.assign(np.random.default_rng(0).normal(
                size=layer.moving_mean.shape).astype(np.float32))
    images = np.random.default_rng(1).integers(0, 255, (2, 32, 32, 3)).astype(np.uint8)
    mixed = net({"image": images, "task_id": np.array([0, 1], np.int32)}).numpy()
    alone = net({"image": images, "task_id": np.array([1, 1], np.int32)}).numpy()
    np.testing.assert_allclose(mixed[1], alone[1], rtol=1e-5, atol=1e-5)
    assert not np.allclose(mixed[0, :2], alone[0, :2])
