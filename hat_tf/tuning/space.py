"""What a search varies: the hyperparameters of the model's method, optionally the lr.

HAT's s_max (paper Eq. 3) and c (Eq. 5) over the ranges the HAT paper's sensitivity plot
(Fig. 4) found good: s_max 25–800, sampled on a log scale as the figure draws it, and c
0.1–2.5 (docs/algorithm.md §8). EWC's λ and LwF's λ and T (the HAT reference code: 5000, 2, 1) over
ranges of our choosing, on a log scale around the reference's values: EWC's λ 100–100000,
LwF's λ 0.1–10 and T 0.5–4 (Li & Hoiem distil at T = 2).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import keras_tuner

from hat_tf.config import RunConfig

S_MAX = "s_max"
CAPACITY_WEIGHT = "capacity_weight"
LR = "lr"


@dataclass(frozen=True)
class Searched:
    """One searched hyperparameter.

    Attributes:
        name: Its name in the oracle, the trial tables and TensorBoard.
        section: The `RunConfig` field that holds it (`hat`, `ewc`, `lwf`, `optim`).
        setting: Its field there.
        low: The searched range's low end.
        high: Its high end.
        sampling: keras-tuner's `log` or `linear`.
        option: The tools/train.py option that sets it.
        label: What the plot's axis calls it.
        ticks: The plot's ticks.
    """

    name: str
    section: str
    setting: str
    low: float
    high: float
    sampling: str
    option: str
    label: str
    ticks: tuple[float, ...]

    def value(self, config: RunConfig) -> float:
        """Its value in `config`."""
        return getattr(getattr(config, self.section), self.setting)


# Per method (catalog.METHODS' names), what a search of its models varies.
SEARCHES = {
    "hat": (Searched(S_MAX, "hat", "s_max", 25.0, 800.0, "log", "--smax", "s_max (Eq. 3)",
                     (25, 50, 100, 200, 400, 800)),
            Searched(CAPACITY_WEIGHT, "hat", "capacity_weight", 0.1, 2.5, "linear",
                     "--capacity-weight", "c (Eq. 5)", (0.1, 0.5, 1, 1.5, 2, 2.5))),
    "ewc": (Searched("ewc_lambda", "ewc", "weight", 100.0, 100000.0, "log", "--ewc-lambda",
                     "EWC's λ", (100, 1000, 5000, 100000)),),
    "lwf": (Searched("lwf_lambda", "lwf", "weight", 0.1, 10.0, "log", "--lwf-lambda",
                     "LwF's λ", (0.1, 0.5, 2, 10)),
            Searched("lwf_temperature", "lwf", "temperature", 0.5, 4.0, "log",
                     "--lwf-temperature", "LwF's T", (0.5, 1, 2, 4))),
}
LEARNING_RATE = Searched(LR, "optim", "lr", 0.01, 0.25, "log", "--lr", "lr",
                         (0.01, 0.05, 0.25))  # log-centred on the paper's 0.05
BY_NAME = {s.name: s for searched in SEARCHES.values() for s in (*searched, LEARNING_RATE)}


def search_space(tune_lr: bool, method: str = "hat") -> keras_tuner.HyperParameters:
    """`method`'s hyperparameters (SEARCHES), and with `tune_lr` the initial learning rate.

    The space is declared up front, before any trial: keras-tuner's workers in chief/worker
    mode stop after no trial when the chief's oracle starts with an empty space.
    """
    space = keras_tuner.HyperParameters()
    for searched in SEARCHES[method] + ((LEARNING_RATE,) if tune_lr else ()):
        space.Float(searched.name, searched.low, searched.high, sampling=searched.sampling)
    return space


def trial_config(base: RunConfig, values: dict, run_dir: str) -> RunConfig:
    """`base` with a trial's values (any of BY_NAME's) and its own run dir."""
    changes = {}
    for name, value in values.items():
        searched = BY_NAME[name]
        section = changes.get(searched.section, getattr(base, searched.section))
        changes[searched.section] = dataclasses.replace(section, **{searched.setting: value})
    return dataclasses.replace(base, **changes, run_dir=run_dir)


def trial_values(config: RunConfig, method: str = "hat") -> dict[str, float]:
    """The searched settings of a trial's run, lr included even where it is not tuned."""
    return {s.name: s.value(config) for s in (*SEARCHES[method], LEARNING_RATE)}


def searched_in(columns) -> list[Searched]:
    """The method's hyperparameters among `columns` (a trials table's), lr aside."""
    return [BY_NAME[name] for name in columns if name in BY_NAME and name != LR]
