"""What a search varies: HAT's s_max (paper Eq. 3) and c (Eq. 5), optionally the lr.

The ranges are those the HAT paper's sensitivity plot (Fig. 4) found good: s_max 25–800,
sampled on a log scale as the figure draws it, and c 0.1–2.5 (HAT_SPEC §8).
"""

from __future__ import annotations

import dataclasses

import keras_tuner

from hat_tf.config import RunConfig

S_MAX = "s_max"
CAPACITY_WEIGHT = "capacity_weight"
LR = "lr"
S_MAX_RANGE = (25.0, 800.0)
CAPACITY_WEIGHT_RANGE = (0.1, 2.5)
LR_RANGE = (0.01, 0.25)  # log-centred on the paper's 0.05


def search_space(tune_lr: bool) -> keras_tuner.HyperParameters:
    """s_max (log scale) and c, and with `tune_lr` the initial learning rate (log scale).

    The space is declared up front, before any trial: keras-tuner's workers in chief/worker
    mode stop after no trial when the chief's oracle starts with an empty space.
    """
    space = keras_tuner.HyperParameters()
    space.Float(S_MAX, *S_MAX_RANGE, sampling="log")
    space.Float(CAPACITY_WEIGHT, *CAPACITY_WEIGHT_RANGE)
    if tune_lr:
        space.Float(LR, *LR_RANGE, sampling="log")
    return space


def trial_config(base: RunConfig, values: dict, run_dir: str) -> RunConfig:
    """`base` with a trial's values (s_max, c, and lr where tuned) and its own run dir."""
    hat = dataclasses.replace(base.hat, s_max=values[S_MAX],
                              capacity_weight=values[CAPACITY_WEIGHT])
    optim = dataclasses.replace(base.optim, lr=values.get(LR, base.optim.lr))
    return dataclasses.replace(base, hat=hat, optim=optim, run_dir=run_dir)


def trial_values(config: RunConfig) -> dict[str, float]:
    """The searched settings of a trial's run, lr included even where it is not tuned."""
    return {S_MAX: config.hat.s_max, CAPACITY_WEIGHT: config.hat.capacity_weight,
            LR: config.optim.lr}
