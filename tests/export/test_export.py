"""The SavedModels of a run: they reload in a process with only TensorFlow and predict as
the in-memory network did at each task's end. The run exports as train.py does by default
(`--export compact`): the multi-task model and AlexNet-HAT's compact per-task ones, all
written at the run's end from the final network."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from hat_tf.export.run_exporter import RunExporter
from hat_tf.export.serving import METADATA, padded_probabilities, task_probabilities

RELOAD = """
import sys
import numpy as np
import tensorflow as tf
saved_models, arrays, out = sys.argv[1:]
images, task_ids = np.load(arrays)["images"], np.load(arrays)["task_ids"]
results = {}
for task in range(2):
    model = tf.saved_model.load(f"{saved_models}/task_{task}")  # it owns the weights
    results[f"task_{task}"] = model.serve(images).numpy()
    results[f"task_{task}_float"] = model.serve(images.astype(np.float32)).numpy()
multitask = tf.saved_model.load(f"{saved_models}/multitask")
results["multitask"] = multitask.serve(images, task_ids).numpy()
chosen, probabilities = multitask.infer(images)
results["chosen"], results["chosen_probabilities"] = chosen.numpy(), probabilities.numpy()
default = model.signatures["serving_default"]
results["signature"] = list(default(images=tf.cast(images, tf.float32)).values())[0].numpy()
assert not [name for name in sys.modules if name.startswith("hat_tf")]
np.savez(out, **results)
"""


@pytest.fixture(scope="module")
def reloaded(exported_run, tmp_path_factory):
    """The exports' predictions, computed in a fresh process with only TensorFlow."""
    folder = tmp_path_factory.mktemp("reload")
    task_ids = np.repeat(np.arange(2, dtype=np.int32), len(exported_run.images) // 2)
    np.savez(folder / "inputs.npz", images=exported_run.images, task_ids=task_ids)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", RELOAD, str(exported_run.run_dir / "saved_models"),
                           str(folder / "inputs.npz"), str(folder / "out.npz")],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return dict(np.load(folder / "out.npz")), task_ids


def test_each_task_export_predicts_as_the_network_did(exported_run, reloaded):
    outputs, _ = reloaded
    for task, expected in enumerate(exported_run.expected.per_task):
        assert outputs[f"task_{task}"].shape == (len(exported_run.images), 2)
        np.testing.assert_allclose(outputs[f"task_{task}"], expected, atol=1e-6)
        np.testing.assert_allclose(outputs[f"task_{task}_float"], expected, atol=1e-6)
    np.testing.assert_allclose(outputs["signature"], exported_run.expected.per_task[1],
                               atol=1e-6)


def test_multitask_export_takes_the_task_id(exported_run, reloaded):
    outputs, task_ids = reloaded
    network = exported_run.expected.model.network
    expected = padded_probabilities(network, exported_run.images, task_ids).numpy()
    np.testing.assert_allclose(outputs["multitask"], expected, atol=1e-6)
    np.testing.assert_allclose(outputs["multitask"].sum(axis=1), 1.0, atol=1e-5)


def test_multitask_export_infers_the_task_as_the_detector_does(exported_run, reloaded):
    """The detector's statistics travel in the export: loaded with plain TensorFlow, it
    infers the tasks and probabilities the in-memory detector does."""
    outputs, _ = reloaded
    network = exported_run.expected.model.network
    chosen, probabilities = exported_run.detector.infer(network, exported_run.images, 2)
    assert exported_run.detector.rule == "mahalanobis"
    np.testing.assert_array_equal(outputs["chosen"], chosen.numpy())
    np.testing.assert_allclose(outputs["chosen_probabilities"], probabilities.numpy(),
                               atol=1e-6)


def test_the_exported_detector_keeps_its_statistics(exported_run, reloaded):
    """Control: with the statistics zeroed the in-memory detector infers otherwise, so the
    test above needs them to have reached the export."""
    outputs, _ = reloaded
    network = exported_run.expected.model.network
    state = exported_run.detector.state()
    saved = [variable.numpy() for variable in state]
    try:
        for variable in state:
            variable.assign(np.zeros_like(variable.numpy()))
        chosen, _ = exported_run.detector.infer(network, exported_run.images, 2)
    finally:
        for variable, value in zip(state, saved):
            variable.assign(value)
    assert not np.array_equal(outputs["chosen"], chosen.numpy())


def test_exports_record_task_and_class_names(exported_run):
    saved_models = exported_run.run_dir / "saved_models"
    task = json.loads((saved_models / "task_1" / METADATA).read_text())
    assert task["task_name"] == "digits-2-3" and task["class_names"] == ["2", "3"]
    assert task["compact"]  # the default `--export compact`
    assert task["image_shape"] == [32, 32, 3]
    multitask = json.loads((saved_models / "multitask" / METADATA).read_text())
    assert multitask["tasks_trained"] == 2
    assert multitask["class_names"] == [["0", "1"], ["2", "3"]]
    assert sorted(os.listdir(saved_models)) == [  # no temporary folders left
        "multitask", "task_0", "task_1"]


def test_full_exports_are_the_network(exported_run, tmp_path):
    """`--export full`: every task's full network beside its compact model."""
    model, sequence = exported_run.expected.model, exported_run.sequence
    exporter = RunExporter(str(tmp_path), sequence, exported_run.recorder, "full")
    exporter.on_run_end(model, dict(exported_run.results))
    assert sorted(os.listdir(tmp_path / "saved_models")) == [
        "multitask", "task_0", "task_0_compact", "task_1", "task_1_compact"]
    for task in range(2):
        reloaded = tf.saved_model.load(str(tmp_path / "saved_models" / f"task_{task}"))
        np.testing.assert_allclose(
            reloaded.serve(exported_run.images).numpy(),
            task_probabilities(model.network, exported_run.images, task, 2).numpy(), atol=1e-6)


def test_a_task_without_an_exact_compact_model_gets_the_full_one(exported_run, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setattr("hat_tf.export.run_exporter.save_compact_export", lambda *args: None)
    RunExporter(str(tmp_path), exported_run.sequence, exported_run.recorder).on_run_end(
        exported_run.expected.model, dict(exported_run.results))
    assert sorted(os.listdir(tmp_path / "saved_models")) == ["multitask", "task_0", "task_1"]
    for task in range(2):
        metadata = json.loads((tmp_path / "saved_models" / f"task_{task}" / METADATA).read_text())
        assert not metadata.get("compact", False)
