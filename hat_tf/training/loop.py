"""The task sequence: train each task with the paper's protocol, then test all tasks so far."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from hat_tf.config import OptimConfig, RunConfig
from hat_tf.data.pipeline import (
    INFERENCE_BATCH_SIZE,
    array_batches,
    split_arrays,
    task_dataset,
    training_batches,
)
from hat_tf.data.task import TaskSequence
from hat_tf.machine import device_kind, machine_description, recorded_machines
from hat_tf.models.building import built, count_params
from hat_tf.training.callbacks import (
    EpochCheckpoint,
    EpochPrinter,
    MethodEpochEnd,
    MethodEpochMetrics,
    NonFiniteLossGuard,
    PlateauSchedule,
)
from hat_tf.training.checkpoint import RunCheckpoint, TaskCheckpointer
from hat_tf.training.continual_model import ContinualModel
from hat_tf.training.norm_statistics import (
    TaskStatisticsBeforeValidation,
    needs_recomputed_statistics,
)
from hat_tf.training.observer import RunObserver
from hat_tf.training.progress import RunProgress
from hat_tf.training.recipe import Recipe
from hat_tf.training.results import format_matrix, random_classifier_acc, save_results
from hat_tf.training.run_results import RunResults


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
    """A fresh optimizer for a task (docs/algorithm.md §8: reference behaviour), clipping the
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
        checkpointer: Saves the task at its epoch ends (at most one per its run
            checkpoint's `every_seconds`).
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
    if not tasks:  # the method trains nothing at this task (Multitask before the last)
        return 0
    schedule = PlateauSchedule(config.optim.lr_factor, config.optim.lr_patience,
                               config.optim.lr_min, config.optim.restore_at_drop)
    if resume:
        checkpointer.restore(model, schedule)
    printer = EpochPrinter(task_id, len(sequence.tasks), log, progress)
    if not schedule.stopped and schedule.epochs_run < config.optim.epochs:
        saver = ([EpochCheckpoint(lambda: checkpointer.save_if_due(model, schedule))]
                 if checkpointer else [])
        train_data = training_batches(tasks, batch_size, seed=config.data.seed * 1000 + task_id,
                                      epochs=config.optim.epochs, first_epoch=schedule.epochs_run,
                                      augment=config.optim.augment)
        statistics = ([TaskStatisticsBeforeValidation(model.network, tasks)]
                      if needs_recomputed_statistics(model.network) else [])
        model.fit(train_data, validation_data=task_dataset(tasks, "val", batch_size),
                  steps_per_epoch=steps, initial_epoch=schedule.epochs_run,
                  epochs=config.optim.epochs, verbose=0, shuffle=False,
                  callbacks=[*statistics, NonFiniteLossGuard(printer.task_label),
                             MethodEpochMetrics(task_id), schedule, MethodEpochEnd(task_id),
                             printer, *saver, *callbacks])
    schedule.restore_best(model)
    method.on_task_end(task_id, task_dataset(tasks, "train", batch_size))
    return schedule.epochs_run


def epoch_steps(model: ContinualModel, sequence: TaskSequence, task_id: int,
                    batch_size: int) -> int:
    """Training steps of one epoch of task `task_id`: its method's training tasks'
    examples (Joint: tasks 0..task_id) in batches."""
    examples = sum(len(sequence.tasks[t].y_train) for t in model.method.training_tasks(task_id))
    return math.ceil(examples / batch_size)


class TaskScorer:
    """Accuracy of tasks on a split, each example scored by its own task's head at
    s = s_max (docs/algorithm.md §11: a row of the accuracy matrix).

    All the tasks' examples go through one traced prediction in batches of `batch_size`,
    traced once for the run: Keras' `evaluate` is traced again after every task's compile
    and pays its set-up for every test set, which after task t of a 10-task run is t + 1
    times. Prediction is per example (no batch statistics at inference), so the batch size
    changes no prediction.

    Args:
        network: The network, called with {"image", "task_id"}.
        sequence: The tasks.
        batch_size: Examples per prediction step.
    """

    def __init__(self, network: keras.Model, sequence: TaskSequence,
                 batch_size: int = INFERENCE_BATCH_SIZE):
        self.sequence = sequence
        self.batch_size = batch_size
        images = sequence.tasks[0].x_test
        self.predict = tf.function(
            lambda images, task_ids: tf.argmax(
                network({"image": images, "task_id": task_ids}, training=False),
                axis=-1, output_type=tf.int32),
            input_signature=[tf.TensorSpec([None, *images.shape[1:]], images.dtype),
                             tf.TensorSpec([None], tf.int32)])

    def accuracies(self, task_ids: Sequence[int], split: str = "test") -> list[float]:
        """The accuracy on `split` (`test` or `val`) of each task of `task_ids`."""
        images, tasks, labels = split_arrays([(t, self.sequence.tasks[t]) for t in task_ids],
                                             split)
        predicted = np.concatenate([
            self.predict(image_batch, task_batch).numpy()
            for image_batch, task_batch in array_batches(images, tasks,
                                                          batch_size=self.batch_size)])
        right = predicted == labels
        # float32 counts and quotient, as Keras' accuracy metric gives them
        return [float(np.float32(np.sum(right[tasks == t])) / np.float32(np.sum(tasks == t)))
                for t in task_ids]


def new_results(config: RunConfig, sequence: TaskSequence, model: ContinualModel) -> RunResults:
    """The results record of a run before its first task."""
    return RunResults(
        model=config.model,
        dataset=sequence.name,
        seed=config.data.seed,
        task_names=sequence.task_names,
        num_params=count_params(model.network),
        method=model.method.protocol(),
        device=device_kind(),
        random_acc=[random_classifier_acc(t.y_train, t.y_test, t.num_classes)
                    for t in sequence.tasks],
    )


def run_sequence(
    config: RunConfig,
    sequence: TaskSequence,
    recipe: Recipe,
    log: Callable[[str], None] = print,
    observers: Sequence[RunObserver] = (),
    checkpoint: RunCheckpoint | None = None,
    resume: bool = False,
    strategy: tf.distribute.Strategy | None = None,
) -> RunResults:
    """Learns the tasks one after another and returns the run's results (docs/algorithm.md §11).

    The loop owns the results: with `config.run_dir` it writes them (results.json,
    acc_matrix.csv: `save_results`) after every task, once its observers have added what
    they return, and once more when the run is complete. No one else writes them.

    Args:
        config: The run's settings; `run_dir`, where the results go (None: nowhere).
        sequence: The tasks, in order.
        recipe: The network and the method (`catalog.run_sequence`: those `config.model`
            names).
        log: Where progress lines go.
        observers: Reporters that watch the run (TensorBoard, report.md); each sees a copy
            of the results, with what the observers before it returned.
        checkpoint: Where to save a checkpoint at epoch ends (as often as it allows) and
            at every task's end, once the observers have written what the task owes them
            (a run killed before is resumed in the task, and writes it again).
        resume: Continue from `checkpoint`'s latest snapshot instead of starting anew.
        strategy: The tf.distribute strategy to train under (default: none, one device);
            `batch_size` is the global batch, split among its replicas.
    """
    model = build_model(config, sequence, recipe, strategy)
    num_tasks = len(sequence.tasks)
    start = (resume_point(checkpoint, model, num_tasks, log) if resume
             else StartPoint(new_results(config, sequence, model)))
    results = start.results
    if start.first_task < num_tasks:  # past the last task it only writes its exports
        results = results.trained_on(machine_description())
    log(f"{config.model}: {results.num_params:,} parameters, {num_tasks} tasks")
    clock = RunProgress(
        [epoch_steps(model, sequence, t, config.optim.batch_size) for t in range(num_tasks)],
        config.optim.epochs, on_cpu=not tf.config.list_physical_devices("GPU"),
        first_task=start.first_task)
    scorer = TaskScorer(model.network, sequence)

    def publish(results: RunResults) -> None:
        if config.run_dir is not None:
            save_results(config.run_dir, results)

    for observer in observers:
        observer.on_run_begin(model, copy.deepcopy(results))
    for task_id in range(start.first_task, num_tasks):
        mid_task = start.mid_task and task_id == start.first_task  # resumed inside it
        began = time.perf_counter() - (start.seconds_before if mid_task else 0.0)
        callbacks = [c for observer in observers for c in observer.task_callbacks(task_id)]
        checkpointer = (TaskCheckpointer(checkpoint, task_id, results.to_json(), began)
                        if checkpoint else None)
        epochs = train_task(model, sequence, task_id, config, log, callbacks, checkpointer,
                            resume=mid_task, progress=clock)
        results = tested_task(results, task_id, epochs, time.perf_counter() - began, model,
                              scorer, observers, log)
        publish(results)
        if checkpoint:
            checkpoint.save(model, {"task_id": task_id + 1, "results": results.to_json(),
                                    "schedule": None}, best_weights=None)
    if observers:
        log("writing the run's final outputs")  # reports; exports unless --export none
    for observer in observers:
        results = results.with_additions(observer.on_run_end(model, copy.deepcopy(results)))
    results = results.completed()
    publish(results)
    return results


@dataclass(frozen=True)
class StartPoint:
    """Where a run starts: its results so far, the first task to train, whether that task
    resumes mid-way, and if so its training seconds before the checkpoint."""

    results: RunResults
    first_task: int = 0
    mid_task: bool = False
    seconds_before: float = 0.0


def resume_point(checkpoint: RunCheckpoint, model: ContinualModel, num_tasks: int,
                 log: Callable[[str], None]) -> StartPoint:
    """Restores `model` from the checkpoint's latest snapshot (and, between tasks, the
    method's state as the previous task left it) and says where the run goes on."""
    progress = checkpoint.progress()
    # a checkpoint's results are of a run not yet complete, even an older hat_tf's, whose
    # machines went unrecorded
    results = RunResults.from_json({"complete": False, **progress["results"],
                                    "machines": recorded_machines(progress["results"])})
    first_task = progress["task_id"]
    mid_task = progress["schedule"] is not None
    checkpoint.restore_network(model)
    if not mid_task:
        checkpoint.restore_method(model)
    log(f"resuming at task {first_task + 1}/{num_tasks}"
        + (f", after epoch {progress['schedule']['epochs_run']}" if mid_task else "")
        if first_task < num_tasks else "resuming after the last task")
    # older checkpoints did not record it: their resumed task counts from the resume
    return StartPoint(results, first_task, mid_task,
                      progress.get("task_seconds", 0.0) if mid_task else 0.0)


def tested_task(results: RunResults, task_id: int, epochs: int, seconds: float,
                model: ContinualModel, scorer: TaskScorer, observers: Sequence[RunObserver],
                log: Callable[[str], None]) -> RunResults:
    """`results` with task `task_id` learned: every task so far tested (its row of the
    accuracy matrix), logged, and what each observer adds at the task's end."""
    num_tasks = len(results.task_names)
    row = scorer.accuracies(range(task_id + 1))
    results = results.with_task(row + [None] * (num_tasks - task_id - 1), epochs, seconds,
                                model.method.task_results(task_id))
    trained = [r[: task_id + 1] for r in results.acc_matrix]
    log(f"after task {task_id + 1}/{num_tasks} ({results.task_names[task_id]}): "
        f"ACC {results.acc:.4f}  BWT {results.bwt:+.4f}\n"
        + format_matrix(trained, results.task_names))
    for observer in observers:  # a copy each: an observer returns what it adds
        results = results.with_additions(
            observer.on_task_end(task_id, model, copy.deepcopy(results)))
    return results
