"""The hook contract: the train step calls three traced hooks of its method, in order,
and the method's `apply_gradients` alone applies the step."""

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


def test_the_step_calls_three_hooks_and_applies_only_what_the_method_applies():
    rng = np.random.default_rng(0)
    splits = [(rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8), rng.integers(0, 2, n))
              for n in (24, 8)]
    sequence = task_sequence(train=splits[:1], test=splits[1:])
    features = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3),
                                 keras.layers.ReLU(), keras.layers.GlobalAveragePooling2D()])
    method = Recording()
    config = RunConfig(optim=OptimConfig(epochs=1, batch_size=16))
    model = build_model(config, sequence, hatified_recipe(lambda _: features, method))
    before = [v.numpy() for v in model.network.trainable_variables]
    train_task(model, sequence, 0, config, lambda line: None)
    assert method.calls[:3] == ["next_gate_scale", "extra_loss", "apply_gradients"]
    for old, new in zip(before, model.network.trainable_variables, strict=True):
        np.testing.assert_array_equal(old, new.numpy())
