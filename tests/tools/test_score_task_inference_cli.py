"""tools/score_task_inference.py on a finished run with its checkpoint: every rule scored
as the run scored itself, and bad input refused in one line with nothing written."""

import json
import shutil

import pytest

from tests.tools.tool_modules import load_tool, refusal


@pytest.fixture(scope="module")
def tool():
    return load_tool("score_task_inference")


@pytest.fixture(scope="module")
def scored_run(exported_run):
    """A tiny digits run that kept its checkpoint and scored its own task inference."""
    return exported_run.run_dir


def test_every_rule_is_scored_as_the_run_scored_it(tool, scored_run, tmp_path, capsys):
    out = tmp_path / "scores.json"
    tool.main([str(scored_run), "--out", str(out)])
    printed = capsys.readouterr().out
    rescored = json.loads(out.read_text())
    own = json.loads((scored_run / "results.json").read_text())
    chosen = rescored["task_inference_rule"]
    assert chosen == own["task_inference_rule"]  # picked on validation, as the run picked it
    rules = rescored["task_inference_rules"]
    assert rules[chosen]["val_task_acc"] == max(rule["val_task_acc"] for rule in rules.values())
    picked = [line for line in printed.splitlines() if line.endswith("(picked on validation)")]
    assert len(picked) == 1 and picked[0].startswith(chosen)
    baseline = [line for line in printed.splitlines() if "(baseline)" in line]
    assert len(baseline) == 1 and baseline[0].startswith("max_logit ")
    rows = [line for line in printed.splitlines() if line.split()[:1] and line.split()[0] in rules]
    assert len(rows) == len(rules)  # one a rule, its numbers in one column however long its name
    assert len({len(line) - len(line.split(maxsplit=1)[1]) for line in rows}) == 1
    assert rescored["task_inference_rules"]["max_logit"]["baseline"] is True
    for name, rule in own["task_inference_rules"].items():
        # the final network's features of each task are those of its end (Eq. 2), up to
        # the leak of gates that are not exactly binary
        assert rescored["task_inference_rules"][name]["test_task_acc"] == pytest.approx(
            rule["test_task_acc"], abs=0.02), name
        assert rescored["task_inference_rules"][name]["bytes_per_task"] == rule["bytes_per_task"]
        assert name in printed


@pytest.mark.parametrize("problem, reason", [
    ("not_a_run", "expected a run dir with config.json and results.json"),
    ("no_checkpoint", "has no checkpoint: train it with --keep-checkpoint"),
    ("out_exists", "--out must not exist"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tool, scored_run, tmp_path,
                                                            capsys, problem, reason):
    run_dir, out = scored_run, tmp_path / "scores.json"
    if problem == "not_a_run":
        run_dir = tmp_path
    if problem == "no_checkpoint":
        run_dir = tmp_path / "copy"
        run_dir.mkdir()
        for name in ("config.json", "results.json"):
            (run_dir / name).write_text((scored_run / name).read_text())
    if problem == "out_exists":
        out.write_text("{}")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert reason in refusal(tool, [str(run_dir), "--out", str(out)], capsys)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def copied_run(scored_run, folder, results=None, settings=None):
    """A copy of the run in `folder`/copy, checkpoint included, with its results.json or
    config.json replaced by `results` or `settings` (text, or a function of the old
    value)."""
    run_dir = folder / "copy"
    shutil.copytree(scored_run / "checkpoints", run_dir / "checkpoints")
    for name, new in (("results.json", results), ("config.json", settings)):
        old = (scored_run / name).read_text()
        if callable(new):
            new = json.dumps(new(json.loads(old)))
        (run_dir / name).write_text(old if new is None else new)
    return run_dir


def with_data(settings, **data):
    return {**settings, "data": {**settings["data"], **data}}


def damaged_checkpoint(scored_run, folder):
    run_dir = copied_run(scored_run, folder)
    snapshot = (run_dir / "checkpoints" / "latest").read_text().strip()
    (run_dir / "checkpoints" / snapshot / "network.npz").write_bytes(b"not an archive")
    return run_dir


# name: (the run dir from the scored run and a folder, the reason)
BAD_RUNS = {
    "unparsable results.json": (
        lambda run, tmp: copied_run(run, tmp, results='{"task_names": '),
        "results.json: expected a run's JSON results, received a file that cannot be read "
        "(JSONDecodeError"),
    "results.json without its tasks": (
        lambda run, tmp: copied_run(run, tmp, results="{}"),
        "results.json: expected a run's results with its task_names, received none"),
    "an unfinished run": (
        lambda run, tmp: copied_run(run, tmp, results=lambda r: {**r, "tasks_completed": 1}),
        ": only 1 of "),
    "unparsable config.json": (
        lambda run, tmp: copied_run(run, tmp, settings="{"),
        "config.json: expected a run's JSON settings, received a file that cannot be read"),
    "a setting this hat_tf lacks": (
        lambda run, tmp: copied_run(run, tmp, settings=lambda s: {**s, "warp_speed": 9}),
        "config.json: expected the settings of a run of this hat_tf, received ones it cannot "
        "read (TypeError"),
    "a model this hat_tf lacks": (
        lambda run, tmp: copied_run(run, tmp, settings=lambda s: {**s, "model": "gone_hat"}),
        "config.json: expected a model of this hat_tf, received 'gone_hat'"),
    "its data gone": (
        lambda run, tmp: copied_run(run, tmp, settings=lambda s: with_data(
            s, dataset="cifar", data_dir=str(tmp))),
        "cifar10.npz does not exist: expected a folder with cifar10.npz and cifar100.npz"),
    "a damaged checkpoint": (
        damaged_checkpoint,
        "expected a checkpoint of the run's network in "),
}


@pytest.mark.parametrize("case", BAD_RUNS)
def test_a_run_that_cannot_be_scored_exits_2_with_one_line(tool, scored_run, tmp_path, capsys,
                                                            case):
    """These used to end in a traceback (JSONDecodeError, KeyError, TypeError,
    DataUnavailableError, CheckpointError)."""
    make_run, reason = BAD_RUNS[case]
    run_dir, out = make_run(scored_run, tmp_path), tmp_path / "scores.json"
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert reason in refusal(tool, [str(run_dir), "--out", str(out)], capsys)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_an_out_under_a_file_is_refused_before_scoring(tool, scored_run, tmp_path, capsys,
                                                       monkeypatch):
    """It used to fail with a traceback once the scores, minutes later, were written."""
    monkeypatch.setattr(tool, "scores_of", lambda *args: pytest.fail("scored first"))
    (tmp_path / "file").write_text("a file\n")
    error = refusal(tool, [str(scored_run), "--out", str(tmp_path / "file" / "scores.json")],
                    capsys)
    assert "--out: expected a path in a folder, received " in error
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
