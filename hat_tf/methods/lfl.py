"""Less-Forgetting Learning (Jung et al., 2016, arXiv:1607.00122), as the HAT reference
code runs it (`approaches/lfl.py`): from the second task on, penalise how far the
features the heads read move from those of the network as the previous task left it.

    loss = CE + λ · Σ_batch ‖f(x) − f_old(x)‖² / 2

summed over the batch's examples and the features, as the reference's criterion
(`torch.sum((layer_old - layer).pow(2)) / 2`), with λ = 0.05 and gradients clipped at norm
200 (reference `lamb=0.05`, `clipgrad=200`). One departure: the reference reads the
penalised features in the training pass itself, on a network without dropout on that
layer (its `alexnet_lfl`); here both networks' features come from a pass in inference mode
(no dropout, BatchNorm's moving statistics), so the penalty is the same for every
architecture and is zero until the network moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from hat_tf.config import Number
from hat_tf.distribute import replica_sum
from hat_tf.methods.base import Method
from hat_tf.methods.registry import Option, Searched, register_method
from hat_tf.models.building import built


@dataclass(frozen=True)
class LflConfig:
    """LFL's hyperparameter, as the HAT reference code runs LFL (`approaches/lfl.py`).

    Attributes:
        weight: λ, the weight of the feature penalty (reference: 0.05, the best of its
            grid 1e-1 … 5e-5, of which it notes that none really worked).
    """

    weight: float = 0.05


# λ = 0 turns the penalty off (plain fine-tuning, a control); the searched range is the
# reference's grid.
@register_method(
    "lfl", settings=LflConfig,
    options=(Option("--lfl-lambda", "lfl", "weight", "LFL's λ, the weight of its feature "
                    "penalty (default {default:g}, the HAT reference code's)",
                    Number(float, 0)),),
    search=(Searched("lfl_lambda", "lfl", "weight", 5e-5, 0.1, "log", "--lfl-lambda",
                     "LFL's λ", (1e-4, 1e-3, 1e-2, 1e-1)),))
class Lfl(Method):
    """Adds λ·Σ‖f(x) − f_old(x)‖²/2 over the batch to the loss from task 1 on, f the
    features the heads read and f_old those of a frozen copy of the network taken when the
    task begins (the network the previous task left).

    Args:
        config: λ (`LflConfig.weight`; reference: 0.05).
    """

    gradient_clip_norm = 200.0  # reference approaches/lfl.py: clipgrad=200

    def __init__(self, config: LflConfig):
        self.weight = config.weight

    def attach(self, network: keras.Model) -> None:
        super().attach(network)
        self.old_network = built(network.__class__.from_config(network.get_config()))
        self.penalised = tf.Variable(0.0, trainable=False, name="lfl_penalised")

    def on_task_begin(self, task_id: int, steps_per_epoch: int) -> None:
        super().on_task_begin(task_id, steps_per_epoch)
        self.old_network.set_weights(self.network.get_weights())
        self.penalised.assign(1.0 if task_id > 0 else 0.0)

    def checkpoint_variables(self) -> list:
        return list(self.old_network.variables)

    def extra_loss(self, inputs, all_head_logits, s):
        """Each example's share of λ·Σ_batch ‖f − f_old‖²/2: its own term times the global
        batch's size, which the step's mean over the batch divides again."""
        old = tf.stop_gradient(tf.cast(self.old_network.features(inputs, training=False),
                                       tf.float32))
        new = tf.cast(self.network.features(inputs, training=False, s=s), tf.float32)
        per_example = 0.5 * tf.reduce_sum(tf.square(new - old), axis=-1)
        batch_size = replica_sum(tf.cast(tf.shape(per_example)[0], tf.float32))
        return self.penalised * self.weight * batch_size * per_example
