"""tf.data input pipelines. Every element is ({"image": uint8 NHWC, "task_id": int32}, label).

The task id travels with every example, so heads, gates and per-task BatchNorm select by it
and one batch may mix tasks (Joint training, evaluation of all tasks at once).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import tensorflow as tf

from hat_tf.data.task import Task

# Examples per call of the traced inference functions (the accuracy matrix's rows, the task
# detector's features and scores): larger batches than the training batch (64) run faster
# on a CPU, and change no prediction (inference is per example).
INFERENCE_BATCH_SIZE = 512


def split_arrays(tasks: Sequence[tuple[int, Task]], split: str):
    """(images, task ids, labels) of the `split` of the given (task_id, task) pairs."""
    parts = [(task.split(split), task_id) for task_id, task in tasks]
    return (np.concatenate([x for (x, _), _ in parts]),
            np.concatenate([np.full(len(y), task_id, np.int32) for (_, y), task_id in parts]),
            np.concatenate([y for (_, y), _ in parts]))


def array_batches(*arrays: np.ndarray,
                  batch_size: int = INFERENCE_BATCH_SIZE) -> Iterator[tuple[np.ndarray, ...]]:
    """Consecutive slices of `batch_size` examples of equally long in-memory arrays, the
    last one shorter: what the traced inference functions are called on, without a tf.data
    pipeline's set-up for every test set."""
    for start in range(0, len(arrays[0]), batch_size):
        yield tuple(array[start:start + batch_size] for array in arrays)


def task_dataset(tasks: Sequence[tuple[int, Task]], split: str,
                 batch_size: int) -> tf.data.Dataset:
    """Batches of the `split` of the given tasks, in order; the last batch may be smaller."""
    images, task_ids, labels = split_arrays(tasks, split)
    examples = tf.data.Dataset.from_tensor_slices(({"image": images, "task_id": task_ids},
                                                   labels))
    return examples.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def training_batches(tasks: Sequence[tuple[int, Task]], batch_size: int, seed: int,
                     epochs: int, first_epoch: int = 0, augment: bool = False) -> tf.data.Dataset:
    """The training batches of epochs `first_epoch`..`epochs` − 1, each epoch shuffled, its
    images `augmented` if `augment`.

    Epoch e's order and crops and flips depend only on (seed, e), so a run resumed at epoch
    e sees the batches an uninterrupted run sees. Each epoch ends with its own (possibly
    smaller) last batch: fit with `steps_per_epoch = ceil(n / batch_size)` keeps epochs
    aligned.
    """
    images, task_ids, labels = split_arrays(tasks, "train")
    orders = np.stack([np.random.default_rng([seed, epoch]).permutation(len(labels))
                       for epoch in range(first_epoch, epochs)])
    images, task_ids, labels = (tf.constant(a) for a in (images, task_ids, labels))
    epoch_orders = tf.data.Dataset.from_tensor_slices(
        (tf.range(first_epoch, epochs, dtype=tf.int64), orders))
    if augment:
        return augmented_batches(images, task_ids, labels, epoch_orders, batch_size,
                                 seed).prefetch(tf.data.AUTOTUNE)

    def lookup(indices):  # one gather a batch
        return ({"image": tf.gather(images, indices), "task_id": tf.gather(task_ids, indices)},
                tf.gather(labels, indices))

    index_batches = epoch_orders.flat_map(
        lambda _, order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size))
    return index_batches.map(lookup, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE)


def augmented_batches(images: tf.Tensor, task_ids: tf.Tensor, labels: tf.Tensor,
                      epoch_orders: tf.data.Dataset, batch_size: int,
                      seed: int) -> tf.data.Dataset:
    """`training_batches` with each image `augmented` under a stateless seed of (seed,
    epoch, its position in the epoch); `epoch_orders` gives (epoch, its order)."""
    def lookup(epoch, position, index):
        image = augmented(images[index], tf.stack([tf.constant(seed, tf.int64),
                                                   epoch * EPOCH_STRIDE + position]))
        return {"image": image, "task_id": task_ids[index]}, labels[index]

    def epoch_batches(epoch, order):
        positions = tf.range(tf.shape(order, out_type=tf.int64)[0])
        examples = tf.data.Dataset.from_tensor_slices(
            (tf.fill(tf.shape(positions), epoch), positions, order))
        return examples.map(lookup, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)

    return epoch_orders.flat_map(epoch_batches)


# Images a training epoch may hold (a stateless seed per image: epoch · this + its position).
EPOCH_STRIDE = 1 << 32
# The standard CIFAR augmentation (e.g. He et al., CVPR 2016, §4.2): 4 pixels of zeros on
# each side, a random crop of the image's size, a random horizontal flip.
CROP_PADDING = 4


def augmented(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """A random crop of `image` (H, W, C) padded by CROP_PADDING zeros on each side, flipped
    left-right half of the time; `seed` (2,) int64 decides both (stateless)."""
    height, width = image.shape[0], image.shape[1]
    padded = tf.image.pad_to_bounding_box(image, CROP_PADDING, CROP_PADDING,
                                          height + 2 * CROP_PADDING, width + 2 * CROP_PADDING)
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    cropped = tf.image.stateless_random_crop(padded, tf.shape(image), seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(cropped, seed=flip_seed)
