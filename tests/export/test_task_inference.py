"""Prediction without the task id: its scores after a run, in results.json and report.md."""

import json

import pytest

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
