"""Hard Attention to the Task (Serrà et al., ICML 2018), as a set of trainer hooks.

Per task: anneal s per batch (Eq. 3); add c·R (Eq. 5); compensate the embedding gradients
(§2.5); scale each shared weight's update by 1 − min(a_out^{≤t−1}, a_in^{≤t−1}) (Eq. 2) —
under plain SGD, equivalently and more cheaply, its gradient — and keep other tasks'
embedding rows fixed. After the task, fold a^t into a^{≤t}, and record whether the task's
masks learned (docs/algorithm.md §11, "Mask learning").
"""

from __future__ import annotations

import keras
import tensorflow as tf

from hat_tf.config import HatConfig, Number
from hat_tf.hat.capacity import capacity_regulariser
from hat_tf.hat.compensation import compensation_factor
from hat_tf.hat.conditioning import (
    conditioned_update,
    connection_factor,
    task_row_factor,
    update_is_scaled_gradient,
)
from hat_tf.hat.embedding_init import EMBEDDING_INITS, initial_embeddings
from hat_tf.hat.mask_snapshot import NETWORK, mask_learning_record
from hat_tf.hat.masks import update_cumulative_masks
from hat_tf.hat.row_gradients import scaled, summed_rows
from hat_tf.hat.schedule import annealed_s
from hat_tf.methods.base import Method
from hat_tf.methods.metrics import RunningMaximum, RunningMinimum
from hat_tf.methods.registry import Option, Searched, register_method

# HAT's settings are RunConfig's `hat` section, which the gated networks read too (s_max,
# the embeddings' clip), so every gated method shares them (AdaHAT). Its options set them;
# its search spans the ranges the paper's sensitivity plot (Fig. 4) found good, s_max
# 25–800 on a log scale as the figure draws it and c 0.1–2.5 (docs/algorithm.md §8).
OPTIONS = (
    Option("--smax", "hat", "s_max", "HAT's s_max, the gate scale at evaluation (default "
           "{default:g})", Number(float, 1)),
    Option("--capacity-weight", "hat", "capacity_weight", "HAT's c in Eq. 5 (default "
           "{default})", Number(float, 0)),
    Option("--embedding-init", "hat", "embedding_init", "where HAT's task embeddings start: "
           "normal, N(0, 1) (the paper's); sparse, each task's mask on 1/T of the units; "
           "dense, on all (default {default})", choices=EMBEDDING_INITS),
)
SEARCH = (
    Searched("s_max", "hat", "s_max", 25.0, 800.0, "log", "--smax", "s_max (Eq. 3)",
             (25, 50, 100, 200, 400, 800)),
    Searched("capacity_weight", "hat", "capacity_weight", 0.1, 2.5, "linear",
             "--capacity-weight", "c (Eq. 5)", (0.1, 0.5, 1, 1.5, 2, 2.5)),
)


