"""Prediction without the task id: its scores after a run, in results.json and report.md."""

import json

import numpy as np
import pytest
import tensorflow as tf

from hat_tf.export.files import METADATA
from hat_tf.task_detection.validation import best_rule
from hat_tf.training.results import task_inference_scores


def test_scores_count_the_task_and_then_the_class():
    scores = task_inference_scores(true_tasks=[0, 0, 1, 1], chosen_tasks=[0, 1, 1, 1],
                                   true_classes=[1, 0, 0, 1], predicted_classes=[1, 0, 1, 1])
    assert scores == {"task_inference_acc": 0.75, "cil_acc": 0.5}


def test_a_run_records_the_scores(exported_run):
    results = json.loads((exported_run.run_dir / "results.json").read_text())
    assert 0.0 <= results["cil_acc"] <= results["task_inference_acc"] <= 1.0
    assert results["task_inference_acc"] == pytest.approx(
        exported_run.results["task_inference_acc"])
    report = (exported_run.run_dir / "report.md").read_text()
    assert f"{100 * results['task_inference_acc']:.2f} %" in report
    assert f"{100 * results['cil_acc']:.2f} %" in report


def test_every_rule_is_scored_and_the_confusion_matrix_reported(exported_run):
    results = json.loads((exported_run.run_dir / "results.json").read_text())
    rules = results["task_inference_rules"]
    plain = ["energy", "entropy", "mahalanobis", "mahalanobis_full", "max_logit",
             "max_softmax", "tpl", "tpl_full", "vim"]
    assert sorted(rules) == sorted(plain + [f"{name}_calibrated" for name in plain])
    assert [name for name, rule in rules.items() if rule.get("baseline")] == ["max_logit"]
    chosen = results["task_inference_rule"]
    assert rules[chosen]["test_task_acc"] == results["task_inference_acc"]
    # (2 classes + 1) × (the flattened conv trunk, 32 channels × 2 × 2, + fc1 + fc2)
    assert rules["mahalanobis"]["bytes_per_task"] == [3 * (128 + 256 + 256) * 4] * 2
    assert rules["max_softmax"]["bytes_per_task"] == rules["max_logit"]["bytes_per_task"] \
        == [0, 0]
    assert rules["tpl"]["bytes_per_task"] == [3 * (128 + 256 + 256) * 4 + 8] * 2
    for name in plain:
        assert rules[f"{name}_calibrated"]["bytes_per_task"] == [
            size + 8 for size in rules[name]["bytes_per_task"]]
    # ViM: (D_t + 1) directions and mean over fc2's 256 units, and α; D_t half the units
    # the task's masks leave on (ViM's rule below 768)
    vim = exported_run.detector.rules[exported_run.detector.rule_names.index("vim")]
    dimensions = vim.dimensions()
    assert all(0 < d <= 128 for d in dimensions)
    assert rules["vim"]["bytes_per_task"] == [((d + 1) * 256 + 1) * 4 for d in dimensions]
    # the full covariance: the class means and one whitening row per open fc2 unit, and a
    # float; tpl_full adds its two means
    full = exported_run.detector.rules[exported_run.detector.rule_names.index(
        "mahalanobis_full")]
    assert all(0 < d <= 256 for d in full.dimensions())
    assert rules["mahalanobis_full"]["bytes_per_task"] == [
        ((2 + d) * 256 + 1) * 4 for d in full.dimensions()]
    assert rules["tpl_full"]["bytes_per_task"] == [
        size + 8 for size in rules["mahalanobis_full"]["bytes_per_task"]]
    confusion = results["task_confusion"]
    test_sizes = [len(task.y_test) for task in exported_run.sequence.tasks]
    assert [sum(row) for row in confusion] == test_sizes
    assert sum(confusion[t][t] for t in range(2)) / sum(test_sizes) == pytest.approx(
        results["task_inference_acc"])
    report = (exported_run.run_dir / "report.md").read_text()
    assert "## Task inference" in report and f"| **{chosen}** (" in report
    assert "picked on validation) |" in report and "| max_logit (baseline" in report
    assert f"{100 * rules['energy']['val_task_acc']:.1f}" in report
    assert "7.5 KiB" in report


def test_the_best_rule_on_validation_wins_and_ties_keep_the_default():
    assert best_rule({"energy": 0.4, "mahalanobis": 0.3}, "mahalanobis") == "energy"
    assert best_rule({"energy": 0.4, "entropy": 0.4, "mahalanobis": 0.4}, "mahalanobis") \
        == "mahalanobis"
    assert best_rule({"max_softmax": 0.5, "entropy": 0.5, "mahalanobis": 0.1},
                     "mahalanobis") == "entropy"


def test_the_export_scores_and_infers_by_every_rule_as_the_detector_does(exported_run):
    """The multi-task export carries every rule's statistics: loaded back, its scores are
    the in-memory detector's for every rule, and it infers by the kept rule."""
    export = tf.saved_model.load(str(exported_run.run_dir / "saved_models" / "multitask"))
    metadata = json.loads((exported_run.run_dir / "saved_models" / "multitask" / METADATA)
                          .read_text())
    detector, network = exported_run.detector, exported_run.expected.model.network
    assert metadata["task_rules"] == detector.rule_names
    exported = export.task_scores(exported_run.images).numpy()
    expected = detector.stacked_scores(network, exported_run.images, 2).numpy()
    for index, name in enumerate(detector.rule_names):
        # a calibrated rule divides by the spread of a saturated head's scores: float32
        # rounding, which differs between the trace and eager mode, grows with it
        np.testing.assert_allclose(exported[index], expected[index], rtol=1e-3,
                                   atol=1e-2 * np.abs(expected[index]).max(), err_msg=name)
        assert (np.argmax(exported[index], 0) == np.argmax(expected[index], 0)).all(), name
    chosen, _ = export.infer(exported_run.images)
    kept = metadata["task_rules"].index(metadata["task_rule"])
    np.testing.assert_array_equal(chosen.numpy(), np.argmax(exported[kept], axis=0))


def test_the_run_infers_with_the_rule_best_on_validation(exported_run):
    results = json.loads((exported_run.run_dir / "results.json").read_text())
    rules = results["task_inference_rules"]
    best = max(rule["val_task_acc"] for rule in rules.values())
    assert rules[results["task_inference_rule"]]["val_task_acc"] == best
    multitask = exported_run.run_dir / "saved_models" / "multitask" / METADATA
    assert json.loads(multitask.read_text())["task_rule"] == results["task_inference_rule"]
