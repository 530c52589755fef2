"""Starting a run, the one way tools/train.py, `hat_tf.learn`, the tuner's trials and the
tests start one: the seed, determinism, the tf.distribute strategy, config.json and the
standard reporters, then the task sequence (training.loop.run_sequence).

It wires the standard reporters to the loop, so it sits above reporting; tuning and
learning start their runs here (docs/architecture.md, "Layers").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import keras
import tensorflow as tf

from hat_tf.catalog import MODELS
from hat_tf.config import RunConfig
from hat_tf.data.task import TaskSequence
from hat_tf.distribute import make_strategy
from hat_tf.reporting.standard import standard_observers
from hat_tf.training.checkpoint import RunCheckpoint
from hat_tf.training.loop import run_sequence
from hat_tf.training.observer import RunObserver
from hat_tf.training.recipe import Recipe
from hat_tf.training.results import write_json
from hat_tf.training.run_results import RunResults

CONFIG_FILE = "config.json"


def seeded_strategy(config: RunConfig) -> tf.distribute.Strategy:
    """Seeds Keras' global generators from `config.data.seed` (the initial weights, the
    dropout masks), turns on TensorFlow's deterministic ops where `config.deterministic`
    asks, and returns the strategy `config.strategy` names. Call it before building the
    model: the seed fixes the weights it draws."""
    keras.utils.set_random_seed(config.data.seed)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    return make_strategy(config.strategy)


def start_run(config: RunConfig, sequence: TaskSequence, recipe: Recipe | None = None, *,
              observers: Sequence[RunObserver] | None = None,
              log: Callable[[str], None] = print, checkpoint: RunCheckpoint | None = None,
              resume: bool = False) -> RunResults:
    """Learns `sequence` as a run of `config`: `seeded_strategy`, then with `config.run_dir`
    config.json written there (not on `resume`: the run's own stays), then the task
    sequence under the strategy, whose results it returns.

    Args:
        config: The run's settings.
        sequence: The tasks.
        recipe: The network and the method (default: the model `config.model` names).
        observers: Who watches the run (default: with a run dir, the standard reporters,
            `reporting.standard.standard_observers`; without one, none).
        log: Where progress lines go.
        checkpoint: Where the run saves its checkpoints.
        resume: Continue from `checkpoint`'s latest snapshot.
    """
    strategy = seeded_strategy(config)
    if config.strategy != "none":
        log(f"{config.strategy}: {strategy.num_replicas_in_sync} replicas")
    if config.run_dir is not None and not resume:
        write_json(os.path.join(config.run_dir, CONFIG_FILE), config.to_dict())
    if observers is None:
        observers = (standard_observers(config, sequence, log)
                     if config.run_dir is not None else [])
    return run_sequence(config, sequence, recipe or MODELS.get(config.model),
                        log=log, observers=observers,
                        checkpoint=checkpoint, resume=resume, strategy=strategy)