@register_method("hat", settings=HatConfig, section="hat", options=OPTIONS, search=SEARCH)
class Hat(Method):
    """HAT's hooks. The factors are computed once per task into variables, so the
    compiled step only multiplies (docs/algorithm.md §5).

    Args:
        config: s_max, the capacity weight c and the clips.
    """

    needs_gates = True
    # The masks keep every earlier task's units from later updates (paper Eq. 2), up to the
    # leak 1 − a^{≤t} of gates that are not saturated, and its task-private embeddings and
    # heads are never trained again: one network serves all tasks (paper §2).
    final_network_serves_all_tasks = True

    def __init__(self, config: HatConfig):
        self.config = config

    def attach(self, network: keras.Model) -> None:
        super().attach(network)
        if not self.graph.gates:
            raise ValueError(f"HAT needs a gated network, received {network.name} without gates")
        self.gates = self.graph.gates
        if self.config.embedding_init != "normal":  # the gates were built with N(0, 1)
            for gate in self.gates:
                gate.embedding.assign(initial_embeddings(self.config.embedding_init,
                                                         *gate.embedding.shape))
        self.task_id = tf.Variable(0, dtype=tf.int32, trainable=False, name="hat_task_id")
        self.steps_per_epoch = tf.Variable(1, dtype=tf.int64, trainable=False,
                                           name="hat_steps_per_epoch")
        # The index of the next train step in its epoch, for s (Eq. 3). Not the optimizer's
        # `iterations`: a loss-scale optimizer (mixed_float16) does not count the steps it
        # skips, while the epoch goes on. Under tf.distribute every replica adds 1 and the
        # first replica's value is kept: it counts global steps. Checkpoints are taken at
        # epoch ends, where it is 0, as on_task_begin sets it: a resumed task needs no copy.
        self.batch_in_epoch = tf.Variable(0, dtype=tf.int64, trainable=False,
                                          aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
                                          name="hat_batch_in_epoch")
        self._factors = {
            id(v): tf.Variable(tf.ones(v.shape), trainable=False, name=f"factor_{i}")
            for i, v in enumerate(self._task_fixed_factor_variables())
        }
        self._embeddings = {id(gate.embedding) for gate in self.gates}
        # Per gate, the current task's embedding row when the task began: the start of the
        # mask-learning record. A checkpoint keeps it, so a resumed task compares with its
        # true start, not with where the run was killed.
        self._task_start = [tf.Variable(tf.zeros(gate.units), trainable=False,
                                        name=f"task_start_{i}")
                            for i, gate in enumerate(self.gates)]
        self._protected: set[int] = set()
        self._conditions_gradients = False  # set where the step is traced, by its optimizer
        self._capacity_reg = keras.metrics.Mean(name="capacity_reg")
        self._s_lowest = RunningMinimum(name="s_lowest")
        self._s_highest = RunningMaximum(name="s_highest")

    def on_task_begin(self, task_id: int, steps_per_epoch: int) -> None:
        super().on_task_begin(task_id, steps_per_epoch)
        self.task_id.assign(task_id)
        self.steps_per_epoch.assign(steps_per_epoch)
        self.batch_in_epoch.assign(0)
        for start, gate in zip(self._task_start, self.gates):  # a resume restores it after
            start.assign(gate.embedding[task_id])
        for connection in self.graph.connections:
            factor = self._factors.get(id(connection.variable))
            if factor is not None:
                factor.assign(connection_factor(connection))
        for variable in self.graph.task_rows:
            self._factors[id(variable)].assign(task_row_factor(task_id, tuple(variable.shape)))
        # The step (traced anew for every task) skips variables nothing protects yet.
        self._protected = self._protected_variables()

    def _task_fixed_factor_variables(self) -> list:
        """The variables whose update a factor fixed for the whole task scales: Eq. 2's
        weights between gated units, and the task rows (other tasks' embeddings and
        BatchNorm slots)."""
        return [c.variable for c in self.graph.connections] + self.graph.task_rows

    def _protected_variables(self) -> set[int]:
        """ids of the variables whose update the task's steps scale: those with a factor
        below 1 somewhere."""
        return {key for key, factor in self._factors.items()
                if float(tf.reduce_min(factor)) < 1.0}

    def on_task_end(self, task_id: int, train_data) -> None:
        update_cumulative_masks(self.gates, task_id, self.config.s_max)

    def task_results(self, task_id: int) -> dict:
        """`mask_learning`: per gated layer and for the network, how far the task's
        embeddings moved, the gates it switched, those at the clamp, and its capacity."""
        return {"mask_learning": mask_learning_record(
            self.gates, [start.numpy() for start in self._task_start], task_id,
            self.config.s_max, self.config.embedding_clip)}

    def epoch_metrics(self, task_id: int) -> dict[str, float]:
        """The whole network's mask-learning record so far (docs/algorithm.md §11): `mask_switched`
        (share of units whose gate switched since the task began), `mask_capacity` (share
        in the task's own mask, a^t > 0.5 at s_max) and `mask_moved` (mean |Δe|)."""
        network = self.task_results(task_id)["mask_learning"][NETWORK]
        return {"mask_switched": network["switched"], "mask_capacity": network["capacity"],
                "mask_moved": network["moved"]}

    def checkpoint_variables(self) -> list:
        return list(self._task_start)

    def next_gate_scale(self):
        """s of Eq. 3 for this step's batch index, which restarts every epoch; counts the
        step, applied or skipped."""
        batch_index = tf.convert_to_tensor(self.batch_in_epoch)
        self.batch_in_epoch.assign((batch_index + 1) % self.steps_per_epoch)
        return annealed_s(batch_index, self.steps_per_epoch, self.config.s_max)

    def step_metrics(self):
        """The epoch's mean of R (Eq. 5, without the weight c, at each batch's s) and the
        smallest and largest s of its batches (Eq. 3)."""
        return [self._capacity_reg, self._s_lowest, self._s_highest]

    def extra_loss(self, inputs, all_head_logits, s):
        # Kept for the step's `capacity_reg` metric: the same tensor, computed once.
        self._step_regulariser = self._regulariser(s)
        return self.config.capacity_weight * self._step_regulariser

    def _regulariser(self, s):
        """R of paper Eq. 5 for the current task at gate scale s (None: s_max)."""
        s = self.config.s_max if s is None else s
        current = [gate.attention(self.task_id, s) for gate in self.gates]
        previous = [gate.cumulative for gate in self.gates]
        return capacity_regulariser(current, previous)

    def apply_gradients(self, optimizer, gradients, variables, s) -> None:
        """The step of paper Eq. 2 (docs/algorithm.md §5): the embeddings' gradients
        compensated (§2.5); under plain SGD every protected gradient scaled by its factor
        (the same update, cheaper), under any other optimizer the update, from a copy of
        the protected variables taken before it; then the step's metrics."""
        self._conditions_gradients = update_is_scaled_gradient(optimizer)
        gradients = self.transform_gradients(gradients, variables, s)
        old = [tf.convert_to_tensor(v)
               if id(v) in self._protected and not self._conditions_gradients else None
               for v in variables]
        optimizer.apply(gradients, variables)
        for variable, before in zip(variables, old):
            if before is not None:
                variable.assign(conditioned_update(before, tf.convert_to_tensor(variable),
                                                   self._step_factor(variable)))
        self._capacity_reg.update_state(self._step_regulariser)
        self._s_lowest.update_state(s)
        self._s_highest.update_state(s)

    def transform_gradients(self, gradients, variables, s):
        """Compensates the embeddings' gradients (§2.5); under plain SGD also conditions
        every protected gradient (Eq. 2). A gathered table's gradient (the gate
        embeddings, per-task BatchNorm) stays sparse, one row per task in the batch, so
        the work does not grow with the number of tasks."""
        return [self._transform(g, v, s) for g, v in zip(gradients, variables)]

    def _transform(self, gradient, variable, s):
        if isinstance(gradient, tf.IndexedSlices):
            gradient = summed_rows(gradient)
        if id(variable) in self._embeddings:
            gradient = self._compensate(gradient, variable, s)
        if self._conditions_gradients and id(variable) in self._protected:
            gradient = scaled(gradient, self._step_factor(variable))
        return gradient

    def _step_factor(self, variable):
        """The factor of this step's update of a protected variable: HAT's, fixed for the
        task (Eq. 2)."""
        return self._factors[id(variable)]

    def _compensate(self, gradient, embedding, s):
        return scaled(gradient, embedding, lambda rows: compensation_factor(
            rows, s, self.config.s_max, self.config.cosh_clip))
