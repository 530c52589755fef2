"""Task sequences, their sources and their tf.data pipelines."""

from hat_tf.data.benchmarks import DATASETS, TaskCountError
from hat_tf.data.pipeline import task_dataset, training_batches
from hat_tf.data.sources import DataUnavailableError, InvalidDataError
from hat_tf.data.task import Task, TaskSequence

__all__ = ["DATASETS", "DataUnavailableError", "InvalidDataError", "Task", "TaskCountError",
           "TaskSequence", "task_dataset", "training_batches"]
