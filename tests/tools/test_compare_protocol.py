"""tools/compare.py --protocol: a named grid over families and seeds that records each
finished run's small outputs, reports from whatever has finished, and continues after a
kill or on a fresh machine (only the record survives)."""

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hat_tf.reporting.protocols import Family, Protocol, Stage
from hat_tf.train_command import parse_arguments, to_config
from tests.tools.tool_modules import load_tool, refusal

FAMILIES = (Family("first", "alexnet_joint", ("alexnet_hat",)),
            Family("second", "resnet18_joint", ("resnet18_sgd",), ("--width", "0.25")))
PROTOCOL = Protocol("test", "Two families of two runs.", "digits", ("--tasks", "2"),
                    FAMILIES, seeds=(0, 1))


PROTOCOL_OPTIONS = ("--dataset", "digits", "--seed", "0", "--tasks", "2")  # PROTOCOL's, at seed 0


def option(command, name):
    return command[command.index(name) + 1]


class FakeTraining:
    """Stands in for subprocess.run: a train.py call writes a finished run (its config.json
    the settings train.py would write, and a large file the record must not copy) after
    `seconds`, or fails for the model `fails` once another training has started; a
    report.py call runs the real report in-process."""

    def __init__(self, report):
        self.report = report
        self.trained, self.environments = [], []
        self.fails, self.seconds = None, 0.0
        self.another_started = threading.Event()

    def __call__(self, command, env=None, **_):
        if command[1].endswith("report.py"):
            self.report.main(command[2:])
            return subprocess.CompletedProcess(command, 0)
        self.trained.append(command)
        self.environments.append(env)
        if option(command, "--model") == self.fails:
            self.another_started.wait(timeout=10)
            return subprocess.CompletedProcess(command, 1)
        self.another_started.set()
        time.sleep(self.seconds)
        self.write_run(command)
        return subprocess.CompletedProcess(command, 0)

    @staticmethod
    def write_run(command):
        run_dir = Path(option(command, "--run-dir"))
        (run_dir / "saved_models").mkdir(parents=True, exist_ok=True)
        (run_dir / "saved_models" / "big.pb").write_bytes(b"0" * 1000)
        matrix = [[0.9, None], [0.8, 0.9]]
        (run_dir / "results.json").write_text(json.dumps({
            "model": option(command, "--model"), "dataset": "digits",
            "seed": int(option(command, "--seed")), "task_names": ["a", "b"],
            "acc_matrix": matrix, "acc": 0.85, "bwt": -0.1, "random_acc": [0.5, 0.5],
            "num_params": 10, "train_seconds": 1.0, "tasks_completed": 2}))
        settings = to_config(parse_arguments(command[command.index("--model"):]))
        (run_dir / "config.json").write_text(json.dumps(settings.to_dict()))


@pytest.fixture
def compare(monkeypatch):
    module = load_tool("compare")
    monkeypatch.setattr(module, "PROTOCOLS", {"test": PROTOCOL})
    fake = FakeTraining(load_tool("report"))
    monkeypatch.setattr(module.subprocess, "run", fake)
    return module, fake


def test_the_grid_trains_every_family_at_every_seed_and_records_it(tmp_path, compare):
    module, fake = compare
    out, record, data = tmp_path / "out", tmp_path / "record", tmp_path / "data"
    data.mkdir()  # compare.py refuses a --data-dir that is no folder before it trains
    module.main(["--protocol", "test", "--out", str(out), "--record", str(record),
                 "--data-dir", str(data)])
    assert [(option(c, "--seed"), option(c, "--model")) for c in fake.trained] == [
        (seed, model) for seed in ("0", "1")
        for model in ("alexnet_joint", "alexnet_hat", "resnet18_joint", "resnet18_sgd")]
    second = fake.trained[2]
    assert second[second.index("--dataset"):] == [
        "--dataset", "digits", "--seed", "0", "--tasks", "2", "--width", "0.25",
        "--data-dir", str(data)]
    assert option(second, "--run-dir") == str(out / "seed0" / "resnet18_joint")
    recorded = record / "seed1" / "resnet18_sgd"
    assert sorted(p.name for p in recorded.iterdir()) == [
        "config.json", "results.json", "wall_seconds.json"]
    assert json.loads((record / "grid.json").read_text())["seeds"] == [0, 1]
    assert "## Missing runs\n\nnone" in (record / "comparison.md").read_text()


