"""tools/score_task_inference.py on a finished run with its checkpoint: every rule scored
as the run scored itself, and bad input refused in one line with nothing written."""

import json

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
    assert [line for line in printed.splitlines() if line.endswith("(default)")][0].startswith(
        chosen)
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
