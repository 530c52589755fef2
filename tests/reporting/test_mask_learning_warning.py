"""The warning after a task whose masks stayed at their random start."""

import numpy as np
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from hat_tf.hat.mask_snapshot import mask_learning_record
from hat_tf.layers import TaskGate
from hat_tf.reporting.mask_learning_warning import MaskLearningWarning

S_MAX, UNITS = 400.0, 100


def results_after(end_row, start_row):
    """The results of a one-task run whose only gate's embedding went from `start_row` to
    `end_row`."""
    gate = TaskGate(1, UNITS, name="gate_fc1")
    gate.build()
    gate.embedding.assign(end_row[np.newaxis].astype(np.float32))
    record = mask_learning_record([gate], [start_row], task_id=0, s_max=S_MAX, clip=6.0)
    return {"task_names": ["digits-0-1"], "epochs_per_task": [45], "mask_learning": [record]}


def test_warns_when_the_gates_barely_moved(tmp_path):
    start = np.random.default_rng(0).normal(size=UNITS)
    end = start + 0.03 * np.sign(start)  # moved 0.03, a sign flipped nowhere...
    end[:2] = -start[:2]  # ...but on 2 units of 100
    lines = []
    writer = tf.summary.create_file_writer(str(tmp_path))
    MaskLearningWarning(log=lines.append, writer=writer).on_task_end(
        0, None, results_after(end, start))
    writer.close()
    assert len(lines) == 1
    assert lines[0].startswith("warning: after task 1/1 (digits-0-1) the gates stayed near "
                               "their start: they switched 2.0 % of the units")
    assert "too few steps for HAT at this budget (45 epochs)" in lines[0]
    events = EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    events.Reload()
    logged = events.Tensors("masks/warning")
    assert [e.step for e in logged] == [1]
    assert tf.make_ndarray(logged[0].tensor_proto).item().decode() == lines[0]


def test_later_warnings_are_brief_and_the_end_sums_them_up():
    start = np.random.default_rng(0).normal(size=UNITS)
    results = results_after(start + 0.01 * np.sign(start), start)
    results = {**results, "task_names": ["a", "b", "c"], "epochs_per_task": [45] * 3,
               "mask_learning": results["mask_learning"] * 3}
    lines = []
    warning = MaskLearningWarning(log=lines.append)
    for task_id in (0, 2):
        warning.on_task_end(task_id, None, results)
    warning.on_run_end(None, results)
    assert "too few steps" in lines[0]
    assert lines[1] == ("warning: after task 3/3 (c) the gates again stayed near their start "
                        "(switched 0.0 %, mask 53.0 % of the units)")
    assert lines[2] == ("warnings: the masks of 2 of 3 tasks stayed near their start (task "
                        "1, 3); the first warning says why")


def test_no_warning_when_the_masks_learned():
    start = np.random.default_rng(0).normal(size=UNITS)
    end = np.where(start > 0.2, -6.0, start)  # the regulariser turned most gates off
    results = results_after(end, start)
    assert results["mask_learning"][0]["network"]["switched"] > 0.3
    lines = []
    MaskLearningWarning(log=lines.append).on_task_end(0, None, results)
    assert lines == []


def test_no_record_no_warning():
    lines = []
    MaskLearningWarning(log=lines.append).on_task_end(0, None, {"task_names": ["a"]})
    assert lines == []