def test_jobs_train_runs_at_once_each_on_its_share_of_the_cores(tmp_path, compare,
                                                               monkeypatch):
    """--jobs 2 on 4 cores: every run trains and is recorded, each train.py with 2 threads
    in TensorFlow's pools and its output beside its run dir, wall_seconds.json saying so;
    alone, the caller's environment, whose thread setting wall_seconds.json records."""
    module, fake = compare
    monkeypatch.setattr(module.os, "cpu_count", lambda: 4)
    out, record = tmp_path / "out", tmp_path / "record"
    module.main(["--protocol", "test", "--out", str(out), "--record", str(record),
                 "--jobs", "2"])
    assert sorted((option(c, "--seed"), option(c, "--model")) for c in fake.trained) == [
        (seed, model) for seed in ("0", "1")
        for model in ("alexnet_hat", "alexnet_joint", "resnet18_joint", "resnet18_sgd")]
    assert {(env["TF_NUM_INTRAOP_THREADS"], env["TF_NUM_INTEROP_THREADS"])
            for env in fake.environments} == {("2", "2")}
    assert all(Path(option(c, "--run-dir") + ".log").is_file() for c in fake.trained)
    wall = json.loads((record / "seed1" / "resnet18_sgd" / "wall_seconds.json").read_text())
    assert (wall["concurrent_trainings"], wall["tensorflow_threads"]) == (2, 2)
    assert "## Missing runs\n\nnone" in (record / "comparison.md").read_text()
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")  # a grid's one compare.py per core
    module.main(["--protocol", "test", "--out", str(tmp_path / "alone"), "--record",
                 str(tmp_path / "alone_record"), "--seeds", "0"])
    assert fake.environments[8:] == [None] * 4
    wall = json.loads((tmp_path / "alone_record" / "seed0" / "resnet18_sgd"
                       / "wall_seconds.json").read_text())
    assert "concurrent_trainings" not in wall and wall["tensorflow_threads"] == 1


def test_a_failed_job_stops_the_rest_and_records_the_one_beside_it(tmp_path, compare,
                                                                   capsys):
    module, fake = compare
    fake.fails, fake.seconds = "alexnet_joint", 0.3
    record = tmp_path / "record"
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--protocol", "test", "--out", str(tmp_path / "out"), "--record",
                     str(record), "--seeds", "0", "--jobs", "2"])
    assert exit_info.value.code == "compare.py: training alexnet_joint failed"
    assert sorted(option(c, "--model") for c in fake.trained) == ["alexnet_hat", "alexnet_joint"]
    assert (record / "seed0" / "alexnet_hat" / "results.json").is_file()
    assert f"its output: {tmp_path / 'out' / 'seed0' / 'alexnet_joint'}.log" in \
        capsys.readouterr().err


def test_first_seed_only_models_train_at_the_protocols_first_seed_alone(tmp_path, compare,
                                                                       monkeypatch):
    module, fake = compare
    benchmark = Protocol("bench", "HAT at every seed.", "digits", (), (
        Family("first", "alexnet_joint", ("alexnet_hat", "alexnet_sgd"),
               first_seed_only=("alexnet_joint", "alexnet_sgd")),), seeds=(0, 1))
    monkeypatch.setattr(module, "PROTOCOLS", {"bench": benchmark})
    module.main(["--protocol", "bench", "--out", str(tmp_path / "out"), "--record",
                 str(tmp_path / "record")])
    assert [(option(c, "--seed"), option(c, "--model")) for c in fake.trained] == [
        ("0", "alexnet_joint"), ("0", "alexnet_hat"), ("0", "alexnet_sgd"), ("1", "alexnet_hat")]
    assert "## Missing runs\n\nnone" in (tmp_path / "record" / "comparison.md").read_text()


