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
    # both layers and the network cross at task 3, and only there: one line names them
    assert lines == ["warning: after task 3/3 (c) over 90 % of the units are used "
                     "(a^<=t > 0.5) in: small 100.0 %, large 100.0 %, the network 100.0 %; "
                     "later tasks can barely change them; a larger capacity weight c "
                     "(Eq. 5) or width leaves more room"]
    warning.on_task_end(2, model, RESULTS)
    assert len(lines) == 1
    writer.close()
    events = EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    events.Reload()
    logged = events.Tensors("capacity/warning")
    assert [e.step for e in logged] == [3]
    assert tf.make_ndarray(logged[0].tensor_proto).item().decode() == lines[0]


def test_later_layers_are_named_briefly_and_the_end_sums_up():
    small, large = gate("small", 10), gate("large", 100)
    lines = []
    warning = CapacityWarning(s_max=400.0, log=lines.append)
    model = model_with([small, large])
    for task_id, (small_used, large_used) in enumerate([(10, 50), (10, 95), (10, 95)]):
        small.cumulative.assign(np.arange(10) < small_used)
        large.cumulative.assign(np.arange(100) < large_used)
        warning.on_task_end(task_id, model, RESULTS)
    assert lines[0].startswith("warning: after task 1/3 (a) over 90 % of the units are used "
                               "(a^<=t > 0.5) in: small 100.0 %;")
    assert lines[1] == ("warning: after task 2/3 (b) also over 90 % used: large 95.0 %, "
                        "the network 95.5 %")
    warning.on_run_end(model, RESULTS)
    assert lines[2] == ("warnings: over 90 % of the units used at the end in 3 of 3 (layers "
                        "and the network): small, large, network")


def test_no_gates_no_warning():
    lines = []
    CapacityWarning(s_max=400.0, log=lines.append).on_task_end(0, model_with([]), RESULTS)
    assert lines == []
