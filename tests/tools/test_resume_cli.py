"""Kill a run with SIGKILL at several moments, resume it, and get the uninterrupted answer."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hat_tf.machine import NOT_RECORDED, machine_description
from tests.tools.tool_modules import load_tool, refusal

REPO = Path(__file__).resolve().parents[2]
TINY = ["--model", "alexnet_hat", "--dataset", "digits", "--tasks", "2", "--epochs", "3",
        "--width", "0.125", "--train-limit", "120"]
RUN = [*TINY, "--deterministic"]  # the kills' runs match the uninterrupted one to the bit
ENV = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3",
       "PYTHONUNBUFFERED": "1"}


def command(*args):
    return [sys.executable, str(REPO / "tools" / "train.py"), *RUN, *args]


def train(*args):
    return subprocess.run(command(*args), env=ENV, capture_output=True, text=True, timeout=600)


def kill_when(trigger, *args):
    """Starts train.py and SIGKILLs it as soon as it prints a line containing `trigger`;
    returns what it printed until then."""
    process = subprocess.Popen(command(*args), env=ENV, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    printed = []
    for line in process.stdout:
        printed.append(line)
        if trigger in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=600)
    assert process.returncode == -signal.SIGKILL, f"the run ended before {trigger!r}"
    return "".join(printed)


def results(run_dir):
    return json.loads((Path(run_dir) / "results.json").read_text())


def matrix(run_dir):
    return results(run_dir)["acc_matrix"]


def mid_task_progress(run_dir):
    """The latest checkpoint's progress.json, which must be one taken inside a task."""
    checkpoints = Path(run_dir) / "checkpoints"
    progress = checkpoints / (checkpoints / "latest").read_text().strip() / "progress.json"
    assert json.loads(progress.read_text())["task_seconds"] > 0
    return progress


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "whole"
    done = train("--run-dir", str(run_dir), "--keep-checkpoint")
    assert done.returncode == 0, done.stderr
    return run_dir


@pytest.mark.slow  # a whole second run (≈ 50 s); the default suite's resumed run matching the
# uninterrupted one needs the same determinism across processes
def test_same_seed_gives_the_same_matrix(uninterrupted, tmp_path):
    done = train("--run-dir", str(tmp_path / "again"))
    assert done.returncode == 0, done.stderr
    assert matrix(tmp_path / "again") == matrix(uninterrupted)


def test_killed_and_resumed_run_gives_the_uninterrupted_matrix(uninterrupted, tmp_path):
    """Killed mid-task, between tasks, mid-task again and in the run's final exports, each
    time resumed: the same matrix, mask record and exports as the uninterrupted run, and
    the checkpoint dropped at the clean end."""
    run_dir = tmp_path / "killed"
    kill_when("task 1/2  epoch   2", "--run-dir", str(run_dir))  # mid-task, around a save
    # The task's training before the kill counts in its time: made large enough to show.
    progress = mid_task_progress(run_dir)
    progress.write_text(json.dumps({**json.loads(progress.read_text()), "task_seconds": 1000}))
    printed = [kill_when(trigger, "--run-dir", str(run_dir), "--resume")
               for trigger in ("after task 1/2", "task 2/2  epoch   1",
                               "writing the run's final outputs")]
    assert "resuming at task 2/2" in printed[2]  # in task 2, where it was killed
    assert results(run_dir)["tasks_completed"] == 2 and not results(run_dir)["complete"]
    assert not (run_dir / "saved_models" / "multitask").exists()
    assert len(os.listdir(run_dir / "checkpoints")) == 2  # latest + one snapshot
    done = train("--run-dir", str(run_dir), "--resume")
    assert done.returncode == 0, done.stderr
    assert "resuming after the last task" in done.stdout and results(run_dir)["complete"]
    assert matrix(run_dir) == matrix(uninterrupted)
    assert 1000 < results(run_dir)["train_seconds"] < 1000 + 10 * results(uninterrupted)[
        "train_seconds"]
    assert results(run_dir)["machines"] == [machine_description()]  # once: one machine
    # each killed task's record still compares with the task's start, not the resume point
    assert results(run_dir)["mask_learning"] == results(uninterrupted)["mask_learning"]
    assert sorted(os.listdir(run_dir / "saved_models")) == sorted(
        os.listdir(uninterrupted / "saved_models"))
    assert not (run_dir / "checkpoints").exists()


