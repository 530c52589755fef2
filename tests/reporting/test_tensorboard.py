"""The TensorBoard logs of a run, read back with TensorBoard's own EventAccumulator."""

import json
import re

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.plugins.hparams import metadata as hparams_metadata

from hat_tf.hat.capacity_stats import capacity_used
from hat_tf.hat.mask_snapshot import layer_name

LAYERS = ["gate_conv1", "gate_conv2", "gate_conv3", "gate_fc1", "gate_fc2", "network"]
EPOCH_LINE = re.compile(r"task (\d)/2\s+epoch\s+(\d+)\s+lr (\S+)\s+loss (\S+)\s+acc (\S+)\s+"
                        r"val_loss (\S+)\s+val_acc (\S+)")


def values(events, tag):
    """{step: value} of a tag's tensors."""
    return {e.step: tf.make_ndarray(e.tensor_proto) for e in events.Tensors(tag)}


def scalars(events, tag):
    return {step: float(value) for step, value in values(events, tag).items()}


def image(events, tag, step):
    """The logged image at `step` as an (height, width, channels) array, and its stated size."""
    width, height, png = values(events, tag)[step]
    return tf.io.decode_png(png).numpy(), (int(height), int(width))


def text(events, tag, step):
    return values(events, tag)[step].item().decode()


def test_tags_are_grouped(hat_run):
    root = set(hat_run.events().Tags()["tensors"])
    expected = {"task/acc", "task/bwt", "task/epochs", "task/accuracy/digits-0-1",
                "task/accuracy/digits-2-3", "task/accuracy_matrix", "task/accuracy_matrix_table",
                "capacity/over_tasks", "capacity/table", "reuse/per_layer",
                "reuse/network_table", "final/acc", "final/bwt", "final/train_seconds"}
    expected |= {f"capacity/{layer}/{kind}" for layer in LAYERS for kind in ("task", "cumulative")}
    expected |= {f"gates/{layer}/{kind}" for layer in LAYERS[:-1]
                 for kind in ("task", "cumulative")}
    expected |= {f"masks/{layer}/{kind}" for layer in LAYERS
                 for kind in ("moved", "switched", "at_clamp")}
    expected |= {"masks/table", "masks/warning"}  # 2 epochs of 2 steps: the masks stay random
    assert expected <= root
    assert root - expected == {hparams_metadata.SESSION_START_INFO_TAG}
    assert set(hat_run.events("train").Tags()["tensors"]) == {
        "epoch/loss", "epoch/accuracy", "epoch/lr", "epoch/task", "epoch/capacity_reg",
        "epoch/s_lowest", "epoch/s_highest", "epoch/mask_switched", "epoch/mask_capacity",
        "epoch/mask_moved"}
    assert set(hat_run.events("validation").Tags()["tensors"]) == {"epoch/loss",
                                                                   "epoch/accuracy"}


def test_epoch_scalars_follow_the_printed_lines(hat_run):
    lines = [EPOCH_LINE.search(line) for line in hat_run.log_lines]
    printed = [m.groups() for m in lines if m]
    assert len(printed) == 4  # 2 tasks × 2 epochs, numbered 1..4 over the run
    train, validation = hat_run.events("train"), hat_run.events("validation")
    assert [int(task) for task, *_ in printed] == [1, 1, 2, 2]
    assert scalars(train, "epoch/task") == {1: 1, 2: 1, 3: 2, 4: 2}
    for step, (_, _, lr, loss, accuracy, val_loss, val_accuracy) in enumerate(printed, 1):
        assert scalars(train, "epoch/lr")[step] == pytest.approx(float(lr))
        assert scalars(train, "epoch/loss")[step] == pytest.approx(float(loss), abs=1e-4)
        assert scalars(train, "epoch/accuracy")[step] == pytest.approx(float(accuracy), abs=1e-3)
        assert scalars(validation, "epoch/loss")[step] == pytest.approx(float(val_loss), abs=1e-4)
        assert scalars(validation, "epoch/accuracy")[step] == pytest.approx(float(val_accuracy),
                                                                          abs=1e-3)


def test_epoch_scalars_of_hat_show_the_regulariser_and_the_range_of_s(hat_run):
    train = hat_run.events("train")
    assert list(scalars(train, "epoch/s_lowest").values()) == pytest.approx([1 / 400] * 4)
    assert list(scalars(train, "epoch/s_highest").values()) == pytest.approx([400.0] * 4)
    assert all(0 < r < 1 for r in scalars(train, "epoch/capacity_reg").values())


def test_task_scalars_equal_results_json(hat_run):
    results = json.loads((hat_run.run_dir / "results.json").read_text())
    matrix, names = results["acc_matrix"], results["task_names"]
    events = hat_run.events()
    for column, name in enumerate(names):
        assert scalars(events, f"task/accuracy/{name}") == pytest.approx(
            {row + 1: matrix[row][column] for row in range(column, len(names))})
    assert scalars(events, "task/acc") == pytest.approx({1: matrix[0][0],
                                                        2: results["acc"]})
    assert scalars(events, "task/bwt")[2] == pytest.approx(results["bwt"])
    assert scalars(events, "task/epochs") == {1: 2, 2: 2}
    assert scalars(events, "final/acc") == pytest.approx({2: results["acc"]})
    assert scalars(events, "final/bwt") == pytest.approx({2: results["bwt"]})


