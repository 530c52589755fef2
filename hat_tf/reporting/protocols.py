"""Named comparison protocols: which models, seeds and budget `tools/compare.py --protocol`
runs, so that one name stands for one grid (docs/algorithm.md §8 for the paper's protocol).

A protocol has families of models; each family is scored against its own Joint run (A_J of
paper Eq. 6), trained on the same seed's task order. A seed sets the task order of `cifar`
and the initial weights.
"""

from __future__ import annotations

from dataclasses import dataclass

from hat_tf.catalog import MODELS
from hat_tf.methods.registry import METHODS


@dataclass(frozen=True)
class Family:
    """Models of one architecture, compared against that architecture's Joint run.

    Attributes:
        name: Short name (`alexnet`).
        joint: The Joint model, trained first: A_J of the forgetting ratio (or a Multitask
            model: A_J at the last task only).
        methods: The other models.
        options: train.py options of this family only (e.g. a width).
        first_seed_only: Models trained at the protocol's first seed alone (a benchmark's
            rows other than HAT's: one seed each); the others at every seed.
    """

    name: str
    joint: str
    methods: tuple[str, ...]
    options: tuple[str, ...] = ()
    first_seed_only: tuple[str, ...] = ()

    @property
    def models(self) -> tuple[str, ...]:
        """Joint first, then the methods: the order the grid trains them in."""
        return (self.joint, *self.methods)

    def models_at(self, seed: int, first_seed: int) -> tuple[str, ...]:
        """The models the grid trains at `seed`, in order (`first_seed`: the protocol's)."""
        return tuple(model for model in self.models
                     if seed == first_seed or model not in self.first_seed_only)


@dataclass(frozen=True)
class Stage:
    """A step of a grid's order of work: `models` at each of `seeds`, seed by seed.

    Attributes:
        seeds: The seeds, in order.
        models: The models trained at each of them, in order (Joint before its methods).
    """

    seeds: tuple[int, ...]
    models: tuple[str, ...]


@dataclass(frozen=True)
class Published:
    """A published accuracy to put beside a model's (the benchmark tables of papers).

    Attributes:
        model: The hat_tf model that stands for the published method.
        acc: Its published average accuracy over the tasks after the last, in %.
        source: Where it is published.
    """

    model: str
    acc: float
    source: str


