"""tools/report.py on hand-written run dirs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TASKS = ["a", "b"]


def write_run(path, model, matrix, seed=0, tasks=TASKS, **more):
    """A results.json as older hat_tf versions wrote it; `more` adds keys of newer ones."""
    path.mkdir(parents=True)
    results = {"model": model, "dataset": "digits", "seed": seed, "task_names": tasks,
               "num_params": 10, "acc_matrix": matrix, "acc": sum(matrix[-1]) / 2,
               "bwt": matrix[1][0] - matrix[0][0], "random_acc": [0.5, 0.5],
               "epochs_per_task": [1, 1], "train_seconds": 3.0, "tasks_completed": 2, **more}
    (path / "results.json").write_text(json.dumps(results))
    return str(path)


def report(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, str(REPO / "tools" / "report.py"), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_report_writes_table_csv_and_plot(tmp_path):
    joint = write_run(tmp_path / "joint", "alexnet_joint", [[0.9, None], [0.9, 0.9]])
    hat = write_run(tmp_path / "hat", "alexnet_hat", [[0.9, None], [0.9, 0.8]])
    sgd = write_run(tmp_path / "sgd", "alexnet_sgd", [[0.9, None], [0.5, 0.9]])
    out = tmp_path / "out"
    done = report(hat, sgd, "--joint", joint, "--out", str(out))
    assert done.returncode == 0, done.stderr
    csv = (out / "comparison.csv").read_text().splitlines()
    assert csv[0] == "run,model,acc,la,bwt,rho_1,rho_2,num_params,train_seconds"
    hat_row, sgd_row = csv[1].split(","), csv[2].split(",")
    assert float(hat_row[3]) == pytest.approx((0.9 + 0.8) / 2)
    assert float(hat_row[5]) == pytest.approx(0.0)
    assert float(hat_row[6]) == pytest.approx(((0.4 / 0.4 - 1) + (0.3 / 0.4 - 1)) / 2)
    assert float(sgd_row[6]) == pytest.approx(((0.0 / 0.4 - 1) + 0.0) / 2)
    assert "forgetting_ratio.png" in (out / "comparison.md").read_text()
    assert (out / "forgetting_ratio.png").stat().st_size > 1000


@pytest.mark.parametrize("change", [{"seed": 1}, {"tasks": ["b", "a"]}])
def test_runs_that_do_not_match_the_joint_run_are_refused(tmp_path, change):
    joint = write_run(tmp_path / "joint", "alexnet_joint", [[0.9, None], [0.9, 0.9]])
    other = write_run(tmp_path / "other", "alexnet_hat", [[0.9, None], [0.9, 0.8]], **change)
    done = report(other, "--joint", joint, "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "differs from the joint run" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("method, noted", [
    (None, True),  # an older run: Joint warm-started every task
    ({"gradient_clip_norm": 10000.0, "retrained_from_initial_weights": True}, False)])
def test_a_warm_started_joint_run_is_noted(tmp_path, method, noted):
    more = {"method": method} if method else {}
    joint = write_run(tmp_path / "joint", "alexnet_joint", [[0.9, None], [0.9, 0.9]], **more)
    hat = write_run(tmp_path / "hat", "alexnet_hat", [[0.9, None], [0.9, 0.8]])
    done = report(hat, "--joint", joint, "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert ("warm-started" in (tmp_path / "out" / "comparison.md").read_text()) == noted
