"""A task sequence from a user's own data: per task, images and labels to train on and to
test on, as arrays or tf.data datasets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from hat_tf.config import DataConfig
from hat_tf.data.task import TaskSequence, make_task

# One task's split: (images, labels) arrays, or a tf.data.Dataset of (image, label) pairs,
# batched or not.
Split = tuple[np.ndarray, np.ndarray] | tf.data.Dataset


def task_sequence(train: Sequence[Split], test: Sequence[Split],
                  task_names: Sequence[str] | None = None, name: str = "own",
                  data: DataConfig | None = None) -> TaskSequence:
    """The tasks of `train` and `test` (one split each per task, in training order).

    Images are NHWC, raw (0..255, uint8 or float) or already scaled; the networks
    standardise them with the per-channel mean and standard deviation of all tasks'
    training images. Labels are integers; each task's classes are its distinct labels,
    numbered in sorted order (its head has as many outputs). Each training split is
    shuffled with `data.seed`, cut to `data.train_limit`, and its last `data.val_fraction`
    held out for validation (paper §4: 15 %).

    Args:
        train: Per task, the examples to train (and validate) on.
        test: Per task, the examples to test on.
        task_names: Per task, a name (default `task-0`, `task-1`, …).
        name: The sequence's name (results.json's `dataset`).
        data: The seed, validation share and training limit (default: DataConfig's; its
            `dataset` is unused).

    Raises:
        ValueError: Different numbers of train and test splits, images of different shapes,
            or labels that do not match the images one to one.
    """
    if len(train) != len(test) or not train:
        raise ValueError(f"expected one train and one test split per task, received "
                         f"{len(train)} and {len(test)}")
    names = list(task_names or [f"task-{t}" for t in range(len(train))])
    splits = [(as_arrays(tr), as_arrays(te)) for tr, te in zip(train, test)]
    shapes = {images.shape[1:] for pair in splits for images, _ in pair}
    if len(shapes) != 1 or len(next(iter(shapes))) != 3:
        raise ValueError(f"expected NHWC images of one shape, received shapes {sorted(shapes)}")
    data = data or DataConfig()
    rng = np.random.default_rng(data.seed)
    tasks = tuple(make_task(task_name, _class_names(train_split, test_split), train_split,
                            test_split, data.val_fraction, rng, data.train_limit)
                  for task_name, (train_split, test_split) in zip(names, splits))
    mean, std = channel_statistics([images for (images, _), _ in splits])
    return TaskSequence(name, tasks, mean, std)


def channel_statistics(images: Sequence[np.ndarray]) -> tuple[tuple[float, ...], ...]:
    """Per-channel mean and standard deviation of NHWC image arrays, in float64, one array
    at a time (a constant channel gets a standard deviation of 1)."""
    count = sum(np.prod(x.shape[:3]) for x in images)
    total = sum(x.sum(axis=(0, 1, 2), dtype=np.float64) for x in images)
    squares = sum(np.square(x, dtype=np.float64).sum(axis=(0, 1, 2)) for x in images)
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
    return tuple(mean.tolist()), tuple(np.where(std > 0, std, 1.0).tolist())


def as_arrays(split: Split) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of a split; a tf.data dataset is read whole."""
    if isinstance(split, tf.data.Dataset):
        if split.element_spec[0].shape.rank == 3:  # single examples
            split = split.batch(1024)
        batches = list(split.as_numpy_iterator())
        images = np.concatenate([x for x, _ in batches])
        labels = np.concatenate([y for _, y in batches])
    else:
        images, labels = (np.asarray(part) for part in split)
    labels = labels.reshape(-1)
    if len(labels) != len(images) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"expected one integer label per image, received {len(images)} "
                         f"images and {len(labels)} labels of dtype {labels.dtype}")
    return images, labels


def _class_names(train: tuple[np.ndarray, np.ndarray],
                 test: tuple[np.ndarray, np.ndarray]) -> tuple[str, ...]:
    """The task's labels, sorted, as names."""
    return tuple(str(label) for label in np.unique(np.concatenate([train[1], test[1]])))
