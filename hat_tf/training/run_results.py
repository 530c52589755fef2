"""The results of a run (results.json), as a typed record that the task sequence owns.

`run_sequence` alone changes a run's record, by making a new one (the record is frozen):
after each task with the task's row of the accuracy matrix, and with what its observers
return. The observers get a deep copy, so whatever they do to it leaves the run's record
as it was.

The record reads like the dict results.json holds (`results["acc"]`, `results.get(...)`:
a read-only Mapping over `to_json()`), and `to_json()` / `from_json()` keep results.json's
keys, so the runs of older hat_tf versions still load.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from hat_tf.training.results import acc, bwt

# The keys an observer may add (`RunObserver.on_task_end` / `on_run_end` return them).
OBSERVER_KEYS = (
    "task_inference_acc",
    "cil_acc",
    "task_inference_rule",
    "task_inference_rules",
    "task_confusion",
    "compact_exports",
    "val_acc_per_task",
    "val_acc",
)


# eq=False keeps Mapping's ==: a record equals its results.json dict.
@dataclasses.dataclass(frozen=True, eq=False)
class RunResults(Mapping):
    """A run's results so far: its names, the accuracy matrix and its metrics (docs/algorithm.md
    §11), what its method keeps per task, and what its observers added.

    Args:
        model: The model's name (`RunConfig.model`).
        dataset: The task sequence's name.
        seed: The data seed.
        task_names: The tasks, in order.
        num_params: The network's trainable parameters.
        method: How the method trains (`Method.protocol`); None in runs of hat_tf before
            the record existed.
        device: The kind of device that trained it (`machine.device_kind`: `CPU` or
            `GPU`, the first call's where a run was resumed); None in runs of hat_tf
            before the record existed, all of them trained on a CPU.
        machines: The machines that trained it (`machine.machine_description`), in the
            order they did: one, or more where it was resumed on another; empty in runs
            of hat_tf before the record existed.
        acc_matrix: Row t: the accuracy of every task after training task t (None for
            tasks not trained yet).
        acc: ACC of the tasks trained so far (mean of the last row; None before the first).
        bwt: BWT of the tasks trained so far (None before the first).
        random_acc: The random classifier's accuracy on each task (ρ's A_R).
        epochs_per_task: The epochs each task ran.
        train_seconds: The time spent training (testing not included).
        tasks_completed: The tasks trained and tested.
        complete: Whether the run's end, with its observers' exports and reports, is done
            (runs of hat_tf before the flag have no `complete`: they are complete).
        method_results: The method's per-task lists (`Method.task_results`, HAT:
            `mask_learning`), each a key of its own in results.json; also any key this
            record does not know, so that a round trip loses nothing.
        task_inference_acc: The share of test examples whose task is inferred right.
        cil_acc: The share of test examples whose task and class are both right.
        task_inference_rule: The task detector's rule that `task_inference_acc` scores.
        task_inference_rules: The scores of every rule of the detector.
        task_confusion: Test examples by true task (rows) and inferred task (columns).
        compact_exports: The summaries of the compact SavedModels.
        val_acc_per_task: Each task's validation accuracy after the last task (tuning).
        val_acc: Their mean, the tuner's objective.
    """

    model: str
    dataset: str
    seed: int
    task_names: list[str]
    num_params: int
    method: dict | None = None
    device: str | None = None
    machines: list[str] = dataclasses.field(default_factory=list)
    acc_matrix: list[list[float | None]] = dataclasses.field(default_factory=list)
    acc: float | None = None
    bwt: float | None = None
    random_acc: list[float] = dataclasses.field(default_factory=list)
    epochs_per_task: list[int] = dataclasses.field(default_factory=list)
    train_seconds: float = 0.0
    tasks_completed: int = 0
    complete: bool = False
    method_results: dict[str, list] = dataclasses.field(default_factory=dict)
    task_inference_acc: float | None = None
    cil_acc: float | None = None
    task_inference_rule: str | None = None
    task_inference_rules: dict | None = None
    task_confusion: list[list[int]] | None = None
    compact_exports: list[dict] | None = None
    val_acc_per_task: list[float] | None = None
    val_acc: float | None = None

    def with_task(self, row: list[float | None], epochs: int, seconds: float,
                  method_results: Mapping[str, Any]) -> RunResults:
        """This record after one more task: its row of the accuracy matrix, its epochs,
        its training time and its method's results (`Method.task_results`); ACC and BWT
        of the tasks trained so far."""
        matrix = [*self.acc_matrix, list(row)]
        trained = [r[: len(matrix)] for r in matrix]
        kept = {key: list(values) for key, values in self.method_results.items()}
        for key, value in method_results.items():
            kept.setdefault(key, []).append(value)
        return dataclasses.replace(
            self, acc_matrix=matrix, acc=acc(trained), bwt=bwt(trained),
            epochs_per_task=[*self.epochs_per_task, epochs],
            train_seconds=self.train_seconds + seconds, tasks_completed=len(matrix),
            method_results=kept)

    def trained_on(self, machine: str) -> RunResults:
        """This record with `machine` training what follows: added to `machines` unless
        it is the last there (a run resumed on the machine that began it)."""
        if self.machines and self.machines[-1] == machine:
            return self
        return dataclasses.replace(self, machines=[*self.machines, machine])

    def with_additions(self, additions: Mapping[str, Any] | None) -> RunResults:
        """This record with what an observer returned (keys of OBSERVER_KEYS); an observer
        adds results, it never changes the loop's."""
        if not additions:
            return self
        foreign = sorted(set(additions) - set(OBSERVER_KEYS))
        if foreign:
            raise ValueError(f"an observer may add only {', '.join(OBSERVER_KEYS)} to the "
                             f"results, received: {', '.join(foreign)}")
        return dataclasses.replace(self, **copy.deepcopy(dict(additions)))

    def completed(self) -> RunResults:
        """This record with the run's end done (`complete`)."""
        return dataclasses.replace(self, complete=True)

    def to_json(self) -> dict:
        """results.json's dict: every field under its own key, the method's results each
        under theirs, the optional fields (and `method`, `device`, `machines`) only when
        set. The values are this record's own: copy before changing them."""
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        method_results = values.pop("method_results")
        for key in ("method", "device"):
            if values[key] is None:
                del values[key]
        if not values["machines"]:
            del values["machines"]
        optional = {key: values.pop(key) for key in OBSERVER_KEYS}
        return {**values, **method_results,
                **{key: value for key, value in optional.items() if value is not None}}

    @classmethod
    def from_json(cls, values: Mapping[str, Any]) -> RunResults:
        """The record of a results.json dict, of this hat_tf or an older one (no `method`,
        no `complete`: complete; no `tasks_completed`: every row of its matrix)."""
        names = {field.name for field in dataclasses.fields(cls)} - {"method_results"}
        known = {key: value for key, value in values.items() if key in names}
        known.setdefault("complete", True)
        known.setdefault("tasks_completed", len(known.get("acc_matrix", [])))
        return cls(**known, method_results={key: value for key, value in values.items()
                                            if key not in names})

    def __getitem__(self, key: str) -> Any:
        return self.to_json()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_json())

    def __len__(self) -> int:
        return len(self.to_json())
