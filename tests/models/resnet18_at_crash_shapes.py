"""ResNet18-HAT-BN's training gradient at the shapes that took the process down (issue 21).

    python tests/models/resnet18_at_crash_shapes.py [--strided-shortcut]

Width 1/8 puts 8 channels into the first strided shortcut, and the batch is 57: the shapes
at which TensorFlow 2.21's oneDNN filter gradient of a strided 1×1 conv corrupts the heap
on AVX-512 CPUs (onednn_strided_pointwise_crash.py beside this file). It runs in a process
of its own, so a crash fails one test instead of the test run; it prints "no crash" at
the end. `--strided-shortcut` builds the net without `BasicBlock.shortcut`'s workaround
(every projection a strided conv), to see the crash the workaround prevents.
"""

import sys

import numpy as np
import tensorflow as tf

import hat_tf.models.resnet
from hat_tf.catalog import build_model
from hat_tf.config import RunConfig

BATCH, WIDTH, CLASSES = 57, 0.125, [2, 2]


class TwoTasks:
    """The shapes `build_model` asks of a sequence: two tasks of two classes."""

    classes_per_task = CLASSES
    channel_mean, channel_std = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)


def main(strided_shortcut: bool) -> None:
    if strided_shortcut:
        hat_tf.models.resnet.ONEDNN_SAFE_POINTWISE_CHANNELS = 0
    model = build_model(RunConfig(model="resnet18_hat_bn", width=WIDTH), TwoTasks)
    rng = np.random.default_rng(0)
    images = tf.constant(rng.random((BATCH, 32, 32, 3), np.float32))
    labels = tf.constant(rng.integers(0, 2, BATCH), tf.int32)
    task_ids = tf.ones([BATCH], tf.int32)  # task 2, as in the crashed run

    @tf.function
    def gradients():
        with tf.GradientTape() as tape:
            logits = model.network({"image": images, "task_id": task_ids}, training=True)
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
                labels, logits[:, :2], from_logits=True))
        return tape.gradient(loss, model.network.trainable_variables)

    for _ in range(5):
        gradients()
    print("no crash")


if __name__ == "__main__":
    main("--strided-shortcut" in sys.argv[1:])
