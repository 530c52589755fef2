"""PathNet (methods/pathnet.py) on two tiny digits tasks: earlier tasks' paths stay
frozen, bit for bit (with a control that trains them and drifts), the tournament keeps its
winner and mutates the others, a checkpoint keeps the tournament, and `alexnet_pathnet` runs
as every model does."""

import dataclasses
import functools
import json

import keras
import numpy as np
import pytest

import hat_tf
from hat_tf.catalog import MODELS
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.methods.pathnet import PathNet, PathNetConfig, mutated, random_paths
from hat_tf.models.building import built
from hat_tf.models.pathnet import PathNetAlexNet
from hat_tf.runner import start_run
from hat_tf.training.checkpoint import RunCheckpoint
from hat_tf.training.continual_model import ContinualModel
from hat_tf.training.loop import build_model, train_task

# Four modules a layer and paths of three: any two paths share modules in every layer, so
# the control that trains earlier tasks' modules changes task 0's path. Two epochs: one
# generation of two turns.
SMALL = PathNetConfig(modules=4, path_modules=3, generations=2)
# Adam: under its momentum a module with a zero gradient would still move; one left out of
# the trained variables does not.
ADAM = OptimConfig(optimizer="adam", lr=1e-3, epochs=2)


def silent(line):
    pass


@functools.cache
def digits():
    return DATASETS.get("digits")(DataConfig(num_tasks=2, train_limit=120))


class Unfrozen(PathNet):
    """The control: PathNet whose later tasks also train the modules of earlier paths."""

    def on_task_begin(self, task_id, steps_per_epoch):
        super().on_task_begin(task_id, steps_per_epoch)
        trainable = self.graph.trainable_for(range(task_id, task_id + 1))
        self.variables_to_train = [v for v in self.network.trainable_variables
                                   if id(v) in trainable]


def model_for(method_class):
    config = RunConfig(model="alexnet_pathnet", width=0.125, optim=ADAM, pathnet=SMALL)
    recipe = dataclasses.replace(MODELS.get("alexnet_pathnet"),
                                 build_method=method_class.from_config)
    keras.utils.set_random_seed(0)
    return build_model(config, digits(), recipe), config


def task0_outputs(model):
    task = digits().tasks[0]
    return model.network({"image": task.x_test, "task_id": np.zeros(len(task.x_test), np.int32)},
                         training=False).numpy()


@functools.cache
def outputs_before_and_after_task1(method_class):
    """Task 0's test outputs after task 0 and after task 1, and the model."""
    model, config = model_for(method_class)
    train_task(model, digits(), 0, config, silent)
    before = task0_outputs(model)
    train_task(model, digits(), 1, config, silent)
    return before, task0_outputs(model), model


def test_frozen_paths_leave_earlier_tasks_outputs_bit_identical():
    before, after, model = outputs_before_and_after_task1(PathNet)
    np.testing.assert_array_equal(before, after)
    task0_modules = {id(v) for v in model.network.module_variables(model.network.paths[0])}
    assert not any(id(v) in task0_modules for v in model.method.variables_to_train)


def test_the_control_that_trains_earlier_paths_drifts():
    before, after, _ = outputs_before_and_after_task1(Unfrozen)
    assert np.max(np.abs(before - after)) > 1e-4


def test_the_task_keeps_the_path_of_its_best_epoch():
    """The trainer's restore of the best weights leaves the tournament's winner as the
    task's path: the schedule sees each epoch before the method switches paths."""
    _, _, model = outputs_before_and_after_task1(PathNet)
    method = model.method
    np.testing.assert_array_equal(model.network.paths.numpy()[1],
                                  method.candidates.numpy()[int(method.winner)])


def scripted_method(generations=2, population=3):
    """A PathNet whose turns last one epoch, on a network it has not trained."""
    network = built(PathNetAlexNet([2, 2], module_width=0.05, modules=8, path_modules=2))
    method = PathNet(PathNetConfig(modules=8, path_modules=2, generations=generations,
                                   population=population),
                     epochs=generations * population, seed=0)
    method.attach(network)
    method.on_task_begin(0, steps_per_epoch=1)
    return network, method


def weights(network):
    return [v.numpy().copy() for v in network.trainable_variables]


def run_epochs(network, method, first_epoch, losses):
    """Each epoch moves the weights (as training would), then ends with its `losses`
    entry as the validation loss; returns the weights each epoch ended with."""
    ended = []
    for epoch, loss in enumerate(losses, start=first_epoch):
        network.trainable_variables[0].assign_add(np.ones(network.trainable_variables[0].shape))
        ended.append(weights(network))
        method.on_epoch_end(0, epoch, {"val_loss": loss})
    return ended