@dataclass(frozen=True)
class Protocol:
    """A comparison grid: every family's models at every seed, with one budget.

    Attributes:
        name: The name `--protocol` takes.
        summary: What it keeps of the paper's protocol and what it cuts (for the report).
        dataset: The task sequence.
        options: train.py options of the budget, shared by every run.
        families: The model families.
        seeds: The seeds (task orders) run by default.
        published: Published accuracies its report puts beside the measured ones.
        stages: The order the grid trains its runs in, so that a grid stopped early has
            the runs that matter most (empty: seed by seed, each seed's families in
            order). They must list every run of the families, and no other.
    """

    name: str
    summary: str
    dataset: str
    options: tuple[str, ...]
    families: tuple[Family, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    published: tuple[Published, ...] = ()
    stages: tuple[Stage, ...] = ()

    def __post_init__(self) -> None:
        if not self.stages:
            return
        expected = {(seed, model) for seed, _, model in self.runs(ordered=False)}
        staged = [(seed, model) for stage in self.stages for seed in stage.seeds
                  for model in stage.models]
        unknown = [run for run in staged if run not in expected]
        left_out = sorted(expected - set(staged))
        if unknown or left_out:
            raise ValueError(f"protocol {self.name}: its stages list runs that are not the "
                             f"grid's {unknown} or leave out {left_out}")

    def runs(self, seeds: tuple[int, ...] | None = None,
             families: tuple[str, ...] | None = None,
             ordered: bool = True) -> list[tuple[int, Family, str]]:
        """The grid's runs, (seed, family, model), in the order it trains them (its
        stages'; runs at seeds the stages do not name come after, seed by seed): every
        model `Family.models_at` the seed, at `seeds` (default: the protocol's) of
        `families` (by name; default: all). A model of several families (a shared Joint)
        is one run, of the first family that has it."""
        chosen = [family for family in self.families
                  if families is None or family.name in families]
        runs: dict[tuple[int, str], tuple[int, Family, str]] = {}
        for seed in self.seeds if seeds is None else seeds:
            for family in chosen:
                for model in family.models_at(seed, self.seeds[0]):
                    runs.setdefault((seed, model), (seed, family, model))
        if not ordered or not self.stages:
            return list(runs.values())
        position = {}
        for stage in self.stages:
            for seed in stage.seeds:
                for model in stage.models:
                    position.setdefault((seed, model), len(position))
        return sorted(runs.values(),
                      key=lambda run: position.get((run[0], run[2]), len(position)))


# Methods a family has in another role than a method's: its Joint, the multitask row.
REFERENCE_METHODS = ("joint", "multitask")


def more_methods(family: Family, architecture: str, first_seed_only: bool = False) -> Family:
    """`<family>_more`: `architecture` with every registered method (methods/registry.py)
    that `family` lacks and that is no reference (REFERENCE_METHODS), against `family`'s
    Joint, in the registry's order, where the catalog has the model: the HAT paper's other
    baselines and HAT's follow-up (AdaHAT, SGD-R, LFL, IMM, PathNet, …). A method module
    added to hat_tf/methods/ joins it.

    Args:
        family: The family whose methods it leaves out, and whose Joint and options it takes.
        architecture: The models' architecture (`alexnet`).
        first_seed_only: Train its methods at the protocol's first seed alone.
    """
    models = set(MODELS.names())  # without the methods that train only a network of their
    # own (PathNet: `alexnet_pathnet` alone)
    methods = tuple(f"{architecture}_{name}" for name in METHODS.names()
                    if name not in REFERENCE_METHODS
                    and f"{architecture}_{name}" in models - set(family.models))
    return Family(f"{family.name}_more", family.joint, methods, family.options,
                  first_seed_only=methods if first_seed_only else ())


ALEXNET = Family("alexnet", "alexnet_joint", (
    "alexnet_hat", "alexnet_sgd", "alexnet_sgd_frozen", "alexnet_ewc", "alexnet_lwf",
    "alexnet_pnn"))
RESNET18 = Family("resnet18", "resnet18_joint", ("resnet18_hat_bn", "resnet18_hat",
                                                   "resnet18_sgd"))
ALEXNET_MORE = more_methods(ALEXNET, "alexnet")

PAPER = Protocol(
    name="paper",
    summary=("The HAT paper's CIFAR protocol (paper §4): all 10 tasks, each on its whole "
             "training set (85 % of it; 15 % validates), SGD lr 0.05 divided by 3 after 5 "
             "epochs without a lower validation loss, stopped below 1e-4 or at 200 epochs; "
             "ResNet18 at full width. Meant for a GPU."),
    dataset="cifar",
    options=("--epochs", "200"),
    families=(ALEXNET, RESNET18),
)

CPU = Protocol(
    name="cpu",
    summary=("The paper's protocol cut to fit a 2-core CPU: the first 4 of the 10 tasks "
             "(of the seed's order), each on its whole training set with the paper's lr "
             "schedule, but at most 15 epochs a task; ResNet18 at width 0.25. The family "
             "alexnet_more (every other registered method on AlexNet, against the same "
             "Joint) came after the grid's first record, and is trained last at each seed."),
    dataset="cifar",
    options=("--tasks", "4", "--epochs", "15"),
    families=(ALEXNET, Family(RESNET18.name, RESNET18.joint, RESNET18.methods,
                              ("--width", "0.25")), ALEXNET_MORE),
)

CPU10 = Protocol(
    name="cpu10",
    summary=("The HAT paper's CIFAR protocol (§4) on all 10 tasks (of the seed's order), each "
             "on its whole training set (85 % of it; 15 % validates) with the paper's lr "
             "schedule, at most 15 epochs a task as in `cpu`, so its first 4 tasks are "
             "`cpu`'s; ResNet18 at width 0.25. The order of work leaves a usable table at "
             "every stop: every AlexNet model at seed 0; Joint, HAT, EWC, PNN and SGD at "
             "seeds 1 and 2; LwF and SGD-F at seeds 1 and 2; the ResNet18 family (Joint, "
             "HAT-BN, SGD) at seed 0 alone; last, the family alexnet_more (every other "
             "registered method on AlexNet: AdaHAT, IMM, LFL, SGD-R, …) at seed 0."),
    dataset="cifar",
    options=("--epochs", "15"),
    families=(ALEXNET, Family(RESNET18.name, RESNET18.joint,
                              ("resnet18_hat_bn", "resnet18_sgd"), ("--width", "0.25"),
                              first_seed_only=("resnet18_joint", "resnet18_hat_bn",
                                               "resnet18_sgd")),
              more_methods(ALEXNET, "alexnet", first_seed_only=True)),
    stages=(
        Stage((0,), ALEXNET.models),
        Stage((1, 2), ("alexnet_joint", "alexnet_hat", "alexnet_ewc", "alexnet_pnn",
                       "alexnet_sgd")),
        Stage((1, 2), ("alexnet_lwf", "alexnet_sgd_frozen")),
        Stage((0,), ("resnet18_joint", "resnet18_hat_bn", "resnet18_sgd")),
        Stage((0,), ALEXNET_MORE.methods),  # added after the grid began: last
    ),
)

# GPM (Saha et al., ICLR 2021) Table 1 and WSN (Kang et al., ICML 2022) Table 2: a 5-layer
# AlexNet with BatchNorm, 10-split CIFAR-100, task given; their HAT is a rerun of the HAT
# reference code. ResNet18's HAT: Kim et al., NeurIPS 2022 (full width, from scratch).
GPM = "GPM, ICLR 2021, Table 1"
CIFAR100_10 = Protocol(
    name="cifar100_10",
    summary=("10-split CIFAR-100 (10 tasks of 10 consecutive classes, in class order; the "
             "seed sets the initial weights and the validation split), the benchmark of the "
             "published HAT, GPM, PackNet, SupSup and WSN numbers. Each task on its whole "
             "training set (85 % of it; 15 % validates), the HAT paper's lr schedule (SGD "
             "lr 0.05, divided by 3 after 5 epochs without a lower validation loss, stopped "
             "below 1e-4) and the published cap of 200 epochs a task; batch 64; no "
             "augmentation. HAT on every seed, the other rows on the first; HAT also on the "
             "AlexNet with a BatchNorm per task (the published network has BatchNorm). The "
             "multitask row is one network trained on all 10 tasks at once. Checkpoints are "
             "kept, so prediction without the task id can be scored again."),
    dataset="cifar100_10",
    options=("--epochs", "200", "--keep-checkpoint", "--task-inference"),
    families=(
        Family("alexnet", "alexnet_multitask", ("alexnet_hat", "alexnet_sgd", "alexnet_ewc"),
               first_seed_only=("alexnet_multitask", "alexnet_sgd", "alexnet_ewc")),
        # The published AlexNet has BatchNorm, the HAT paper's has none: HAT on each, one
        # seed, measures how much of the distance to the published HAT that is.
        Family("alexnet_bn", "alexnet_multitask", ("alexnet_hat_bn",),
               first_seed_only=("alexnet_multitask", "alexnet_hat_bn")),
        Family("alexnet_baselines", "alexnet_multitask",
               ("alexnet_lwf", "alexnet_pnn", "alexnet_sgd_frozen"),
               first_seed_only=("alexnet_multitask", "alexnet_lwf", "alexnet_pnn",
                                "alexnet_sgd_frozen")),
        Family("resnet18", "resnet18_multitask", ("resnet18_hat_bn", "resnet18_sgd"),
               ("--width", "0.25"),
               first_seed_only=("resnet18_multitask", "resnet18_sgd")),
    ),
    published=(
        Published("alexnet_hat", 72.0, GPM),
        Published("alexnet_hat_bn", 72.0, GPM),
        Published("alexnet_ewc", 68.5, GPM),
        Published("alexnet_multitask", 79.75, GPM),
        Published("resnet18_hat_bn", 84.0, "Kim et al., NeurIPS 2022 (full-width ResNet18)"),
    ),
)

CIFAR10_5 = Protocol(
    name="cifar10_5",
    summary=("5-split CIFAR-10 (5 tasks of 2 consecutive classes, in class order), the "
             "class-incremental benchmark of HAT-based methods (HAT with TPL, ICLR 2024; "
             "CLOM): HAT on AlexNet and ResNet18 with per-task BatchNorm, and each "
             "network's multitask row, at cifar100_10's budget (the HAT paper's lr schedule, "
             "at most 200 epochs a task), one seed; checkpoints kept and prediction without "
             "the task id scored, which is what these runs are for."),
    dataset="cifar10_5",
    options=CIFAR100_10.options,
    families=(
        Family("alexnet", "alexnet_multitask", ("alexnet_hat",)),
        Family("resnet18", "resnet18_multitask", ("resnet18_hat_bn",), ("--width", "0.25")),
    ),
    seeds=(0,),
)

# cifar100_10's AlexNet rows are the same on a GPU (tools/gpu_grid.sh trains them into
# cifar100_10's record); its ResNet18 rows at full width are another network, with a record
# of their own.
CIFAR100_10_GPU = Protocol(
    name="cifar100_10_gpu",
    summary=("cifar100_10's ResNet18 rows at the published network, for one GPU: the same "
             "tasks, schedule and 200-epoch cap, ResNet18 at full width (the published "
             "ResNet18-HAT's, Kim et al., NeurIPS 2022) where cifar100_10 trains it at "
             "width 0.25 to fit a CPU; one seed."),
    dataset=CIFAR100_10.dataset,
    options=CIFAR100_10.options,
    families=(Family("resnet18", "resnet18_multitask", ("resnet18_hat_bn", "resnet18_sgd")),),
    seeds=(0,),
    published=tuple(published for published in CIFAR100_10.published
                    if published.model.startswith("resnet18")),
)

PROTOCOLS = {protocol.name: protocol for protocol in (CPU, CPU10, PAPER, CIFAR100_10,
                                                      CIFAR10_5, CIFAR100_10_GPU)}
