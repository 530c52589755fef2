"""tools/report.py refuses bad input in one line, exit status 2, and writes nothing."""

import json

import pytest

from tests.tools.tool_modules import load_tool, refusal


@pytest.fixture(scope="module")
def report():
    return load_tool("report")


def write_run(path, **changes):
    """A finished 2-task run's results.json."""
    path.mkdir(parents=True)
    results = {"model": "alexnet_hat", "dataset": "digits", "seed": 0, "task_names": ["a", "b"],
               "num_params": 10, "acc_matrix": [[0.9, None], [0.9, 0.8]], "acc": 0.85,
               "bwt": 0.0, "random_acc": [0.5, 0.5], "train_seconds": 3.0,
               "tasks_completed": 2, **changes}
    (path / "results.json").write_text(json.dumps(results))
    return path


def runs(folder):
    """(joint, hat) run dirs in `folder`."""
    return write_run(folder / "joint", model="alexnet_joint"), write_run(folder / "hat")


def out_is_a_file(folder):
    joint, hat = runs(folder)
    (folder / "out").write_text("a file\n")
    return [str(hat), "--joint", str(joint), "--out", str(folder / "out")]


def out_under_a_file(folder):
    joint, hat = runs(folder)
    (folder / "file").write_text("a file\n")
    return [str(hat), "--joint", str(joint), "--out", str(folder / "file" / "out")]


def unparsable_results(folder):
    joint, hat = runs(folder)
    (hat / "results.json").write_text('{"task_names": [')
    return [str(hat), "--joint", str(joint), "--out", str(folder / "out")]


def results_without_tasks(folder):
    joint, hat = runs(folder)
    (joint / "results.json").write_text("[1, 2]")
    return [str(hat), "--joint", str(joint), "--out", str(folder / "out")]


def two_runs_of_one_name(folder):
    joint, hat = runs(folder)
    other = write_run(folder / "other" / "hat")
    return [str(hat), str(other), "--joint", str(joint), "--out", str(folder / "out")]


def unparsable_grid(folder):
    (folder / "record").mkdir()
    (folder / "record" / "grid.json").write_text("{")
    return ["--grid", str(folder / "record")]


BAD_INPUTS = {
    "--out is a file": (out_is_a_file, "--out: expected a folder, received the file "),
    "--out under a file": (out_under_a_file, "--out: expected a path in a folder, received "),
    "unparsable results.json": (unparsable_results,
                                "expected a run's JSON results, received a file that cannot be "
                                "read (JSONDecodeError"),
    "results.json without task names": (results_without_tasks,
                                        "expected a run's results with its task_names, "
                                        "received none"),
    "two runs of one name": (two_runs_of_one_name,
                             "expected run dirs of distinct names (the table's rows), received "
                             "2 named hat"),
    "unparsable grid.json": (unparsable_grid,
                             "grid.json: expected the grid's JSON, received a file that cannot "
                             "be parsed"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(report, tmp_path, capsys, case):
    make_args, message = BAD_INPUTS[case]
    args = make_args(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    assert message in refusal(report, args, capsys)
    assert sorted(tmp_path.rglob("*")) == before


def test_good_runs_are_still_reported(report, tmp_path, capsys):
    joint, hat = runs(tmp_path)
    report.main([str(hat), "--joint", str(joint), "--out", str(tmp_path / "new" / "out")])
    assert (tmp_path / "new" / "out" / "comparison.md").is_file()
    assert "written to" in capsys.readouterr().out
