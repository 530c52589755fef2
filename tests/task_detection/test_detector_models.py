"""The task detector on every kind of network: HAT models record each task's features under
that task's own masks; networks without masks fall back to a rule that reads the heads."""

import numpy as np
import pytest
import tensorflow as tf

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.models.building import built
from hat_tf.models.hatified import hatify
from hat_tf.task_detection import TaskDetector, TaskOutputs
from hat_tf.task_detection.detector import every_task_outputs, feature_units, own_task_outputs
from tests.models.keras_models import small_residual


@pytest.fixture(scope="module")
def sequence():
    return DATASETS.get("digits")(DataConfig(dataset="digits", num_tasks=2, train_limit=60))


def network_of(name, sequence):
    if name == "hatify":
        return built(hatify(small_residual(), sequence.classes_per_task))
    return build_model(RunConfig(model=name, width=0.125), sequence).network


def class_mean(network, images, labels, task_id, label):
    _, features = own_task_outputs(network, images, task_id)
    return features.numpy()[labels == label].mean(axis=0)


@pytest.mark.parametrize("name", [
    "alexnet_hat", "resnet18_hat_bn", "vgg8_hat", "hatify",
    pytest.param("resnet18_hat", marks=pytest.mark.slow),  # resnet18_hat_bn but for its BN
])
def test_each_task_keeps_its_own_features_statistics(name, sequence):
    network = network_of(name, sequence)
    detector = TaskDetector.for_network(network, sequence.classes_per_task, gated=True)
    assert detector.rule == "mahalanobis"
    outputs = TaskOutputs(network)
    for task_id, task in enumerate(sequence.tasks):
        detector.record(outputs, task_id, task.x_train, task.y_train)
    images, labels = sequence.tasks[1].x_train, sequence.tasks[1].y_train
    means = detector.rules[detector.rule_names.index("mahalanobis")].means.numpy()
    np.testing.assert_allclose(means[1, 0], class_mean(network, images, labels, 1, 0),
                               rtol=1e-4, atol=1e-5)
    # Control: the same images under the other task's masks give other features.
    assert not np.allclose(means[1, 0], class_mean(network, images, labels, 0, 0),
                           rtol=1e-3, atol=1e-4)
    chosen, probabilities = detector.infer(network, images, 2)
    assert set(chosen.numpy()) <= {0, 1}
    np.testing.assert_allclose(tf.reduce_sum(probabilities, -1).numpy(), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", ["alexnet_sgd", "alexnet_pnn"])
def test_networks_without_masks_infer_from_their_heads(name, sequence):
    network = network_of(name, sequence)
    detector = TaskDetector.for_network(network, sequence.classes_per_task, gated=False)
    assert detector.rule == "energy" and "mahalanobis" not in detector.rule_names
    assert detector.state() == []
    images = sequence.tasks[0].x_test[:5]
    chosen, _ = detector.infer(network, images, 2)
    logits, scores = detector.all_scores(network, images, 2)
    np.testing.assert_array_equal(chosen.numpy(), np.argmax(scores["energy"].numpy(), axis=0))


def test_a_feature_rule_without_features_is_refused():
    with pytest.raises(ValueError, match="'mahalanobis' needs the features of a gated network"):
        TaskDetector([2, 2], None, rule="mahalanobis")


def test_alexnet_gives_the_detector_its_trunk_and_dense_layers_and_the_heads_fc2(sequence):
    network = network_of("alexnet_hat", sequence)
    images = sequence.tasks[1].x_train[:4]
    inputs = {"image": images, "task_id": tf.fill([4], 1)}
    trunk, fc1, fc2 = network.stage_outputs(inputs, False, None)
    logits, features = own_task_outputs(network, images, 1)
    np.testing.assert_allclose(features.numpy(), tf.concat([trunk, fc1, fc2], -1).numpy())
    assert features.shape[-1] == trunk.shape[-1] + fc1.shape[-1] + fc2.shape[-1] > fc2.shape[-1]
    # The heads still read fc2 alone: the logits are the network's own.
    np.testing.assert_allclose(logits.numpy()[:, :2], network(inputs).numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("name", ["alexnet_hat", "resnet18_hat_bn", "vgg8_hat", "hatify",
                                  "alexnet_pnn"])
def test_every_tasks_pass_in_one_traced_call_is_each_tasks_own(name, sequence):
    """The detector's T masked passes run in one traced call (tf.map_fn over the task
    ids): the logits and features of each task's own pass, per-task BatchNorm included."""
    network = network_of(name, sequence)
    images = sequence.tasks[0].x_test[:6]
    with_features = name != "alexnet_pnn"
    logits, features = tf.function(
        lambda batch: every_task_outputs(network, batch, 2, with_features))(images)
    for task in range(2):
        own_logits, own_features = own_task_outputs(network, images, task)
        np.testing.assert_allclose(logits[task].numpy(), own_logits.numpy(), rtol=1e-5,
                                   atol=1e-5)
        if with_features:
            np.testing.assert_allclose(features[task].numpy(), own_features.numpy(),
                                       rtol=1e-5, atol=1e-5)
    assert (features is None) == (not with_features)


def test_the_detector_knows_where_the_heads_input_lies_in_its_features(sequence):
    """AlexNet's detector features end with fc2, the heads' input, which ViM reads; the
    other networks' are the heads' input."""
    alexnet = network_of("alexnet_hat", sequence)
    units, head_units = feature_units(alexnet)
    assert head_units == alexnet.denses[-1].units < units
    vgg_units, vgg_head_units = feature_units(network_of("vgg8_hat", sequence))
    assert vgg_units == vgg_head_units
    assert feature_units(network_of("alexnet_pnn", sequence)) == (None, None)
    detector = TaskDetector.for_network(alexnet, sequence.classes_per_task, gated=True)
    assert detector.rules[detector.rule_names.index("vim")].head_units == head_units
