"""tools/compare.py refuses bad input before it trains anything, passes train.py's refusal
of bad input on as its own (exit 2, the one line train.py printed), reports any other
failure of a training, and continues a killed grid when run again."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools.tool_modules import load_tool, refusal

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("status, code", [
    (2, 2),  # the exit status alone: train.py's line says why
    (1, "compare.py: training alexnet_joint failed"),
])
def test_a_failed_training_stops_the_comparison(tmp_path, monkeypatch, status, code):
    compare = load_tool("compare")
    commands = []
    monkeypatch.setattr(compare.subprocess, "run", lambda command, **_: commands.append(command)
                        or subprocess.CompletedProcess(command, status))
    with pytest.raises(SystemExit) as exit_info:
        compare.main(["--dataset", "digits", "--tasks", "99", "--out", str(tmp_path / "out")])
    assert exit_info.value.code == code
    assert len(commands) == 1 and commands[0][-2:] == ["--tasks", "99"]
    assert not (tmp_path / "out").exists()


def test_a_rerun_skips_finished_runs_and_resumes_unfinished_ones(tmp_path, monkeypatch):
    """The grid after a kill: Joint finished, HAT killed after its last task's checkpoint,
    in its exports, SGD killed before its first checkpoint, PNN not started."""
    compare = load_tool("compare")
    out = tmp_path / "out"
    finished_run = out / "alexnet_joint"
    finished_run.mkdir(parents=True)
    (finished_run / "results.json").write_text(
        '{"task_names": ["a", "b"], "tasks_completed": 2}')
    (out / "alexnet_hat" / "checkpoints").mkdir(parents=True)
    (out / "alexnet_hat" / "checkpoints" / "latest").write_text("ckpt-3")
    (out / "alexnet_hat" / "results.json").write_text(  # killed while writing its exports
        '{"task_names": ["a", "b"], "tasks_completed": 2, "complete": false}')
    (out / "alexnet_sgd").mkdir()
    (out / "alexnet_sgd" / "config.json").write_text("{}")
    commands = []
    monkeypatch.setattr(compare.subprocess, "run", lambda command, **_: commands.append(command)
                        or subprocess.CompletedProcess(command, 0))
    with pytest.raises(SystemExit):
        compare.main(["--dataset", "digits", "--out", str(out), "--models", "alexnet_joint",
                      "alexnet_hat", "alexnet_sgd", "alexnet_pnn"])
    trained = {command[command.index("--model") + 1]: command for command in commands[:-1]}
    assert list(trained) == ["alexnet_hat", "alexnet_sgd", "alexnet_pnn"]  # Joint skipped
    assert trained["alexnet_hat"][-1] == "--resume"
    assert trained["alexnet_sgd"][-1] == "--overwrite"
    assert "--resume" not in trained["alexnet_pnn"] and "--overwrite" not in trained["alexnet_pnn"]
    assert commands[-1][1].endswith("report.py")  # then the report of all four


@pytest.mark.slow
def test_the_same_command_continues_a_killed_comparison(tmp_path):
    """Killed (with its train.py) in the second model's first task, its first epoch
    checkpointed, then run again."""
    out = tmp_path / "out"
    command = [sys.executable, str(REPO / "tools" / "compare.py"), "--dataset", "digits",
               "--models", "alexnet_joint", "alexnet_sgd", "--tasks", "2", "--epochs", "2",
               "--width", "0.125", "--train-limit", "120", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    for line in first.stdout:
        if line.startswith("task 1/2  epoch   2") and (out / "alexnet_sgd").exists():
            os.killpg(first.pid, signal.SIGKILL)  # compare.py and the train.py it runs
            break
    first.wait()
    assert not (out / "comparison.md").exists()
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "alexnet_joint: using the finished run" in again.stdout
    assert "alexnet_sgd: resuming into" in again.stdout
    assert "resuming at task 1/2, after epoch 1" in again.stdout
    assert (out / "comparison.md").exists()


BAD_INPUTS = {
    "--out is a file": (["--dataset", "digits", "--out", "{tmp}/file"],
                        "--out: expected a folder, received the file "),
    "--out under a file": (["--dataset", "digits", "--out", "{tmp}/file/out"],
                           "--out: expected a path in a folder, received "),
    "--protocol's --out is a file": (["--protocol", "cpu", "--out", "{tmp}/file", "--record",
                                      "{tmp}/record"],
                                     "--out: expected a folder, received the file "),
    "--record is a file": (["--protocol", "cpu", "--out", "{tmp}/out", "--record",
                            "{tmp}/file"], "--record: expected a folder, received the file "),
    "--data-dir is no folder": (["--protocol", "cpu", "--out", "{tmp}/out", "--record",
                                 "{tmp}/record", "--data-dir", "{tmp}/file"],
                                "--data-dir: expected a folder with cifar10.npz and "
                                "cifar100.npz, received "),
    "an unknown model": (["--dataset", "digits", "--out", "{tmp}/out", "--models",
                          "alexnet_joint", "alexnet_nope"],
                         "--models: expected models of tools/train.py ("),
    "an unknown dataset": (["--dataset", "mnist", "--out", "{tmp}/out"],
                           "--dataset: expected one of cifar, "),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_refused_before_anything_trains_or_is_written(tmp_path, monkeypatch,
                                                                   capsys, case):
    """An --out naming a file used to start train.py, which died with a traceback (exit 1);
    an unknown model or dataset late in the list was refused only after the runs before it
    had trained."""
    compare = load_tool("compare")
    monkeypatch.setattr(compare.subprocess, "run",
                        lambda command, **_: pytest.fail(f"ran {command} before refusing"))
    (tmp_path / "file").write_text("a file\n")
    args, message = BAD_INPUTS[case]
    assert message in refusal(compare, [arg.format(tmp=tmp_path) for arg in args], capsys)
    assert [path.name for path in tmp_path.iterdir()] == ["file"]


@pytest.mark.parametrize("tool", ["compare.py", "report.py"])
def test_help_prints_the_usage_and_no_tensorflow_start_up_lines(tool):
    shown = subprocess.run([sys.executable, str(REPO / "tools" / tool), "--help"],
                           capture_output=True,
                           text=True, check=True)
    assert shown.stdout.startswith("usage: ")
    assert shown.stderr == ""
