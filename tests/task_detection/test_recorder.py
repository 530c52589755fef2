"""The detector's statistics survive a resumed run: loaded from the run dir, or, for a task
whose statistics a kill lost, recorded again from the network it ended with."""

import numpy as np
import pytest

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.task_detection.recorder import STATE_FILE, TASKS_RECORDED, TaskDetectorRecorder


@pytest.fixture(scope="module")
def run():
    sequence = DATASETS.get("digits")(DataConfig(dataset="digits", num_tasks=2, train_limit=60))
    return sequence, build_model(RunConfig(model="alexnet_hat", width=0.125), sequence)


def recorded_state(recorder):
    return [variable.numpy() for variable in recorder.detector.state()]


def test_a_resumed_run_loads_the_statistics_of_each_tasks_end(run, tmp_path):
    sequence, model = run
    first = TaskDetectorRecorder(str(tmp_path), sequence)
    first.on_run_begin(model, {"tasks_completed": 0})
    for task_id in range(2):
        first.on_task_end(task_id, model, {})
    kernel = model.network.convs[0].kernel
    original = kernel.numpy()
    kernel.assign(2 * original)  # what a later task could not do under HAT: detects a recompute
    try:
        resumed = TaskDetectorRecorder(str(tmp_path), sequence)
        resumed.on_run_begin(model, {"tasks_completed": 2})
        recomputed = TaskDetectorRecorder(str(tmp_path / "lost"), sequence)
        recomputed.on_run_begin(model, {"tasks_completed": 2})
    finally:
        kernel.assign(original)
    for saved, loaded in zip(recorded_state(first), recorded_state(resumed)):
        np.testing.assert_array_equal(saved, loaded)
    assert not all(np.allclose(saved, again)   # control: the changed network's statistics
                   for saved, again in zip(recorded_state(first), recorded_state(recomputed)))


def test_statistics_lost_by_a_kill_are_recorded_again_from_the_tasks_end(run, tmp_path):
    sequence, model = run
    first = TaskDetectorRecorder(str(tmp_path), sequence)
    first.on_run_begin(model, {"tasks_completed": 0})
    first.on_task_end(0, model, {})
    first.on_task_end(1, model, {})
    expected = recorded_state(first)
    (tmp_path / STATE_FILE).unlink()
    first.on_task_end(0, model, {})  # the file holds task 0 only: task 1's was lost
    resumed = TaskDetectorRecorder(str(tmp_path), sequence)
    resumed.on_run_begin(model, {"tasks_completed": 2})
    for saved, again in zip(expected, recorded_state(resumed)):
        np.testing.assert_allclose(saved, again, rtol=1e-5, atol=1e-6)


def test_a_state_saved_by_a_detector_with_other_rules_is_recorded_again(run, tmp_path):
    """A run resumed under a hat_tf whose detector has other rules (another list of
    statistics) records every finished task again from the network, whose tasks' outputs
    are those of their ends (Eq. 2), instead of loading arrays into the wrong rules."""
    sequence, model = run
    first = TaskDetectorRecorder(str(tmp_path), sequence)
    first.on_run_begin(model, {"tasks_completed": 0})
    for task_id in range(2):
        first.on_task_end(task_id, model, {})
    expected = recorded_state(first)
    with np.load(tmp_path / STATE_FILE) as saved:  # as an older detector saved it: fewer rules
        older = {"arr_0": saved["arr_0"], "arr_1": saved["arr_1"], TASKS_RECORDED: 2}
    np.savez(tmp_path / STATE_FILE, **older)
    resumed = TaskDetectorRecorder(str(tmp_path), sequence)
    resumed.on_run_begin(model, {"tasks_completed": 2})
    for saved, again in zip(expected, recorded_state(resumed)):
        np.testing.assert_allclose(saved, again, rtol=1e-4, atol=1e-5)
