"""The warning when a layer's cumulative capacity passes 90 %."""

from types import SimpleNamespace

import numpy as np
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from hat_tf.layers import TaskGate
from hat_tf.reporting.capacity_warning import CapacityWarning

RESULTS = {"task_names": ["a", "b", "c"]}


def model_with(gates):
    """What the warning reads of a model: its method's GateGraph's gates."""
    return SimpleNamespace(method=SimpleNamespace(graph=SimpleNamespace(gates=gates)))


def gate(name, units):
    layer = TaskGate(3, units, name=name)
    layer.build()
    return layer


def test_warns_once_when_a_layer_passes_the_threshold(tmp_path):
    small, large = gate("small", 10), gate("large", 100)
    lines = []
    writer = tf.summary.create_file_writer(str(tmp_path))
    warning = CapacityWarning(s_max=400.0, log=lines.append, writer=writer)
    model = model_with([small, large])
    for task_id, used in enumerate([5, 9, 10]):  # 50 %, 90 % (not over), 100 %
        small.cumulative.assign(np.arange(10) < used)
        large.cumulative.assign(np.arange(100) < 10 * used)
        warning.on_task_end(task_id, model, RESULTS)
    # both layers and the network cross at task 3, and only there
    assert len(lines) == 3
    assert lines[0].startswith("warning: after task 3/3 (c) 100.0 % of layer small are used")
    assert "layer large" in lines[1] and "the network's gated units" in lines[2]
    warning.on_task_end(2, model, RESULTS)
    assert len(lines) == 3
    writer.close()
    events = EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    events.Reload()
    logged = events.Tensors("capacity/warning")
    assert [e.step for e in logged] == [3, 3, 3]
    assert tf.make_ndarray(logged[0].tensor_proto).item().decode() == lines[0]


def test_no_gates_no_warning():
    lines = []
    CapacityWarning(s_max=400.0, log=lines.append).on_task_end(0, model_with([]), RESULTS)
    assert lines == []
