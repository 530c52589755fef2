"""IMM (methods/imm.py) as the HAT reference code runs it: the weight-transfer regulariser
while a task trains, and after it the merge of the tasks' networks by their mean (mean-IMM)
or their Fisher-weighted mean (mode-IMM), against a hand computation on a tiny network."""

import keras
import numpy as np
import pytest

from hat_tf.catalog import hatified_recipe
from hat_tf.config import OptimConfig, RunConfig
from hat_tf.data.user_tasks import task_sequence
from hat_tf.methods.imm import ImmMean, ImmMode, ImmModeConfig
from hat_tf.training.loop import build_model, new_results

RNG = np.random.default_rng(0)


def tiny_sequence():
    splits = [(RNG.integers(0, 256, (n, 6, 6, 3), dtype=np.uint8), RNG.integers(0, 2, n))
              for n in (16, 8, 16, 8, 16, 8)]
    return task_sequence(train=splits[0::2], test=splits[1::2])


def tiny_model(method):
    """A conv and a dense layer, plain, one head per task (3 tasks of 2 classes)."""
    features = keras.Sequential([keras.Input((6, 6, 3)), keras.layers.Conv2D(2, 3),
                                 keras.layers.ReLU(), keras.layers.Flatten(),
                                 keras.layers.Dense(3), keras.layers.ReLU()])
    keras.utils.set_random_seed(0)
    return build_model(RunConfig(optim=OptimConfig(batch_size=8)), tiny_sequence(),
                       hatified_recipe(lambda _: features, method))


def values(variables):
    return [v.numpy().copy() for v in variables]


def train_by_hand(method, task_id):
    """Task `task_id` as training would leave it: new values for what the task trains
    (the trunk and its own head), the other heads untouched. Returns all the values."""
    method.on_task_begin(task_id, steps_per_epoch=1)
    trained = {id(v) for v in method.variables_to_train}
    for variable in method.params:
        if id(variable) in trained:
            variable.assign(RNG.normal(size=variable.shape).astype(np.float32))
    return values(method.params)


def test_mean_imm_merges_the_tasks_networks_by_their_mean():
    model = tiny_model("imm_mean")
    method = model.method
    assert isinstance(method, ImmMean) and method.weight == 1e-4
    first = train_by_hand(method, 0)
    method.on_task_end(0, None)
    for expected, variable in zip(first, method.params):  # one network: itself
        np.testing.assert_array_equal(variable.numpy(), expected)
    second = train_by_hand(method, 1)
    method.on_task_end(1, None)
    merged = [(a + b) / 2 for a, b in zip(second, first)]
    for expected, variable in zip(merged, method.params):
        np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-6)
    third = train_by_hand(method, 2)
    method.on_task_end(2, None)
    for a, m, variable in zip(third, merged, method.params):
        np.testing.assert_allclose(variable.numpy(), (a + 2 * m) / 3, rtol=1e-6, atol=1e-7)
    head0 = method.graph.task_private[0]  # never trained after task 0: kept as it was
    for variable in head0:
        index = next(i for i, v in enumerate(method.params) if v is variable)
        np.testing.assert_allclose(variable.numpy(), first[index], rtol=1e-6)


def test_mode_imm_merges_them_by_their_fisher_weighted_mean():
    model = tiny_model("imm_mode")
    method = model.method
    assert isinstance(method, ImmMode) and method.weight == ImmModeConfig().weight == 0.01
    fishers = []

    def task_fisher(train_data):  # a known Fisher per task, some of it zero
        fisher = {id(v): np.where(RNG.random(v.shape) < 0.3, 0.0, RNG.random(v.shape))
                  .astype(np.float32) for v in method.variables_to_train}
        fishers.append(fisher)
        return fisher

    method.task_fisher = task_fisher
    first = train_by_hand(method, 0)
    method.on_task_end(0, None)
    second = train_by_hand(method, 1)
    method.on_task_end(1, None)
    for variable, earlier, a, b in zip(method.params, method.fisher, first, second):
        f0 = fishers[0].get(id(variable), np.zeros(variable.shape, np.float32))
        f1 = fishers[1].get(id(variable), np.zeros(variable.shape, np.float32))
        total = f0 + f1
        expected = np.where(total > 0, (f1 * b + f0 * a) / np.where(total > 0, total, 1), b)
        np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(earlier.numpy(), total, rtol=1e-6)


def test_the_weight_transfer_regulariser_pulls_towards_the_merged_network():
    model = tiny_model("imm_mean")
    method = model.method
    method.on_task_begin(0, steps_per_epoch=1)
    for variable in method.params:
        variable.assign(variable + 1.0)
    assert float(method.extra_loss(None, None, None)) == 0.0  # none at the first task
    method.on_task_begin(1, steps_per_epoch=1)
    assert float(method.extra_loss(None, None, None)) == 0.0  # at the merged network
    count = sum(int(np.prod(v.shape)) for v in method.params)
    for variable in method.params:
        variable.assign(variable + 0.5)
    assert float(method.extra_loss(None, None, None)) == pytest.approx(
        1e-4 * 0.5 * count * 0.25, rel=1e-5)
    protocol = new_results(RunConfig(), tiny_sequence(), model)["method"]
    assert protocol["gradient_clip_norm"] == 10000.0
    assert tiny_model("imm_mode").method.gradient_clip_norm == 1000.0
