"""Typed, frozen settings for a run. Library code takes these, never an argparse namespace.

Every default carries its provenance (docs/algorithm.md §8 unless said otherwise). The
sections here are the run's own and HAT's; every other method's settings dataclass lives in
its module (methods/ewc.py's EwcConfig, …) and registers itself as a section of RunConfig.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DataConfig:
    """Which task sequence to build and how much of it to use.

    Attributes:
        dataset: A registered task sequence (`digits`, `cifar`, `cifar100_10`, `cifar10_5`,
            `synthetic`).
        data_dir: Folder with `cifar10.npz` / `cifar100.npz`; None falls back to
            tensorflow-datasets.
        seed: Shuffles the task order (where the benchmark does) and the validation split.
        num_tasks: Keep only the first `num_tasks` tasks; None keeps all.
        train_limit: Keep at most this many training examples per task (before the
            validation split); None keeps all.
        val_fraction: Share of each task's training set held out for validation. The paper
            uses 15 %; the reference code's CIFAR loader uses 10 %.
    """

    dataset: str = "digits"
    data_dir: str | None = None
    seed: int = 0
    num_tasks: int | None = None
    train_limit: int | None = None
    val_fraction: float = 0.15


@dataclass(frozen=True)
class OptimConfig:
    """The paper's training protocol (docs/algorithm.md §8; reference code `approaches/hat.py`).
    The gradient clip is the method's (`Method.gradient_clip_norm`), as in the reference.

    Attributes:
        optimizer: A Keras optimizer name; a fresh one is created for every task.
        lr: Initial learning rate of every task (paper: 0.05).
        lr_factor: Divide the learning rate by this on a plateau (paper: 3).
        lr_patience: Epochs without validation-loss improvement before a drop (paper: 5).
        lr_min: Stop the task when the learning rate falls below this (paper: 1e-4).
        epochs: Cap on epochs per task (paper: 200).
        batch_size: Examples per step (paper: 64).
        momentum: Momentum for `sgd` (paper: none).
        restore_at_drop: True (this protocol): put the best-validation weights back at every
            learning-rate drop too; False: only at the task's end, as the HAT reference code
            does (docs/algorithm.md §8).
        augment: Train on random crops (of the image padded by 4 pixels) and horizontal
            flips of the training images, new every epoch (`data.pipeline.augmented`); the
            paper and the published 10-split CIFAR-100 numbers train without (False).
    """

    optimizer: str = "sgd"
    lr: float = 0.05
    lr_factor: float = 3.0
    lr_patience: int = 5
    lr_min: float = 1e-4
    epochs: int = 200
    batch_size: int = 64
    momentum: float = 0.0
    restore_at_drop: bool = True
    augment: bool = False


@dataclass(frozen=True)
class HatConfig:
    """HAT's hyperparameters (paper §2–§3, Fig. 4: good ranges s_max 25–800, c 0.1–2.5).

    Attributes:
        s_max: Largest gate scale s; used at evaluation (paper: 400).
        capacity_weight: The paper's c in Eq. 5 (paper: 0.75).
        cosh_clip: Clip of s·e inside the compensation's cosh (reference: 50).
        embedding_clip: Embeddings are clipped to [-clip, clip] after each step (reference: 6).
        embedding_init: Where each task's embeddings start (hat/embedding_init.py):
            `normal`, N(0, 1) (paper §2.1), `sparse` or `dense` (hat-cl's `init_strat`).
    """

    s_max: float = 400.0
    capacity_weight: float = 0.75
    cosh_clip: float = 50.0
    embedding_clip: float = 6.0
    embedding_init: str = "normal"


# The nested settings of a RunConfig, by field name (RunConfig.from_dict): its own.
SECTIONS = {"data": DataConfig, "optim": OptimConfig, "hat": HatConfig}
# The methods' own settings, by section name: each method module registers its frozen
# settings dataclass here (`register_section`, through methods/registry.py), and a RunConfig
# holds one of each (`RunConfig.methods`; `config.ewc` reads it).
METHOD_SECTIONS: dict[str, type] = {}


def register_section(name: str, settings: type) -> None:
    """Adds a method's settings dataclass `settings` as the RunConfig section `name`: its
    defaults are every RunConfig's until set, and config.json holds it under `name`."""
    if name in SECTIONS or name in METHOD_SECTIONS or name in _FIELDS:
        raise ValueError(f"settings section {name!r} is registered twice")
    METHOD_SECTIONS[name] = settings


class MethodSettings(Mapping):
    """The methods' sections a RunConfig sets to other values than their defaults, by
    section name: frozen and hashable; a section equal to its default is not kept, so two
    configs with the same settings compare equal however they were written."""

    def __init__(self, settings: Mapping[str, object] = ()):
        settings = dict(settings)
        for name, value in settings.items():
            if name not in METHOD_SECTIONS:
                raise TypeError(f"unknown settings section {name!r}: expected one of "
                                f"{', '.join(sorted(METHOD_SECTIONS)) or 'none registered'}")
            if not isinstance(value, METHOD_SECTIONS[name]):
                raise TypeError(f"settings section {name!r} takes a "
                                f"{METHOD_SECTIONS[name].__name__}, received {value!r}")
        self._settings = {name: value for name, value in sorted(settings.items())
                          if value != METHOD_SECTIONS[name]()}

    def __getitem__(self, name: str):
        return self._settings[name]

    def __iter__(self):
        return iter(self._settings)

    def __len__(self) -> int:
        return len(self._settings)

    def __hash__(self) -> int:
        return hash(tuple(self._settings.items()))

    def __repr__(self) -> str:
        return f"MethodSettings({self._settings!r})"


@dataclass(frozen=True)
class Number:
    """The range of a numeric setting, and the argparse type of its option: a finite
    `kind` (int or float) in [low, high], or in (low, high] if `low_open`; no upper bound
    when `high` is None. NaN and infinities are refused."""

    kind: type
    low: float
    high: float | None = None
    low_open: bool = False

    def __call__(self, text: str):
        try:
            value = self.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {self.kind.__name__}, received {text!r}") from None
        if not self.holds(value):
            raise argparse.ArgumentTypeError(
                f"expected a value in {self.interval()}, received {text}")
        return value

    def holds(self, value) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            return False
        below = value <= self.low if self.low_open else value < self.low
        return not below and (self.high is None or value <= self.high)

    def interval(self) -> str:
        """`[1, inf)`, `(0, 0.9]`: the values accepted."""
        high = "inf)" if self.high is None else f"{self.high}]"
        return f"{'(' if self.low_open else '['}{self.low}, {high}"


# Keras dtype policies a run may compute in (RunConfig.precision).
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs: the model name, its settings and where results go.

    `hat` is HAT's settings, which the gated networks read too (s_max, the embeddings'
    clip); every other method's own settings are a section of their own, which the method's
    module registers (`METHOD_SECTIONS`): `config.ewc`, `config.lwf` read them (their
    defaults until set), `RunConfig(ewc=EwcConfig(...))` and `dataclasses.replace(config,
    ewc=...)` set them, and `methods` holds those set to other values than their defaults.
    A run reads only its own method's.

    `deterministic` asks for TensorFlow's deterministic ops, so that two runs with the
    same seed, and a killed and resumed run, write identical results. `precision` is the
    Keras dtype policy of the network, one of PRECISIONS: `float32`; `mixed_bfloat16`
    (bfloat16 compute, float32 weights: for CPUs with AVX512_BF16 or AMX, and GPUs);
    `mixed_float16` (float16 compute with loss scaling: for GPUs, slow on CPUs).
    `strategy` names the tf.distribute strategy that trains it (`none`, `mirrored`;
    hat_tf.distribute); `optim.batch_size` is then the global batch, split among the
    replicas. `export` is what the run exports (hat_tf.export.run_exporter: `compact`,
    `full`, `none`); `task_inference` scores prediction without the task id at its end
    (`task_inference_acc`, `cil_acc`: every task's test set through every task's head).
    `reject_rotations` gives every task's head one output more, "not this task", trained
    on rotated copies of the task's own images in each step (hat_tf/data/rotations.py),
    which the task-inference rule `reject` reads; gated methods only (ContinualModel).
    """

    model: str = "alexnet_hat"
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    hat: HatConfig = field(default_factory=HatConfig)
    width: float = 1.0
    run_dir: str | None = None
    deterministic: bool = False
    precision: str = "float32"
    strategy: str = "none"
    export: str = "compact"
    task_inference: bool = False
    reject_rotations: bool = False
    methods: MethodSettings = field(default_factory=MethodSettings)

    def __getattr__(self, name: str):
        """A method's settings section (`config.ewc`): as set, else its defaults."""
        if name in METHOD_SECTIONS:
            return self.__dict__.get("methods", {}).get(name, METHOD_SECTIONS[name]())
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_dict(self) -> dict:
        """A JSON-ready nested dict of every setting: the fields, and every registered
        method's section under its name, after `hat` (config.json)."""
        settings = {}
        for item in dataclasses.fields(self):
            if item.name != "methods":
                settings[item.name] = _plain(getattr(self, item.name))
            if item.name == "hat":
                settings.update({name: dataclasses.asdict(getattr(self, name))
                                 for name in METHOD_SECTIONS})
        return settings

    @classmethod
    def from_dict(cls, settings: dict) -> RunConfig:
        """The config `to_dict` gave (a run's config.json); settings an older run's file
        lacks take their defaults."""
        sections = {**SECTIONS, **METHOD_SECTIONS}
        return cls(**{key: sections[key](**value) if key in sections else value
                      for key, value in settings.items()})


def _plain(value):
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


_FIELDS = {item.name for item in dataclasses.fields(RunConfig)}
_generated_init = RunConfig.__init__


def _init(self, *args, methods: Mapping[str, object] = (), **settings) -> None:
    """RunConfig's fields, and any method's section by name (`ewc=EwcConfig(...)`), which
    goes into `methods` (over what `methods` holds)."""
    sections = {name: settings.pop(name) for name in list(settings) if name in METHOD_SECTIONS}
    _generated_init(self, *args, methods=MethodSettings({**dict(methods), **sections}), **settings)


_init.__signature__ = inspect.signature(_generated_init)
RunConfig.__init__ = _init
