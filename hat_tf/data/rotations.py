"""Rotated copies of a training batch's images: the examples of each head's output "not
this task" (`RunConfig.reject_rotations`, train.py `--reject-rotations`).

Without replay a task never sees another task's images: its head learns which of its
classes an image is, never whether it is one of its task's, and on another task's image
some class still scores high (why the max-logit baseline confuses tasks). CSI (Tack et
al., "CSI: Novelty Detection via Contrastive Learning on Distributionally Shifted
Instances", NeurIPS 2020, §2.2) makes the images a network must not take for its own out
of its own data: distribution-shifting transformations, of which rotation by 90, 180 and
270 degrees did best in its comparison. A rotated image keeps the colours and textures
of the task's data and loses the upright layout of its objects. CLOM (Kim, Ke and Liu,
"Continual Learning Based on OOD Detection and Task Masking", CVPR Workshops 2022)
trains every task of HAT so and infers the task from each head's out-of-distribution
score. Both feed all four rotations of every image (4 times the batch), each (class,
angle) pair a class of its own.

Here the three rotations make one extra class, and half the batch is copied: each of
the batch's first ⌈B/2⌉ images once, turned by 90, 180 and 270 degrees in turn (a third
of the copies each). Why half:
- the cost: a step runs 1.5 times the images, against CSI's and CLOM's 4 times;
- the balance: the copies are a third of the batch, as many as any one class of a
  2-class task (5-split CIFAR-10) and more than any of a 10-class one (10-split
  CIFAR-100), so the reject output sees a broad sample of the task's images turned; but
  the task's classes keep two thirds of the loss, so the task-given accuracy, HAT's
  measure, is not traded for it. All three rotations of every image, CSI's and CLOM's
  share, would make "not this task" three quarters of the batch, the head's cheapest
  answer.
The copies are the batch's own first images, in a fixed order of angles: nothing random
is drawn, so a resumed run trains on the batches an uninterrupted one trains on.
"""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf

# Counter-clockwise quarter turns (tf.image.rot90's k): 90, 180 and 270 degrees.
QUARTER_TURNS = (1, 2, 3)


def with_rotated_copies(inputs: dict, labels: tf.Tensor, reject_label: int):
    """(inputs, labels) of a training batch with its first ⌈B/2⌉ images appended again,
    image i turned by 90·(1 + i mod 3) degrees, each with its task id and the label
    `reject_label` (the heads' "not this task": MultiHead, `with_reject`). The batch's
    own examples stay first, in their order."""
    images, task_ids = inputs["image"], inputs["task_id"]
    copied = (tf.shape(labels)[0] + 1) // 2
    step = len(QUARTER_TURNS)
    rotated = [tf.image.rot90(images[turns - 1:copied:step], k=turns) for turns in QUARTER_TURNS]
    rotated_ids = [task_ids[turns - 1:copied:step] for turns in QUARTER_TURNS]
    rejects = tf.fill([copied], tf.cast(reject_label, labels.dtype))
    return ({"image": tf.concat([images, *rotated], axis=0),
             "task_id": tf.concat([task_ids, *rotated_ids], axis=0)},
            tf.concat([labels, rejects], axis=0))


def check_square(image_shape: Sequence[int | None]) -> None:
    """Refuses images a quarter turn would change the shape of.

    Raises:
        ValueError: `image_shape` (height, width, channels) is not square, or not known.
    """
    height, width = image_shape[:2]
    if height is None or height != width:
        raise ValueError(f"rotated copies need square images: expected height = width, "
                         f"received {height}×{width}")
