"""Typed, frozen settings for a run. Library code takes these, never an argparse namespace.

Every default carries its provenance (docs/algorithm.md §8 unless said otherwise).
"""

from __future__ import annotations

import dataclasses
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
    """

    optimizer: str = "sgd"
    lr: float = 0.05
    lr_factor: float = 3.0
    lr_patience: int = 5
    lr_min: float = 1e-4
    epochs: int = 200
    batch_size: int = 64
    momentum: float = 0.0


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


@dataclass(frozen=True)
class EwcConfig:
    """EWC's hyperparameter (Kirkpatrick et al., 2017), as the HAT reference code runs EWC
    (`approaches/ewc.py`; methods/ewc.py).

    Attributes:
        weight: λ, the weight of the penalty (λ/2)·Σ F·(θ − θ*)² (reference: 5000,
            grid-searched there against its Fisher estimator, which methods/ewc.py keeps).
    """

    weight: float = 5000.0


@dataclass(frozen=True)
class LwfConfig:
    """LwF's hyperparameters (Li & Hoiem, 2017), as the HAT reference code runs LwF
    (`approaches/lwf.py`; methods/lwf.py).

    Attributes:
        weight: λ, the weight of the distillation loss (reference: 2).
        temperature: T, which divides the old and the new logits (reference: 1).
    """

    weight: float = 2.0
    temperature: float = 1.0


# The nested settings of a RunConfig, by field name (RunConfig.from_dict).
SECTIONS = {"data": DataConfig, "optim": OptimConfig, "hat": HatConfig, "ewc": EwcConfig,
            "lwf": LwfConfig}

# Keras dtype policies a run may compute in (RunConfig.precision).
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs: the model name, its settings and where results go.

    `hat`, `ewc` and `lwf` are the methods' hyperparameters; a run reads only its own
    method's.

    `deterministic` asks for TensorFlow's deterministic ops, so that two runs with the
    same seed, and a killed and resumed run, write identical results. `precision` is the
    Keras dtype policy of the network, one of PRECISIONS: `float32`; `mixed_bfloat16`
    (bfloat16 compute, float32 weights: for CPUs with AVX512_BF16 or AMX, and GPUs);
    `mixed_float16` (float16 compute with loss scaling: for GPUs, slow on CPUs).
    `strategy` names the tf.distribute strategy that trains it (`none`, `mirrored`;
    hat_tf.distribute); `optim.batch_size` is then the global batch, split among the
    replicas. `export` is what the run exports (hat_tf.export.run_exporter: `compact`, `full`);
    `task_inference` scores prediction without the task id at its end (`task_inference_acc`,
    `cil_acc`: every task's test set through every task's head).
    """

    model: str = "alexnet_hat"
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    hat: HatConfig = field(default_factory=HatConfig)
    ewc: EwcConfig = field(default_factory=EwcConfig)
    lwf: LwfConfig = field(default_factory=LwfConfig)
    width: float = 1.0
    run_dir: str | None = None
    deterministic: bool = False
    precision: str = "float32"
    strategy: str = "none"
    export: str = "compact"
    task_inference: bool = False

    def to_dict(self) -> dict:
        """A JSON-ready nested dict of every setting."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, settings: dict) -> RunConfig:
        """The config `to_dict` gave (a run's config.json); settings an older run's file
        lacks take their defaults."""
        return cls(**{key: SECTIONS[key](**value) if key in SECTIONS else value
                      for key, value in settings.items()})
