"""The report of a comparison grid: mean ± spread over seeds, what is missing, the plot."""

import json

import numpy as np
import pytest

from hat_tf.machine import NOT_RECORDED
from hat_tf.reporting.finished_runs import IncomparableRunsError
from hat_tf.reporting.grid import (
    family_scores,
    mean_and_spread,
    read_grid_spec,
    run_path,
    task_curves,
    time_markdown,
    write_grid_report,
    write_grid_spec,
)
from hat_tf.reporting.protocols import Family, Protocol, Published
from hat_tf.training.results import acc, bwt

FAMILY = Family("tiny", "tiny_joint", ("tiny_hat", "tiny_sgd"))
PROTOCOL = Protocol("test", "Two tasks of digits.", "digits", ("--tasks", "2"), (FAMILY,),
                    seeds=(0, 1))
RANDOM_ACC = [0.5, 0.5]


def write_run(record, seed, model, matrix, complete=True, capacities=None):
    """A run's results.json; `capacities`: per task, the cumulative capacity of a HAT
    network's two gated layers of 1 and 3 units (its `mask_learning`)."""
    run_dir = run_path(str(record), seed, model)
    results = {"model": model, "dataset": "digits", "seed": seed, "task_names": ["a", "b"],
               "acc_matrix": matrix, "acc": acc(matrix), "bwt": bwt(matrix),
               "random_acc": RANDOM_ACC, "num_params": 10, "train_seconds": 1.0,
               "tasks_completed": 2 if complete else 1}
    if capacities:
        results["mask_learning"] = [
            {"gate_a": {"units": 1, "capacity": 0.0, "cumulative_capacity": a},
             "gate_b": {"units": 3, "capacity": 0.0, "cumulative_capacity": b},
             "network": {"units": 4, "capacity": 0.0, "cumulative_capacity": (a + 3 * b) / 4}}
            for a, b in capacities]
    (record / f"seed{seed}" / model).mkdir(parents=True, exist_ok=True)
    (record / f"seed{seed}" / model / "results.json").write_text(json.dumps(results))
    return run_dir


@pytest.fixture
def record(tmp_path):
    write_grid_spec(str(tmp_path), PROTOCOL, PROTOCOL.seeds)
    for seed in PROTOCOL.seeds:
        write_run(tmp_path, seed, "tiny_joint", [[1.0, None], [1.0, 1.0]])
    write_run(tmp_path, 0, "tiny_hat", [[0.9, None], [0.9, 0.8]],
              capacities=[(1.0, 0.0), (1.0, 1 / 3)])
    write_run(tmp_path, 1, "tiny_hat", [[0.7, None], [0.7, 0.6]],
              capacities=[(0.0, 1 / 3), (0.0, 1.0)])
    write_run(tmp_path, 0, "tiny_sgd", [[1.0, None], [0.5, 1.0]])
    write_run(tmp_path, 1, "tiny_sgd", [[1.0, None], [0.5, 1.0]], complete=False)
    return tmp_path


def test_scores_are_per_seed_against_that_seeds_joint(record):
    scores, missing = family_scores(str(record), read_grid_spec(str(record)),
                                    read_grid_spec(str(record))["families"][0])
    hat = scores[scores["run"] == "tiny_hat"].set_index("seed")
    # ρ≤2 = mean over τ of (A − 0.5) / (1 − 0.5) − 1: seed 0 (0.8 + 0.6) / 2 − 1
    assert hat.loc[0, "rho_2"] == pytest.approx(-0.3)
    assert hat.loc[1, "rho_2"] == pytest.approx(-0.7)
    assert missing == ["seed1/tiny_sgd"]  # unfinished runs are missing, not scored


def test_mean_and_sample_spread_over_the_seeds(record):
    spec = read_grid_spec(str(record))
    scores, _ = family_scores(str(record), spec, spec["families"][0])
    summary = mean_and_spread(scores, list(FAMILY.models)).set_index("model")
    assert list(summary.index) == ["tiny_joint", "tiny_hat", "tiny_sgd"]
    assert summary.loc["tiny_hat", "seeds"] == 2
    assert summary.loc["tiny_hat", "acc_mean"] == pytest.approx(0.75)
    assert summary.loc["tiny_hat", "acc_sd"] == pytest.approx(np.std([0.85, 0.65], ddof=1))
    assert summary.loc["tiny_joint", "rho_2_mean"] == pytest.approx(0.0)
    assert np.isnan(summary.loc["tiny_sgd", "acc_sd"])  # one seed: no spread
    # SGD learned each task fully (LA 1.0) and forgot half of the first (ACC 0.75)
    assert summary.loc["tiny_sgd", "la_mean"] == pytest.approx(1.0)
    assert summary.loc["tiny_sgd", "acc_mean"] == pytest.approx(0.75)


