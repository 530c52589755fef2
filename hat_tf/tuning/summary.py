"""The search's report, written by the process that owns the search (the chief) at its end:
`trials.csv`, `trials.md` (the table, the best settings, the plot) and `best_command.txt`
(the best settings as a ready tools/train.py command line)."""

from __future__ import annotations

import os
from collections.abc import Iterable

import pandas as pd

from hat_tf.training.results import write_atomically
from hat_tf.tuning.figure import sensitivity_png
from hat_tf.tuning.hparams import METRICS
from hat_tf.tuning.space import LR, searched_in
from hat_tf.tuning.validation import OBJECTIVE

COMPLETED = "COMPLETED"
PLOT = "sensitivity.png"
COMMAND = "best_command.txt"


def trials_table(trials: Iterable, lr: float) -> pd.DataFrame:
    """One row per keras-tuner trial, in trial order: `trial_id`, `status`, the searched
    hyperparameters (HAT: s_max, c as `capacity_weight`), `lr` (the argument `lr` where it
    was not searched), `val_acc` (the
    objective), `acc`, `bwt` (the run's test ACC and BWT; NaN for a trial that did not
    complete) and, for a failed trial, the last line of its error in `note`."""
    rows = []
    for trial in sorted(trials, key=lambda t: t.trial_id):
        values = trial.hyperparameters.values
        completed = trial.status == COMPLETED
        rows.append({
            "trial_id": trial.trial_id,
            "status": trial.status,
            **{name: value for name, value in values.items() if name != LR},
            LR: values.get(LR, lr),
            **{name: trial.metrics.get_last_value(name) if completed else None
               for name in METRICS},
            "note": "" if completed else (trial.message or "").strip().split("\n")[-1],
        })
    return pd.DataFrame(rows)


def best_trial(table: pd.DataFrame) -> pd.Series | None:
    """The completed trial with the highest objective; None if none completed."""
    completed = table[table["status"] == COMPLETED]
    if completed.empty:
        return None
    return completed.loc[completed[OBJECTIVE].astype(float).idxmax()]


def write_summary(run_dir: str, table: pd.DataFrame, title: str,
                  best_command: str | None) -> None:
    """Writes trials.csv, trials.md, sensitivity.png and, when a trial completed,
    best_command.txt (`best_command`, the command line of the best trial) to `run_dir`."""
    write_atomically(os.path.join(run_dir, "trials.csv"), table.to_csv(index=False))
    write_atomically(os.path.join(run_dir, PLOT), sensitivity_png(table))
    if best_command is not None:
        write_atomically(os.path.join(run_dir, COMMAND), best_command + "\n")
    write_atomically(os.path.join(run_dir, "trials.md"), markdown(table, title, best_command))


def markdown(table: pd.DataFrame, title: str, best_command: str | None) -> str:
    """trials.md: what the columns mean, the table, the best trial's command, the plot."""
    metrics = "\n".join(f"- `{name}`: {text}" for name, text in METRICS.items())
    best = best_trial(table)
    outcome = ("No trial completed." if best is None else
               f"Best trial: {best['trial_id']} ({OBJECTIVE} {best[OBJECTIVE]:.4f}). "
               f"Train with its settings:\n\n```bash\n{best_command}\n```")
    described = ", ".join(f"`{s.name}` is {s.label}" for s in searched_in(table.columns))
    return (f"# {title}\n\n{len(table)} trials; {described}.\n\n{metrics}\n\n"
            + table.to_markdown(index=False, floatfmt=".4g")  # α ~ 1e-7 too
            + f"\n\n{outcome}\n\n![objective over the searched settings]({PLOT})\n")
