"""tools/train.py end to end, as a user runs it: a subprocess on the offline digits."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.data.test_benchmarks import fake_cifar_dir
from tests.data.test_sources import BREAKAGES
from tests.tools.tool_modules import load_tool, refusal

REPO = Path(__file__).resolve().parents[2]
RESULT_KEYS = {"model", "dataset", "seed", "task_names", "num_params", "acc_matrix", "acc",
               "bwt", "random_acc", "epochs_per_task", "train_seconds"}


def train(*args, cwd=REPO):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, str(REPO / "tools" / "train.py"), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def hat_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "hat"
    done = train("--model", "alexnet_hat", "--dataset", "digits", "--tasks", "3",
                 "--epochs", "2", "--width", "0.125", "--train-limit", "120",
                 "--run-dir", str(run_dir))
    assert done.returncode == 0, done.stderr
    return run_dir, done.stdout


def test_results_json_follows_the_contract(hat_run):
    run_dir, _ = hat_run
    results = json.loads((run_dir / "results.json").read_text())
    assert RESULT_KEYS <= results.keys()
    matrix = results["acc_matrix"]
    assert len(matrix) == 3 and all(len(row) == 3 for row in matrix)
    assert matrix[0][1:] == [None, None] and matrix[1][2] is None
    assert all(0.0 <= v <= 1.0 for t, row in enumerate(matrix) for v in row[: t + 1])
    assert results["acc"] == pytest.approx(sum(matrix[2]) / 3)
    assert results["bwt"] == pytest.approx((matrix[2][0] - matrix[0][0]
                                            + matrix[2][1] - matrix[1][1]) / 2)
    assert results["model"] == "alexnet_hat" and results["dataset"] == "digits"
    assert len(results["random_acc"]) == 3 and len(results["epochs_per_task"]) == 3
    assert results["epochs_per_task"] == [2, 2, 2]


def test_config_and_csv_are_written(hat_run):
    run_dir, _ = hat_run
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"] == "alexnet_hat" and config["optim"]["epochs"] == 2
    assert config["hat"]["s_max"] == 400.0 and config["data"]["val_fraction"] == 0.15
    lines = (run_dir / "acc_matrix.csv").read_text().splitlines()
    assert lines[0] == "trained_task,digits-0-1,digits-2-3,digits-4-5" and len(lines) == 4


def test_tensorboard_logs_and_report_are_written(hat_run):
    run_dir, stdout = hat_run
    for subdir in ("tb", "tb/train", "tb/validation"):
        assert list((run_dir / subdir).glob("events.out.tfevents.*")), subdir
    report = (run_dir / "report.md").read_text()
    for png in ("accuracy_matrix.png", "capacity.png", "reuse.png"):
        assert f"]({png})" in report and (run_dir / png).stat().st_size > 0
    assert f"tensorboard --logdir {run_dir}" in stdout


def test_progress_and_matrix_are_printed(hat_run):
    _, stdout = hat_run
    assert "task 2/3  epoch   2  lr 5.00e-02" in stdout
    assert re.search(r"task 1/3  epoch   1 .* elapsed \d+:\d\d:\d\d, left at most: task "
                     r"\d+:\d\d:\d\d, run \d+:\d\d:\d\d\n"
                     r"estimate: this run takes at most \d+:\d\d:\d\d more \(3 tasks of up to 2 "
                     r"epochs", stdout)
    assert stdout.count("estimate:") == 1 and "\r" not in stdout  # line-oriented
    assert "after task 3/3 (digits-4-5): ACC" in stdout
    assert stdout.count("digits-0-1") >= 4  # the matrix table after every task


def test_an_existing_run_dir_is_refused(hat_run, train_tool, capsys):
    run_dir, _ = hat_run
    before = (run_dir / "results.json").read_text()
    error = refusal(train_tool, ["--model", "alexnet_sgd", "--run-dir", str(run_dir)], capsys)
    assert "exists already" in error
    assert (run_dir / "results.json").read_text() == before


def test_dry_run_prints_the_parameter_count_and_writes_nothing(train_tool, tmp_path,
                                                               monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    train_tool.main(["--model", "alexnet_hat", "--dry-run"])
    assert ("alexnet_hat on digits (5 tasks): 6,547,082 trainable parameters"
            in capsys.readouterr().out)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def train_tool():
    return load_tool("train")


@pytest.mark.parametrize("args, reason", [
    (["--model", "alexnet_foo"], "invalid choice: 'alexnet_foo'"),
    (["--model", "alexnet_hat", "--dataset", "mnist"], "invalid choice: 'mnist'"),
    (["--model", "alexnet_hat", "--epochs", "-3"], "expected a value in [1, inf), received -3"),
    (["--model", "alexnet_hat", "--lr", "zero"], "expected float, received 'zero'"),
    (["--model", "alexnet_hat", "--lr", "nan"], "expected a value in (0, inf), received nan"),
    (["--model", "alexnet_hat", "--seed", str(2**32)],
     "expected a value in [0, 4294967294], received 4294967296"),
    (["--model", "alexnet_hat", "--strategy", "tpu"], "invalid choice: 'tpu'"),
    (["--model", "alexnet_hat", "--dataset", "cifar", "--data-dir", "/no/such/dir"],
     "--data-dir /no/such/dir is not a directory"),
    (["--model", "alexnet_hat", "--tasks", "6"], "digits has 5 tasks, received --tasks 6"),
    (["--model", "alexnet_ewc", "--reject-rotations"],
     "--reject-rotations: expected a model of a method with HAT's gates (adahat, hat"),
    (["--model", "alexnet_pnn", "--reject-rotations"], "received alexnet_pnn"),
])
def test_bad_arguments_exit_2_with_one_line(train_tool, tmp_path, monkeypatch, capsys, args,
                                            reason):
    monkeypatch.chdir(tmp_path)
    assert reason in refusal(train_tool, args, capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # ≈ 40 s; tests/training/test_distribute.py covers the strategy in-process
def test_mirrored_strategy_on_two_cpus_end_to_end(tmp_path):
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, str(REPO / "tests" / "two_cpus.py"), str(REPO / "tools" / "train.py"),
         "--model", "alexnet_hat", "--tasks", "2", "--epochs", "1", "--width", "0.125",
         "--train-limit", "100", "--strategy", "mirrored", "--run-dir", str(run_dir)],
        env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "mirrored: 2 replicas" in done.stdout
    results = json.loads((run_dir / "results.json").read_text())
    assert len(results["acc_matrix"]) == 2
    assert json.loads((run_dir / "config.json").read_text())["strategy"] == "mirrored"
    assert (run_dir / "saved_models" / "task_1" / "saved_model.pb").is_file()
    assert not (run_dir / "checkpoints").exists()  # a finished run's is deleted


def test_a_nan_loss_stops_the_run_naming_task_and_epoch(train_tool, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_tool.main(["--model", "alexnet_hat", "--tasks", "2", "--epochs", "2", "--width",
                         "0.125", "--train-limit", "60", "--lr", "1e30", "--run-dir",
                         str(tmp_path / "run")])
    assert exit_info.value.code == 1
    assert re.search(r"loss became nan in task 1/2, epoch \d: the run stopped",
                     capsys.readouterr().err)
    assert not (tmp_path / "run" / "results.json").exists()


@pytest.mark.parametrize("case", BREAKAGES)
def test_an_unusable_data_file_exits_2_and_never_deletes_the_run_it_would_overwrite(
        train_tool, tmp_path, capsys, case):
    breakage, _, reason = BREAKAGES[case]
    data_dir, run_dir = tmp_path / "data", tmp_path / "run"
    data_dir.mkdir()
    breakage(Path(fake_cifar_dir(data_dir)) / "cifar10.npz")
    run_dir.mkdir()
    (run_dir / "results.json").write_text("{}")
    error = refusal(train_tool, ["--model", "alexnet_hat", "--dataset", "cifar", "--data-dir",
                                 str(data_dir), "--run-dir", str(run_dir), "--overwrite"],
                    capsys)
    assert str(data_dir / "cifar10.npz") in error and reason in error
    assert [path.name for path in run_dir.iterdir()] == ["results.json"]


def test_bad_input_exits_2_end_to_end_with_one_line_and_no_run_dir(tmp_path):
    """As a user meets it: the process's whole stderr is the one line. (Bad arguments and
    --tasks refusals are tested in-process above, `refusal` checking the same one line.)"""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "cifar10.npz").write_bytes(np.random.default_rng(0).bytes(4096))
    done = train("--model", "alexnet_hat", "--dataset", "cifar", "--data-dir", str(data_dir),
                 "--run-dir", str(tmp_path / "run"))
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.startswith("train.py: error: ")
    assert "cifar10.npz is not an .npz file" in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "run").exists()
