"""The estimated training time of a grid, from finished runs of the same models."""

import json

import pytest

from hat_tf.machine import NOT_RECORDED, machine_description
from hat_tf.reporting.grid_estimate import (
    estimate_runs,
    estimate_text,
    planned_budget,
)
from hat_tf.reporting.protocols import Family, Protocol

IMAGES = 8_500  # a cifar task: 10,000 examples, 15 % of them validate


def write_run(record, seed, model, epochs, seconds, method=None, width=1.0, wall=None,
              device=None, machines=None):
    """A finished cifar run of len(epochs) tasks that trained `seconds` (on `device`;
    None: a record of a hat_tf that did not say, on a CPU)."""
    run_dir = record / f"seed{seed}" / model
    run_dir.mkdir(parents=True)
    tasks = len(epochs)
    (run_dir / "results.json").write_text(json.dumps({
        "model": model, "dataset": "cifar", "seed": seed,
        "task_names": [f"t{t}" for t in range(tasks)],
        "acc_matrix": [[0.5] * (t + 1) + [None] * (tasks - t - 1) for t in range(tasks)],
        "epochs_per_task": epochs, "train_seconds": seconds, "method": method or {},
        "tasks_completed": tasks, **({"device": device} if device else {}),
        **({"machines": machines} if machines else {})}))
    (run_dir / "config.json").write_text(json.dumps({
        "data": {"train_limit": None, "val_fraction": 0.15}, "width": width,
        "optim": {"batch_size": 64}, "precision": "float32"}))
    if wall is not None:
        (run_dir / "wall_seconds.json").write_text(json.dumps({"wall_seconds": wall}))


FAMILIES = (Family("alex", "alex_joint", ("alex_hat", "alex_sgd")),
            Family("res", "res_joint", ("res_hat",), ("--width", "0.5")))
PROTOCOL = Protocol("ten", "", "cifar", ("--tasks", "4", "--epochs", "5"), FAMILIES,
                    seeds=(0, 1))


@pytest.fixture
def sources(tmp_path):
    """An old record: HAT trained 2 tasks × 3 epochs of 8,500 images in 51 s (1 ms per
    image-epoch), Joint 3 epochs on 8,500 then 17,000 images in 153 s (2 ms), ResNet's HAT
    at width 1 (the grid's is 0.5); and the grid's own record: HAT at 3 ms."""
    old, own = tmp_path / "old", tmp_path / "own"
    write_run(old, 0, "alex_hat", [3, 3], 51.0, wall=102.0)
    write_run(old, 1, "alex_hat", [3, 3], 51.0)
    write_run(old, 0, "alex_joint", [3, 3], 153.0,
              method={"retrained_from_initial_weights": True})
    write_run(old, 0, "res_hat", [3, 3], 51.0)
    return [str(own), str(old)], own


def by_model(estimates):
    return {estimate.model: estimate for estimate in estimates}


def test_a_runs_time_is_its_image_epochs_at_the_measured_rate(sources):
    estimates = by_model(estimate_runs(PROTOCOL, PROTOCOL.runs(), sources[0]))
    # 4 tasks × 5 epochs × 8,500 images at 1 ms; Joint trains on tasks 1..t: 10 × 8,500
    assert estimates["alex_hat"].seconds == pytest.approx(4 * 5 * IMAGES * 1e-3)
    assert estimates["alex_joint"].seconds == pytest.approx(5 * 10 * IMAGES * 2e-3)
    assert estimates["alex_hat"].runs == 2 and estimates["alex_hat"].measurement.runs == 2
    # no run of SGD; ResNet's HAT was measured at another width
    assert estimates["alex_sgd"].seconds is None and estimates["res_hat"].seconds is None


def test_the_grids_own_record_comes_first(sources):
    paths, own = sources
    write_run(own, 0, "alex_hat", [5, 5, 5, 5], 3e-3 * 20 * IMAGES)
    estimates = by_model(estimate_runs(PROTOCOL, PROTOCOL.runs(), paths))
    assert estimates["alex_hat"].seconds == pytest.approx(3e-3 * 20 * IMAGES)
    assert estimates["alex_hat"].measurement.tasks == (4,)