def test_a_run_rejecting_rotations_trains_resumes_and_scores_task_inference(tmp_path, capsys):
    """--reject-rotations is a setting of the run: config.json keeps it, a resume without
    it is refused, and a run killed mid-task and resumed ends as the uninterrupted one,
    its task inference scored by the reject rules too. Both runs with --export none: no
    SavedModel, and predict.py refuses the run."""
    whole = tmp_path / "whole"
    done = train("--reject-rotations", "--export", "none", "--run-dir", str(whole))
    assert done.returncode == 0, done.stderr
    assert json.loads((whole / "config.json").read_text())["reject_rotations"] is True
    assert results(whole)["complete"] and (whole / "report.md").exists()
    assert not (whole / "saved_models").exists()
    error = refusal(load_tool("predict"), ["--run-dir", str(whole), str(whole / "x.png")],
                    capsys)
    assert "holds no exported models" in error and "without --export none" in error
    killed = ["--task-inference", "--checkpoint-every", "0", "--export", "none",
              "--run-dir", str(tmp_path / "killed")]
    kill_when("task 2/2  epoch   2", *killed, "--reject-rotations")
    error = refusal(load_tool("train"), [*RUN, *killed, "--resume"], capsys)
    assert "started with other settings (reject_rotations)" in error
    done = train(*killed, "--reject-rotations", "--resume")
    assert done.returncode == 0, done.stderr
    assert "resuming at task 2/2, after epoch" in done.stdout
    assert matrix(tmp_path / "killed") == matrix(whole)
    rules = results(tmp_path / "killed")["task_inference_rules"]
    assert {"reject", "reject_calibrated"} <= rules.keys()
    assert 0 <= rules["reject"]["test_cil_acc"] <= rules["reject"]["test_task_acc"] <= 1


def test_a_checkpoint_without_machines_resumes_as_trained_on_unrecorded_ones(uninterrupted,
                                                                             tmp_path):
    """A hat_tf before results.json's machines wrote it; resumed after its last task, the
    run only writes its exports, so no machine is added."""
    run_dir = tmp_path / "older"
    subprocess.run(["cp", "-r", str(uninterrupted), str(run_dir)], check=True)
    snapshot = run_dir / "checkpoints" / (run_dir / "checkpoints" / "latest").read_text()
    progress = json.loads((snapshot / "progress.json").read_text())
    del progress["results"]["machines"]
    (snapshot / "progress.json").write_text(json.dumps(progress))
    done = train("--run-dir", str(run_dir), "--resume")
    assert done.returncode == 0, done.stderr
    assert results(run_dir)["machines"] == [NOT_RECORDED]


def test_resume_with_other_settings_is_refused(uninterrupted, capsys):
    error = refusal(load_tool("train"),
                    [*RUN, "--run-dir", str(uninterrupted), "--resume", "--lr", "0.1"], capsys)
    assert "started with other settings (optim.lr)" in error


def test_a_corrupt_checkpoint_is_refused(uninterrupted, tmp_path):
    run_dir = tmp_path / "corrupt"
    subprocess.run(["cp", "-r", str(uninterrupted), str(run_dir)], check=True)
    snapshot = run_dir / "checkpoints" / (run_dir / "checkpoints" / "latest").read_text()
    (snapshot / "network.npz").write_bytes(b"not an npz file")
    done = train("--run-dir", str(run_dir), "--resume")
    assert done.returncode == 2
    assert "--resume: cannot load" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_resume_needs_a_checkpoint_and_overwrite_starts_anew(tmp_path, capsys):
    """In this process (no kill here; and without --deterministic, which would stay on for
    the tests after it)."""
    train_tool = load_tool("train")
    error = refusal(train_tool, [*TINY, "--run-dir", str(tmp_path / "none"), "--resume"], capsys)
    assert "holds no checkpoint" in error
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "stale.txt").write_text("old")
    train_tool.main([*TINY, "--run-dir", str(tmp_path / "old"), "--overwrite"])
    assert not (tmp_path / "old" / "stale.txt").exists()
    assert len(matrix(tmp_path / "old")) == 2
