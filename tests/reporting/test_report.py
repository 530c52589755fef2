"""report.md: written at the end of the run, with the plots it references."""

import re

from hat_tf.reporting.report import (
    ACCURACY_PNG,
    CAPACITY_PNG,
    REUSE_PNG,
    task_inference_section,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def referenced_images(report):
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)


def test_report_references_existing_pngs(hat_run):
    report = (hat_run.run_dir / "report.md").read_text()
    assert referenced_images(report) == [ACCURACY_PNG, CAPACITY_PNG, REUSE_PNG]
    for name in referenced_images(report):
        assert (hat_run.run_dir / name).read_bytes().startswith(PNG_SIGNATURE)


def test_report_has_the_settings_the_matrix_and_the_metrics(hat_run):
    report = (hat_run.run_dir / "report.md").read_text()
    results = hat_run.results
    matrix = results["acc_matrix"]
    assert report.startswith("# alexnet_hat on digits\n")
    assert f"| ACC (mean of the last row) | {100 * results['acc']:.2f} % |" in report
    assert f"| BWT (mean of A[T, τ] − A[τ, τ]) | {100 * results['bwt']:+.2f} % |" in report
    assert f"| digits-2-3 | {100 * matrix[1][0]:.1f} | {100 * matrix[1][1]:.1f} |" in report
    assert "| optim.lr | 0.05 |" in report and "| hat.s_max | 400.0 |" in report


def test_report_has_the_capacity_table(hat_run):
    report = (hat_run.run_dir / "report.md").read_text()
    assert "| layer | units | after digits-0-1 | after digits-2-3 |" in report
    for layer, units in [("gate_conv1", 8), ("gate_fc2", 256), ("network", 568)]:
        assert re.search(rf"^\| {layer} \| {units} \| [\d.]+ \| [\d.]+ \|$", report, re.M)


def test_report_has_the_mask_learning_table_of_results_json(hat_run):
    report = (hat_run.run_dir / "report.md").read_text()
    record = hat_run.results["mask_learning"][1]["gate_fc1"]
    assert "## Mask learning" in report
    assert "| task | layer | moved | switched | at clamp | own mask | tasks 1..t |" in report
    assert (f"| digits-2-3 | gate_fc1 | {record['moved']:.3f} | "
            f"{100 * record['switched']:.1f} | {100 * record['at_clamp']:.1f} | "
            f"{100 * record['capacity']:.1f} | {100 * record['cumulative_capacity']:.1f} |"
            in report)


def test_a_plain_network_has_no_capacity_plots(plain_run):
    report = (plain_run.run_dir / "report.md").read_text()
    assert referenced_images(report) == [ACCURACY_PNG]
    assert "The network has no gates" in report
    assert "## Mask learning" not in report
    assert not (plain_run.run_dir / CAPACITY_PNG).exists()


def test_no_temporary_files_are_left(hat_run):
    assert not list(hat_run.run_dir.glob(".tmp-*"))


def test_the_task_inference_table_labels_the_baseline_and_the_rule_picked_on_validation():
    scores = {"val_task_acc": 0.5, "test_task_acc": 0.5, "test_cil_acc": 0.4,
              "bytes_per_task": [0, 0]}
    results = {"task_names": ["a", "b"], "task_inference_rule": "vim_calibrated",
               "task_inference_rules": {"max_logit": {**scores, "baseline": True},
                                        "energy": scores, "vim_calibrated": scores},
               "task_confusion": [[1, 0], [0, 1]]}
    section = "\n".join(task_inference_section(results))
    assert "| max_logit (baseline) |" in section
    assert "| **vim_calibrated** (picked on validation) |" in section
    assert "| energy |" in section
    results["task_inference_rule"] = "max_logit"
    assert "| **max_logit** (baseline, picked on validation) |" in "\n".join(
        task_inference_section(results))
