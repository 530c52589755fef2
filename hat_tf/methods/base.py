"""The hook contract of a continual-learning method (docs/architecture.md: FACIL-style
hooks; docs/methods.md: how to add one).

The trainer owns the step and calls only these hooks; it never asks which method it has.
Python-side hooks run between tasks (`on_epoch_end` between epochs); three traced hooks run
inside the compiled train step: `next_gate_scale` before the forward pass, `extra_loss` in
it, `apply_gradients` after the backward pass. What a method does within its step beyond
them (HAT: its compensation and conditioning of Eq. 2, its metrics) stays in its own module.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from hat_tf.config import RunConfig
from hat_tf.models.topology import GateGraph


class Method:
    """Plain fine-tuning: every hook is the identity. Subclasses override what they need.

    `needs_all_heads`: whether `extra_loss` needs every head's logits (LwF); otherwise the
    step computes only each example's own head and passes None. `needs_gates`: whether it
    needs a network with HAT gates (HAT); the others take the plain network.

    `final_network_serves_all_tasks`: whether the network the run ends with is the model of
    every task it learned, so that the exports are written once, at the run's end, from it
    (their accuracy is the last row of the accuracy matrix). False (fine-tuning, EWC, LwF:
    later tasks change what the network answers for earlier ones): a task's export is the
    network at that task's end (its diagonal entry), written then.

    `gradient_clip_norm`: the global norm the task's optimizer clips the gradients it
    applies to (docs/algorithm.md §8). The reference sets it per method
    (`clipgrad=10000` in approaches/sgd.py, sgd_frozen.py, joint.py, progressive.py and
    hat.py; EWC and LwF override it).

    `own_network`: whether it trains only a network of its own kind, which the catalog
    names with it (PathNet's modules and paths: `alexnet_pathnet`), instead of being
    composed with every architecture and taken by `hat_tf.learn` for any Keras model.
    """

    needs_all_heads = False
    needs_gates = False
    own_network = False
    final_network_serves_all_tasks = False
    gradient_clip_norm = 10000.0
    # Set by `registry.register_method`: its name, and the RunConfig section of its settings.
    name: str | None = None
    settings_section: str | None = None

    @classmethod
    def from_config(cls, config: RunConfig) -> Method:
        """The method for a run's settings: constructed with its own section of `config`
        (`config.ewc`) where it has one, else with no argument. A method that reads more
        sections (AdaHAT: HAT's too) overrides it."""
        if cls.settings_section is None:
            return cls()
        return cls(getattr(config, cls.settings_section))

    def attach(self, network: keras.Model) -> None:
        """Python-side, once, after the network is built: create the method's state."""
        self.network = network
        self.graph: GateGraph = network.gate_graph()
        self.graph.check_covers(network.trainable_variables)
        self.variables_to_train: list[keras.Variable] = []

    def training_tasks(self, task_id: int) -> range:
        """The tasks whose training data (and heads) task `task_id` trains on."""
        return range(task_id, task_id + 1)

    def on_task_begin(self, task_id: int, steps_per_epoch: int) -> None:
        """Python-side, before the task's first step. Subclasses call it first: it selects
        the variables the task trains (the heads of other tasks stay out)."""
        trainable = self.graph.trainable_for(self.training_tasks(task_id))
        self.variables_to_train = [
            v for v in self.network.trainable_variables if id(v) in trainable
        ]

    def on_task_end(self, task_id: int, train_data: tf.data.Dataset) -> None:
        """Python-side, after the task's best weights are restored; `train_data` is the
        task's training set (EWC estimates its Fisher information on it)."""

    def on_epoch_end(self, task_id: int, epoch: int, logs: dict) -> None:
        """Python-side, after epoch `epoch` of task `task_id` (counted from 0 at the task's
        start, in a resumed task too), with the epoch's logs (`val_loss`: the validation
        loss of the weights the epoch ended with). The learning-rate schedule has seen them
        first (and at a drop put the task's best weights back); the epoch's checkpoint
        comes after, so it keeps what the method changes here (PathNet's tournament)."""

    def protocol(self) -> dict:
        """Python-side: how the method trains, for the `method` record of results.json
        (the run's config does not say it): the gradient clip, and what subclasses add."""
        return {"gradient_clip_norm": self.gradient_clip_norm}

    def task_results(self, task_id: int) -> dict:
        """Python-side, after `on_task_end`: what the run's results (results.json) keep
        of the task for this method, `{key: value}`; the loop appends each value to the
        list `results[key]`, one entry per task (HAT: `mask_learning`)."""
        return {}

    def epoch_metrics(self, task_id: int) -> dict[str, float]:
        """Python-side, after each epoch of task `task_id`: scalars that show the method's
        progress within the task, added to the epoch's logs (printed, in TensorBoard's
        `epoch/…`). HAT: how far the task's masks have learned so far."""
        return {}

    def checkpoint_variables(self) -> list:
        """Python-side: the method's own variables that a checkpoint must keep (state that
        `on_task_begin` cannot derive again from the network)."""
        return []

    def next_gate_scale(self) -> tf.Tensor | None:
        """Traced, once at the start of every train step: the gate scale s of that step;
        None lets the network use s_max. Being called once per step, whether or not the
        optimizer then applies it, it may advance the method's own step counter (HAT)."""
        return None

    def step_metrics(self) -> list[keras.metrics.Metric]:
        """Python-side, once: metrics the method adds to the train step's epoch logs (HAT:
        its regulariser and the range of s), which it updates in its traced hooks; the
        model resets them with its own at every epoch."""
        return []

    def extra_loss(self, inputs: dict, all_head_logits: tf.Tensor, s) -> tf.Tensor:
        """Traced: what the method adds to each example's cross-entropy (HAT: c·R of paper
        Eq. 5): a scalar, or one value per example, (batch,); a mean over the batch's
        examples (LwF) is each example's share. The step averages the sum over the global
        batch, across replicas too.

        Args:
            inputs: The batch's {"image", "task_id"}.
            all_head_logits: The network's logits of every head, (batch, tasks, classes),
                where `needs_all_heads`; else None.
            s: The step's gate scale (None at evaluation: s_max).
        """
        return tf.constant(0.0)

    def apply_gradients(self, optimizer: keras.optimizers.Optimizer, gradients: list,
                        variables: list, s) -> None:
        """Traced, after the backward pass: the optimizer's step on `variables` (those of
        `variables_to_train`) with their `gradients`, at the step's gate scale `s`. The
        default applies them as they are; HAT transforms them, and conditions the update.

        Under a tf.distribute strategy every replica runs it on its own copy of the
        variables; an `assign` there changes only that copy, so it must compute the same
        value on every replica (from the variables, the optimizer's all-reduced update and
        the method's own mirrored state, never from the replica's share of the batch)."""
        optimizer.apply(gradients, variables)
