"""AdaHAT, Adaptive Hard Attention to the Task (Wang et al., ECML-PKDD 2024, §3.1), as in
its authors' implementation (CLArena's `AdaHAT`): HAT whose protection of a weight that
earlier tasks use is soft, and adapts to how much they rely on it and to the room left.

HAT scales the update of each shared weight by 1 − min(a_out^{≤t−1}, a_in^{≤t−1}) (paper
Eq. 2; docs/algorithm.md §5), which freezes the weights of the units earlier tasks' almost
binary masks hold. AdaHAT scales it instead by

    r_l / (I_{l,ij} + r_l),   I_{l,ij} = min(m^{<t,sum}_{l,i}, m^{<t,sum}_{l−1,j}),
    r_l = α / (ε + R_l)

(AdaHAT Eqs. 8–9). m^{<t,sum} is the sum of the earlier tasks' binary masks, 1[a^τ > 0.5]
at s_max for τ < t (Eq. 7), so a weight's importance I counts the tasks that use it and a
weight no earlier task uses (I = 0) is not scaled; R_l is layer l's network sparsity at
the step, the share of the units earlier tasks left free that the task's mask takes,
Σ_i a^t_i (1 − a^{<t}_i) / Σ_i (1 − a^{<t}_i): its term of HAT's regulariser (Eq. 5). A
layer with at most MIN_FREE_UNITS free units counts as sparsity 0, as CLArena's
`HATMaskSparsityReg` does. The less of its free units a task takes, the more it may move the
weights of earlier tasks; the more tasks use a weight, the less.

The rest is HAT's (methods/hat.py): s annealed (Eq. 3), c·R in the loss (Eq. 5), the
embeddings' gradients compensated (§2.5), other tasks' embedding rows kept, and a^{≤t}
updated after each task. As HAT's, the factor scales the gradient under plain SGD and the
update under any other optimizer (docs/algorithm.md §5); CLArena scales the gradient under
any optimizer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import tensorflow as tf

from hat_tf.config import HatConfig, Number, RunConfig
from hat_tf.hat.capacity import capacity_regulariser
from hat_tf.hat.conditioning import unit_pair_minimum
from hat_tf.methods.hat import OPTIONS as HAT_OPTIONS
from hat_tf.methods.hat import SEARCH as HAT_SEARCH
from hat_tf.methods.hat import Hat
from hat_tf.methods.registry import Option, Searched, register_method
from hat_tf.models.derived_gates import gate_measure

# CLArena's HATMaskSparsityReg: a layer's sparsity is 0 unless more units than this are free.
MIN_FREE_UNITS = 10


@dataclass(frozen=True)
class AdaHatConfig:
    """AdaHAT's own settings (AdaHAT Eq. 9); it trains under HAT's too (`config.hat`: s_max,
    c, the clips).

    Attributes:
        intensity: α, the adjustment intensity (the AdaHAT authors' configuration: 1e-6);
            > 0, larger lets earlier tasks' weights move more.
        epsilon: ε, added to the sparsity so that r stays finite (CLArena's default: 0.1).
    """

    intensity: float = 1e-6
    epsilon: float = 0.1


def summed_masks(gate, task_id: int, s_max: float) -> tf.Tensor:
    """m^{<t,sum} of a gate's units (AdaHAT Eq. 7): how many of tasks 0 … task_id − 1 hold
    each unit in their binary mask, a^τ > 0.5 at s_max, (units,)."""
    if task_id == 0:
        return tf.zeros([gate.units])
    attention = gate.attention(tf.range(task_id), s_max)
    return tf.reduce_sum(tf.cast(attention > 0.5, tf.float32), axis=0)


def layer_sparsity(current: tf.Tensor, previous: tf.Tensor) -> tf.Tensor:
    """R_l, the share of the layer's free units (1 − a^{<t}) that the task's mask a^t takes,
    Σ a^t(1 − a^{<t}) / Σ(1 − a^{<t}); 0 where at most MIN_FREE_UNITS units are free."""
    free = 1.0 - previous
    available = tf.reduce_sum(free)
    return tf.where(available > MIN_FREE_UNITS,
                    tf.reduce_sum(current * free) / tf.maximum(available, 1.0), 0.0)


def adjustment_rate(intensity: float, epsilon: float, sparsity: tf.Tensor) -> tf.Tensor:
    """r_l = α / (ε + R_l) (AdaHAT Eq. 9)."""
    return intensity / (epsilon + sparsity)


def adjustment_factor(importance: tf.Tensor, rate: tf.Tensor) -> tf.Tensor:
    """r / (I + r): what scales the update of a weight of importance I (AdaHAT Eq. 8)."""
    return rate / (importance + rate)


@register_method(
    "adahat", settings=AdaHatConfig,
    options=(*HAT_OPTIONS,
             Option("--adahat-intensity", "adahat", "intensity", "AdaHAT's α, the intensity "
                    "of its adjustment r = α / (ε + sparsity) (default {default:g}, the "
                    "AdaHAT authors')", Number(float, 0, low_open=True)),
             Option("--adahat-epsilon", "adahat", "epsilon", "AdaHAT's ε in r = α / (ε + "
                    "sparsity) (default {default:g}, CLArena's)",
                    Number(float, 0, low_open=True))),
    # HAT's s_max and c, and α over a log range of our choosing around the authors' 1e-6.
    search=(*HAT_SEARCH,
            Searched("adahat_intensity", "adahat", "intensity", 1e-8, 1e-2, "log",
                     "--adahat-intensity", "AdaHAT's α", (1e-8, 1e-6, 1e-4, 1e-2))))
class AdaHat(Hat):
    """HAT with AdaHAT's soft, adaptive protection: each step scales the update of a weight
    of importance I (the earlier tasks that use it) by r_l / (I + r_l).

    Args:
        config: HAT's settings (s_max, c, the clips).
        adahat: α and ε.
    """

    def __init__(self, config: HatConfig, adahat: AdaHatConfig):
        super().__init__(config)
        self.adahat = adahat

    @classmethod
    def from_config(cls, config: RunConfig) -> AdaHat:
        return cls(config.hat, config.adahat)

    def attach(self, network: keras.Model) -> None:
        super().attach(network)
        self._gate_index = {id(gate): index for index, gate in enumerate(self.gates)}
        self._connections = {id(c.variable): c for c in self.graph.connections}
        # I of every weight a gate guards, for the task (derived again at every task's
        # start from the earlier tasks' embeddings, which later tasks never change).
        self._importance = {
            id(c.variable): tf.Variable(tf.zeros(c.variable.shape), trainable=False,
                                        name=f"importance_{i}")
            for i, c in enumerate(self.graph.connections)}
        self._step_rates: list[tf.Tensor] = []

    def on_task_begin(self, task_id: int, steps_per_epoch: int) -> None:
        summed = {id(gate): summed_masks(gate, task_id, self.config.s_max)
                  for gate in self.gates}

        def measure(gate):
            return summed[id(gate)]

        for connection in self.graph.connections:
            pre = (None if connection.pre is None
                   else gate_measure(connection.pre, measure, ungated=math.inf))
            self._importance[id(connection.variable)].assign(unit_pair_minimum(
                summed[id(connection.post)], pre, connection.layout,
                tuple(connection.variable.shape), ungated=math.inf))
        super().on_task_begin(task_id, steps_per_epoch)

    def _task_fixed_factor_variables(self) -> list:
        """Only HAT's task rows: the weights' factors change at every step (`_step_factor`)."""
        return list(self.graph.task_rows)

    def _protected_variables(self) -> set[int]:
        """The weights some earlier task uses (I > 0 somewhere), and the task rows HAT
        keeps (other tasks' embeddings and BatchNorm)."""
        rows = {id(v) for v in self.graph.task_rows
                if float(tf.reduce_min(self._factors[id(v)])) < 1.0}
        return rows | {key for key, importance in self._importance.items()
                       if float(tf.reduce_max(importance)) > 0.0}

    def _regulariser(self, s):
        """R of paper Eq. 5, and per gated layer this step's r_l (AdaHAT Eq. 9) for the
        factors of the same step."""
        s = self.config.s_max if s is None else s
        current = [gate.attention(self.task_id, s) for gate in self.gates]
        previous = [gate.cumulative for gate in self.gates]
        self._step_rates = [
            tf.stop_gradient(adjustment_rate(self.adahat.intensity, self.adahat.epsilon,
                                             layer_sparsity(a, p)))
            for a, p in zip(current, previous)]
        return capacity_regulariser(current, previous)

    def _step_factor(self, variable):
        """r_l / (I + r_l) for a weight a gate guards (r_l of its layer at this step); HAT's
        factor for the task rows."""
        connection = self._connections.get(id(variable))
        if connection is None:
            return super()._step_factor(variable)
        rate = self._step_rates[self._gate_index[id(connection.post)]]
        return adjustment_factor(self._importance[id(variable)], rate)
