"""A finished run's results.json as the comparisons read it, and every way of refusing one."""

import json

import pytest

from hat_tf.reporting.finished_runs import IncomparableRunsError, load_results, trained_results

TWO_TASKS = {"task_names": ["a", "b"], "acc_matrix": [[0.9, None], [0.8, 0.7]]}


def run_dir_with(tmp_path, results):
    (tmp_path / "results.json").write_text(
        results if isinstance(results, str) else json.dumps(results))
    return str(tmp_path)


def test_a_run_with_every_task_done_is_read(tmp_path):
    results = {**TWO_TASKS, "tasks_completed": 2, "complete": True}
    assert load_results(run_dir_with(tmp_path, results)) == results


def test_a_run_from_before_tasks_completed_counts_its_matrix_rows(tmp_path):
    assert trained_results(run_dir_with(tmp_path, TWO_TASKS)) == TWO_TASKS


@pytest.mark.parametrize("results, reason", [
    ({**TWO_TASKS, "tasks_completed": 1}, "only 1 of 2 tasks are done"),
    ({**TWO_TASKS, "tasks_completed": "2"}, "expected a whole number of tasks_completed, "
                                            "received '2'"),
    ({"acc_matrix": []}, "expected a run's results with its task_names, received none"),
    ("{not json", "expected a run's JSON results, received a file that cannot be read"),
])
def test_an_unfinished_or_unreadable_run_is_refused_with_the_reason(tmp_path, results, reason):
    with pytest.raises(IncomparableRunsError, match=reason):
        trained_results(run_dir_with(tmp_path, results))


def test_a_folder_without_results_is_refused(tmp_path):
    with pytest.raises(IncomparableRunsError, match="no results.json"):
        trained_results(str(tmp_path))


def test_trained_but_unfinished_end_of_run_outputs_ask_for_a_resume(tmp_path):
    run_dir = run_dir_with(tmp_path, {**TWO_TASKS, "tasks_completed": 2, "complete": False})
    assert trained_results(run_dir)["complete"] is False
    with pytest.raises(IncomparableRunsError, match="resume it"):
        load_results(run_dir)
