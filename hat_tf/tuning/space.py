"""What a search varies: the hyperparameters of the model's method, optionally the lr.

Each method declares its own search in its module (`register_method(search=...)`): HAT's
s_max (paper Eq. 3) and c (Eq. 5) over the ranges the HAT paper's sensitivity plot (Fig. 4)
found good (docs/algorithm.md §8), EWC's λ and LwF's λ and T over ranges of our choosing
around the HAT reference code's values, and so on; a method without one is not tuned.
"""

from __future__ import annotations

import dataclasses

import keras_tuner

from hat_tf.config import RunConfig
from hat_tf.methods.registry import METHODS, Searched

LR = "lr"

LEARNING_RATE = Searched(LR, "optim", "lr", 0.01, 0.25, "log", "--lr", "lr",
                         (0.01, 0.05, 0.25))  # log-centred on the paper's 0.05


def searches() -> dict[str, tuple[Searched, ...]]:
    """Per method (the registry's names, those registered when asked), what a search of
    its models varies; a method without a search is not here."""
    return {name: METHODS.get(name).search for name in METHODS.names()
            if METHODS.get(name).search}


def by_name() -> dict[str, Searched]:
    """Every searched hyperparameter by its name, the lr's included."""
    return {s.name: s for searched in searches().values() for s in (*searched, LEARNING_RATE)}


def search_space(tune_lr: bool, method: str = "hat") -> keras_tuner.HyperParameters:
    """`method`'s hyperparameters (`searches`), and with `tune_lr` the initial learning rate.

    The space is declared up front, before any trial: keras-tuner's workers in chief/worker
    mode stop after no trial when the chief's oracle starts with an empty space.
    """
    space = keras_tuner.HyperParameters()
    for searched in searches()[method] + ((LEARNING_RATE,) if tune_lr else ()):
        if searched.integer:
            space.Int(searched.name, int(searched.low), int(searched.high),
                      sampling=searched.sampling)
        else:
            space.Float(searched.name, searched.low, searched.high, sampling=searched.sampling)
    return space


def trial_config(base: RunConfig, values: dict, run_dir: str) -> RunConfig:
    """`base` with a trial's values (any of `by_name`'s) and its own run dir."""
    changes, named = {}, by_name()
    for name, value in values.items():
        searched = named[name]
        section = changes.get(searched.section, getattr(base, searched.section))
        changes[searched.section] = dataclasses.replace(section, **{searched.setting: value})
    return dataclasses.replace(base, **changes, run_dir=run_dir)


def trial_values(config: RunConfig, method: str = "hat") -> dict[str, float]:
    """The searched settings of a trial's run, lr included even where it is not tuned."""
    return {s.name: s.value(config) for s in (*searches()[method], LEARNING_RATE)}


def searched_in(columns) -> list[Searched]:
    """The method's hyperparameters among `columns` (a trials table's), lr aside."""
    named = by_name()
    return [named[name] for name in columns if name in named and name != LR]