def assert_same(expected, actual):
    for a, b in zip(expected, actual, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_tournament_keeps_the_winner_and_mutates_the_others():
    network, method = scripted_method()
    first = method.candidates.numpy()
    assert np.array_equal(network.paths.numpy()[0], first[0])  # the first turn's path
    ended = run_epochs(network, method, 0, [0.9, 0.5, 0.7])  # candidate 1 wins
    after = method.candidates.numpy()
    np.testing.assert_array_equal(after[1], first[1])
    for loser in (0, 2):
        assert set(((after[loser] - first[1]) % 8).ravel()) <= {0, 1, 2, 6, 7}  # ±2 mod M
    assert_same(ended[1], weights(network))  # back to the winner's weights
    np.testing.assert_array_equal(network.paths.numpy()[0], after[0])  # the next turn's path
    run_epochs(network, method, 3, [0.8, 0.6, 0.9])  # no better epoch: the winner stays
    assert int(method.winner) == 1
    assert_same(ended[1], weights(network))
    # the tournament over, the winner trains the epochs left
    np.testing.assert_array_equal(network.paths.numpy()[0], first[1])


def test_the_turns_share_the_tasks_epochs():
    assert PathNet(PathNetConfig(), epochs=200).turn_epochs == 5  # 20 generations of 2
    assert PathNet(PathNetConfig(), epochs=15).turn_epochs == 1


def test_first_paths_take_distinct_modules_and_mutations_shift_by_at_most_two():
    rng = np.random.default_rng(0)
    paths = random_paths(rng, 50, 5, 3, 16)
    assert paths.shape == (50, 5, 3)
    assert all(len(set(layer)) == 3 for path in paths for layer in path)
    path = paths[0]
    draws = np.array([mutated(path, 16, rng) for _ in range(2000)])
    changed = draws != path
    assert set(((draws - path) % 16).ravel()) == {0, 1, 2, 14, 15}
    # each of the 15 entries with probability 1/15, shifted by a nonzero integer 4 times in 5
    assert changed.mean() == pytest.approx(4 / 5 / 15, rel=0.15)


def test_alexnet_pathnet_runs_two_tasks_as_every_model(tmp_path):
    data = DataConfig(num_tasks=2, train_limit=40)
    config = RunConfig(model="alexnet_pathnet", width=0.125, data=data,
                       optim=OptimConfig(epochs=1), run_dir=str(tmp_path / "run"))
    results = start_run(config, DATASETS.get("digits")(data), log=silent)
    assert results.tasks_completed == 2
    assert all(0.0 <= acc <= 1.0 for acc in results.acc_matrix[-1])
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert np.array(saved["pathnet_path"]).shape == (2, 5, 3)  # each task's winner, L × N
    assert saved["method"] == {"gradient_clip_norm": 1000.0, "turn_epochs": 1}
    for name in ("saved_models/task_0", "saved_models/task_1", "saved_models/multitask"):
        assert (tmp_path / "run" / name).exists(), name


def scripted_model(seed):
    """`scripted_method`'s network and method, compiled as the loop compiles them."""
    keras.utils.set_random_seed(seed)
    model = ContinualModel(*scripted_method(generations=3))
    model.compile(optimizer="sgd")
    model.optimizer.build(model.network.trainable_variables)  # a checkpoint saves its state
    return model


def test_a_checkpoint_keeps_the_tournament(tmp_path):
    """A run resumed after a generation (its paths mutated, its best kept) goes on as the
    run that was not stopped: the paths are in the network, the tournament's state in the
    method's checkpoint variables."""
    checkpoint = RunCheckpoint(str(tmp_path))
    stopped, resumed = scripted_model(0), scripted_model(1)  # other initial weights
    run_epochs(stopped.network, stopped.method, 0, [0.9, 0.5, 0.7])
    checkpoint.save(stopped, {"task_id": 0}, best_weights=None)
    checkpoint.restore_network(resumed)
    checkpoint.restore_method(resumed)
    for model in (stopped, resumed):
        run_epochs(model.network, model.method, 3, [0.8, 0.6, 0.7])  # the best stays
    np.testing.assert_array_equal(stopped.method.candidates.numpy(),
                                  resumed.method.candidates.numpy())
    np.testing.assert_array_equal(stopped.network.paths.numpy(), resumed.network.paths.numpy())
    assert_same(weights(stopped.network), weights(resumed.network))


def test_only_its_own_network_takes_it():
    assert "alexnet_pathnet" in MODELS.names()
    assert not [name for name in MODELS.names() if name.endswith("_pathnet")
                and name != "alexnet_pathnet"]
    features = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="trains only a network of its own"):
        hat_tf.learn(features, digits(), method="pathnet")