def test_stages_set_the_order_of_work(tmp_path, compare, monkeypatch):
    """The first family at every seed before the second (seed by seed would mix them)."""
    module, fake = compare
    staged = Protocol("staged", "The first family first.", "digits", (), FAMILIES,
                      seeds=(0, 1), stages=(
                          Stage((0, 1), ("alexnet_joint", "alexnet_hat")),
                          Stage((0, 1), ("resnet18_joint", "resnet18_sgd"))))
    monkeypatch.setattr(module, "PROTOCOLS", {"staged": staged})
    module.main(["--protocol", "staged", "--out", str(tmp_path / "out"), "--record",
                 str(tmp_path / "record")])
    assert [(option(c, "--seed"), option(c, "--model")) for c in fake.trained] == [
        ("0", "alexnet_joint"), ("0", "alexnet_hat"), ("1", "alexnet_joint"), ("1", "alexnet_hat"),
        ("0", "resnet18_joint"), ("0", "resnet18_sgd"), ("1", "resnet18_joint"),
        ("1", "resnet18_sgd")]
    assert option(fake.trained[-1], "--width") == "0.25"  # each model its family's options


def test_a_grid_run_a_few_seeds_at_a_time_reports_them_all(tmp_path, compare):
    module, _ = compare
    record = tmp_path / "record"
    for seed in ("1", "0"):
        module.main(["--protocol", "test", "--out", str(tmp_path / "out"), "--record",
                     str(record), "--seeds", seed])
    assert json.loads((record / "grid.json").read_text())["seeds"] == [0, 1]
    report = (record / "comparison.md").read_text()
    assert "#### seed 0, alexnet_hat" in report and "#### seed 1, alexnet_hat" in report
    assert "## Missing runs\n\nnone" in report


def test_the_grid_prints_its_estimated_time_before_it_trains(tmp_path, compare, monkeypatch,
                                                             capsys):
    """From the repository's other grid records: alexnet_hat trained 2 tasks × 1 epoch of
    8,500 cifar images in 17 s there (1 ms per image-epoch)."""
    module, fake = compare
    monkeypatch.setattr(module, "REPOSITORY", str(tmp_path))
    old = tmp_path / "runs" / "compare_old"
    (old / "seed0" / "alexnet_hat").mkdir(parents=True)
    (old / "grid.json").write_text("{}")
    (old / "seed0" / "alexnet_hat" / "results.json").write_text(json.dumps({
        "model": "alexnet_hat", "dataset": "cifar", "seed": 0, "task_names": ["a", "b"],
        "acc_matrix": [[0.9, None], [0.9, 0.9]], "epochs_per_task": [1, 1],
        "train_seconds": 17.0, "tasks_completed": 2}))
    (old / "seed0" / "alexnet_hat" / "config.json").write_text(json.dumps({
        "data": {"train_limit": None, "val_fraction": 0.15}, "width": 1.0,
        "optim": {"batch_size": 64}, "precision": "float32"}))
    cifar = Protocol("cifar", "Four tasks.", "cifar", ("--tasks", "4", "--epochs", "2"),
                     FAMILIES, seeds=(0, 1))
    monkeypatch.setattr(module, "PROTOCOLS", {"cifar": cifar})
    record = tmp_path / "record"
    module.main(["--protocol", "cifar", "--estimate-only", "--record", str(record)])
    estimate = capsys.readouterr().out
    assert not fake.trained and not record.exists()
    assert "protocol cifar: 8 runs to train (0 finished already)" in estimate
    # 4 tasks × 2 epochs × 8,500 images at 1 ms: 68 s, twice
    assert "alexnet_hat     2 ×    1 min =    2 min   (1 run of " in estimate
    assert "alexnet_joint   2 × unknown" in estimate
    module.main(["--protocol", "cifar", "--out", str(tmp_path / "out"), "--record",
                 str(record), "--seeds", "0"])
    assert capsys.readouterr().out.startswith("Estimated training time of protocol cifar: "
                                              "4 runs to train")
    module.main(["--protocol", "cifar", "--estimate-only", "--record", str(record)])
    assert "4 runs to train (4 finished already)" in capsys.readouterr().out


