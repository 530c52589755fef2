"""The estimated training time of a comparison grid (`tools/compare.py --protocol`), from
the measured training time of finished runs of the same models.

A run's work is, summed over its tasks, the task's epochs times the images it trains on per
epoch: the task's own training images (after the validation split), or for a Joint run the
union of tasks 1..t (it retrains on every task so far: A_J of the HAT paper's Eq. 6), or
for a Multitask run the union of all tasks, at the last task alone. A model's rate is the
training seconds of its finished runs (results.json's `train_seconds`: testing and exports
not included) over their work, on this machine's kind of device (a GPU's runs say nothing
of a CPU's time); a run of the grid is estimated at its epoch cap, which the lr schedule
may cut short.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
from dataclasses import dataclass

from hat_tf.config import RunConfig
from hat_tf.machine import device_kind, machine_description, recorded_machines
from hat_tf.reporting.finished_runs import IncomparableRunsError, load_results
from hat_tf.reporting.grid import recorded_wall_seconds
from hat_tf.reporting.protocols import Family, Protocol

# Training examples of one task before the validation split, where every task of the
# dataset has as many: `cifar`, a CIFAR-10 pair (2 × 5,000) or a block of 20 CIFAR-100
# classes (20 × 500); `cifar100_10`, 10 CIFAR-100 classes; `cifar10_5`, a CIFAR-10 pair.
TASK_EXAMPLES = {"cifar": 10_000, "cifar100_10": 5_000, "cifar10_5": 10_000}
NUM_TASKS = {"cifar": 10, "cifar100_10": 10, "cifar10_5": 5}


@dataclass(frozen=True)
class Budget:
    """What a run's training time depends on, besides its model.

    Attributes:
        dataset: The task sequence.
        epochs: Per task, the epochs trained (a measured run) or the cap (a planned one);
            None where the number of tasks is not known.
        train_limit: At most this many training examples per task, before the split.
        val_fraction: Share of each task's examples that validates.
        width, batch_size, precision: As train.py's options.
        device: The kind of device that trains it (`machine.device_kind`).
    """

    dataset: str
    epochs: tuple[int, ...] | None
    train_limit: int | None
    val_fraction: float
    width: float
    batch_size: int
    precision: str
    device: str

    def task_images(self) -> int | None:
        """Training images of one task after the validation split (None: unknown)."""
        examples = TASK_EXAMPLES.get(self.dataset)
        if examples is None:
            return None
        if self.train_limit is not None:
            examples = min(examples, self.train_limit)
        return examples - int(round(self.val_fraction * examples))

    def matches(self, other: Budget) -> bool:
        """Whether an epoch of one image costs the same in both (the same network, on the
        same kind of device)."""
        return ((self.width, self.batch_size, self.precision, self.device)
                == (other.width, other.batch_size, other.precision, other.device))


def planned_budget(dataset: str, options: tuple[str, ...], device: str) -> Budget:
    """The budget of a grid's run on `device` (`machine.device_kind`): train.py's
    defaults, then `options` (the protocol's and its family's)."""
    defaults = RunConfig()
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--tasks", type=int, default=NUM_TASKS.get(dataset))
    parser.add_argument("--epochs", type=int, default=defaults.optim.epochs)
    parser.add_argument("--train-limit", type=int, default=defaults.data.train_limit)
    parser.add_argument("--val-fraction", type=float, default=defaults.data.val_fraction)
    parser.add_argument("--width", type=float, default=defaults.width)
    parser.add_argument("--batch-size", type=int, default=defaults.optim.batch_size)
    parser.add_argument("--precision", default=defaults.precision)
    args, _ = parser.parse_known_args(list(options))
    return Budget(dataset, None if args.tasks is None else (args.epochs,) * args.tasks,
                  args.train_limit, args.val_fraction, args.width, args.batch_size,
                  args.precision, device)


def measured_budget(results: dict, config: dict) -> Budget:
    """The budget a finished run trained with (its results.json and config.json; a run
    of a hat_tf that did not record the device trained on a CPU)."""
    return Budget(results["dataset"], tuple(results["epochs_per_task"]),
                  config["data"]["train_limit"], config["data"]["val_fraction"],
                  config["width"], config["optim"]["batch_size"], config["precision"],
                  results.get("device") or "CPU")


def kind(results: dict) -> str:
    """How a run picks the tasks it trains on: `multitask`, `joint` or `own`."""
    method = results.get("method", {})
    if method.get("trained_at_last_task_only"):
        return "multitask"
    return "joint" if "retrained_from_initial_weights" in method else "own"


def image_epochs(run_kind: str, budget: Budget) -> int | None:
    """The run's work: per task its epochs times the images it trains on, summed."""
    images = budget.task_images()
    if images is None or budget.epochs is None:
        return None
    tasks = len(budget.epochs)
    per_task = {"own": [images] * tasks,
                "joint": [images * (t + 1) for t in range(tasks)],
                "multitask": [0] * (tasks - 1) + [images * tasks]}[run_kind]
    return sum(epochs * images for epochs, images in zip(budget.epochs, per_task))


