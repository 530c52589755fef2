"""AdaHAT (methods/adahat.py): each step scales the update of a weight by its factor
r_l / (I + r_l) of AdaHAT Eqs. 7–9, on the same step paths as HAT. That earlier tasks keep
their outputs is the invariant sweep's (tests/training/test_invariant.py)."""

import functools

import keras
import numpy as np

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS, task_dataset
from hat_tf.hat.masks import update_cumulative_masks
from hat_tf.methods.adahat import MIN_FREE_UNITS, AdaHat, AdaHatConfig

S_MAX, S = 400.0, 50.0
ADAHAT = AdaHatConfig(intensity=0.5, epsilon=0.1)  # factors well inside (0, 1)


@functools.cache
def digits():
    return DATASETS.get("digits")(DataConfig(num_tasks=3, train_limit=80))


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def model_at_task_2(seed=0):
    """AlexNet-AdaHAT at width 0.25 (conv1 has 16 units, more than MIN_FREE_UNITS) whose
    tasks 0 and 1 ended with random embeddings, at the start of task 2."""
    config = RunConfig(model="alexnet_adahat", width=0.25, adahat=ADAHAT,
                       optim=OptimConfig(batch_size=32))
    keras.utils.set_random_seed(seed)
    model = build_model(config, digits())
    method = model.method
    assert isinstance(method, AdaHat) and method.adahat == ADAHAT
    rng = np.random.default_rng(seed)
    for gate in method.gates:
        embedding = rng.normal(0.0, 1.0, gate.embedding.shape).astype(np.float32)
        embedding[:, :3] = -6.0  # three units no task uses
        gate.embedding.assign(embedding)
    for task in (0, 1):
        update_cumulative_masks(method.gates, task, S_MAX)
    method.on_task_begin(2, steps_per_epoch=1)
    return model


def expected_factor(method, connection):
    """r / (I + r) of AdaHAT Eqs. 7–9, computed here in numpy from the gates' embeddings."""
    def summed(gate):  # m^{<2,sum}: tasks 0 and 1, a > 0.5 at s_max
        return (sigmoid(S_MAX * gate.embedding.numpy()[:2]) > 0.5).sum(axis=0)

    post = connection.post
    current = sigmoid(S * post.embedding.numpy()[2])
    free = 1.0 - post.cumulative.numpy()
    sparsity = (current * free).sum() / free.sum() if free.sum() > MIN_FREE_UNITS else 0.0
    rate = ADAHAT.intensity / (ADAHAT.epsilon + sparsity)
    importance = summed(post)  # per output unit: a bias, a conv fed by the image
    if connection.pre is not None:  # dense: min over (in, out)
        importance = np.minimum(summed(connection.pre)[:, None], importance[None, :])
    return np.broadcast_to(rate / (importance + rate), connection.variable.shape)


def test_the_factor_is_adahats_formula():
    model = model_at_task_2()
    method = model.method
    inputs, _ = next(iter(task_dataset([(2, digits().tasks[2])], "train", 32)))
    method.extra_loss(inputs, None, S)  # the step's forward pass: its sparsity, its r
    network = model.network
    checked = {network.convs[0].kernel.path: "conv", network.convs[0].bias.path: "bias",
               network.denses[1].kernel.path: "dense"}
    connections = [c for c in method.graph.connections if c.variable.path in checked]
    assert len(connections) == 3
    for connection in connections:
        factor = method._step_factor(connection.variable).numpy()
        np.testing.assert_allclose(factor, expected_factor(method, connection), rtol=1e-5)
        assert factor.max() == 1.0 and 0.0 < factor.min() < 1.0  # free weights move freely


def test_a_weight_is_scaled_the_more_the_more_earlier_tasks_use_it():
    model = model_at_task_2()
    method = model.method
    method.extra_loss(next(iter(task_dataset([(2, digits().tasks[2])], "train", 32)))[0],
                      None, S)
    kernel = model.network.denses[1].kernel
    importance = method._importance[id(kernel)].numpy()
    factor = method._step_factor(kernel).numpy()
    assert set(np.unique(importance)) == {0.0, 1.0, 2.0}
    by_importance = [np.unique(factor[importance == count]) for count in (0.0, 1.0, 2.0)]
    assert [len(values) for values in by_importance] == [1, 1, 1]  # one r for the layer
    assert by_importance[0][0] == 1.0 > by_importance[1][0] > by_importance[2][0] > 0.0


class UnrecognisedSGD(keras.optimizers.SGD):
    """Plain SGD that AdaHAT, as HAT, does not recognise as such: it conditions the update."""


def one_step(model, weights, batch, optimizer):
    for variable, value in zip(model.network.variables, weights):
        variable.assign(value)
    model.method.on_task_begin(2, steps_per_epoch=4)
    model.compile(optimizer=optimizer)
    model.train_step(batch)
    return [v.numpy() for v in model.network.variables]


def test_gradient_and_update_conditioning_take_the_same_step_and_move_used_weights():
    """Plain SGD conditions the gradient, other optimizers the update (as HAT): the same
    step. Unlike HAT's binary masks, AdaHAT's factor lets weights earlier tasks use move."""
    model = model_at_task_2()
    weights = [v.numpy() for v in model.network.variables]
    batch = next(iter(task_dataset([(2, digits().tasks[2])], "train", 32)))
    by_gradient = one_step(model, weights, batch, keras.optimizers.SGD(0.5))
    by_update = one_step(model, weights, batch, UnrecognisedSGD(0.5))
    for after_gradient, after_update in zip(by_gradient, by_update):
        np.testing.assert_allclose(after_gradient, after_update, atol=1e-6)
    kernel = model.network.denses[1].kernel
    index = next(i for i, v in enumerate(model.network.variables) if v is kernel)
    used = model.method._importance[id(kernel)].numpy() > 0
    assert np.abs(by_gradient[index] - weights[index])[used].max() > 0
