"""The task sequence: train each task with the paper's protocol, then test all tasks so far."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import keras
import tensorflow as tf

from hat_tf.config import OptimConfig, RunConfig
from hat_tf.data.pipeline import task_dataset, training_batches
from hat_tf.data.task import TaskSequence
from hat_tf.models.building import built, count_params
from hat_tf.training.callbacks import (
    EpochCheckpoint,
    EpochPrinter,
    MethodEpochMetrics,
    NonFiniteLossGuard,
    PlateauSchedule,
)
from hat_tf.training.checkpoint import RunCheckpoint, TaskCheckpointer
from hat_tf.training.continual_model import ContinualModel
from hat_tf.training.observer import RunObserver
from hat_tf.training.progress import RunProgress
from hat_tf.training.recipe import Recipe
from hat_tf.training.results import acc, bwt, format_matrix, random_classifier_acc


def build_model(config: RunConfig, sequence: TaskSequence, recipe: Recipe,
                strategy: tf.distribute.Strategy | None = None) -> ContinualModel:
    """The network of `recipe`, built for the sequence's tasks, with its method attached
    (`catalog.build_model`: the model `config.model` names).

    The run's precision (`float32`, `mixed_bfloat16`, `mixed_float16`) becomes Keras'
    global dtype policy.
    Every variable (the network's, the method's, the metrics') is created in the scope of
    `strategy` (default: none, one device), which the model then trains under.
    """
    keras.mixed_precision.set_global_policy(config.precision)
    with (strategy or tf.distribute.get_strategy()).scope():
        network = built(recipe.build_network(sequence, config))
        method = recipe.build_method(config)
        method.attach(network)
        return ContinualModel(network, method)


def make_optimizer(config: OptimConfig, gradient_clip_norm: float) -> keras.optimizers.Optimizer:
    """A fresh optimizer for a task (HAT_SPEC §8: reference behaviour), clipping the
    gradients to the global norm the method declares (`Method.gradient_clip_norm`)."""
    options = {"learning_rate": config.lr, "global_clipnorm": gradient_clip_norm}
    if config.momentum:
        options["momentum"] = config.momentum
    return keras.optimizers.get({"class_name": config.optimizer, "config": options})


def train_task(
    model: ContinualModel,
    sequence: TaskSequence,
    task_id: int,
    config: RunConfig,
    log: Callable[[str], None],
    callbacks: Sequence[keras.callbacks.Callback] = (),
    checkpointer: TaskCheckpointer | None = None,
    resume: bool = False,
    progress: RunProgress | None = None,
) -> int:
    """Trains task `task_id` until the schedule stops it; returns the epochs run.

    Args:
        model: The model, with its method.
        sequence: The tasks.
        task_id: The task to train.
        config: The run's settings.
        log: Where progress lines go.
        callbacks: Join the schedule's in the task's `fit` (reporters' per-epoch logs).
        checkpointer: Saves the task at every epoch end.
        resume: Continue the task from `checkpointer`'s checkpoint (the network restored).
        progress: The run's clock, for the elapsed and remaining times of the epoch lines.
    """
    method = model.method
    tasks = [(t, sequence.tasks[t]) for t in method.training_tasks(task_id)]
    batch_size = config.optim.batch_size
    steps = epoch_steps(model, sequence, task_id, batch_size)
    method.on_task_begin(task_id, steps)
    with model.distribute_strategy.scope():  # the optimizer's variables, like the model's
        model.compile(optimizer=make_optimizer(config.optim, method.gradient_clip_norm))
        model.optimizer.build(model.trainable_variables)  # as fit would: a checkpoint fills it
    schedule = PlateauSchedule(config.optim.lr_factor, config.optim.lr_patience,
                               config.optim.lr_min)
    if resume:
        checkpointer.restore(model, schedule)
    printer = EpochPrinter(task_id, len(sequence.tasks), log, progress)
    if not schedule.stopped and schedule.epochs_run < config.optim.epochs:
        saver = ([EpochCheckpoint(lambda: checkpointer.save(model, schedule))]
                 if checkpointer else [])
        train_data = training_batches(tasks, batch_size, seed=config.data.seed * 1000 + task_id,
                                      epochs=config.optim.epochs, first_epoch=schedule.epochs_run)
        model.fit(train_data, validation_data=task_dataset(tasks, "val", batch_size),
                  steps_per_epoch=steps, initial_epoch=schedule.epochs_run,
                  epochs=config.optim.epochs, verbose=0, shuffle=False,
                  callbacks=[NonFiniteLossGuard(printer.task_label), MethodEpochMetrics(task_id),
                             schedule, printer, *saver,
                             *callbacks])
    schedule.restore_best(model)
    method.on_task_end(task_id, task_dataset(tasks, "train", batch_size))
    return schedule.epochs_run


def epoch_steps(model: ContinualModel, sequence: TaskSequence, task_id: int,
                    batch_size: int) -> int:
    """Training steps of one epoch of task `task_id`: its method's training tasks'
    examples (Joint: tasks 0..task_id) in batches."""
    examples = sum(len(sequence.tasks[t].y_train) for t in model.method.training_tasks(task_id))
    return math.ceil(examples / batch_size)


def task_accuracy(model: ContinualModel, sequence: TaskSequence, task_id: int,
                  batch_size: int, split: str = "test") -> float:
    """Accuracy on the `split` (`test` or `val`) of task `task_id`, scored by its own head
    at s = s_max."""
    data = task_dataset([(task_id, sequence.tasks[task_id])], split, batch_size)
    return float(model.evaluate(data, verbose=0, return_dict=True)["accuracy"])


def new_results(config: RunConfig, sequence: TaskSequence, model: ContinualModel) -> dict:
    """The results record of a run before its first task (results.json's keys)."""
    return {
        "model": config.model,
        "dataset": sequence.name,
        "seed": config.data.seed,
        "task_names": sequence.task_names,
        "num_params": count_params(model.network),
        "method": model.method.protocol(),
        "acc_matrix": [],
        "acc": None,
        "bwt": None,
        "random_acc": [random_classifier_acc(t.y_train, t.y_test, t.num_classes)
                       for t in sequence.tasks],
        "epochs_per_task": [],
        "train_seconds": 0.0,
        "tasks_completed": 0,
    }


def run_sequence(
    config: RunConfig,
    sequence: TaskSequence,
    recipe: Recipe,
    on_task_end: Callable[[dict], None] = lambda results: None,
    log: Callable[[str], None] = print,
    observers: Sequence[RunObserver] = (),
    checkpoint: RunCheckpoint | None = None,
    resume: bool = False,
    strategy: tf.distribute.Strategy | None = None,
) -> dict:
    """Learns the tasks one after another and returns the run's results (HAT_SPEC §11).

    Args:
        config: The run's settings.
        sequence: The tasks, in order.
        recipe: The network and the method (`catalog.run_sequence`: those `config.model`
            names).
        on_task_end: Called with the results so far after every task (to save them).
        log: Where progress lines go.
        observers: Reporters that watch the run (TensorBoard, report.md), called after
            `on_task_end`.
        checkpoint: Where to save a checkpoint at every epoch end and task end.
        resume: Continue from `checkpoint`'s latest snapshot instead of starting anew.
        strategy: The tf.distribute strategy to train under (default: none, one device);
            `batch_size` is the global batch, split among its replicas.
    """
    model = build_model(config, sequence, recipe, strategy)
    num_tasks = len(sequence.tasks)
    results, first_task, mid_task = new_results(config, sequence, model), 0, False
    if resume:
        progress = checkpoint.progress()
        results, first_task = progress["results"], progress["task_id"]
        mid_task = progress["schedule"] is not None
        checkpoint.restore_network(model)
        if not mid_task:  # the method's state as the previous task left it
            checkpoint.restore_method(model)
        log(f"resuming at task {first_task + 1}/{num_tasks}"
            + (f", after epoch {progress['schedule']['epochs_run']}" if mid_task else ""))
    log(f"{config.model}: {results['num_params']:,} parameters, {num_tasks} tasks")
    clock = RunProgress(
        [epoch_steps(model, sequence, t, config.optim.batch_size) for t in range(num_tasks)],
        config.optim.epochs, on_cpu=not tf.config.list_physical_devices("GPU"),
        first_task=first_task)
    for observer in observers:
        observer.on_run_begin(model, results)
    for task_id in range(first_task, num_tasks):
        start = time.perf_counter()
        callbacks = [c for observer in observers for c in observer.task_callbacks(task_id)]
        checkpointer = TaskCheckpointer(checkpoint, task_id, results) if checkpoint else None
        epochs = train_task(model, sequence, task_id, config, log, callbacks, checkpointer,
                            resume=mid_task and task_id == first_task, progress=clock)
        results["train_seconds"] += time.perf_counter() - start
        row = [task_accuracy(model, sequence, t, config.optim.batch_size)
               for t in range(task_id + 1)]
        results["acc_matrix"].append(row + [None] * (num_tasks - task_id - 1))
        results["epochs_per_task"].append(epochs)
        for key, value in model.method.task_results(task_id).items():
            results.setdefault(key, []).append(value)
        results["tasks_completed"] = task_id + 1
        trained = [r[: task_id + 1] for r in results["acc_matrix"]]
        results["acc"], results["bwt"] = acc(trained), bwt(trained)
        log(f"after task {task_id + 1}/{num_tasks} ({sequence.task_names[task_id]}): "
            f"ACC {results['acc']:.4f}  BWT {results['bwt']:+.4f}\n"
            + format_matrix(trained, sequence.task_names))
        if checkpoint:
            checkpoint.save(model, {"task_id": task_id + 1, "results": results,
                                    "schedule": None}, best_weights=None)
        on_task_end(results)
        for observer in observers:
            observer.on_task_end(task_id, model, results)
    for observer in observers:
        observer.on_run_end(model, results)
    return results