def test_on_a_fresh_machine_the_record_alone_skips_finished_runs(tmp_path, compare):
    module, fake = compare
    record = tmp_path / "record"
    module.main(["--protocol", "test", "--out", str(tmp_path / "old"), "--record",
                 str(record), "--seeds", "0"])
    fake.trained.clear()
    module.main(["--protocol", "test", "--out", str(tmp_path / "new"), "--record",
                 str(record), "--seeds", "0", "1"])
    assert {option(c, "--seed") for c in fake.trained} == {"1"}
    assert not (tmp_path / "new" / "seed0").exists()


def test_an_unfinished_run_resumes_from_its_checkpoint(tmp_path, compare):
    module, fake = compare
    killed = tmp_path / "out" / "seed0" / "alexnet_joint"
    (killed / "checkpoints").mkdir(parents=True)
    (killed / "checkpoints" / "latest").write_text("ckpt-3")
    module.main(["--protocol", "test", "--out", str(tmp_path / "out"), "--record",
                 str(tmp_path / "record"), "--seeds", "0"])
    assert fake.trained[0][-1] == "--resume"
    assert "--resume" not in fake.trained[1]


def test_record_only_records_what_finished_in_out_and_trains_nothing(tmp_path, compare,
                                                                    capsys, monkeypatch):
    """Runs a background grid trained with train.py: the finished ones are recorded with
    one report, the unfinished ones listed, nothing trained or resumed."""
    module, fake = compare
    out, record = tmp_path / "out", tmp_path / "record"
    for model in ("alexnet_joint", "alexnet_hat"):
        FakeTraining.write_run(["train.py", "--model", model, "--run-dir",
                                str(out / "seed0" / model), *PROTOCOL_OPTIONS])
    (out / "seed0" / "resnet18_joint" / "checkpoints").mkdir(parents=True)
    reports, report = [], fake.report.main
    monkeypatch.setattr(fake.report, "main", lambda argv: reports.append(argv) or report(argv))
    module.main(["--protocol", "test", "--out", str(out), "--record", str(record),
                 "--seeds", "0", "--record-only"])
    assert fake.trained == []
    assert len(reports) == 1
    assert sorted(p.name for p in (record / "seed0").iterdir()) == ["alexnet_hat", "alexnet_joint"]
    assert (record / "seed0" / "alexnet_hat" / "results.json").is_file()
    printed = capsys.readouterr().out
    assert f"resnet18_joint: not finished in {out / 'seed0' / 'resnet18_joint'}" in printed
    assert "resnet18_sgd: not finished" in printed
    missing = (record / "comparison.md").read_text().split("## Missing runs")[1]
    assert "resnet18_joint" in missing and "alexnet_hat" not in missing


@pytest.mark.parametrize("record_only", [True, False])
def test_a_finished_run_with_other_settings_is_refused_and_nothing_recorded(
        tmp_path, compare, capsys, record_only):
    """A run in --out trained at another lr is never recorded as the protocol's: one line
    names the setting, with the protocol's value and the run's, and nothing is written or
    trained. Where a run's data lay and which exports it wrote are no such setting."""
    module, fake = compare
    out, record = tmp_path / "out", tmp_path / "record"
    FakeTraining.write_run(["train.py", "--model", "alexnet_joint", "--run-dir",
                            str(out / "seed0" / "alexnet_joint"), *PROTOCOL_OPTIONS,
                            "--data-dir", str(tmp_path), "--export", "full"])
    FakeTraining.write_run(["train.py", "--model", "alexnet_hat", "--run-dir",
                            str(out / "seed0" / "alexnet_hat"), *PROTOCOL_OPTIONS,
                            "--lr", "0.01"])
    error = refusal(module, ["--protocol", "test", "--out", str(out), "--record",
                             str(record), "--seeds", "0",
                             *(["--record-only"] if record_only else [])], capsys)
    assert (f"{out / 'seed0' / 'alexnet_hat'}: expected the settings protocol test gives "
            "alexnet_hat (optim.lr 0.05), received a run with optim.lr 0.01") in error
    assert not record.exists() and fake.trained == []


