"""Named comparison protocols: which models, seeds and budget `tools/compare.py --protocol`
runs, so that one name stands for one grid (HAT_SPEC §8 for the paper's protocol).

A protocol has families of models; each family is scored against its own Joint run (A_J of
paper Eq. 6), trained on the same seed's task order. A seed sets the task order of `cifar`
and the initial weights.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """Models of one architecture, compared against that architecture's Joint run.

    Attributes:
        name: Short name (`alexnet`).
        joint: The Joint model, trained first: A_J of the forgetting ratio.
        methods: The other models.
        options: train.py options of this family only (e.g. a width).
    """

    name: str
    joint: str
    methods: tuple[str, ...]
    options: tuple[str, ...] = ()

    @property
    def models(self) -> tuple[str, ...]:
        """Joint first, then the methods: the order the grid trains them in."""
        return (self.joint, *self.methods)


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
    """

    name: str
    summary: str
    dataset: str
    options: tuple[str, ...]
    families: tuple[Family, ...]
    seeds: tuple[int, ...] = (0, 1, 2)


ALEXNET = Family("alexnet", "alexnet_joint", (
    "alexnet_hat", "alexnet_sgd", "alexnet_sgd_frozen", "alexnet_ewc", "alexnet_lwf",
    "alexnet_pnn"))
RESNET18 = Family("resnet18", "resnet18_joint", ("resnet18_hat_bn", "resnet18_hat",
                                                   "resnet18_sgd"))

PAPER = Protocol(
    name="paper",
    summary=("The HAT paper's CIFAR protocol (HAT_SPEC §8): all 10 tasks, each on its whole "
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
             "schedule, but at most 15 epochs a task; ResNet18 at width 0.25."),
    dataset="cifar",
    options=("--tasks", "4", "--epochs", "15"),
    families=(ALEXNET, Family(RESNET18.name, RESNET18.joint, RESNET18.methods,
                              ("--width", "0.25"))),
)

PROTOCOLS = {protocol.name: protocol for protocol in (CPU, PAPER)}
