"""The Python API for a user's own model: the docs' example runs as written, its
exports reproduce its accuracies with TensorFlow alone, and every method trains a hatified
network."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import hat_tf
import hat_tf.methods.base
from hat_tf.catalog import METHODS

MODELS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "models.md"

RELOAD = """
import json, sys
import numpy as np
import tensorflow as tf
saved_models, arrays = sys.argv[1:]
tasks = np.load(arrays)
accuracies = {}
for task in range(2):
    images, labels = tasks[f"images_{task}"], tasks[f"labels_{task}"]
    model = tf.saved_model.load(f"{saved_models}/task_{task}")  # keep it: it owns the weights
    accuracies[f"task_{task}"] = float(np.mean(np.argmax(model.serve(images), 1) == labels))
    multitask = tf.saved_model.load(f"{saved_models}/multitask")
    ids = tf.fill([len(labels)], task)
    predicted = np.argmax(multitask.serve(images, ids), 1)
    accuracies[f"multitask_{task}"] = float(np.mean(predicted == labels))
assert not [name for name in sys.modules if name.startswith("hat_tf")]
print(json.dumps(accuracies))
"""


def readme_example() -> str:
    """The first ```python block under the heading "HAT in your own model" (docs/models.md)."""
    section = MODELS_PAGE.read_text().split("## HAT in your own model", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """The README example's namespace after it ran, in a folder of its own."""
    folder = tmp_path_factory.mktemp("readme")
    namespace, cwd = {}, os.getcwd()
    os.chdir(folder)
    try:
        exec(compile(readme_example(), "docs/models.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    namespace["run_dir"] = folder / namespace["config"].run_dir
    return namespace


def test_readme_example_runs_as_written(example_run):
    results, run_dir = example_run["results"], example_run["run_dir"]
    assert results["model"] == "my_net_hat" and results["tasks_completed"] == 2
    assert all(value is not None for value in results["acc_matrix"][-1])
    saved = json.loads((run_dir / "results.json").read_text())
    assert saved["acc_matrix"] == results["acc_matrix"]
    for name in ("config.json", "report.md", "tb", "saved_models/task_1"):
        assert (run_dir / name).exists(), name
    assert example_run["logits"].shape == (32, 3)  # the largest head, task 0's 2 classes


def test_exports_of_a_hatified_run_reproduce_its_accuracies(example_run, tmp_path):
    """HAT's final network serves every task: task_<k> and multitask are saved at the run's
    end from it, and score the last row of the accuracy matrix (A[T, ·])."""
    tasks, matrix = example_run["tasks"].tasks, example_run["results"]["acc_matrix"]
    arrays = {f"{part}_{k}": array for k, task in enumerate(tasks)
              for part, array in (("images", task.x_test), ("labels", task.y_test))}
    np.savez(tmp_path / "tasks.npz", **arrays)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", RELOAD,
                           str(example_run["run_dir"] / "saved_models"),
                           str(tmp_path / "tasks.npz")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    reloaded = json.loads(done.stdout.strip().splitlines()[-1])
    for task in range(2):
        assert reloaded[f"task_{task}"] == pytest.approx(matrix[-1][task], abs=1e-9)
        assert reloaded[f"multitask_{task}"] == pytest.approx(matrix[-1][task], abs=1e-9)


def tiny_features() -> keras.Model:
    return keras.Sequential([
        keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3), keras.layers.BatchNormalization(),
        keras.layers.ReLU(), keras.layers.GlobalAveragePooling2D(),
    ], name="tiny")


@pytest.mark.parametrize("method", [name for name in METHODS.names()
                                    if not METHODS.get(name).own_network])  # not PathNet
def test_every_method_trains_a_hatified_network(method):
    rng = np.random.default_rng(0)
    splits = [(rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8), rng.integers(0, 2, n))
              for n in (24, 8, 24, 8)]
    tasks = hat_tf.task_sequence(train=splits[0::2], test=splits[1::2])
    config = hat_tf.RunConfig(optim=hat_tf.OptimConfig(epochs=1, batch_size=16))
    results = hat_tf.learn(tiny_features(), tasks, method=method, config=config,
                           log=lambda line: None)
    assert results["model"] == f"tiny_{method}" and results["tasks_completed"] == 2
    assert all(0.0 <= value <= 1.0 for value in results["acc_matrix"][-1])


class CountingTasks(hat_tf.methods.base.Method):
    """A method of one's own, registered nowhere: fine-tuning that notes each task's end."""

    def __init__(self):
        self.ended = []

    def on_task_end(self, task_id, train_data):
        self.ended.append(task_id)


def test_learn_takes_a_method_object_of_ones_own():
    rng = np.random.default_rng(0)
    splits = [(rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8), rng.integers(0, 2, n))
              for n in (24, 8, 24, 8)]
    tasks = hat_tf.task_sequence(train=splits[0::2], test=splits[1::2])
    config = hat_tf.RunConfig(optim=hat_tf.OptimConfig(epochs=1, batch_size=16))
    method = CountingTasks()
    results = hat_tf.learn(tiny_features(), tasks, method=method, config=config,
                           log=lambda line: None)
    assert results["model"] == "tiny_countingtasks" and method.ended == [0, 1]
