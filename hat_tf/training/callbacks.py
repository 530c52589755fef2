"""Callbacks of the paper's per-task protocol (HAT_SPEC §8)."""

from __future__ import annotations

import math
from collections.abc import Callable

import keras


class PlateauSchedule(keras.callbacks.Callback):
    """Divides the learning rate by `factor` after `patience` epochs without a lower
    validation loss, restoring the best weights at each drop; stops when the rate falls
    below `lr_min`; restores the best weights when training ends (reference code).

    Args:
        factor: Divisor of the learning rate (paper: 3).
        patience: Epochs without improvement before a drop (paper: 5).
        lr_min: Stop below this rate (paper: 1e-4).
    """

    def __init__(self, factor: float, patience: int, lr_min: float):
        super().__init__()
        self.factor = factor
        self.patience = patience
        self.lr_min = lr_min

    def on_train_begin(self, logs=None):
        self.best_loss = math.inf
        self.best_weights = None
        self.epochs_without_improvement = 0
        self.epochs_run = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_run = epoch + 1
        if logs["val_loss"] < self.best_loss:
            self.best_loss = logs["val_loss"]
            self.best_weights = self.model.get_weights()
            self.epochs_without_improvement = 0
            return
        self.epochs_without_improvement += 1
        if self.epochs_without_improvement < self.patience:
            return
        self.epochs_without_improvement = 0
        learning_rate = self.model.optimizer.learning_rate
        learning_rate.assign(learning_rate / self.factor)
        if float(learning_rate) < self.lr_min:
            self.model.stop_training = True
        elif self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class EpochPrinter(keras.callbacks.Callback):
    """One line per epoch: task t/T, epoch, lr, training and validation loss and accuracy."""

    def __init__(self, task_label: str, log: Callable[[str], None] = print):
        super().__init__()
        self.task_label = task_label
        self.log = log

    def on_epoch_end(self, epoch, logs=None):
        self.log(
            f"task {self.task_label}  epoch {epoch + 1:3d}  "
            f"lr {float(self.model.optimizer.learning_rate):.2e}  "
            f"loss {logs['loss']:.4f}  acc {logs['accuracy']:.3f}  "
            f"val_loss {logs['val_loss']:.4f}  val_acc {logs['val_accuracy']:.3f}"
        )
