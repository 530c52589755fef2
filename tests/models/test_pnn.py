import numpy as np

from hat_tf.config import RunConfig
from hat_tf.models.building import count_params
from hat_tf.models.pnn import ProgressiveAlexNet, pnn_param_count
from hat_tf.training.loop import build_model


class Cifar:
    classes_per_task = [2, 20] * 5
    channel_mean = (0.0, 0.0, 0.0)
    channel_std = (1.0, 1.0, 1.0)


def test_pnn_for_ten_tasks_is_within_5_percent_of_the_hat_alexnet():
    hat = count_params(build_model(RunConfig(model="alexnet_hat"), Cifar).network)
    pnn = count_params(build_model(RunConfig(model="alexnet_pnn"), Cifar).network)
    assert abs(pnn - hat) / hat < 0.05


def test_analytic_count_matches_the_built_network():
    network = ProgressiveAlexNet([2, 3, 4], column_width=0.3)
    network({"image": np.zeros((1, 32, 32, 3), np.uint8), "task_id": np.zeros(1, np.int32)})
    assert count_params(network) == pnn_param_count([2, 3, 4], 0.3)


def test_each_task_reads_its_own_column():
    network = ProgressiveAlexNet([2, 2], column_width=0.1)
    images = np.random.default_rng(0).integers(0, 255, (2, 32, 32, 3)).astype(np.uint8)
    mixed = network({"image": images, "task_id": np.array([0, 1], np.int32)}).numpy()
    both = network({"image": images, "task_id": np.array([0, 0], np.int32)}, all_heads=True)
    np.testing.assert_allclose(mixed[0], both.numpy()[0, 0], rtol=1e-5)
    np.testing.assert_allclose(mixed[1], both.numpy()[1, 1], rtol=1e-5)
