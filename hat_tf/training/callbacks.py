"""Callbacks of the paper's per-task protocol (docs/algorithm.md §8)."""

from __future__ import annotations

import math
from collections.abc import Callable

import keras

from hat_tf.training.progress import RunProgress


def current_lr(optimizer: keras.optimizers.Optimizer) -> float:
    """The optimizer's learning rate now (`float()` fails on a tf.distribute variable)."""
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


class PlateauSchedule(keras.callbacks.Callback):
    """Divides the learning rate by `factor` after `patience` epochs without a lower
    validation loss, restoring the best weights at each drop (unless not
    `restore_at_drop`); stops when the rate falls below `lr_min` (reference code).
    `restore_best` puts the best weights back at the end.

    Its counters (`state`) and best weights are what a checkpoint keeps of it.

    Args:
        factor: Divisor of the learning rate (paper: 3).
        patience: Epochs without improvement before a drop (paper: 5).
        lr_min: Stop below this rate (paper: 1e-4).
        restore_at_drop: Put the best weights back at each drop (the reference code only
            does at the task's end).
    """

    def __init__(self, factor: float, patience: int, lr_min: float,
                 restore_at_drop: bool = True):
        super().__init__()
        self.restore_at_drop = restore_at_drop
        self.factor = factor
        self.patience = patience
        self.lr_min = lr_min
        self.best_loss = math.inf
        self.best_weights = None
        self.epochs_without_improvement = 0
        self.epochs_run = 0
        self.stopped = False

    def state(self) -> dict:
        """The counters, JSON-ready (the best weights are saved apart)."""
        return {"best_loss": None if math.isinf(self.best_loss) else self.best_loss,
                "epochs_without_improvement": self.epochs_without_improvement,
                "epochs_run": self.epochs_run, "stopped": self.stopped}

    def load_state(self, state: dict, best_weights) -> None:
        """Continues from a checkpoint's `state()` and best weights."""
        self.best_loss = math.inf if state["best_loss"] is None else state["best_loss"]
        self.epochs_without_improvement = state["epochs_without_improvement"]
        self.epochs_run = state["epochs_run"]
        self.stopped = state["stopped"]
        self.best_weights = best_weights

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
        if current_lr(self.model.optimizer) < self.lr_min:
            self.stopped = self.model.stop_training = True
        elif self.restore_at_drop and self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    def restore_best(self, model: keras.Model) -> None:
        """Puts the best weights of the task back into `model` (paper: end of a task)."""
        if self.best_weights is not None:
            model.set_weights(self.best_weights)


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite; the message names the task and epoch."""


class NonFiniteLossGuard(keras.callbacks.Callback):
    """Stops training at the first batch whose loss is not finite, before the epoch's
    checkpoint could save the broken weights.

    Args:
        task_label: The task, as progress lines name it ("3/10").
    """

    def __init__(self, task_label: str):
        super().__init__()
        self.task_label = task_label

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if not math.isfinite(float(logs["loss"])):
            raise NonFiniteLossError(
                f"the training loss became {float(logs['loss'])} in task {self.task_label}, "
                f"epoch {self.epoch + 1}: the run stopped and keeps the checkpoint of its "
                "last good epoch, if any")


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves a checkpoint at every epoch end, after the schedule has had its say.

    Args:
        save: Writes the checkpoint.
    """

    def __init__(self, save: Callable[[], None]):
        super().__init__()
        self.save = save

    def on_epoch_end(self, epoch, logs=None):
        self.save()


class MethodEpochMetrics(keras.callbacks.Callback):
    """Adds the method's `epoch_metrics` to each epoch's logs, for the callbacks after it
    (the printer, TensorBoard's `epoch/…`, Keras' History).

    Args:
        task_id: The task trained.
    """

    def __init__(self, task_id: int):
        super().__init__()
        self.task_id = task_id

    def on_epoch_end(self, epoch, logs=None):
        logs.update(self.model.method.epoch_metrics(self.task_id))


class MethodEpochEnd(keras.callbacks.Callback):
    """Calls the method's `on_epoch_end` with the epoch's logs: after the schedule, before
    the epoch's checkpoint.

    Args:
        task_id: The task trained.
    """

    def __init__(self, task_id: int):
        super().__init__()
        self.task_id = task_id

    def on_epoch_end(self, epoch, logs=None):
        self.model.method.on_epoch_end(self.task_id, epoch, logs)


class EpochPrinter(keras.callbacks.Callback):
    """One line per epoch: task t/T, epoch, lr, training and validation loss and accuracy,
    and with a RunProgress the elapsed time and the time left; after the run's first
    epoch, the estimated total.

    Args:
        task_id: The task trained.
        num_tasks: Tasks of the run.
        log: Where the lines go.
        progress: The run's clock, or None (no times).
    """

    def __init__(self, task_id: int, num_tasks: int, log: Callable[[str], None] = print,
                 progress: RunProgress | None = None):
        super().__init__()
        self.task_id = task_id
        self.task_label = f"{task_id + 1}/{num_tasks}"
        self.log = log
        self.progress = progress

    def on_epoch_begin(self, epoch, logs=None):
        if self.progress:
            self.progress.epoch_begins()

    def on_epoch_end(self, epoch, logs=None):
        line = (f"task {self.task_label}  epoch {epoch + 1:3d}  "
                f"lr {current_lr(self.model.optimizer):.2e}  "
                f"loss {logs['loss']:.4f}  acc {logs['accuracy']:.3f}  "
                f"val_loss {logs['val_loss']:.4f}  val_acc {logs['val_accuracy']:.3f}")
        if "mask_switched" in logs:  # HAT (MethodEpochMetrics)
            line += (f"  masks: {logs['mask_switched']:.1%} switched, "
                     f"own {logs['mask_capacity']:.1%}")
        if self.progress is None:
            self.log(line)
            return
        self.log(f"{line}  {self.progress.epoch_ends(self.task_id, epoch + 1)}")
        estimate = self.progress.first_estimate()
        if estimate:
            self.log(estimate)
