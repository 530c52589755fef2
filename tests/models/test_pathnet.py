"""PathNet's network (models/pathnet.py): its size (matched to AlexNet-HAT's as PNN's is:
tests/models/test_pnn.py), and each example through its own task's path, the modules off
it unread."""

import numpy as np
import pytest

from hat_tf.models.building import built, count_params
from hat_tf.models.pathnet import PathNetAlexNet, pathnet_param_count
from tests.models.test_pnn import images


def test_analytic_count_matches_the_built_network():
    network = built(PathNetAlexNet([2, 3, 4], module_width=0.1, modules=5, path_modules=2))
    assert count_params(network) == pathnet_param_count([2, 3, 4], 0.1, 5)


def tiny_network():
    """Two tasks on paths that share module 1 of every layer and nothing else."""
    network = built(PathNetAlexNet([2, 2], module_width=0.05, modules=4, path_modules=2))
    network.set_path(0, np.tile([0, 1], (5, 1)))
    network.set_path(1, np.tile([1, 2], (5, 1)))
    return network


def test_each_example_takes_its_own_tasks_path():
    network = tiny_network()
    batch = images(4)
    mixed = network({"image": batch, "task_id": np.array([0, 1, 0, 1], np.int32)}).numpy()
    for task in (0, 1):
        alone = network({"image": batch, "task_id": np.full(4, task, np.int32)}).numpy()
        # atol: a logit near 0 differs by float rounding between batch compositions
        np.testing.assert_allclose(mixed[task::2], alone[task::2], rtol=1e-5, atol=1e-5)


def test_a_module_off_the_path_changes_nothing_and_one_on_it_does():
    network = tiny_network()
    inputs = {"image": images(4), "task_id": np.zeros(4, np.int32)}
    before = network(inputs).numpy()
    for variable in network.path_layers[1].module_variables(2):  # task 1's alone
        variable.assign(variable + 1.0)
    np.testing.assert_array_equal(before, network(inputs).numpy())
    for variable in network.path_layers[1].module_variables(1):  # shared by both paths
        variable.assign(variable + 1.0)
    assert not np.allclose(before, network(inputs).numpy())


def test_module_variables_are_those_the_paths_name_each_once():
    network = tiny_network()
    variables = network.module_variables(network.paths.numpy())  # modules 0, 1, 2 of 5 layers
    assert len(variables) == 5 * 3 * 2 and len({id(v) for v in variables}) == len(variables)
    assert network.module_variables(network.paths.numpy()[:0]) == []


def test_a_path_takes_at_most_the_layers_modules():
    with pytest.raises(ValueError, match="a path names 1 to 4 modules"):
        PathNetAlexNet([2], module_width=0.05, modules=4, path_modules=5)
