"""The Python entry point for a user's own Keras model and data (`hat_tf.learn`): the run
`tools/train.py` makes of a named model, for a model given as a Keras object.

It starts its run as train.py does (runner.start_run: the seed, config.json, the standard
reporters), at the top of the package (docs/architecture.md, "Layers").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import keras

from hat_tf.catalog import hatified_recipe
from hat_tf.config import RunConfig
from hat_tf.data.task import TaskSequence
from hat_tf.methods.base import Method
from hat_tf.runner import start_run
from hat_tf.training.run_results import RunResults


def learn(features: keras.Model, sequence: TaskSequence, method: str | Method = "hat",
          config: RunConfig | None = None, per_task_norm: bool = True,
          log: Callable[[str], None] = print) -> RunResults:
    """Learns the tasks of `sequence` one after another with `features` (a Keras Functional
    or Sequential model from images to features; see models/hatified.py's `hatify`) and a
    method: a registered one by name (catalog.METHODS: `hat`, `sgd`, `joint`,
    `sgd_frozen`, `ewc`, `lwf`, …) or a Method object of your own (docs/methods.md), with
    the paper's protocol (docs/algorithm.md §8, `config.optim`).

    A method that needs gates (HAT) gets the network with a gate after every layer of
    units; the others the same network without gates. With `config.run_dir` the run
    writes what `tools/train.py` writes there: config.json, results.json and
    acc_matrix.csv after every task, TensorBoard logs (tb/), the SavedModels of every task
    (saved_models/) and report.md, replacing the files of an earlier run there (train.py
    refuses an existing run dir).

    Args:
        features: The feature extractor; read, not changed.
        sequence: The tasks (data/user_tasks.py's `task_sequence` makes one of arrays).
        method: A name of catalog.METHODS, or a Method object, which the run attaches to
            the network and trains with (its settings are its own, not `config`'s).
        config: The run's settings (default: RunConfig's); its `model` becomes
            `<features.name>_<method>` (a Method object's registered name, else its class's
            in lower case) and its `data.dataset` the sequence's name. Its seed also seeds
            the initial weights.
        per_task_norm: Every BatchNorm per task (else one shared by all tasks).
        log: Where progress lines go.

    Returns:
        The results (`acc_matrix`, `acc`, `bwt`, …; read like results.json's dict).
    """
    recipe = hatified_recipe(lambda run_config: features, method, per_task_norm)
    config = config or RunConfig()
    config = dataclasses.replace(
        config, model=f"{features.name}_{recipe.method}",
        data=dataclasses.replace(config.data, dataset=sequence.name))
    return start_run(config, sequence, recipe, log=log)
