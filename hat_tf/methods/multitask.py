"""Multitask learning: one network trained on every task at once, the upper bound that
published task-incremental benchmarks report beside their methods."""

from __future__ import annotations

from hat_tf.methods.joint import Joint
from hat_tf.methods.registry import register_method


@register_method("multitask")
class Multitask(Joint):
    """Trains once, at the sequence's last task, on the union of all its tasks from the
    initial weights: the "Multitask" row of the 10-split CIFAR-100 tables (GPM, ICLR 2021,
    Table 1; WSN, ICML 2022, Table 2), which is Joint's last row (HAT paper Eq. 6's A_J at
    t = T) without the T − 1 trainings before it.

    Before the last task it trains nothing, so the rows of its accuracy matrix before the
    last are the untrained network's: its ACC (the last row) is the multitask accuracy;
    its LA and BWT mean nothing, and it scores the forgetting ratio ρ≤T only, not ρ≤t for
    t < T (the reports leave those out, `trained_at_last_task_only`).
    """

    def training_tasks(self, task_id: int) -> range:
        last = len(self.network.head.classes_per_task) - 1
        return range(task_id + 1) if task_id == last else range(0)

    def protocol(self) -> dict:
        return {**super().protocol(), "trained_at_last_task_only": True}
