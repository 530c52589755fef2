"""tf.data input pipelines. Every element is ({"image": uint8 NHWC, "task_id": int32}, label).

The task id travels with every example, so heads, gates and per-task BatchNorm select by it
and one batch may mix tasks (Joint training, evaluation of all tasks at once).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from hat_tf.data.task import Task


def task_dataset(
    tasks: Sequence[tuple[int, Task]],
    split: str,
    batch_size: int,
    shuffle_seed: int | None = None,
) -> tf.data.Dataset:
    """Batches of the `split` of the given (task_id, task) pairs, concatenated.

    Args:
        tasks: The tasks to draw from, each with its position in the sequence.
        split: `train`, `val` or `test`.
        batch_size: Examples per batch; the last batch may be smaller.
        shuffle_seed: Reshuffle every epoch with this seed; None keeps the order.
    """
    images, labels, task_ids = [], [], []
    for task_id, task in tasks:
        x, y = task.split(split)
        images.append(x)
        labels.append(y)
        task_ids.append(np.full(len(y), task_id, np.int32))
    dataset = tf.data.Dataset.from_tensor_slices((
        {"image": np.concatenate(images), "task_id": np.concatenate(task_ids)},
        np.concatenate(labels),
    ))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(dataset.cardinality(), seed=shuffle_seed)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
