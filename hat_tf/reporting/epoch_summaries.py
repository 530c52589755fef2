"""Per-epoch TensorBoard scalars of a task's `fit` (tags `epoch/…`)."""

from __future__ import annotations

import keras
import tensorflow as tf

from hat_tf.training.callbacks import current_lr

VALIDATION_PREFIX = "val_"


class EpochSummaries(keras.callbacks.Callback):
    """Writes each epoch's logs as `epoch/<name>` scalars.

    The train step's logs (loss, accuracy and the method's step metrics, e.g. HAT's
    `capacity_reg` and `s_lowest`/`s_highest`) go to `train_writer`; the validation logs, without
    their `val_` prefix, to `validation_writer`, so TensorBoard draws training and validation
    of a tag in one chart. `train_writer` also gets `epoch/lr` (the rate the epoch trained
    with) and `epoch/task` (1-based). Steps count epochs over the whole run, from
    `first_step`, so the tasks follow each other on the x axis.

    Args:
        train_writer: Summary writer of the training curves.
        validation_writer: Summary writer of the validation curves.
        first_step: Step of this fit's first epoch.
        task_id: The task being trained.
    """

    def __init__(self, train_writer: tf.summary.SummaryWriter,
                 validation_writer: tf.summary.SummaryWriter, first_step: int, task_id: int):
        super().__init__()
        self.train_writer = train_writer
        self.validation_writer = validation_writer
        self.first_step = first_step
        self.task_id = task_id
        self.learning_rate = None

    def on_epoch_begin(self, epoch, logs=None):
        self.learning_rate = current_lr(self.model.optimizer)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        step = self.first_step + epoch
        with self.train_writer.as_default(step=step):
            for name, value in logs.items():
                if not name.startswith(VALIDATION_PREFIX):
                    tf.summary.scalar(f"epoch/{name}", float(value))
            tf.summary.scalar("epoch/lr", self.learning_rate)
            tf.summary.scalar("epoch/task", self.task_id + 1)
        with self.validation_writer.as_default(step=step):
            for name, value in logs.items():
                if name.startswith(VALIDATION_PREFIX):
                    tf.summary.scalar(f"epoch/{name[len(VALIDATION_PREFIX):]}", float(value))