def test_runs_on_another_kind_of_device_say_nothing_of_this_ones_time(sources):
    """The tests run on a CPU: a GPU's run of SGD is no rate for it, a CPU's is, whether
    its record says so or, as before the field existed, not."""
    paths, own = sources
    write_run(own, 0, "alex_sgd", [5, 5, 5, 5], 1e-4 * 20 * IMAGES, device="GPU")
    assert by_model(estimate_runs(PROTOCOL, PROTOCOL.runs(), paths))["alex_sgd"].seconds is None
    write_run(own, 1, "alex_sgd", [5, 5, 5, 5], 2e-3 * 20 * IMAGES, device="CPU")
    estimate = by_model(estimate_runs(PROTOCOL, PROTOCOL.runs(), paths))["alex_sgd"]
    assert estimate.seconds == pytest.approx(2e-3 * 20 * IMAGES)
    assert estimate.measurement.runs == 1


def test_the_text_says_what_it_is_based_on_and_what_is_unknown(sources):
    runs = PROTOCOL.runs(seeds=(0,))
    text = estimate_text(PROTOCOL, estimate_runs(PROTOCOL, runs, sources[0]), finished=3)
    assert "protocol ten: 5 runs to train (3 finished already)" in text
    assert "cap of 5 epochs" in text
    assert "alex_hat    1 ×    3 min =    3 min   (2 runs of " in text  # 170 s
    assert "2 tasks, 1.00 ms per image-epoch)" in text
    assert "alex_sgd    1 × unknown (no finished run of it with this network)" in text
    minutes = (5 * 10 * IMAGES * 2e-3 + 4 * 5 * IMAGES * 1e-3) / 60
    assert f"Total: {minutes:.0f} min (0.0 days) of training for 2 runs; unknown for " \
           "alex_sgd, res_joint, res_hat." in text
    # HAT's one full wall record: twice its training; Joint has none
    wall = (5 * 10 * IMAGES * 2e-3 + 2 * 4 * 5 * IMAGES * 1e-3) / 60
    assert f"(2.00 to 2.00×: testing, exports): about {wall:.0f} min (at the training " \
           "time for those without a full wall record: alex_joint)." in text
    assert "at every task." in text  # measured on 2 tasks; no PNN to single out
    assert f"Rates measured on: {NOT_RECORDED}. This machine: {machine_description()}: " \
           "where they differ, so may the time, several-fold" in text


def test_rates_measured_on_this_machine_alone_carry_no_warning(tmp_path):
    here = machine_description()
    write_run(tmp_path, 0, "alex_hat", [3, 3], 51.0, machines=[here])
    estimates = estimate_runs(PROTOCOL, PROTOCOL.runs(seeds=(0,)), [str(tmp_path)])
    text = estimate_text(PROTOCOL, estimates, finished=0)
    assert f"Rates measured on: {here}. This machine: {here}.\n" in text
    write_run(tmp_path, 1, "alex_hat", [3, 3], 51.0, machines=["CPU: elsewhere", here])
    estimates = estimate_runs(PROTOCOL, PROTOCOL.runs(seeds=(0,)), [str(tmp_path)])
    assert f"Rates measured on: {here}; CPU: elsewhere. This machine: {here}: where" in \
        estimate_text(PROTOCOL, estimates, finished=0)


def test_budgets_follow_train_pys_defaults_and_the_options():
    budget = planned_budget("cifar", ("--epochs", "15", "--width", "0.25",
                                      "--train-limit", "2000"), "CPU")
    assert budget.epochs == (15,) * 10 and budget.width == 0.25
    assert budget.task_images() == 1700
    assert planned_budget("cifar100_10", (), "CPU").task_images() == 4250
    assert planned_budget("digits", (), "CPU").task_images() is None


def test_a_finished_grid_has_nothing_to_estimate():
    assert estimate_text(PROTOCOL, [], finished=8) == \
        "Protocol ten: no run to train (8 finished already)."
