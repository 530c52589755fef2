"""How far a run has come and how long it may still take, for its progress lines."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence

# Above this estimate a CPU run gets a hint at the quick options once.
LONG_RUN_SECONDS = 3600
QUICK_OPTIONS = "--width 0.25 --epochs 20 (or --tasks 2)"


def duration(seconds: float) -> str:
    """`0:03:07`, `2 days, 1:00:00`: hours, minutes and seconds."""
    return str(datetime.timedelta(seconds=round(seconds)))


class RunProgress:
    """Elapsed time and estimates of the time left: for the task and the whole run.

    A task ends when the paper's learning-rate schedule stops it (docs/algorithm.md §8) or at the
    epoch cap, which cannot be known in advance: the estimates assume the cap, so they are
    upper bounds. They come from the mean seconds per training step measured so far in this
    run, times the steps left (a Joint task's epoch has the steps of all its tasks).

    Args:
        steps_per_epoch: Training steps of one epoch of each task.
        epoch_cap: Most epochs a task trains.
        on_cpu: Whether the run trains on a CPU (long runs get the quick options).
        first_task: The task the run starts (or resumes) at.
        clock: Seconds, monotonic (tests pass their own).
    """

    def __init__(self, steps_per_epoch: Sequence[int], epoch_cap: int, on_cpu: bool,
                 first_task: int = 0, clock: Callable[[], float] = time.monotonic):
        self.steps_per_epoch = list(steps_per_epoch)
        self.epoch_cap = epoch_cap
        self.on_cpu = on_cpu
        self.clock = clock
        self.started = clock()
        self.first_task = first_task
        self.steps_done = 0
        self.training_seconds = 0.0
        self.epoch_started = None

    def epoch_begins(self) -> None:
        self.epoch_started = self.clock()

    def epoch_ends(self, task_id: int, epochs_run: int) -> str:
        """Records an epoch of task `task_id` (its `epochs_run`-th) and returns
        "elapsed …, task ≤ …, run ≤ …"."""
        self.training_seconds += self.clock() - self.epoch_started
        self.steps_done += self.steps_per_epoch[task_id]
        seconds_per_step = self.training_seconds / self.steps_done
        task_left = seconds_per_step * self.steps_per_epoch[task_id] * (
            self.epoch_cap - epochs_run)
        later_tasks = seconds_per_step * self.epoch_cap * sum(
            self.steps_per_epoch[task_id + 1:])
        self.run_left = task_left + later_tasks
        return (f"elapsed {duration(self.clock() - self.started)}, left at most: task "
                f"{duration(task_left)}, run {duration(self.run_left)}")

    def first_estimate(self) -> str | None:
        """After the run's first epoch, the estimated total, with the quick options when it
        is over LONG_RUN_SECONDS on a CPU; None after any later epoch."""
        first_trained = next((steps for steps in self.steps_per_epoch[self.first_task:]
                              if steps), 0)  # Multitask trains nothing before its last task
        if self.steps_done != first_trained:
            return None
        estimate = (f"estimate: this run takes at most {duration(self.run_left)} more "
                    f"({len(self.steps_per_epoch) - self.first_task} tasks of up to "
                    f"{self.epoch_cap} epochs; the learning-rate schedule often stops a task "
                    "sooner)")
        if self.on_cpu and self.run_left > LONG_RUN_SECONDS:
            estimate += f"; for a quick run on this CPU try {QUICK_OPTIONS}"
        return estimate
