import numpy as np
import pytest

from hat_tf.catalog import build_model
from hat_tf.config import RunConfig
from hat_tf.models.building import built, count_params
from hat_tf.models.pnn import ProgressiveAlexNet, pnn_param_count


class Sequence:
    channel_mean = (0.0, 0.0, 0.0)
    channel_std = (1.0, 1.0, 1.0)

    def __init__(self, classes_per_task):
        self.classes_per_task = classes_per_task


@pytest.mark.parametrize("classes_per_task", [
    [2, 2, 2, 2, 2, 20, 20, 20, 20, 20],  # cifar (docs/algorithm.md §10), before the seed's shuffle
    [2] * 5])  # digits
@pytest.mark.parametrize("model", ["alexnet_pnn", "alexnet_pathnet"])
def test_network_sized_to_match_is_within_half_a_percent_of_the_hat_alexnet(
        model, classes_per_task):
    """PNN's columns and PathNet's modules are sized to AlexNet-HAT's parameter count."""
    sequence = Sequence(classes_per_task)
    hat = count_params(build_model(RunConfig(model="alexnet_hat"), sequence).network)
    matched = count_params(build_model(RunConfig(model=model), sequence).network)
    assert abs(matched - hat) / hat < 0.005


def test_analytic_count_matches_the_built_network():
    network = built(ProgressiveAlexNet([2, 3, 4], column_width=0.3))
    assert count_params(network) == pnn_param_count([2, 3, 4], 0.3)


def images(count):
    return np.random.default_rng(0).integers(0, 255, (count, 32, 32, 3)).astype(np.uint8)


def test_each_task_reads_its_own_column():
    network = ProgressiveAlexNet([2, 2], column_width=0.1)
    batch = images(2)
    mixed = network({"image": batch, "task_id": np.array([0, 1], np.int32)}).numpy()
    both = network({"image": batch, "task_id": np.array([0, 0], np.int32)}, all_heads=True)
    np.testing.assert_allclose(mixed[0], both.numpy()[0, 0], rtol=1e-5)
    np.testing.assert_allclose(mixed[1], both.numpy()[1, 1], rtol=1e-5)


@pytest.mark.parametrize("adapter", ["column2_conv2_adapter", "column2_head_adapter"])
def test_the_adapters_feed_their_own_task_and_no_earlier_one(adapter):
    """Unlike the reference's head laterals, which no task's own output reads."""
    network = built(ProgressiveAlexNet([2, 2, 2], column_width=0.1))
    inputs = {"image": images(4), "task_id": np.zeros(4, np.int32)}
    before = network(inputs, all_heads=True).numpy()
    scales = next(v for v in network.variables if v.path == f"pnn/{adapter}/scales")
    scales.assign(scales.numpy() + 1.0)
    after = network(inputs, all_heads=True).numpy()
    np.testing.assert_array_equal(before[:, :2], after[:, :2])
    assert not np.allclose(before[:, 2], after[:, 2])
