"""Throughput measurements of the compiled train step, inference and the input pipeline.

Timings belong here and in tools/benchmark.py, never in a test's assertion.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import statistics
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from hat_tf.catalog import build_model
from hat_tf.config import OptimConfig, RunConfig
from hat_tf.data.pipeline import training_batches
from hat_tf.data.task import Task, TaskSequence
from hat_tf.machine import device_kind, machine_description
from hat_tf.models.building import count_params
from hat_tf.training.loop import make_optimizer


@dataclass(frozen=True)
class BenchmarkSettings:
    """What one measurement runs: a model at a width, for a number of tasks.

    Attributes:
        model: A registered model name.
        width: Its width multiplier.
        num_tasks: Tasks the network is built for (heads, gate embeddings).
        batch_size: Examples per step (paper: 64).
        warmup_steps: Steps run before timing (tracing, allocation).
        window_steps: Steps in one timed window.
        windows: Timed windows; the median is reported.
        ratio_windows: Pairs of alternating windows that time a HAT model against its
            plain twin, a model in reduced precision against its float32 twin, and the
            real pipeline against a cached batch; their median ratio is reported. A ratio
            is a small difference between two noisy timings (single pairs spread by ±4 %
            on 2 CPUs), so it gets more windows than the rates.
        precision: The Keras dtype policy (RunConfig.precision).
    """

    model: str
    width: float = 1.0
    num_tasks: int = 10
    batch_size: int = 64
    warmup_steps: int = 10
    window_steps: int = 20
    windows: int = 5
    ratio_windows: int = 11
    precision: str = "float32"


def synthetic_sequence(num_tasks: int, examples: int, classes: int = 10) -> TaskSequence:
    """`num_tasks` tasks that share one set of random 32×32×3 images, `examples` per split
    (the pipeline's cost is real; the memory is one task's)."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (examples, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, classes, examples).astype(np.int32)
    class_names = tuple(str(c) for c in range(classes))
    tasks = tuple(Task(f"synthetic-{t}", class_names, images, labels, images, labels, images,
                       labels) for t in range(num_tasks))
    return TaskSequence("synthetic", tasks, (127.5,) * 3, (64.0,) * 3)


class StepClock(keras.callbacks.Callback):
    """Records the wall time at every batch end."""

    def on_train_begin(self, logs=None):
        self.times = []

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter())


def _fit_rate(model: keras.Model, data: tf.data.Dataset, settings: BenchmarkSettings) -> float:
    """Median training images/s over the timed windows of one `fit` epoch, after warm-up."""
    clock = StepClock()
    steps = settings.warmup_steps + settings.windows * settings.window_steps
    model.fit(data, epochs=1, steps_per_epoch=steps, callbacks=[clock], verbose=0,
              shuffle=False)
    times = clock.times
    rates = []
    for window in range(settings.windows):
        start = settings.warmup_steps + window * settings.window_steps - 1
        elapsed = times[start + settings.window_steps] - times[start]
        rates.append(settings.window_steps * settings.batch_size / elapsed)
    return statistics.median(rates)


# The plain model of the same architecture that each HAT model's step is compared with.
PLAIN_OF = {"alexnet_hat": "alexnet_sgd", "resnet18_hat": "resnet18_sgd",
            "resnet18_hat_bn": "resnet18_sgd", "vgg8_hat": "vgg8_sgd"}


def measure(settings: BenchmarkSettings) -> dict:
    """Training and inference images/s, the data-waiting share, peak memory; for a HAT
    model, its step time over its plain twin's (`step_time_over_plain`); in reduced
    precision, the step time over the float32 twin's (`step_time_over_float32`)."""
    model, pipeline = _prepared_model(settings)
    row = {
        **settings.__dict__,
        "num_params": count_params(model.network),
        "train_images_per_second": _fit_rate(model, pipeline, settings),
        "inference_images_per_second": _inference_rate(model, pipeline, settings),
        "data_wait_share": data_wait_share(model, pipeline, settings),
        "peak_memory_mib": _peak_memory_mib(),  # before the plain twin is built
    }
    if settings.model in PLAIN_OF:
        row["step_time_over_plain"] = step_time_ratio(
            model, pipeline, dataclasses.replace(settings, model=PLAIN_OF[settings.model]))
    if settings.precision != "float32":
        row["step_time_over_float32"] = step_time_ratio(
            model, pipeline, dataclasses.replace(settings, precision="float32"))
    return row