@dataclass(frozen=True)
class Measurement:
    """Finished runs of one model whose training time sets its rate.

    Attributes:
        source: The record folder they come from.
        kind: How the model picks its training tasks (`kind`).
        runs: How many.
        tasks: Their numbers of tasks.
        seconds: Their training seconds, summed.
        work: Their image-epochs, summed.
        wall: Wall seconds over training seconds of those whose wall time was recorded in
            full (None: none was).
        machines: The machines that trained them (results.json's `machines`;
            `machine.recorded_machines`).
    """

    source: str
    kind: str
    runs: int
    tasks: tuple[int, ...]
    seconds: float
    work: int
    wall: float | None
    machines: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        """Training seconds per image-epoch."""
        return self.seconds / self.work


def measure(sources: list[str], model: str, budget: Budget) -> Measurement | None:
    """The finished runs of `model` with `budget`'s network (width, batch size, precision)
    and kind of device in the first of the record folders `sources` that has some, or None."""
    for source in sources:
        runs = []
        for run_dir in sorted(glob.glob(os.path.join(source, "seed*", model))):
            try:
                results = load_results(run_dir)
            except IncomparableRunsError:
                continue
            config_path = os.path.join(run_dir, "config.json")
            if not os.path.isfile(config_path):
                continue
            with open(config_path) as file:
                config = json.load(file)
            try:
                measured = measured_budget(results, config)
            except KeyError:  # a record of an older hat_tf, or not train.py's
                continue
            work = image_epochs(kind(results), measured)
            if measured.matches(budget) and work:
                runs.append((results, work, recorded_wall_seconds(run_dir)))
        if runs:
            walls = [(wall, results["train_seconds"]) for results, _, wall in runs
                     if wall is not None and wall >= results["train_seconds"]]
            return Measurement(
                source, kind(runs[0][0]), len(runs),
                tuple(sorted({len(results["task_names"]) for results, _, _ in runs})),
                sum(results["train_seconds"] for results, _, _ in runs),
                sum(work for _, work, _ in runs),
                sum(w for w, _ in walls) / sum(t for _, t in walls) if walls else None,
                tuple(dict.fromkeys(machine for results, _, _ in runs
                                    for machine in recorded_machines(results))))
    return None


@dataclass(frozen=True)
class ModelEstimate:
    """A model's runs still to train in the grid and the training time of one.

    Attributes:
        model: The model.
        budget: The budget of its runs.
        runs: How many of its runs the grid still trains.
        measurement: The runs its rate comes from (None: unknown).
        seconds: Training seconds of one run (None: unknown).
    """

    model: str
    budget: Budget
    runs: int
    measurement: Measurement | None
    seconds: float | None


def estimate_runs(protocol: Protocol, runs: list[tuple[int, Family, str]],
                  sources: list[str]) -> list[ModelEstimate]:
    """Per model of `runs` (the grid's runs still to train, `Protocol.runs`), in their
    order: how many, and one's training time from the finished runs in `sources` (record
    folders, the most relevant first)."""
    counts: dict[tuple[str, Budget], int] = {}
    device = device_kind()  # this machine's, where the grid trains
    for _, family, model in runs:
        key = (model, planned_budget(protocol.dataset, (*protocol.options, *family.options),
                                     device))
        counts[key] = counts.get(key, 0) + 1
    estimates = []
    for (model, budget), count in counts.items():
        measurement = measure(sources, model, budget)
        work = image_epochs(measurement.kind, budget) if measurement else None
        estimates.append(ModelEstimate(model, budget, count, measurement,
                                       None if work is None else work * measurement.rate))
    return estimates


