"""Incremental Moment Matching (Lee et al., NeurIPS 2017, arXiv:1703.08475), as the HAT
reference code runs it (`approaches/imm_mean.py`, `approaches/imm_mode.py`): each task is
trained from the merged network of the tasks before it, with the L2 weight-transfer
regulariser λ·Σ(θ − θ_{t−1})²/2 towards that network, and at its end its network θ_t is
merged into the earlier ones':

    mean-IMM:  θ_{1:t} = (θ_t + t·θ_{1:t−1}) / (t + 1), the tasks' networks equally weighted;
    mode-IMM:  θ_{1:t} = (F_t θ_t + F_{1:t−1} θ_{1:t−1}) / (F_t + F_{1:t−1}), F_{1:t−1} the
               sum of the earlier tasks' diagonal Fisher information (the Laplace
               approximation's mode, IMM §2.2).

As in the reference every trainable variable of the network is merged: the earlier tasks'
heads, which task t does not train, keep their values; the new task's head is merged with
its value before the task (mean-IMM halves its step at t = 1). The reference's settings:
mean-IMM λ = 1e-4, clip 10000; mode-IMM λ = 0.01, clip 1000 (its `lamb` default; its grid
comment names 1 as the best). Two departures, both in mode-IMM: the reference computes
the merged value into a local name (`p=fisher_new[n]*p+...`) and never assigns it to the
network, so its mode-IMM trains on unmerged; here the merge is done. Its Fisher is the
cross-entropy's alone, as EWC's estimator (methods/ewc.py: batches of 20, training mode),
where the reference's criterion adds the regulariser's gradient. A weight with no Fisher
information from any task keeps the new task's value (the reference's formula would zero
it).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from hat_tf.config import Number
from hat_tf.methods.base import Method
from hat_tf.methods.ewc import FISHER_BATCH_SIZE, diagonal_fisher
from hat_tf.methods.registry import Option, Searched, register_method


@dataclass(frozen=True)
class ImmMeanConfig:
    """Mean-IMM's hyperparameter, as the HAT reference code runs it (`imm_mean.py`).

    Attributes:
        weight: λ of the weight-transfer regulariser λ·Σ(θ − θ_{t−1})²/2 (reference:
            `regularizer=0.0001`, the best of its grid 0.01 … 1e-6).
    """

    weight: float = 1e-4


@dataclass(frozen=True)
class ImmModeConfig:
    """Mode-IMM's hyperparameter, as the HAT reference code runs it (`imm_mode.py`).

    Attributes:
        weight: λ of the weight-transfer regulariser λ·Σ(θ − θ_{t−1})²/2 (reference:
            `lamb=0.01`, the value its code runs; its grid comment, 10 … 1e-5, names 1).
    """

    weight: float = 0.01


# λ = 0 turns the regulariser off (the merge alone); the searched ranges span the
# reference's grids.
@register_method(
    "imm_mean", settings=ImmMeanConfig,
    options=(Option("--imm-mean-lambda", "imm_mean", "weight", "mean-IMM's λ, the weight of "
                    "its weight-transfer regulariser (default {default:g}, the HAT reference "
                    "code's)", Number(float, 0)),),
    search=(Searched("imm_mean_lambda", "imm_mean", "weight", 1e-6, 1e-2, "log",
                     "--imm-mean-lambda", "mean-IMM's λ", (1e-6, 1e-4, 1e-2)),))
class ImmMean(Method):
    """Mean-IMM: the weight-transfer regulariser while a task trains, the mean of the
    tasks' networks after it (IMM §2.1).

    Args:
        config: λ (`ImmMeanConfig.weight`).
    """

    gradient_clip_norm = 10000.0  # reference approaches/imm_mean.py: clipgrad=10000

    def __init__(self, config: ImmMeanConfig | ImmModeConfig):
        self.weight = config.weight

    def attach(self, network: keras.Model) -> None:
        super().attach(network)
        self.params = list(network.trainable_variables)
        # θ_{1:t−1}, the merged network the task starts from (the reference's model_old).
        self.anchor = [tf.Variable(v, trainable=False, name="imm_anchor") for v in self.params]
        self.regularised = tf.Variable(0.0, trainable=False, name="imm_regularised")

    def on_task_begin(self, task_id: int, steps_per_epoch: int) -> None:
        super().on_task_begin(task_id, steps_per_epoch)
        for anchor, variable in zip(self.anchor, self.params):
            anchor.assign(variable)
        self.regularised.assign(1.0 if task_id > 0 else 0.0)

    def checkpoint_variables(self) -> list:
        return list(self.anchor)

    def extra_loss(self, inputs, all_head_logits, s):
        """λ·Σ(θ − θ_{t−1})²/2 from the second task on, added once to the mean loss."""
        penalty = tf.add_n([tf.reduce_sum(tf.square(v - a))
                            for v, a in zip(self.params, self.anchor)])
        return self.regularised * self.weight * 0.5 * penalty

    def on_task_end(self, task_id: int, train_data: tf.data.Dataset) -> None:
        for variable, anchor in zip(self.params, self.anchor):
            variable.assign((variable + task_id * anchor) / (task_id + 1))


@register_method(
    "imm_mode", settings=ImmModeConfig,
    options=(Option("--imm-mode-lambda", "imm_mode", "weight", "mode-IMM's λ, the weight of "
                    "its weight-transfer regulariser (default {default:g}, the HAT reference "
                    "code's)", Number(float, 0)),),
    search=(Searched("imm_mode_lambda", "imm_mode", "weight", 1e-5, 10.0, "log",
                     "--imm-mode-lambda", "mode-IMM's λ", (1e-5, 1e-3, 0.1, 10)),))
class ImmMode(ImmMean):
    """Mode-IMM: the weight-transfer regulariser while a task trains, the Fisher-weighted
    mean of the tasks' networks after it (IMM §2.2).

    Args:
        config: λ (`ImmModeConfig.weight`).
    """

    gradient_clip_norm = 1000.0  # reference approaches/imm_mode.py: clipgrad=1000

    def attach(self, network: keras.Model) -> None:
        super().attach(network)
        # F_{1:t−1}: the earlier tasks' diagonal Fisher information, summed.
        self.fisher = [tf.Variable(tf.zeros(v.shape), trainable=False, name="imm_fisher")
                       for v in self.params]

    def checkpoint_variables(self) -> list:
        return [*self.anchor, *self.fisher]

    def task_fisher(self, train_data: tf.data.Dataset) -> dict[int, tf.Tensor]:
        """F_t of the variables the task trained, by id: EWC's diagonal estimator."""
        trained = self.variables_to_train
        fisher = diagonal_fisher(self.network, trained,
                                 train_data.unbatch().batch(FISHER_BATCH_SIZE))
        return {id(v): f for v, f in zip(trained, fisher)}

    def on_task_end(self, task_id: int, train_data: tf.data.Dataset) -> None:
        new = self.task_fisher(train_data)
        for variable, anchor, earlier in zip(self.params, self.anchor, self.fisher):
            current = tf.convert_to_tensor(new.get(id(variable), tf.zeros(variable.shape)))
            total = current + earlier
            merged = tf.math.divide_no_nan(current * variable + earlier * anchor, total)
            variable.assign(tf.where(total > 0, merged, variable))
            earlier.assign(total)

