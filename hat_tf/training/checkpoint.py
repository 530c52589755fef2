"""Checkpoints of a run, so it survives being killed at any moment (SIGKILL included).

`checkpoints/` in the run dir holds complete snapshots `ckpt-N/` and a file `latest` that
names the newest one; a snapshot is written in full before `latest` is switched to it
(atomically), so a kill mid-write leaves the previous one in charge. A snapshot holds what
resuming needs and nothing more: the network's variables (masks, BatchNorm statistics and
dropout seed states included), the optimizer's, the method's own state, the best weights
of the learning-rate schedule, and the progress (task, epoch, schedule counters, results).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time

import numpy as np

from hat_tf.data.sources import READ_ERRORS
from hat_tf.training.results import write_atomically, write_json

LATEST = "latest"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used; the message says why."""


def _save_arrays(path: str, arrays: list[np.ndarray]) -> None:
    np.savez(path, *arrays)


def _load_arrays(path: str) -> list[np.ndarray]:
    try:
        with np.load(path) as archive:
            return [archive[f"arr_{i}"] for i in range(len(archive.files))]
    except (*READ_ERRORS, KeyError) as error:
        raise CheckpointError(f"cannot load {path}: {error}") from None


def _assign(variables: list, values: list[np.ndarray], what: str) -> None:
    if len(variables) != len(values):
        raise CheckpointError(f"the checkpoint holds {len(values)} {what} values for "
                              f"{len(variables)} variables")
    for variable, value in zip(variables, values):
        if tuple(variable.shape) != value.shape:
            raise CheckpointError(f"{what} variable {variable.path} has shape "
                                  f"{tuple(variable.shape)}, the checkpoint {value.shape}")
        variable.assign(value)


class TaskCheckpointer:
    """Saves one task's training at its epoch ends, and continues it from a checkpoint.

    The progress record holds the task, the run's results so far, the schedule's
    counters (None: a checkpoint taken between tasks) and the task's training seconds so
    far, which a resumed task adds to its own so that its time counts whole.

    Args:
        checkpoint: The run's checkpoints.
        task_id: The task being trained.
        results: The run's results so far (tasks before this one).
        task_start: `time.perf_counter()` when the task's training began, moved back by
            the seconds it had trained before a resume.
    """

    def __init__(self, checkpoint: RunCheckpoint, task_id: int, results: dict,
                 task_start: float):
        self.checkpoint = checkpoint
        self.task_id = task_id
        self.results = results
        self.task_start = task_start

    def save(self, model, schedule) -> None:
        self.checkpoint.save(model, {"task_id": self.task_id, "results": self.results,
                                     "schedule": schedule.state(),
                                     "task_seconds": time.perf_counter() - self.task_start},
                             schedule.best_weights)

    def save_if_due(self, model, schedule) -> None:
        """`save`, unless the run wrote a checkpoint less than its `every_seconds` ago."""
        if self.checkpoint.due():
            self.save(model, schedule)

    def restore(self, model, schedule) -> None:
        """After the task's on_task_begin and the optimizer's build: the network's variables
        again (on_task_begin may have reset them: Joint), the method's and the optimizer's,
        and the schedule."""
        self.checkpoint.restore_network(model)
        self.checkpoint.restore_method(model)
        best_weights = self.checkpoint.restore_optimizer(model)
        schedule.load_state(self.checkpoint.progress()["schedule"], best_weights)


class RunCheckpoint:
    """The checkpoints of one run dir.

    Args:
        run_dir: The run's folder; snapshots go to `run_dir/checkpoints/`.
        every_seconds: How long `due` waits after a snapshot before the next one (0: none):
            a snapshot copies the network twice (its weights and the schedule's best
            ones), which at every epoch costs a short task's epochs a good part of their time.
    """

    def __init__(self, run_dir: str, every_seconds: float = 0.0):
        self.folder = os.path.join(run_dir, "checkpoints")
        self.every_seconds = every_seconds
        self.last_save = -math.inf  # this process's first epoch end always saves

    def exists(self) -> bool:
        return os.path.isfile(os.path.join(self.folder, LATEST))

    def due(self) -> bool:
        """Whether `every_seconds` have passed since this process's last snapshot."""
        return time.monotonic() - self.last_save >= self.every_seconds

    def remove(self) -> None:
        """Deletes the checkpoints (a finished run needs them no more)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def save(self, model, progress: dict, best_weights: list[np.ndarray] | None) -> None:
        """Writes a complete snapshot, then makes it the latest and drops the older ones."""
        previous = self._latest_name() if self.exists() else None
        number = int(previous.split("-")[1]) + 1 if previous else 0
        name = f"ckpt-{number}"
        snapshot = os.path.join(self.folder, name)
        shutil.rmtree(snapshot, ignore_errors=True)  # a half-written one from a killed run
        os.makedirs(snapshot)
        # All variables, in order: `save_weights` would skip the dropout seed states.
        _save_arrays(os.path.join(snapshot, "network.npz"),
                     [v.numpy() for v in model.network.variables])
        _save_arrays(os.path.join(snapshot, "optimizer.npz"),
                     [v.numpy() for v in model.optimizer.variables])
        _save_arrays(os.path.join(snapshot, "method.npz"),
                     [v.numpy() for v in model.method.checkpoint_variables()])
        if best_weights is not None:
            _save_arrays(os.path.join(snapshot, "best.npz"), best_weights)
        write_json(os.path.join(snapshot, "progress.json"), progress)
        write_atomically(os.path.join(self.folder, LATEST), name)
        for entry in os.listdir(self.folder):
            if entry.startswith("ckpt-") and entry != name:
                shutil.rmtree(os.path.join(self.folder, entry), ignore_errors=True)
        self.last_save = time.monotonic()

    def progress(self) -> dict:
        """The latest snapshot's progress record."""
        try:
            with open(os.path.join(self._snapshot(), "progress.json")) as file:
                return json.load(file)
        except (OSError, json.JSONDecodeError) as error:
            raise CheckpointError(f"cannot read the checkpoint's progress: {error}") from None

    def restore_network(self, model) -> None:
        """Loads the network's variables (call before the method's on_task_begin, which may
        derive state from them: HAT's factors from its masks)."""
        _assign(model.network.variables,
                _load_arrays(os.path.join(self._snapshot(), "network.npz")), "network")

    def restore_method(self, model) -> None:
        """Loads the method's own variables (EWC's Fisher, LwF's frozen copy)."""
        _assign(model.method.checkpoint_variables(),
                _load_arrays(os.path.join(self._snapshot(), "method.npz")), "method")

    def restore_optimizer(self, model) -> list[np.ndarray] | None:
        """Loads the (built) optimizer's variables; returns the schedule's best weights."""
        snapshot = self._snapshot()
        _assign(model.optimizer.variables,
                _load_arrays(os.path.join(snapshot, "optimizer.npz")), "optimizer")
        best = os.path.join(snapshot, "best.npz")
        return _load_arrays(best) if os.path.isfile(best) else None

    def _latest_name(self) -> str:
        with open(os.path.join(self.folder, LATEST)) as file:
            return file.read().strip()

    def _snapshot(self) -> str:
        snapshot = os.path.join(self.folder, self._latest_name())
        if not os.path.isfile(os.path.join(snapshot, "progress.json")):
            raise CheckpointError(f"{snapshot} is incomplete or missing")
        return snapshot