def _prepared_model(settings: BenchmarkSettings):
    """(model, pipeline): the model compiled for the last task of a synthetic sequence, the
    earlier tasks ended, and that task's training pipeline."""
    steps = settings.warmup_steps + settings.windows * settings.window_steps
    sequence = synthetic_sequence(settings.num_tasks, examples=steps * settings.batch_size)
    config = RunConfig(model=settings.model, width=settings.width,
                       precision=settings.precision,
                       optim=OptimConfig(batch_size=settings.batch_size))
    model = build_model(config, sequence)
    task = settings.num_tasks - 1
    pipeline = training_batches([(task, sequence.tasks[task])], settings.batch_size, seed=0,
                                epochs=1)
    end_earlier_tasks(model, task, pipeline.take(1))
    model.method.on_task_begin(task, steps_per_epoch=steps)
    model.compile(optimizer=make_optimizer(config.optim, model.method.gradient_clip_norm))
    return model, pipeline


def one_cached_batch(pipeline: tf.data.Dataset) -> tf.data.Dataset:
    """The pipeline's first batch, cached and repeated: steps over it cost what the step
    costs when data never waits."""
    return pipeline.take(1).cache().repeat()


def data_wait_share(model, pipeline: tf.data.Dataset, settings: BenchmarkSettings) -> float:
    """The share of the step time spent waiting for data: 1 − (time over one cached batch)
    / (time over the real tf.data pipeline), both timed in alternating windows in this
    process (two separate `fit`s drift apart by more than the few % measured)."""
    cached, real = (_window_timer(model, data, settings.warmup_steps)
                    for data in (one_cached_batch(pipeline), pipeline.repeat()))
    return max(0.0, 1.0 - alternating_median_ratio(cached, real, settings))


def step_time_ratio(model, pipeline: tf.data.Dataset, twin: BenchmarkSettings) -> float:
    """The step time of `model` over that of `twin`'s model (its plain or float32 twin),
    both over one cached batch of their pipelines, timed in alternating windows in this
    process (the same machine state for both)."""
    twin_model, twin_pipeline = _prepared_model(twin)
    twin_timer, model_timer = (_window_timer(m, one_cached_batch(p), twin.warmup_steps)
                               for m, p in ((twin_model, twin_pipeline), (model, pipeline)))
    return alternating_median_ratio(model_timer, twin_timer, twin)


def alternating_median_ratio(numerator, denominator, settings: BenchmarkSettings) -> float:
    """The median, over `ratio_windows` pairs of alternating windows of `window_steps`
    steps, of the seconds of `numerator` over those of `denominator` (window timers)."""
    ratios = []
    for _ in range(settings.ratio_windows):
        denominator_seconds = denominator(settings.window_steps)
        ratios.append(numerator(settings.window_steps) / denominator_seconds)
    return statistics.median(ratios)


def _window_timer(model, data: tf.data.Dataset, warmup_steps: int):
    """After a warm-up `fit`, a function that returns the seconds of `steps` compiled train
    steps of `model` over `data`."""
    model.fit(data, epochs=1, steps_per_epoch=warmup_steps, verbose=0, shuffle=False)
    iterator = iter(data)

    def time_steps(steps: int) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            logs = model.train_function(iterator)
        float(logs["loss"])  # waits for the last step
        return time.perf_counter() - start

    return time_steps


def end_earlier_tasks(model, task: int, data: tf.data.Dataset) -> None:
    """Ends tasks 0 … task − 1 with their untrained weights, so that `task` is measured in
    the state of a late task: HAT's cumulative masks a^{≤t−1} (Eq. 2) are those of the
    earlier tasks' random embeddings, which protect most units, so the step conditions
    its updates as it would in a real sequence."""
    for earlier in range(task):
        model.method.on_task_end(earlier, data)


def _inference_rate(model, pipeline, settings: BenchmarkSettings) -> float:
    batches = pipeline.take(settings.window_steps).cache()
    model.predict(batches, verbose=0)  # warm-up and trace
    rates = []
    for _ in range(settings.windows):
        start = time.perf_counter()
        model.predict(batches, verbose=0)
        rates.append(settings.window_steps * settings.batch_size / (time.perf_counter() - start))
    return statistics.median(rates)


def _peak_memory_mib() -> float:
    """Peak GPU memory where there is a GPU, else the process's peak resident memory."""
    if tf.config.list_physical_devices("GPU"):
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def environment() -> dict:
    """The kind of device and the machine (`machine.device_kind`, `machine_description`:
    as results.json records them), TensorFlow version and thread settings a measurement
    ran with."""
    return {
        "device": device_kind(),
        "machine": machine_description(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "intra_op_threads": thread_setting(
            tf.config.threading.get_intra_op_parallelism_threads(), "TF_NUM_INTRAOP_THREADS"),
        "inter_op_threads": thread_setting(
            tf.config.threading.get_inter_op_parallelism_threads(), "TF_NUM_INTEROP_THREADS"),
    }


def thread_setting(configured: int, variable: str) -> int:
    """A thread pool's size as TensorFlow uses it: the tf.config setting, else the
    environment variable TensorFlow reads at start-up (`variable`), else 0 (its default)."""
    return configured or int(os.environ.get(variable, 0))
