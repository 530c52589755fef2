"""Compact per-task exports of AlexNet-HAT: smaller, and predicting as the full model."""

import json

import keras
import numpy as np
import tensorflow as tf

from hat_tf.export.compact import (
    THRESHOLDS,
    TOLERANCE,
    CompactTask,
    full_params,
    pruning_threshold,
)
from hat_tf.export.serving import task_probabilities
from hat_tf.models.alexnet import AlexNet
from hat_tf.models.building import built


def small_alexnet():
    keras.utils.set_random_seed(0)
    return built(AlexNet([2, 3], gated=True, width=0.125, channel_mean=(30, 40, 50),
                         channel_std=(60, 70, 80)))


def random_images(count=8):
    return np.random.default_rng(0).integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)


def test_with_every_gate_on_the_compact_model_is_the_full_one():
    network = small_alexnet()
    for gate in network.gates:
        gate.embedding.assign(np.full(gate.embedding.shape, 6.0, np.float32))
    compact = CompactTask(network, 1, (32, 32, 3), threshold=0.5)
    assert compact.num_params() == full_params(network, 1)
    np.testing.assert_allclose(compact.serve(random_images()).numpy(),
                               task_probabilities(network, random_images(), 1, 3).numpy(),
                               atol=1e-6)


def test_units_whose_gate_is_off_are_removed_and_change_nothing():
    network = small_alexnet()
    for gate in network.gates:  # the first half of every layer off, far below 0.5
        embedding = np.full(gate.embedding.shape, 6.0, np.float32)
        embedding[:, : gate.units // 2] = -6.0
        gate.embedding.assign(embedding)
    compact = CompactTask(network, 0, (32, 32, 3), threshold=0.5)
    assert [kernel.shape[-1] for kernel, _ in compact.layer_weights[:-1]] == [
        gate.units - gate.units // 2 for gate in network.gates]
    assert compact.num_params() < 0.4 * full_params(network, 0)
    np.testing.assert_allclose(compact.serve(random_images()).numpy(),
                               task_probabilities(network, random_images(), 0, 2).numpy(),
                               atol=1e-6)


def half_open_alexnet():
    network = small_alexnet()
    for gate in network.gates:  # a quarter of every layer at a^t ≈ 2.5e-3: not "on", not 0
        embedding = np.full(gate.embedding.shape, 6.0, np.float32)
        embedding[:, : gate.units // 2] = -6.0
        embedding[:, gate.units // 2: 3 * gate.units // 4] = -0.015
        gate.embedding.assign(embedding)
    return network


def test_half_open_units_lower_the_threshold_until_the_tolerance_is_met():
    network = half_open_alexnet()
    images = random_images(32)
    full = task_probabilities(network, images, 0, 2).numpy()

    def difference(threshold):
        compact = CompactTask(network, 0, (32, 32, 3), threshold)
        return np.max(np.abs(compact.serve(images).numpy() - full)), compact.num_params()

    threshold, checked = pruning_threshold(network, 0, images[:4], images, 2)
    assert checked == difference(threshold)[0] <= TOLERANCE
    assert difference(0.5)[0] > TOLERANCE  # dropping the half-open units changes outputs
    assert threshold < 2.5e-3
    assert difference(threshold)[0] <= TOLERANCE
    assert difference(0.5)[1] < difference(threshold)[1] < full_params(network, 0)
    lower = THRESHOLDS[THRESHOLDS.index(threshold) - 1]  # the next larger one fails
    assert difference(lower)[0] > TOLERANCE


def test_a_threshold_that_holds_on_the_search_images_only_is_lowered_on_the_check_images():
    network = half_open_alexnet()
    # pixels at the channel means standardise to 0: with zero biases every unit is 0, and
    # every threshold holds on these images
    blank = np.broadcast_to(np.array([30, 40, 50], np.uint8), (4, 32, 32, 3))
    images = random_images(32)
    threshold, checked = pruning_threshold(network, 0, blank, images, 2)
    assert threshold < 2.5e-3 and checked <= TOLERANCE
    assert pruning_threshold(network, 0, blank, blank, 2)[0] == 0.5
    assert pruning_threshold(network, 0, blank[:0], images, 2) == (threshold, checked)


def test_no_threshold_is_chosen_where_none_keeps_the_tolerance():
    network = small_alexnet()
    images = random_images()
    assert pruning_threshold(network, 0, images, images, 2, tolerance=-1.0) is None


def test_a_run_writes_compact_exports_that_reload(exported_run):
    results = json.loads((exported_run.run_dir / "results.json").read_text())
    network = exported_run.expected.model.network
    last = results["compact_exports"][-1]
    assert [row["task_id"] for row in results["compact_exports"]] == [0, 1]
    assert 0.0 < last["size_ratio"] < 1.0 and last["full_params"] == full_params(network, 1)
    assert last["max_abs_difference"] <= TOLERANCE and last["threshold"] in THRESHOLDS
    reloaded = tf.saved_model.load(str(exported_run.run_dir / "saved_models" / "task_1"))
    np.testing.assert_allclose(reloaded.serve(exported_run.images).numpy(),
                               exported_run.expected.per_task[1], atol=TOLERANCE)
    assert "## Compact exports" in (exported_run.run_dir / "report.md").read_text()
