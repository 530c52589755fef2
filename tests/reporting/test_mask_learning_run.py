"""The mask-learning record of a small run: in results.json, against the true task start."""

import json

import pytest

from hat_tf.hat.mask_learning import mask_learning
from hat_tf.hat.mask_snapshot import NETWORK, layer_name


def test_results_json_has_a_record_per_task_and_layer(hat_run):
    records = json.loads((hat_run.run_dir / "results.json").read_text())["mask_learning"]
    gates = hat_run.recorder.model.method.graph.gates
    assert len(records) == 2
    for record in records:
        assert list(record) == [*(layer_name(gate) for gate in gates), NETWORK]
        assert record[NETWORK]["units"] == sum(gate.units for gate in gates)


def test_the_record_compares_each_task_with_its_initial_embeddings(hat_run):
    # A task's row changes only during its task (docs/algorithm.md §5), so its start is its
    # initial value and its end the value after the run.
    gates = hat_run.recorder.model.method.graph.gates
    for task_id, record in enumerate(hat_run.results["mask_learning"]):
        for gate, initial in zip(gates, hat_run.recorder.initial_embeddings):
            expected = mask_learning(initial[task_id], gate.embedding.numpy()[task_id],
                                     s_max=400.0, clip=6.0)
            assert {key: record[layer_name(gate)][key] for key in expected} \
                == pytest.approx(expected)
        assert record[NETWORK]["moved"] > 0  # the embeddings did train


def test_the_run_warns_that_its_masks_stayed_random(hat_run):
    warnings = [line for line in hat_run.log_lines if "stayed near their start" in line]
    assert [line.split(")")[0] for line in warnings] == [
        "warning: after task 1/2 (digits-0-1", "warning: after task 2/2 (digits-2-3",
        "warnings: the masks of 2 of 2 tasks stayed near their start (task 1, 2"]
    switched = 100 * hat_run.results["mask_learning"][0][NETWORK]["switched"]
    assert f"they switched {switched:.1f} % of the units" in warnings[0]


def test_a_plain_network_has_no_record_and_no_warning(plain_run):
    assert "mask_learning" not in plain_run.results
    assert not any("near their start" in line for line in plain_run.log_lines)
    assert plain_run.recorder.initial_embeddings == []


def test_every_epoch_line_shows_the_masks_so_far(hat_run, plain_run):
    def epoch_lines(run):
        return [line for line in run.log_lines if line.startswith("task ") and " epoch " in line]
    assert epoch_lines(hat_run)
    assert all("% switched, own " in line for line in epoch_lines(hat_run))
    assert epoch_lines(plain_run)
    assert not any("masks:" in line for line in epoch_lines(plain_run))


def test_the_epoch_metrics_are_the_network_row_of_the_record(hat_run):
    # After the run the last task's embeddings are those its record was read from.
    method = hat_run.recorder.model.method
    last = len(hat_run.results["mask_learning"]) - 1
    network = hat_run.results["mask_learning"][last][NETWORK]
    assert method.epoch_metrics(last) == pytest.approx(
        {"mask_switched": network["switched"], "mask_capacity": network["capacity"],
         "mask_moved": network["moved"]})
