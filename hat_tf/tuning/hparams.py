"""The trials in TensorBoard's HPARAMS tab: `tensorboard --logdir <search>/tb`.

`<search>/tb/` holds the experiment: the searched settings with their ranges and the
metrics (`hparams_config`), written once by the process that owns the search (the chief).
`<search>/tb/<trial_id>/` is one run per trial: its settings (`hparams`) and its metrics as
scalars, written by the process that ran the trial.
"""

from __future__ import annotations

import os
import shutil

import keras_tuner
import tensorflow as tf
from tensorboard.plugins.hparams import api as hparams_api

from hat_tf.tuning.space import LR
from hat_tf.tuning.validation import OBJECTIVE

METRICS = {
    OBJECTIVE: "mean validation accuracy over all tasks after the last task (the objective)",
    "acc": "ACC: mean test accuracy over all tasks after the last task",
    "bwt": "BWT: mean change of each task's test accuracy since it was learned",
}


def write_experiment(log_dir: str, space: keras_tuner.HyperParameters) -> None:
    """The HPARAMS tab's columns: the searched hyperparameters with their ranges, lr (with
    its range where searched) and the metrics."""
    searched = {hyperparameter.name: hyperparameter for hyperparameter in space.space}
    names = [*(name for name in searched if name != LR), LR]
    hparams = [_hparam(name, searched.get(name)) for name in names]
    metrics = [hparams_api.Metric(name, description=text) for name, text in METRICS.items()]
    writer = tf.summary.create_file_writer(log_dir)
    with writer.as_default():
        hparams_api.hparams_config(hparams=hparams, metrics=metrics)
    writer.close()


def _hparam(name: str, searched: keras_tuner.engine.hyperparameters.Float | None):
    """A column of the HPARAMS tab; with the searched range where it is searched."""
    if searched is None:
        return hparams_api.HParam(name)
    return hparams_api.HParam(name, hparams_api.RealInterval(float(searched.min_value),
                                                             float(searched.max_value)))


def write_trial(log_dir: str, trial_id: str, values: dict[str, float],
                metrics: dict[str, float]) -> None:
    """A trial's run, `<log_dir>/<trial_id>`: its settings and its `METRICS` values; a
    trial run again (after a crash) replaces its earlier run."""
    run_dir = os.path.join(log_dir, trial_id)
    shutil.rmtree(run_dir, ignore_errors=True)
    writer = tf.summary.create_file_writer(run_dir)
    with writer.as_default(step=0):
        hparams_api.hparams(values, trial_id=trial_id)
        for name in METRICS:
            tf.summary.scalar(name, metrics[name])
    writer.close()
