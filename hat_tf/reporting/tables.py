"""Markdown tables of a run's results (TensorBoard text, report.md)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hat_tf.hat.mask_snapshot import LayerCapacity


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table; the first column left-aligned, the rest right."""
    lines = ["| " + " | ".join(str(cell) for cell in header) + " |",
             "| --- |" + " ---: |" * (len(header) - 1)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def percent(value: float | None) -> str:
    """A fraction as a percentage with one decimal; blank for None or NaN."""
    if value is None or np.isnan(value):
        return ""
    return f"{100 * value:.1f}"


def accuracy_table(matrix: Sequence[Sequence[float | None]], task_names: Sequence[str]) -> str:
    """The accuracy matrix so far (%): a row per task trained, a column per task tested."""
    trained = len(matrix)
    return markdown_table(
        ["after training ↓ / tested on →", *task_names[:trained]],
        [[name, *(percent(v) for v in row[:trained])]
         for name, row in zip(task_names, matrix)],
    )


def capacity_table(history: Sequence[dict[str, LayerCapacity]], task_names: Sequence[str],
                   cumulative: bool) -> str:
    """Per gated layer, its units and the % of them in use after each task: by tasks 1..t
    together (a^{≤t} > 0.5) when `cumulative`, else by task t's own mask (a^t > 0.5)."""
    layers = history[-1]
    return markdown_table(
        ["layer", "units", *(f"after {name}" for name in task_names[: len(history)])],
        [[name, layers[name].units,
          *(percent(row[name].cumulative if cumulative else row[name].task) for row in history)]
         for name in layers],
    )


def capacity_tables(history: Sequence[dict[str, LayerCapacity]],
                    task_names: Sequence[str]) -> str:
    """Both capacity tables with their captions: units in use by tasks 1..t together
    (which Eq. 2 closes to later tasks' updates), then by task t's own mask."""
    return ("Units in use (%) per gated layer by tasks 1..t together (a^≤t > 0.5): Eq. 2 "
            "closes them to later tasks' updates.\n\n"
            + capacity_table(history, task_names, cumulative=True)
            + "\n\nUnits in use (%) by task t's own mask (a^t > 0.5):\n\n"
            + capacity_table(history, task_names, cumulative=False))


REUSE_CAPTION = ("Row i, column j: % of task j's units (all gated layers) that task i's mask "
                 "uses too (after the paper's Fig. 6).")


def reuse_table(reuse: np.ndarray, task_names: Sequence[str]) -> str:
    """A reuse matrix (%): row i, column j = the share of task j's units in task i's mask."""
    names = task_names[: len(reuse)]
    return markdown_table(["mask of ↓ / units of →", *names],
                          [[name, *(percent(v) for v in row)] for name, row in zip(names, reuse)])


def mask_learning_table(records: Sequence[dict[str, dict]], task_names: Sequence[str]) -> str:
    """Whether each task's masks learned (results.json's `mask_learning`): a row per task
    and gated layer (`network`: all of them), with how far its embeddings moved, the % of
    units whose gate switched and whose embedding ends at the clamp, and the % its own
    mask and tasks 1..t together use."""
    return markdown_table(
        ["task", "layer", "moved", "switched", "at clamp", "own mask", "tasks 1..t"],
        [[name, layer, f"{row['moved']:.3f}", percent(row["switched"]),
          percent(row["at_clamp"]), percent(row["capacity"]),
          percent(row["cumulative_capacity"])]
         for name, record in zip(task_names, records) for layer, row in record.items()],
    )