def test_the_report_lists_what_is_missing_and_draws_the_bands(record):
    markdown = write_grid_report(str(record))
    assert "| model | seeds | ACC | LA | BWT | ρ≤1 | ρ≤2 |" in markdown
    assert "| tiny_hat | 2 | 0.750 ± 0.141 | 0.750 ± 0.141 | 0.000 ± 0.000 |" in markdown
    assert "## Missing runs\n\nseed1/tiny_sgd" in markdown
    assert "#### seed 1, tiny_hat" in markdown
    assert (record / "forgetting_ratio_tiny.png").stat().st_size > 0
    assert (record / "comparison.md").read_text() == markdown
    assert len((record / "scores.csv").read_text().splitlines()) == 1 + 5


def test_hats_learning_beside_sgds_and_its_capacity_task_by_task(record):
    """LA per task: HAT (0.9, 0.8) and (0.7, 0.6) on seeds 0 and 1, SGD (1.0, 1.0) on seed
    0 alone (seed 1's is unfinished), so HAT − SGD on the same seed is seed 0's. Capacity:
    the layers weighted by their units, seed 0 (1 + 3 · 0) / 4 = 0.25 then (1 + 1) / 4 =
    0.5, seed 1 (0 + 1) / 4 = 0.25 then 0.75; the fullest layer 1 and 1/3, then 1 and 1."""
    markdown = write_grid_report(str(record))
    assert "| task | tiny_hat LA | tiny_sgd LA | tiny_hat − tiny_sgd | tiny_hat capacity | " \
           "tiny_hat fullest layer |" in markdown
    assert "| 1 | 0.800 ± 0.141 | 1.000 | -0.100 | 0.250 ± 0.000 | 0.667 ± 0.471 |" in markdown
    assert "| 2 | 0.700 ± 0.141 | 1.000 | -0.200 | 0.625 ± 0.177 | 1.000 ± 0.000 |" in markdown
    assert "![LA per task and HAT's cumulative capacity](learning_capacity_tiny.png)" in markdown
    assert "Middle: HAT's LA minus SGD's on the same seed" in markdown
    assert (record / "learning_capacity_tiny.png").stat().st_size > 0


def test_a_family_without_hat_plots_its_learning_alone(tmp_path):
    write_grid_spec(str(tmp_path), PROTOCOL, PROTOCOL.seeds)
    write_run(tmp_path, 0, "tiny_hat", [[0.9, None], [0.9, 0.8]])  # no mask_learning
    markdown = write_grid_report(str(tmp_path))
    assert "*Each task's accuracy right after it was learned" in markdown
    assert "capacity |" not in markdown and "Bottom:" not in markdown
    assert (tmp_path / "learning_capacity_tiny.png").stat().st_size > 0


def test_the_time_section_sums_what_was_recorded_and_names_what_was_not(record):
    """Every finished run trained 1 s (write_run); seed 0's Joint has a full wall record,
    seed 1's HAT one shorter than its training (a killed call), the rest none."""
    (record / "seed0" / "tiny_joint" / "wall_seconds.json").write_text('{"wall_seconds": 7200}')
    (record / "seed1" / "tiny_hat" / "wall_seconds.json").write_text('{"wall_seconds": 0.5}')
    markdown = time_markdown(str(record), read_grid_spec(str(record)))
    assert "| tiny_joint | 1 / 7,200 | 1 / — |" in markdown
    assert "| tiny_sgd | 1 / — |  |" in markdown  # seed 1's run is unfinished
    assert "5 finished runs: 0.00 h of training; 2.00 h wall over the 1 whose" in markdown
    assert "seed1/tiny_joint, seed0/tiny_hat, seed1/tiny_hat, seed0/tiny_sgd)" in markdown


