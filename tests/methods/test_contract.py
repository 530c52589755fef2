"""The hook contract: the train step calls three traced hooks of its method, in order,
and the method's `apply_gradients` alone applies the step; `on_epoch_end` sees every
epoch's logs."""

import keras
import numpy as np

from hat_tf.catalog import hatified_recipe
from hat_tf.config import OptimConfig, RunConfig
from hat_tf.data.user_tasks import task_sequence
from hat_tf.methods.base import Method
from hat_tf.training.loop import build_model, train_task


class Recording(Method):
    """Notes the traced hooks as the step is traced; applies no step."""

    def __init__(self):
        self.calls = []

    def next_gate_scale(self):
        self.calls.append("next_gate_scale")
        return None

    def extra_loss(self, inputs, all_head_logits, s):
        self.calls.append("extra_loss")
        return super().extra_loss(inputs, all_head_logits, s)

    def apply_gradients(self, optimizer, gradients, variables, s):
        self.calls.append("apply_gradients")


def model_of_one_tiny_task(method, epochs):
    """A tiny Keras model under `method`, its one task, and the run's config."""
    rng = np.random.default_rng(0)
    splits = [(rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8), rng.integers(0, 2, n))
              for n in (24, 8)]
    sequence = task_sequence(train=splits[:1], test=splits[1:])
    features = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3),
                                 keras.layers.ReLU(), keras.layers.GlobalAveragePooling2D()])
    config = RunConfig(optim=OptimConfig(epochs=epochs, batch_size=16))
    model = build_model(config, sequence, hatified_recipe(lambda _: features, method))
    return model, sequence, config


def test_the_step_calls_three_hooks_and_applies_only_what_the_method_applies():
    method = Recording()
    model, sequence, config = model_of_one_tiny_task(method, epochs=1)
    before = [v.numpy() for v in model.network.trainable_variables]
    train_task(model, sequence, 0, config, lambda line: None)
    assert method.calls[:3] == ["next_gate_scale", "extra_loss", "apply_gradients"]
    for old, new in zip(before, model.network.trainable_variables, strict=True):
        np.testing.assert_array_equal(old, new.numpy())


class EpochRecording(Method):
    """Fine-tuning that notes each epoch's end as `on_epoch_end` sees it."""

    def __init__(self):
        self.epochs = []

    def on_epoch_end(self, task_id, epoch, logs):
        self.epochs.append((task_id, epoch, sorted(logs)))


def test_on_epoch_end_sees_every_epoch_with_its_validation_loss():
    method = EpochRecording()
    model, sequence, config = model_of_one_tiny_task(method, epochs=2)
    train_task(model, sequence, 0, config, lambda line: None)
    assert [(task, epoch) for task, epoch, _ in method.epochs] == [(0, 0), (0, 1)]
    assert all("val_loss" in logs for _, _, logs in method.epochs)
