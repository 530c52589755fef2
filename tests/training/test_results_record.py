"""The run's results record: results.json's keys both ways, and an observer that adds to the
results but cannot change them."""

import dataclasses
import json

import keras
import pytest

from hat_tf.catalog import run_sequence
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.machine import machine_description
from hat_tf.training.observer import RunObserver
from hat_tf.training.run_results import RunResults

# results.json as this hat_tf writes it for a HAT run that scored task inference
RESULTS_JSON = {
    "model": "alexnet_hat", "dataset": "digits", "seed": 0, "task_names": ["a", "b"],
    "num_params": 10, "method": {"gradient_clip_norm": 10000.0}, "device": "CPU",
    "machines": ["CPU: A", "CPU: B"],
    "acc_matrix": [[0.9, None], [0.8, 0.7]], "acc": 0.75, "bwt": -0.1,
    "random_acc": [0.5, 0.5], "epochs_per_task": [2, 3], "train_seconds": 4.5,
    "tasks_completed": 2, "complete": True,
    "mask_learning": [{"network": {"switched": 0.5}}, {"network": {"switched": 0.4}}],
    "task_inference_acc": 0.6, "cil_acc": 0.5, "task_inference_rule": "mahalanobis",
    "task_inference_rules": {"mahalanobis": {"test_task_acc": 0.6}},
    "task_confusion": [[3, 1], [1, 3]], "compact_exports": [{"task_id": 0}],
    "val_acc_per_task": [0.9, 0.7], "val_acc": 0.8,
}


def test_json_round_trip_keeps_every_key_and_value():
    record = RunResults.from_json(json.loads(json.dumps(RESULTS_JSON)))
    assert record.method_results == {"mask_learning": RESULTS_JSON["mask_learning"]}
    assert record.acc == 0.75 and record.task_confusion == [[3, 1], [1, 3]]
    assert json.loads(json.dumps(record.to_json())) == RESULTS_JSON
    assert dict(record) == RESULTS_JSON and record == RESULTS_JSON  # reads like the dict
    assert record["acc_matrix"] == RESULTS_JSON["acc_matrix"] and record.get("nope") is None


def test_a_new_record_has_no_optional_keys():
    record = RunResults(model="m", dataset="d", seed=0, task_names=["a"], num_params=1,
                        method={})
    assert list(record) == ["model", "dataset", "seed", "task_names", "num_params", "method",
                            "acc_matrix", "acc", "bwt", "random_acc", "epochs_per_task",
                            "train_seconds", "tasks_completed", "complete"]


def test_an_older_results_json_loads_as_complete():
    old = {key: value for key, value in RESULTS_JSON.items()
           if key in ("model", "dataset", "seed", "task_names", "num_params", "acc_matrix",
                      "acc", "bwt", "random_acc", "epochs_per_task", "train_seconds",
                      "tasks_completed")}  # no method, device or complete
    record = RunResults.from_json(old)
    assert record.complete and record.method is None and record.device is None
    assert record.to_json() == {**old, "complete": True}
    del old["tasks_completed"]  # older still
    assert RunResults.from_json(old).tasks_completed == 2


def test_a_machine_is_added_where_it_did_not_train_the_run_just_before():
    record = RunResults(model="m", dataset="d", seed=0, task_names=["a"], num_params=1)
    first = record.trained_on("CPU: A")
    assert first.machines == ["CPU: A"] and first.trained_on("CPU: A") is first  # resumed
    assert first.trained_on("CPU: B").trained_on("CPU: A").machines == [
        "CPU: A", "CPU: B", "CPU: A"]  # resumed elsewhere, then back
    assert record.machines == []


def test_the_record_cannot_be_changed_in_place():
    record = RunResults.from_json(RESULTS_JSON)
    with pytest.raises(TypeError):
        record["acc"] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.acc = 0.0


def test_an_observer_adds_only_its_own_keys():
    record = RunResults.from_json(RESULTS_JSON)
    assert record.with_additions({"val_acc": 0.1}).val_acc == 0.1
    assert record.with_additions(None) is record
    with pytest.raises(ValueError, match="received: acc"):
        record.with_additions({"acc": 0.0})


class Meddler(RunObserver):
    """Tries to change the results it is given, keeps what it was given, and at the run's
    end adds `val_acc_per_task`."""

    def __init__(self):
        self.seen = []

    def on_task_end(self, task_id, model, results):
        self.seen.append(json.loads(json.dumps(results.to_json())))
        with pytest.raises(TypeError):
            results["acc"] = 0.0
        with pytest.raises(dataclasses.FrozenInstanceError):
            results.acc = 0.0
        results.acc_matrix.append([0.0, 0.0])
        results["acc_matrix"][0][0] = 0.0
        results.epochs_per_task.clear()
        results["mask_learning"].clear()

    def on_run_end(self, model, results):
        results.acc_matrix.clear()
        return {"val_acc_per_task": [0.25, 0.75]}


class Reader(RunObserver):
    """Keeps what it is given at the run's end."""

    def on_run_end(self, model, results):
        self.at_end = results


@pytest.fixture(scope="module")
def meddled_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "meddled"
    config = RunConfig(model="alexnet_hat", width=0.125, optim=OptimConfig(epochs=1),
                       data=DataConfig(dataset="digits", num_tasks=2, train_limit=120),
                       run_dir=str(run_dir))
    sequence = DATASETS.get("digits")(config.data)
    keras.utils.set_random_seed(0)
    meddler, reader = Meddler(), Reader()
    results = run_sequence(config, sequence, log=lambda line: None,
                           observers=[meddler, reader])
    saved = json.loads((run_dir / "results.json").read_text())
    return results, saved, meddler, reader


def test_an_observer_cannot_change_the_results(meddled_run):
    results, saved, meddler, _ = meddled_run
    last = meddler.seen[-1]  # what the loop gave it at the last task's end
    assert results.acc_matrix == last["acc_matrix"] and len(results.acc_matrix) == 2
    assert results.acc_matrix[0][0] > 0.0 and results.epochs_per_task == [1, 1]
    assert len(results["mask_learning"]) == 2 and results.acc == last["acc"]
    assert saved == {**last, "complete": True, "val_acc_per_task": [0.25, 0.75]}
    assert meddler.seen[0]["acc_matrix"] == [results.acc_matrix[0]]  # task 1 kept too


def test_what_an_observer_returns_lands_in_the_results_and_results_json(meddled_run):
    results, saved, _, reader = meddled_run
    assert results.val_acc_per_task == saved["val_acc_per_task"] == [0.25, 0.75]
    assert results.complete and saved["complete"]
    assert saved["device"] == "CPU"  # the kind of device it trained on: the tests' CPU
    assert saved["machines"] == [machine_description()]  # and the machine
    assert reader.at_end.val_acc_per_task == [0.25, 0.75]  # observers after it see it
    assert not reader.at_end.complete