@pytest.mark.parametrize("args, message", [
    (["--protocol", "test"], "--protocol needs --out"),
    (["--protocol", "test", "--out", "X", "--epochs", "3"],
     "sets the dataset, models and budget, received --epochs"),
    (["--protocol", "test", "--out", "X", "--seed", "3"], "received --seed"),
    ([], "expected --protocol or --dataset, received neither"),
])
def test_contradictory_options_are_refused_in_one_line(args, message, compare, capsys):
    module, fake = compare
    assert message in refusal(module, args, capsys)
    assert not fake.trained


def test_families_trains_only_those_and_the_report_lists_the_rest_as_missing(tmp_path,
                                                                              compare):
    module, fake = compare
    out, record = tmp_path / "out", tmp_path / "record"
    module.main(["--protocol", "test", "--out", str(out), "--record", str(record),
                 "--families", "second"])
    assert [(option(c, "--seed"), option(c, "--model")) for c in fake.trained] == [
        (seed, model) for seed in ("0", "1") for model in ("resnet18_joint", "resnet18_sgd")]
    missing = (record / "comparison.md").read_text().split("## Missing runs")[1]
    assert "alexnet_joint" in missing and "resnet18_sgd" not in missing


@pytest.mark.parametrize("args, reason", [
    (["--protocol", "test", "--out", "OUT", "--families", "third"],
     "--families: expected some of first, second, received third"),
    (["--dataset", "digits", "--families", "first"], "--families needs --protocol"),
    (["--dataset", "digits", "--estimate-only"], "--estimate-only needs --protocol"),
    (["--dataset", "digits", "--record-only"], "--record-only needs --protocol"),
    (["--protocol", "test", "--estimate-only", "--record-only"],
     "--estimate-only trains and records nothing, received --record-only too"),
])
def test_unknown_families_are_refused(compare, capsys, args, reason):
    module, _ = compare
    assert reason in refusal(module, args, capsys)


def fake_training(module, monkeypatch, run_dir, restart, writes_config):
    """Makes compare.train's train.py a 0.5 s call that restarts the run in `run_dir` as
    `restart` says, writing config.json as train.py does (only a new or restarted run's);
    returns the wall time that was on disk in the middle of the call."""
    monkeypatch.setattr(module, "WALL_CLOCK_EVERY", 0.05)
    monkeypatch.setattr(module, "restart_options", lambda _: restart)
    seen_during_the_call = []

    def slow_training(command, **_):
        if writes_config:
            (run_dir / "config.json").write_text("{}")
        time.sleep(0.5)
        seen_during_the_call.append(module.recorded_wall_seconds(str(run_dir)))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(module.subprocess, "run", slow_training)
    module.train("tiny_hat", str(run_dir), [])
    return seen_during_the_call[0]


@pytest.fixture
def run_with_wall_time(tmp_path):
    """A run dir whose earlier calls spent 100 s, with the config.json they wrote."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text("{}")
    (run_dir / "wall_seconds.json").write_text(json.dumps({"wall_seconds": 100.0}))
    return run_dir


def test_a_resumed_call_adds_its_wall_time_while_it_runs(run_with_wall_time, monkeypatch):
    """A session's end kills compare.py in the middle of a call: what wall_seconds.json
    holds then is what the grid keeps of that call. A resumed train.py leaves config.json
    as it was."""
    module = load_tool("compare")
    during = fake_training(module, monkeypatch, run_with_wall_time, ["--resume"],
                           writes_config=False)
    assert 100.2 < during < 101
    assert module.recorded_wall_seconds(str(run_with_wall_time)) >= 100.5


def test_a_restarted_run_counts_its_new_call_alone(run_with_wall_time, monkeypatch):
    """--overwrite starts the run anew: the killed call's time is not the new run's."""
    module = load_tool("compare")
    during = fake_training(module, monkeypatch, run_with_wall_time, ["--overwrite"],
                           writes_config=True)
    assert 0.2 < during < 1
    assert 0.5 <= module.recorded_wall_seconds(str(run_with_wall_time)) < 100
