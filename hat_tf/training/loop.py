"""The task sequence: train each task with the paper's protocol, then test all tasks so far."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import keras

from hat_tf.catalog import MODELS
from hat_tf.config import OptimConfig, RunConfig
from hat_tf.data.pipeline import task_dataset
from hat_tf.data.task import TaskSequence
from hat_tf.models.building import built, count_params
from hat_tf.training.callbacks import EpochPrinter, PlateauSchedule
from hat_tf.training.continual_model import ContinualModel
from hat_tf.training.observer import RunObserver
from hat_tf.training.results import acc, bwt, format_matrix, random_classifier_acc


def build_model(config: RunConfig, sequence: TaskSequence) -> ContinualModel:
    """The named network, built for the sequence's tasks, with its method attached."""
    recipe = MODELS.get(config.model)
    network = built(recipe.build_network(sequence, config))
    method = recipe.build_method(config)
    method.attach(network)
    return ContinualModel(network, method)


def make_optimizer(config: OptimConfig) -> keras.optimizers.Optimizer:
    """A fresh optimizer for a task (HAT_SPEC §8: reference behaviour)."""
    options = {"learning_rate": config.lr, "global_clipnorm": config.clipnorm}
    if config.momentum:
        options["momentum"] = config.momentum
    return keras.optimizers.get({"class_name": config.optimizer, "config": options})


def train_task(model: ContinualModel, sequence: TaskSequence, task_id: int, config: RunConfig,
               log: Callable[[str], None],
               callbacks: Sequence[keras.callbacks.Callback] = ()) -> int:
    """Trains task `task_id` until the schedule stops it; returns the epochs run.

    `callbacks` join the schedule's in the task's `fit` (reporters' per-epoch logs).
    """
    method = model.method
    tasks = [(t, sequence.tasks[t]) for t in method.training_tasks(task_id)]
    batch_size = config.optim.batch_size
    train_data = task_dataset(tasks, "train", batch_size, shuffle_seed=config.data.seed + task_id)
    val_data = task_dataset(tasks, "val", batch_size)
    steps_per_epoch = math.ceil(sum(len(task.y_train) for _, task in tasks) / batch_size)
    method.on_task_begin(task_id, steps_per_epoch)
    model.compile(optimizer=make_optimizer(config.optim))
    schedule = PlateauSchedule(config.optim.lr_factor, config.optim.lr_patience,
                               config.optim.lr_min)
    printer = EpochPrinter(f"{task_id + 1}/{len(sequence.tasks)}", log)
    model.fit(train_data, validation_data=val_data, epochs=config.optim.epochs,
              callbacks=[schedule, printer, *callbacks], verbose=0,
              shuffle=False)  # shuffled by tf.data
    method.on_task_end(task_id, train_data)
    return schedule.epochs_run


def test_accuracy(model: ContinualModel, sequence: TaskSequence, task_id: int,
                  batch_size: int) -> float:
    """Accuracy on task `task_id`'s test set, scored by its own head at s = s_max."""
    data = task_dataset([(task_id, sequence.tasks[task_id])], "test", batch_size)
    return float(model.evaluate(data, verbose=0, return_dict=True)["accuracy"])


def run_sequence(
    config: RunConfig,
    sequence: TaskSequence,
    on_task_end: Callable[[dict], None] = lambda results: None,
    log: Callable[[str], None] = print,
    observers: Sequence[RunObserver] = (),
) -> dict:
    """Learns the tasks one after another and returns the run's results (HAT_SPEC §11).

    Args:
        config: The run's settings.
        sequence: The tasks, in order.
        on_task_end: Called with the results so far after every task (to save them).
        log: Where progress lines go.
        observers: Reporters that watch the run (TensorBoard, report.md), called after
            `on_task_end`.
    """
    model = build_model(config, sequence)
    num_tasks = len(sequence.tasks)
    results = {
        "model": config.model,
        "dataset": sequence.name,
        "seed": config.data.seed,
        "task_names": sequence.task_names,
        "num_params": count_params(model.network),
        "acc_matrix": [],
        "acc": None,
        "bwt": None,
        "random_acc": [random_classifier_acc(t.y_train, t.y_test, t.num_classes)
                       for t in sequence.tasks],
        "epochs_per_task": [],
        "train_seconds": 0.0,
        "tasks_completed": 0,
    }
    log(f"{config.model}: {results['num_params']:,} parameters, {num_tasks} tasks")
    for observer in observers:
        observer.on_run_begin(model, results)
    for task_id in range(num_tasks):
        start = time.perf_counter()
        callbacks = [c for observer in observers for c in observer.task_callbacks(task_id)]
        epochs = train_task(model, sequence, task_id, config, log, callbacks)
        results["train_seconds"] += time.perf_counter() - start
        row = [test_accuracy(model, sequence, t, config.optim.batch_size)
               for t in range(task_id + 1)]
        results["acc_matrix"].append(row + [None] * (num_tasks - task_id - 1))
        results["epochs_per_task"].append(epochs)
        results["tasks_completed"] = task_id + 1
        trained = [r[: task_id + 1] for r in results["acc_matrix"]]
        results["acc"], results["bwt"] = acc(trained), bwt(trained)
        log(f"after task {task_id + 1}/{num_tasks} ({sequence.task_names[task_id]}): "
            f"ACC {results['acc']:.4f}  BWT {results['bwt']:+.4f}\n"
            + format_matrix(trained, sequence.task_names))
        on_task_end(results)
        for observer in observers:
            observer.on_task_end(task_id, model, results)
    for observer in observers:
        observer.on_run_end(model, results)
    return results
