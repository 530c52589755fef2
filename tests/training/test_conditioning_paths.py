"""Under plain SGD HAT conditions the gradient, under other optimizers the update (docs/algorithm.md
§5); for plain SGD both paths must give the same step."""

import keras
import numpy as np

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS, task_dataset
from hat_tf.hat.masks import update_cumulative_masks


class UnrecognisedSGD(keras.optimizers.SGD):
    """Plain SGD that HAT does not recognise as such, so it conditions the update."""


def one_step(model, weights, batch, optimizer):
    """Task 1's first step from `weights` with `optimizer`; the network's weights after."""
    for variable, value in zip(model.network.variables, weights):
        variable.assign(value)
    model.method.on_task_begin(1, steps_per_epoch=4)
    model.compile(optimizer=optimizer)
    model.train_step(batch)
    return [v.numpy() for v in model.network.variables]


def test_gradient_and_update_conditioning_take_the_same_plain_sgd_step():
    sequence = DATASETS.get("digits")(DataConfig(dataset="digits", num_tasks=2, train_limit=80))
    config = RunConfig(model="alexnet_hat", optim=OptimConfig(batch_size=32), width=0.125)
    keras.utils.set_random_seed(0)
    model = build_model(config, sequence)
    # s = 2 leaves task 0's masks real-valued, so the factors lie strictly between 0 and 1.
    update_cumulative_masks(model.method.gates, 0, s_max=2.0)
    weights = [v.numpy() for v in model.network.variables]
    batch = next(iter(task_dataset([(1, sequence.tasks[1])], "train", 32)))

    by_gradient = one_step(model, weights, batch, keras.optimizers.SGD(0.5))
    by_update = one_step(model, weights, batch, UnrecognisedSGD(0.5))

    moved = [not np.array_equal(a, w) for a, w in zip(by_gradient, weights)]
    assert sum(moved) > 10  # the step did train the trunk
    for after_gradient, after_update in zip(by_gradient, by_update):
        np.testing.assert_allclose(after_gradient, after_update, atol=1e-6)
