"""One task of a continual-learning sequence, and the sequence itself (docs/algorithm.md §1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Task:
    """A task: its own classes, its own head, its own train/validation/test arrays.

    Images are uint8 NHWC (32×32×3); labels are task-local, 0..num_classes-1.
    """

    name: str
    class_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """The (images, labels) of `split`, one of `train`, `val`, `test`."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, received {split!r}")
        return getattr(self, f"x_{split}"), getattr(self, f"y_{split}")


@dataclass(frozen=True)
class TaskSequence:
    """The tasks in training order, with the channel statistics used to normalise inputs.

    Attributes:
        name: The benchmark's registered name.
        tasks: The tasks, in the order they are learned.
        channel_mean: Per-channel mean of the raw 0..255 pixels.
        channel_std: Per-channel standard deviation of the raw 0..255 pixels.
    """

    name: str
    tasks: tuple[Task, ...]
    channel_mean: tuple[float, float, float]
    channel_std: tuple[float, float, float]

    @property
    def task_names(self) -> list[str]:
        return [task.name for task in self.tasks]

    @property
    def classes_per_task(self) -> list[int]:
        return [task.num_classes for task in self.tasks]


def make_task(
    name: str,
    class_names: tuple[str, ...],
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    val_fraction: float,
    rng: np.random.Generator,
    train_limit: int | None = None,
) -> Task:
    """Builds a task from global-label arrays that hold only its classes.

    The training set is shuffled with `rng`, cut to `train_limit`, and its last
    `val_fraction` becomes the validation set (paper §4: 15 %, seed-shuffled).
    Labels are remapped to the rank of their global label among the task's classes.

    Args:
        name: The task's name.
        class_names: Names of its classes, in the order of their sorted global labels.
        train: (images, global labels) for training and validation.
        test: (images, global labels) for testing.
        val_fraction: Share of the training examples held out for validation.
        rng: Source of the shuffle.
        train_limit: Keep at most this many training examples (before the split).
    """
    x_train, y_train = train
    x_test, y_test = test
    classes = np.unique(np.concatenate([y_train, y_test]))
    order = rng.permutation(len(y_train))[:train_limit]
    num_val = int(round(val_fraction * len(order)))
    train_idx, val_idx = order[: len(order) - num_val], order[len(order) - num_val :]

    def local(labels: np.ndarray) -> np.ndarray:
        return np.searchsorted(classes, labels).astype(np.int32)

    return Task(
        name=name,
        class_names=tuple(class_names),
        x_train=x_train[train_idx],
        y_train=local(y_train[train_idx]),
        x_val=x_train[val_idx],
        y_val=local(y_train[val_idx]),
        x_test=x_test,
        y_test=local(y_test),
    )