def test_the_time_section_names_the_machines_that_trained_the_runs(record):
    """A run resumed on a second machine counts for both; runs before the record as such."""
    for seed, machines in ((0, ["CPU: A"]), (1, ["CPU: A", "CPU: B"])):
        path = record / f"seed{seed}" / "tiny_hat" / "results.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "machines": machines}))
    markdown = time_markdown(str(record), read_grid_spec(str(record)))
    assert (f"Trained on (runs): {NOT_RECORDED} (3); CPU: A (2); CPU: B (1): "
            "compare times only within one machine.") in markdown


def test_a_seed_without_its_joint_run_scores_accuracy_but_no_forgetting_ratio(tmp_path):
    write_grid_spec(str(tmp_path), PROTOCOL, PROTOCOL.seeds)
    write_run(tmp_path, 0, "tiny_hat", [[0.9, None], [0.9, 0.8]])
    markdown = write_grid_report(str(tmp_path))
    assert "| model | seeds | ACC | LA | BWT |\n" in markdown
    assert "| tiny_hat | 1 | 0.850 | 0.850 | 0.000 |" in markdown
    assert not (tmp_path / "forgetting_ratio_tiny.png").exists()
    assert markdown.endswith("## Missing runs\n\nseed0/tiny_joint, seed0/tiny_sgd, "
                             "seed1/tiny_joint, seed1/tiny_hat, seed1/tiny_sgd\n")


BENCHMARK = Protocol(
    "bench", "A benchmark: HAT at every seed, the rest at the first.", "digits", (),
    (Family("tiny", "tiny_multitask", ("tiny_hat", "tiny_sgd"),
            first_seed_only=("tiny_multitask", "tiny_sgd")),),
    seeds=(0, 1), published=(Published("tiny_hat", 72.0, "a paper"),))


def test_a_benchmark_scores_rho_at_the_last_task_against_its_multitask_run(tmp_path):
    write_grid_spec(str(tmp_path), BENCHMARK, BENCHMARK.seeds)
    multitask = write_run(tmp_path, 0, "tiny_multitask", [[0.5, None], [1.0, 1.0]])
    results_path = f"{multitask}/results.json"
    results = json.loads(open(results_path).read())
    results["method"] = {"trained_at_last_task_only": True}
    open(results_path, "w").write(json.dumps(results))
    write_run(tmp_path, 0, "tiny_hat", [[0.9, None], [0.9, 0.8]])
    write_run(tmp_path, 0, "tiny_sgd", [[1.0, None], [0.5, 1.0]])
    write_run(tmp_path, 1, "tiny_hat", [[0.7, None], [0.7, 0.6]])
    markdown = write_grid_report(str(tmp_path))
    # no ρ≤1 (the multitask network was untrained then), no LA or BWT of its own
    assert "| model | seeds | ACC | LA | BWT | ρ≤2 | published ACC |" in markdown
    assert "| tiny_multitask | 1 | 1.000 | — | — | 0.000 |  |" in markdown
    # seed 1 has no multitask run: HAT's ACC over both seeds, its ρ≤2 from seed 0 alone
    assert "| tiny_hat | 2 | 0.750 ± 0.141 | 0.750 ± 0.141 | 0.000 ± 0.000 | -0.300 | " \
           "0.720 (a paper) |" in markdown
    assert "## Missing runs\n\nnone" in markdown  # seed 1 needs HAT alone
    spec = read_grid_spec(str(tmp_path))
    # LA per task leaves out the multitask run: it had learned nothing before the last task
    assert list(task_curves(str(tmp_path), spec, spec["families"][0])) == ["tiny_hat",
                                                                           "tiny_sgd"]


def test_a_folder_without_a_grid_is_refused(tmp_path):
    with pytest.raises(IncomparableRunsError, match="no grid.json"):
        read_grid_spec(str(tmp_path))


def test_a_joint_run_that_families_share_is_missing_once(tmp_path):
    shared = Protocol("shared", "Two families, one Joint.", "digits", (), (
        FAMILY, Family("other", "tiny_joint", ("tiny_lwf",))), seeds=(0,))
    write_grid_spec(str(tmp_path), shared, shared.seeds)
    write_run(tmp_path, 0, "tiny_hat", [[0.9, None], [0.9, 0.8]])
    markdown = write_grid_report(str(tmp_path))
    assert markdown.endswith("## Missing runs\n\nseed0/tiny_joint, seed0/tiny_sgd, "
                             "seed0/tiny_lwf\n")
