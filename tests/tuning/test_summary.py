"""The search's table, best trial, report files and plot, from keras-tuner trials."""

import keras_tuner
import pandas as pd
import pytest

from hat_tf.tuning.space import search_space
from hat_tf.tuning.summary import best_trial, markdown, trials_table, write_summary


def trial(trial_id, values, metrics=None, message=None):
    """A keras-tuner trial as the oracle keeps it: completed with `metrics`, else failed."""
    space = search_space(tune_lr="lr" in values)
    space.values = dict(values)
    status = "COMPLETED" if metrics else "FAILED"
    result = keras_tuner.engine.trial.Trial(space, trial_id=trial_id, status=status)
    for name, value in (metrics or {}).items():
        result.metrics.register(name, direction="max")
        result.metrics.update(name, value)
    result.message = message
    return result


TRIALS = [
    trial("1", {"s_max": 400.0, "capacity_weight": 0.75},
          {"val_acc": 0.9, "acc": 0.85, "bwt": 0.0}),
    trial("0", {"s_max": 30.0, "capacity_weight": 2.0},
          {"val_acc": 0.7, "acc": 0.65, "bwt": -0.01}),
    trial("2", {"s_max": 100.0, "capacity_weight": 0.2}, message="Traceback\n  ...\n"
          "FailedTrialError: loss became nan in task 1/2, epoch 1\n"),
]


def test_the_table_has_one_row_per_trial_in_trial_order():
    table = trials_table(TRIALS, lr=0.05)
    assert list(table.columns) == ["trial_id", "status", "s_max", "capacity_weight", "lr",
                                   "val_acc", "acc", "bwt", "note"]
    assert list(table["trial_id"]) == ["0", "1", "2"]
    assert list(table["lr"]) == [0.05] * 3  # not searched: the run's lr
    assert table.loc[1, "acc"] == pytest.approx(0.85)
    assert table.loc[2, "status"] == "FAILED" and table.loc[2, ["val_acc", "acc"]].isna().all()
    assert table.loc[2, "note"] == "FailedTrialError: loss became nan in task 1/2, epoch 1"


def test_a_searched_lr_is_the_trials_own():
    searched = trial("0", {"s_max": 30.0, "capacity_weight": 2.0, "lr": 0.02},
                     {"val_acc": 0.7, "acc": 0.65, "bwt": 0.0})
    assert trials_table([searched], lr=0.05).loc[0, "lr"] == 0.02


def test_the_best_trial_has_the_highest_objective_among_completed_ones():
    assert best_trial(trials_table(TRIALS, lr=0.05))["trial_id"] == "1"
    assert best_trial(trials_table(TRIALS[2:], lr=0.05)) is None


def test_the_summary_files_are_written(tmp_path):
    write_summary(str(tmp_path), trials_table(TRIALS, lr=0.05), "a search", "python train")
    assert (tmp_path / "trials.csv").read_text().startswith("trial_id,status,s_max,")
    assert (tmp_path / "best_command.txt").read_text() == "python train\n"
    assert (tmp_path / "sensitivity.png").read_bytes().startswith(b"\x89PNG")
    report = (tmp_path / "trials.md").read_text()
    assert report.startswith("# a search\n") and "Best trial: 1 (val_acc 0.9000)" in report
    assert "```bash\npython train\n```" in report and "](sensitivity.png)" in report


def test_without_a_completed_trial_there_is_no_command(tmp_path):
    write_summary(str(tmp_path), trials_table(TRIALS[2:], lr=0.05), "a search", None)
    assert "No trial completed." in (tmp_path / "trials.md").read_text()
    assert not (tmp_path / "best_command.txt").exists()


def test_trials_md_shows_a_tiny_searched_value():
    """AdaHAT's α is searched down to 1e-8: four decimals would print it as 0.0000."""
    table = pd.DataFrame({"trial_id": ["0"], "status": ["COMPLETED"], "adahat_intensity":
                          [2.678e-07], "val_acc": [0.3767], "acc": [0.391], "bwt": [0.0007]})
    assert "2.678e-07" in markdown(table, "search", "python tools/train.py")
