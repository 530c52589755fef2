import numpy as np
import pytest

from hat_tf.models.alexnet import AlexNet
from hat_tf.models.building import count_params

# The HAT paper's incremental CIFAR: 5 tasks of 2 classes and 5 of 20.
CIFAR_CLASSES = [2, 20] * 5
TRUNK = (4 * 4 * 3 * 64 + 64) + (3 * 3 * 64 * 128 + 128) + (2 * 2 * 128 * 256 + 256) + (
    2 * 2 * 256 * 2048 + 2048) + (2048 * 2048 + 2048)
HEADS = sum(2048 * c + c for c in CIFAR_CLASSES)
EMBEDDINGS = 10 * (64 + 128 + 256 + 2048 + 2048)


def built(gated, classes=CIFAR_CLASSES, width=1.0, per_task_norm=False):
    network = AlexNet(classes, gated=gated, width=width, per_task_norm=per_task_norm)
    network({"image": np.zeros((2, 32, 32, 3), np.uint8), "task_id": np.zeros(2, np.int32)})
    return network


def test_trunk_has_the_papers_6_5_million_parameters():
    assert TRUNK == 6_503_872


def test_parameter_counts_are_pinned():
    assert count_params(built(gated=False)) == TRUNK + HEADS == 6_729_262
    assert count_params(built(gated=True)) == TRUNK + HEADS + EMBEDDINGS == 6_774_702


def test_per_task_batchnorm_replaces_the_biases_with_a_gamma_and_beta_per_task():
    biases = 64 + 128 + 256 + 2048 + 2048
    norm_rows = 10 * 2 * biases  # gamma and beta, one row per task
    assert count_params(built(gated=True, per_task_norm=True)) == (
        TRUNK - biases + HEADS + EMBEDDINGS + norm_rows)


@pytest.mark.parametrize("per_task_norm", [False, True])
def test_each_example_gets_its_own_tasks_logits(per_task_norm):
    network = built(gated=True, classes=[2, 3], width=0.125, per_task_norm=per_task_norm)
    images = np.random.default_rng(0).integers(0, 255, (2, 32, 32, 3)).astype(np.uint8)
    mixed = network({"image": images, "task_id": np.array([0, 1], np.int32)}).numpy()
    first = network({"image": images, "task_id": np.array([0, 0], np.int32)}).numpy()
    second = network({"image": images, "task_id": np.array([1, 1], np.int32)}).numpy()
    np.testing.assert_allclose(mixed[0], first[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mixed[1], second[1], rtol=1e-5, atol=1e-5)
    assert mixed[0, 2] < -1e8  # task 0 has 2 classes: its third logit is masked


@pytest.mark.parametrize("per_task_norm", [False, True])
@pytest.mark.parametrize("gated", [False, True])
def test_gate_graph_gives_every_trainable_variable_a_role(gated, per_task_norm):
    network = built(gated, classes=[2, 2], width=0.125, per_task_norm=per_task_norm)
    graph = network.gate_graph()
    assert graph.unclassified(network.trainable_variables) == []
    graph.check_covers(network.trainable_variables)


def test_coverage_check_names_a_forgotten_variable():
    network = built(True, classes=[2, 2], width=0.125)
    graph = network.gate_graph()
    graph.connections = [c for c in graph.connections if "conv2" not in c.variable.path]
    with pytest.raises(ValueError, match="conv2/kernel"):
        graph.check_covers(network.trainable_variables)


def test_hat_wiring_follows_the_layer_order():
    network = built(True, classes=[2, 2], width=0.125)
    kernels = [c for c in network.gate_graph().connections if c.layout != "per_output"]
    assert [c.layout for c in kernels] == ["conv", "conv", "conv", "flatten", "dense"]
    assert kernels[0].pre is None
    for before, after in zip(kernels, kernels[1:]):
        assert after.pre is before.post
