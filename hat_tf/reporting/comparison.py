"""Compare runs the way the HAT paper does: the forgetting ratio against a Joint run
(paper Eq. 6, docs/algorithm.md §11), as a table and a plot of ρ_{≤t} over t."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hat_tf.reporting.finished_runs import IncomparableRunsError
from hat_tf.reporting.png import to_png
from hat_tf.training.results import (
    forgetting_ratio,
    forgetting_ratio_after,
    learning_accuracy,
    write_atomically,
)

MATCHING_KEYS = ("dataset", "seed", "task_names")


def check_comparable(runs: dict[str, dict], joint: dict) -> None:
    """Raises IncomparableRunsError unless every run has the Joint run's dataset, seed and
    task order."""
    for name, results in runs.items():
        for key in MATCHING_KEYS:
            if results[key] != joint[key]:
                raise IncomparableRunsError(
                    f"{name}: {key} {results[key]!r} differs from the joint run's {joint[key]!r}")


def warm_started_joint_note(joint: dict) -> str | None:
    """A note for the comparison when the Joint run kept training one network from task to
    task (hat_tf before its Joint was retrained from the initial weights at every task, as
    docs/algorithm.md §11 asks: its results.json has no `method` record); None otherwise."""
    if joint.get("method", {}).get("retrained_from_initial_weights"):
        return None
    return ("Note: this Joint run warm-started every task from the previous one (a run of an "
            "older hat_tf); the paper's A_J retrains from the initial weights at every task.")


def trained_at_last_task_only(results: dict) -> bool:
    """Whether the run trained only at its last task (a Multitask run): the rows of its
    accuracy matrix before the last are its untrained network's."""
    return bool(results.get("method", {}).get("trained_at_last_task_only", False))


def forgetting_ratios(results: dict, joint: dict | None) -> list[float]:
    """ρ_{≤t} of `results` for t = 1..T against `joint`: NaN for every t without a Joint
    run, and for t < T against a Multitask run (it has A_J at T only)."""
    num_tasks = len(results["task_names"])
    if joint is None:
        return [float("nan")] * num_tasks
    if trained_at_last_task_only(joint):
        return [float("nan")] * (num_tasks - 1) + [forgetting_ratio_after(
            num_tasks - 1, results["acc_matrix"], joint["acc_matrix"], results["random_acc"])]
    return forgetting_ratio(results["acc_matrix"], joint["acc_matrix"], results["random_acc"])


def comparison_table(runs: dict[str, dict], joint: dict | None) -> pd.DataFrame:
    """One row per run: model, ACC, LA (each task's accuracy when learned), BWT, ρ_{≤t}
    for every t against `joint` (`forgetting_ratios`), parameters, training time. A run
    trained at its last task only has no LA and BWT (NaN): its diagonal is untrained."""
    if joint is not None:
        check_comparable(runs, joint)
    rows = []
    for name, results in runs.items():
        untrained_diagonal = trained_at_last_task_only(results)
        rows.append({
            "run": name,
            "model": results["model"],
            "acc": results["acc"],
            "la": float("nan") if untrained_diagonal else learning_accuracy(
                results["acc_matrix"]),
            "bwt": float("nan") if untrained_diagonal else results["bwt"],
            **{f"rho_{t + 1}": ratio
               for t, ratio in enumerate(forgetting_ratios(results, joint))},
            "num_params": results["num_params"],
            "train_seconds": results["train_seconds"],
        })
    return pd.DataFrame(rows)


def ratio_columns(scores: pd.DataFrame) -> list[str]:
    """The columns ρ≤t that hold a value for some run (a grid whose Joint is a Multitask
    run has ρ≤T alone)."""
    return [c for c in scores.columns if c.startswith("rho_") and scores[c].notna().any()]


def plot_forgetting_ratio(scores: pd.DataFrame, path: str, runs: list[str] | None = None,
                          title: str | None = None) -> None:
    """ρ≤t against t, like the paper's Fig. 3: a line per run name (`scores`' "run", in
    the order of `runs`, default their order in `scores`); where names have several rows
    (seeds), each line is their mean with a band from the lowest to the highest and its
    label counts them. Written to `path` as PNG."""
    columns = ratio_columns(scores)
    tasks = [int(column.split("_")[1]) for column in columns]
    seeded = bool((scores.groupby("run").size() > 1).any())
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.add_subplot()
    for run in runs or list(dict.fromkeys(scores["run"])):
        rows = scores[scores["run"] == run][columns].to_numpy(float)
        if not len(rows):
            continue
        line, = axes.plot(tasks, np.nanmean(rows, axis=0), marker="o",
                          label=f"{run} ({len(rows)})" if seeded else run)
        axes.fill_between(tasks, np.nanmin(rows, axis=0), np.nanmax(rows, axis=0),
                          alpha=0.15, color=line.get_color())
    axes.axhline(0.0, color="grey", linewidth=0.8)
    axes.set(xlabel="task t", ylabel="forgetting ratio ρ≤t", xticks=tasks, title=title)
    axes.legend(fontsize=8, title="run (seeds)" if seeded else None, title_fontsize=8)
    axes.grid(alpha=0.3)
    write_atomically(path, to_png(figure, dpi=120))
