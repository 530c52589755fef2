"""tools/tune.py end to end on tiny digits runs: a search resumed from keras-tuner's state,
a chief with two workers over gRPC on 127.0.0.1, and bad input."""

import csv
import json
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.tools.tool_modules import load_tool, refusal
from tests.tuning.test_hparams import read_hparams

REPO = Path(__file__).resolve().parents[2]
TINY = ["--model", "alexnet_hat", "--dataset", "digits", "--tasks", "2", "--train-limit", "60",
        "--epochs", "1", "--width", "0.05"]
SUMMARY = {"search.json", "trials.csv", "trials.md", "best_command.txt", "sensitivity.png"}


def clean_environment(**variables) -> dict:
    """This process's environment without KERASTUNER_* (a leak would turn a search into a
    worker), plus `variables`."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
    return {**kept, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", **variables}


def tune_command(*args) -> list[str]:
    return [sys.executable, str(REPO / "tools" / "tune.py"), *args]


def tune(*args, cwd=REPO):
    return subprocess.run(tune_command(*args), cwd=cwd, env=clean_environment(),
                          capture_output=True, text=True, timeout=600)


def read_table(run_dir) -> list[dict]:
    with open(Path(run_dir) / "trials.csv") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    """One trial, then the search resumed from keras-tuner's state up to two trials."""
    run_dir = tmp_path_factory.mktemp("tune") / "search"
    first = tune(*TINY, "--trials", "1", "--run-dir", str(run_dir))
    assert first.returncode == 0, first.stderr
    table_after_one = read_table(run_dir)
    resumed = tune(*TINY, "--trials", "2", "--run-dir", str(run_dir), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    return run_dir, table_after_one, resumed.stdout


def test_the_table_has_every_trial_with_its_settings_and_scores(search):
    run_dir, _, stdout = search
    table = read_table(run_dir)
    assert [row["trial_id"] for row in table] == ["0", "1"]
    for row in table:
        assert row["status"] == "COMPLETED"
        assert 25 <= float(row["s_max"]) <= 800 and 0.1 <= float(row["capacity_weight"]) <= 2.5
        assert float(row["lr"]) == 0.05
        assert 0 <= float(row["val_acc"]) <= 1 and 0 <= float(row["acc"]) <= 1
    report = (run_dir / "trials.md").read_text()
    assert "| trial_id | status" in report.replace("   ", " ").replace("  ", " ")
    assert "mean validation accuracy over all tasks after the last task" in report
    assert (run_dir / "sensitivity.png").read_bytes().startswith(b"\x89PNG")
    assert f"report in {run_dir}/trials.md" in stdout


def test_resume_continues_the_saved_search(search):
    run_dir, table_after_one, stdout = search
    assert "Reloading Tuner" in stdout  # keras-tuner's own saved state
    assert read_table(run_dir)[0] == table_after_one[0]  # trial 0 was not run again


def test_each_trial_keeps_its_run_and_its_objective(search):
    run_dir, _, _ = search
    for row in read_table(run_dir):
        trial_dir = run_dir / "trials" / row["trial_id"]
        config = json.loads((trial_dir / "config.json").read_text())
        assert config["hat"]["s_max"] == pytest.approx(float(row["s_max"]))
        results = json.loads((trial_dir / "results.json").read_text())
        assert len(results["val_acc_per_task"]) == 2  # every task, after the last one
        assert results["val_acc"] == pytest.approx(np.mean(results["val_acc_per_task"]))
        assert results["val_acc"] == pytest.approx(float(row["val_acc"]))
        assert results["acc"] == pytest.approx(float(row["acc"]))


def test_tensorboard_shows_every_trial_in_the_hparams_tab(search):
    run_dir, _, _ = search
    columns, trials = read_hparams(run_dir / "tb")
    assert columns["s_max"] == (25.0, 800.0) and columns["capacity_weight"] == (0.1, 2.5)
    assert columns["metrics"] == ["val_acc", "acc", "bwt"]
    for row in read_table(run_dir):
        values, metrics = trials[row["trial_id"]]
        assert values["s_max"] == pytest.approx(float(row["s_max"]))
        assert metrics["val_acc"] == pytest.approx(float(row["val_acc"]))


def test_the_best_command_is_a_valid_train_command(search):
    run_dir, _, _ = search
    table = read_table(run_dir)
    best = max(table, key=lambda row: float(row["val_acc"]))
    words = shlex.split((run_dir / "best_command.txt").read_text())
    assert words[:2] == ["python", "tools/train.py"]
    args = load_tool("train").build_parser().parse_args(words[2:])
    assert args.model == "alexnet_hat" and args.tasks == 2 and args.width == 0.05
    assert args.smax == pytest.approx(float(best["s_max"]), rel=1e-3)
    assert args.capacity_weight == pytest.approx(float(best["capacity_weight"]), rel=1e-3)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow  # ≈ 40 s on 2 cores: three processes import TensorFlow and train
def test_a_chief_and_two_workers_share_one_search(tmp_path):
    """One worker writes into the chief's run dir, the other into its own (another machine);
    the chief runs no trial and alone writes the summary."""
    shared, own = tmp_path / "shared", tmp_path / "own"
    address = {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(free_port())}
    roles = [("chief", shared), ("tuner0", shared), ("tuner1", own)]
    processes = []
    try:
        for tuner_id, run_dir in roles:
            with open(tmp_path / f"{tuner_id}.log", "w") as log:
                processes.append(subprocess.Popen(
                    tune_command(*TINY, "--trials", "3", "--run-dir", str(run_dir)),
                    env=clean_environment(KERASTUNER_TUNER_ID=tuner_id, **address),
                    stdout=log, stderr=subprocess.STDOUT))
        codes = [process.wait(timeout=300) for process in processes]
    finally:
        for process in processes:
            process.kill()
    logs = {tuner_id: (tmp_path / f"{tuner_id}.log").read_text() for tuner_id, _ in roles}
    assert codes == [0, 0, 0], logs
    assert [row["status"] for row in read_table(shared)] == ["COMPLETED"] * 3
    ran = sorted([*os.listdir(shared / "trials"), *os.listdir(own / "trials")])
    assert ran == ["0", "1", "2"]
    assert SUMMARY <= set(os.listdir(shared))
    assert not SUMMARY & set(os.listdir(own))
    assert not list((own / "tb").glob("events.out.*"))  # the experiment is the chief's
    assert "epoch   1" not in logs["chief"]  # the chief trains nothing
    assert "no trials left" in logs["tuner0"] and "no trials left" in logs["tuner1"]


@pytest.mark.parametrize("args, variables, reason", [
    (["--model", "alexnet_sgd"], {}, "invalid choice: 'alexnet_sgd'"),
    (["--model", "alexnet_hat", "--trials", "0"], {}, "expected a value in [1, inf), received 0"),
    (["--model", "alexnet_hat", "--algorithm", "grid"], {}, "invalid choice: 'grid'"),
    (["--model", "alexnet_hat", "--dataset", "cifar", "--data-dir", "/no/such/dir"], {},
     "--data-dir /no/such/dir is not a directory"),
    (["--model", "alexnet_hat", "--dataset", "cifar", "--data-dir", "."], {},
     "./cifar10.npz does not exist"),
    (["--model", "alexnet_hat", "--tasks", "99"], {}, "digits has 5 tasks, received --tasks 99"),
    (["--model", "alexnet_hat", "--resume", "--run-dir", "old"], {},
     "--resume: old holds no search to continue"),
    (["--model", "alexnet_hat"], {"KERASTUNER_ORACLE_IP": "127.0.0.1"},
     "KERASTUNER_ORACLE_IP is set but KERASTUNER_ORACLE_PORT and KERASTUNER_TUNER_ID not"),
    (["--model", "alexnet_hat", "--overwrite"],
     {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": "1",
      "KERASTUNER_TUNER_ID": "tuner0"}, "a worker never deletes the run dir"),
    (["--model", "alexnet_hat"],
     {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": "grpc",
      "KERASTUNER_TUNER_ID": "chief"},
     "KERASTUNER_ORACLE_PORT: expected a port number in 1..65535, received 'grpc'"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys,
                                                            args, variables, reason):
    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith("KERASTUNER_")]:
        monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        load_tool("tune").main(args)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert reason in error and len(error.strip().splitlines()) == 1, error
    assert list(tmp_path.iterdir()) == []


def test_an_existing_search_is_neither_overwritten_nor_resumed_with_other_settings(
        search, capsys):
    run_dir, _, _ = search
    before = {path: path.read_bytes() for path in run_dir.rglob("*") if path.is_file()}
    tool = load_tool("tune")
    for args, reason in [([], "holds a search already"),
                         (["--resume", "--epochs", "2"],
                          "was started with other settings (base.optim.epochs)")]:
        with pytest.raises(SystemExit) as exit_info:
            tool.main([*TINY, "--run-dir", str(run_dir), *args])
        assert exit_info.value.code == 2 and reason in capsys.readouterr().err
    after = {path: path.read_bytes() for path in run_dir.rglob("*") if path.is_file()}
    assert after == before


def run_dir_is_a_file(folder):
    (folder / "search").write_text("a file\n")
    return ["--run-dir", str(folder / "search")]


def run_dir_under_a_file(folder):
    (folder / "file").write_text("a file\n")
    return ["--run-dir", str(folder / "file" / "search")]


def unreadable_settings(folder):
    (folder / "search").mkdir()
    (folder / "search" / "search.json").write_text('{"algorithm": ')
    return ["--run-dir", str(folder / "search"), "--resume"]


@pytest.mark.parametrize("make_args, reason", [
    (run_dir_is_a_file, "--run-dir: expected a folder, received the file "),
    (run_dir_under_a_file, "--run-dir: expected a path in a folder, received "),
    (unreadable_settings, "--resume: expected the search's settings in "),
])
def test_a_run_dir_that_cannot_hold_a_search_is_refused(tmp_path, monkeypatch, capsys,
                                                        make_args, reason):
    """These used to end in a traceback (NotADirectoryError, JSONDecodeError)."""
    for name in [name for name in os.environ if name.startswith("KERASTUNER_")]:
        monkeypatch.delenv(name)
    args = make_args(tmp_path)
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert reason in refusal(load_tool("tune"), [*TINY, *args], capsys)
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before