def hours(seconds: float) -> str:
    """`seconds` in hours, or in minutes below one hour."""
    return f"{seconds / 3600:,.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def shown(path: str) -> str:
    """`path` relative to the working directory where it lies under it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def estimate_text(protocol: Protocol, estimates: list[ModelEstimate], finished: int) -> str:
    """What compare.py prints before a grid starts: per model its runs, the training time
    of one and of all, and what that is based on; the total over the known ones."""
    to_train = sum(e.runs for e in estimates)
    if not to_train:
        return (f"Protocol {protocol.name}: no run to train ({finished} finished already).")
    caps = sorted({max(e.budget.epochs) for e in estimates if e.budget.epochs})
    lines = [f"Estimated training time of protocol {protocol.name}: {to_train} runs to train "
             f"({finished} finished already), each task at its cap of "
             f"{', '.join(map(str, caps)) or 'unknown'} epochs (the lr schedule may stop it "
             "sooner), from the training seconds per epoch per training image of finished "
             "runs of the same model, width, batch size, precision and kind of device "
             f"({estimates[0].budget.device}), on the machine that ran them (results.json's "
             "train_seconds: testing and exports not included; an unfinished run counts "
             "whole):"]
    width = max([len(e.model) for e in estimates] + [5])
    for e in estimates:
        head = f"  {e.model:<{width}} {e.runs:>2} × "
        if e.seconds is None:
            reason = ("no finished run of it with this network"
                      if e.budget.task_images() is not None
                      else f"the task sizes of {e.budget.dataset} are not known here")
            lines.append(f"{head}unknown ({reason})")
            continue
        m = e.measurement
        lines.append(f"{head}{hours(e.seconds):>8} = {hours(e.runs * e.seconds):>8}   "
                     f"({plural(m.runs, 'run')} of {shown(m.source)}, "
                     f"{'/'.join(map(str, m.tasks))} tasks, "
                     f"{1000 * m.rate:.2f} ms per image-epoch)")
    known = [e for e in estimates if e.seconds is not None]
    unknown = [e.model for e in estimates if e.seconds is None]
    total = sum(e.runs * e.seconds for e in known)
    lines.append(f"Total: {hours(total)} ({total / 86400:.1f} days) of training for "
                 f"{plural(sum(e.runs for e in known), 'run')}"
                 + (f"; unknown for {', '.join(unknown)}." if unknown else "."))
    walled = [e for e in known if e.measurement.wall is not None]
    if walled:
        wall = sum(e.runs * e.seconds * (e.measurement.wall or 1.0) for e in known)
        ratios = [e.measurement.wall for e in walled]
        lines.append(f"Wall time, from the wall over training time of the measured runs "
                     f"({min(ratios):.2f} to {max(ratios):.2f}×: testing, exports): about "
                     f"{hours(wall)}"
                     + (f" (at the training time for those without a full wall record: "
                        f"{', '.join(e.model for e in known if e not in walled)})."
                        if len(walled) < len(known) else "."))
    lines.append(machines_line(known, machine_description()))
    elsewhere = [e for e in known if set(e.measurement.tasks) != {len(e.budget.epochs)}]
    if elsewhere:
        pnn = [e.model for e in elsewhere if e.model.endswith("_pnn")]
        lines.append("Rates measured on runs of another number of tasks assume that an "
                     "epoch costs the same per image at every task"
                     + (f"; {', '.join(pnn)}'s does not (a column per task, each narrower "
                        "the more tasks there are), so its estimate is rougher." if pnn
                        else "."))
    return "\n".join(lines)


def machines_line(known: list[ModelEstimate], this_machine: str) -> str:
    """Which machines the rates were measured on, and whether this one is among them."""
    measured = list(dict.fromkeys(m for e in known for m in e.measurement.machines))
    if not measured:
        return f"This machine: {this_machine}."
    line = f"Rates measured on: {'; '.join(measured)}. This machine: {this_machine}"
    if this_machine in measured and len(measured) == 1:
        return line + "."
    return line + (": where they differ, so may the time, several-fold (AlexNet trains five "
                   "times slower on an AVX2-only CPU than on one with AVX-512).")
