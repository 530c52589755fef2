"""Mixed precision (Keras' mixed_bfloat16 policy, for CPUs with AVX512_BF16, and
mixed_float16, for GPUs): HAT still keeps task 0's outputs under it."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import task_dataset
from hat_tf.hat.schedule import annealed_s
from hat_tf.training.loop import train_task
from tests.training.test_invariant import binarise_task_masks, digits_two_tasks, silent


@pytest.fixture(autouse=True)
def float32_afterwards():
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("model_name, precision", [
    ("alexnet_hat", "mixed_float16"),
    ("alexnet_hat", "mixed_bfloat16"),
    # ResNet18 (≈ 30 s a case with the grid paused) with -m slow, as its other variants:
    # AlexNet covers both policies by default, ResNet18's per-task BatchNorm the invariant.
    pytest.param("resnet18_hat_bn", "mixed_bfloat16", marks=pytest.mark.slow),
    pytest.param("resnet18_hat_bn", "mixed_float16", marks=pytest.mark.slow)])
def test_hat_keeps_task0_logits_in_mixed_precision(model_name, precision):
    config = RunConfig(model=model_name, data=DataConfig(dataset="digits"),
                       optim=OptimConfig(optimizer="sgd", lr=0.05, epochs=1), width=0.125,
                       precision=precision)
    sequence = digits_two_tasks()
    keras.utils.set_random_seed(0)
    model = build_model(config, sequence)
    assert model.network.compute_dtype == precision.removeprefix("mixed_")
    train_task(model, sequence, 0, config, silent)
    binarise_task_masks(model, 0)
    probe = task_dataset([(0, sequence.tasks[0])], "test", batch_size=1000)
    before = model.predict(probe, verbose=0)
    trunk_before = [v.numpy() for v in model.network.trainable_variables]
    momentum = dataclasses.replace(config, optim=OptimConfig(lr=0.05, momentum=0.9, epochs=1))
    train_task(model, sequence, 1, momentum, silent)
    after = model.predict(probe, verbose=0)
    assert np.isfinite(after).all()
    assert any(not np.array_equal(v.numpy(), old)  # task 1 did train
               for v, old in zip(model.network.trainable_variables, trunk_before))
    assert np.abs(after - before)[:, :2].max() <= 1e-5
    assert keras.mixed_precision.global_policy().name == precision
    build_model(dataclasses.replace(config, precision="float32"), sequence)
    assert keras.mixed_precision.global_policy().name == "float32"


def test_lwf_distils_heads_of_unequal_class_counts_to_a_finite_loss():
    """Task 0's head has 2 classes, task 1's 3: head 0's logits are padded, and the padding
    must not turn the distillation into 0·(−inf) in float16."""
    sequence = digits_two_tasks()
    three_classes = dataclasses.replace(sequence.tasks[1], class_names=("2", "3", "none"))
    sequence = dataclasses.replace(sequence, tasks=(sequence.tasks[0], three_classes))
    config = RunConfig(model="alexnet_lwf", optim=OptimConfig(epochs=1), width=0.125,
                       precision="mixed_float16")
    keras.utils.set_random_seed(0)
    model = build_model(config, sequence)
    history = keras.callbacks.History()
    train_task(model, sequence, 1, config, silent, callbacks=[history])  # distils head 0
    assert np.isfinite(history.history["loss"]).all()


class InfiniteGradientAt(keras.callbacks.Callback):
    """Makes the gradients of one batch infinite, so the loss-scale optimizer skips that
    step (what mixed_float16 does after an overflow), and records the step's s."""

    def __init__(self, method, epoch, batch):
        super().__init__()
        self.where = (epoch, batch)
        self.poison = tf.Variable(1.0, trainable=False)
        transform = method.transform_gradients
        method.transform_gradients = lambda gradients, variables, s: [
            g * self.poison for g in transform(gradients, variables, s)]
        self.s_per_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.s_per_epoch.append([])

    def on_train_batch_begin(self, batch, logs=None):
        self.poison.assign(np.inf if (self.epoch, batch) == self.where else 1.0)

    def on_train_batch_end(self, batch, logs=None):
        self.s_per_epoch[-1].append(float(logs["s_highest"]))  # s rises in an epoch: this s


def test_hat_restarts_s_every_epoch_after_a_skipped_step():
    sequence = digits_two_tasks()  # 136 training examples: 3 batches of 64
    config = RunConfig(model="alexnet_hat", optim=OptimConfig(epochs=2), width=0.125,
                       precision="mixed_float16")
    keras.utils.set_random_seed(0)
    model = build_model(config, sequence)
    skip = InfiniteGradientAt(model.method, epoch=0, batch=1)
    train_task(model, sequence, 0, config, silent, callbacks=[skip])
    assert int(model.optimizer.iterations) == 5  # 6 steps, one skipped
    first, middle, last = annealed_s(np.arange(3), 3, 400.0).numpy()
    for epoch in skip.s_per_epoch:
        assert epoch == pytest.approx([first, middle, last])
