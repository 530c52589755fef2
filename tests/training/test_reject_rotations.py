"""`RunConfig.reject_rotations`: one output "not this task" more per head, trained on
rotated copies of half of each batch, and never counted as a class."""

import numpy as np
import pytest
import tensorflow as tf

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.data.rotations import check_square, with_rotated_copies
from hat_tf.export.compact import task_weights
from hat_tf.training.loop import TaskScorer


@pytest.fixture(scope="module")
def sequence():
    return DATASETS.get("digits")(DataConfig(dataset="digits", num_tasks=2, train_limit=60))


def network_of(sequence, reject_rotations, model="alexnet_hat"):
    config = RunConfig(model=model, width=0.125, reject_rotations=reject_rotations)
    return build_model(config, sequence).network


def test_half_the_batch_is_copied_turned_by_90_180_and_270_degrees():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (7, 4, 4, 3)).astype(np.uint8)
    task_ids, labels = np.full(7, 1, np.int32), np.arange(7) % 2
    inputs, all_labels = with_rotated_copies({"image": images, "task_id": task_ids}, labels,
                                             reject_label=2)
    all_images = inputs["image"].numpy()
    np.testing.assert_array_equal(all_images[:7], images)  # the batch's own, first
    np.testing.assert_array_equal(all_labels.numpy(), [*labels, 2, 2, 2, 2])
    np.testing.assert_array_equal(inputs["task_id"].numpy(), [1] * 11)
    # the first ⌈7/2⌉ = 4 images, image i turned i mod 3 + 1 quarter turns (grouped by turn)
    sources = [0, 3, 1, 2]
    turns = [1, 1, 2, 3]
    for copy, (source, turn) in enumerate(zip(sources, turns)):
        np.testing.assert_array_equal(all_images[7 + copy], np.rot90(images[source], turn))


def test_the_option_adds_one_output_per_head_that_no_accuracy_counts(sequence):
    plain, rejecting = network_of(sequence, False), network_of(sequence, True)
    for without, with_ in zip(plain.head.heads, rejecting.head.heads):
        assert with_.kernel.shape[-1] == without.kernel.shape[-1] + 1
    images = sequence.tasks[1].x_test
    inputs = {"image": images, "task_id": tf.fill([len(images)], 1)}
    classes = rejecting(inputs).numpy()
    assert classes.shape == plain(inputs).shape
    np.testing.assert_array_equal(rejecting(inputs, with_reject=True).numpy()[:, :-1], classes)
    scorer = TaskScorer(rejecting, sequence)
    before = scorer.accuracies([0, 1])
    for head in rejecting.head.heads:  # the reject output wins every image
        head.bias.assign(tf.tensor_scatter_nd_update(head.bias, [[head.units - 1]], [1e4]))
    assert scorer.accuracies([0, 1]) == before
    assert np.argmax(rejecting(inputs, with_reject=True), -1).tolist() == [2] * len(classes)
    kernel, bias = task_weights(rejecting, 1)[-1]  # a compact export's head: the classes
    assert kernel.shape[-1] == bias.shape[-1] == sequence.classes_per_task[1]


def test_a_method_without_gates_or_images_that_are_not_square_are_refused(sequence):
    with pytest.raises(ValueError, match="expected a method with HAT's gates, received "):
        network_of(sequence, True, model="alexnet_ewc")
    with pytest.raises(ValueError, match="expected height = width, received 28×32"):
        check_square((28, 32, 3))
    check_square((32, 32, 3))