def test_accuracy_matrix_text_is_the_matrix_in_percent(hat_run):
    matrix = hat_run.results["acc_matrix"]
    table = text(hat_run.events(), "task/accuracy_matrix_table", 2).splitlines()
    assert table[0] == "| after training ↓ / tested on → | digits-0-1 | digits-2-3 |"
    assert table[2] == f"| digits-0-1 | {100 * matrix[0][0]:.1f} |  |"
    assert table[3] == f"| digits-2-3 | {100 * matrix[1][0]:.1f} | {100 * matrix[1][1]:.1f} |"


def test_accuracy_matrix_image_is_the_report_png(hat_run):
    logged, stated_size = image(hat_run.events(), "task/accuracy_matrix", 2)
    saved = tf.io.decode_png((hat_run.run_dir / "accuracy_matrix.png").read_bytes(), 3).numpy()
    assert logged.shape == saved.shape == (*stated_size, 3)
    assert logged.shape[0] >= 400 and logged.shape[1] >= 400
    np.testing.assert_array_equal(logged, saved)
    assert logged.std() > 10  # a drawing, not a blank canvas


def test_capacity_and_reuse_images_have_their_size(hat_run):
    events = hat_run.events()
    for tag in ("capacity/over_tasks", "reuse/per_layer"):
        assert list(values(events, tag)) == [2]  # once, at the end, showing every task
        pixels, stated_size = image(events, tag, 2)
        assert pixels.shape == (*stated_size, 3) and pixels.std() > 10
    capacity, _ = image(events, "capacity/over_tasks", 2)
    saved = tf.io.decode_png((hat_run.run_dir / "capacity.png").read_bytes(), 3).numpy()
    np.testing.assert_array_equal(capacity, saved)


def test_capacity_scalars_are_the_gates_shares_above_one_half(hat_run):
    gates = hat_run.recorder.model.method.graph.gates
    events = hat_run.events()
    for gate in gates:
        name = layer_name(gate)
        cumulative = scalars(events, f"capacity/{name}/cumulative")
        assert cumulative[2] == pytest.approx(capacity_used(gate.cumulative.numpy()))
        assert cumulative[1] <= cumulative[2]
        task = scalars(events, f"capacity/{name}/task")
        assert task[2] == pytest.approx(capacity_used(gate.attention(1, 400.0).numpy()))
    network = scalars(events, "capacity/network/cumulative")[2]
    assert network == pytest.approx(capacity_used([g.cumulative.numpy() for g in gates]))


def test_gate_histograms_count_every_unit(hat_run):
    events = hat_run.events()
    for gate in hat_run.recorder.model.method.graph.gates:
        for kind in ("task", "cumulative"):
            buckets = values(events, f"gates/{layer_name(gate)}/{kind}")[2]  # (left, right, n)
            assert buckets[:, 2].sum() == gate.units
            assert buckets[:, 0].min() >= 0.0 and buckets[:, 1].max() <= 1.0


def test_mask_learning_scalars_are_results_json_record(hat_run):
    records = json.loads((hat_run.run_dir / "results.json").read_text())["mask_learning"]
    events = hat_run.events()
    for layer in LAYERS:
        for kind in ("moved", "switched", "at_clamp"):
            assert scalars(events, f"masks/{layer}/{kind}") == pytest.approx(
                {step: record[layer][kind] for step, record in enumerate(records, 1)})
    table = text(events, "masks/table", 2)
    assert "| task | layer | moved | switched | at clamp | own mask | tasks 1..t |" in table
    assert table.count("| digits-") == 2 * len(LAYERS)


def test_reuse_table_has_a_full_diagonal(hat_run):
    table = text(hat_run.events(), "reuse/network_table", 2)
    rows = [line for line in table.splitlines() if line.startswith("| digits-")]
    assert rows[0].split("|")[2].strip() == "100.0" and rows[1].split("|")[3].strip() == "100.0"


def test_settings_are_hparams(hat_run):
    events = hat_run.events()
    content = events.SummaryMetadata(hparams_metadata.SESSION_START_INFO_TAG).plugin_data.content
    info = hparams_metadata.parse_session_start_info_plugin_data(content)
    hparams = {name: getattr(value, value.WhichOneof("kind"))
               for name, value in info.hparams.items()}
    assert hparams["model"] == "alexnet_hat" and hparams["data.dataset"] == "digits"
    assert hparams["optim.lr"] == pytest.approx(0.05) and hparams["hat.s_max"] == 400.0
    assert hparams["tasks"] == 2 and hparams["num_params"] == hat_run.results["num_params"]
    assert "run_dir" not in hparams and "data.data_dir" not in hparams  # None is left out
    assert info.group_name == "hat"  # the run dir's name


def test_a_plain_network_logs_no_masks(plain_run):
    root = set(plain_run.events().Tags()["tensors"])
    assert not {tag for tag in root
                if tag.split("/")[0] in ("capacity", "reuse", "gates", "masks")}
    assert "task/accuracy_matrix" in root and "final/acc" in root
    assert set(plain_run.events("train").Tags()["tensors"]) == {
        "epoch/loss", "epoch/accuracy", "epoch/lr", "epoch/task"}


def test_the_step_is_traced_once_per_task_and_hooks_run_in_order(hat_run):
    assert hat_run.recorder.model.traces_of_train_step == 2
    assert hat_run.recorder.calls == ["run_begin", "callbacks 0", "task_end 0", "callbacks 1",
                                      "task_end 1", "run_end"]
