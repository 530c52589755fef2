"""A finished run's record as the comparisons read it: its results.json, refused in one
line (IncomparableRunsError, with the reason) where its tasks are not all trained or its
end-of-run outputs not all written."""

from __future__ import annotations

import json
import os


class IncomparableRunsError(ValueError):
    """Runs that cannot be scored against each other; the message says why."""


def load_results(run_dir: str) -> dict:
    """The results.json of a finished run: all its tasks done (`trained_results`) and,
    where results.json says (`complete`, hat_tf since its exports moved to the run's end),
    everything written that the run owes at its end."""
    results = trained_results(run_dir)
    if not results.get("complete", True):
        raise IncomparableRunsError(f"{run_dir}: its tasks are done, but not what it writes "
                                    "at its end (exports, reports): resume it")
    return results


def trained_results(run_dir: str) -> dict:
    """The results.json of a run whose tasks are all trained and tested; raises
    IncomparableRunsError, with the reason, for anything else."""
    path = os.path.join(run_dir, "results.json")
    if not os.path.isfile(path):
        raise IncomparableRunsError(f"{run_dir}: no results.json (expected a run dir)")
    try:
        with open(path) as file:
            results = json.load(file)
    except (OSError, ValueError) as error:  # ValueError: json.JSONDecodeError, bad UTF-8
        raise IncomparableRunsError(f"{path}: expected a run's JSON results, received a file "
                                    f"that cannot be read ({type(error).__name__}: {error})"
                                    ) from None
    if not isinstance(results, dict) or not isinstance(results.get("task_names"), list):
        raise IncomparableRunsError(f"{path}: expected a run's results with its task_names, "
                                    "received none")
    # runs of a hat_tf before `tasks_completed`: every row of their matrix (RunResults)
    completed = results.get("tasks_completed", len(results.get("acc_matrix") or []))
    if not isinstance(completed, int):
        raise IncomparableRunsError(f"{path}: expected a whole number of tasks_completed, "
                                    f"received {completed!r}")
    if completed < len(results["task_names"]):
        raise IncomparableRunsError(
            f"{run_dir}: only {completed} of {len(results['task_names'])} tasks are done")
    return results
