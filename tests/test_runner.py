"""runner.start_run, the one start of a run (train.py, hat_tf.learn, the tuner, the test
fixtures): the seed fixes the initial weights, config.json and the standard reporters'
files are written where there is a run dir, and nothing where there is none."""

import json

import numpy as np

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.runner import seeded_strategy, start_run

DATA = DataConfig(num_tasks=2, train_limit=60)


def initial_weights(seed):
    config = RunConfig(model="alexnet_sgd", width=0.125, data=DataConfig(seed=seed))
    sequence = DATASETS.get("digits")(DATA)
    return [v.numpy() for v in build_model(config, sequence, seeded_strategy(config))
            .network.trainable_variables]


def test_the_seed_fixes_the_initial_weights():
    first, again, other = initial_weights(0), initial_weights(0), initial_weights(1)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_a_run_dir_gets_config_json_and_the_reports(tmp_path):
    config = RunConfig(model="alexnet_sgd", width=0.125, data=DATA,
                       optim=OptimConfig(epochs=1), run_dir=str(tmp_path / "run"))
    lines = []
    results = start_run(config, DATASETS.get("digits")(DATA), log=lines.append)
    assert json.loads((tmp_path / "run" / "config.json").read_text()) == config.to_dict()
    for name in ("results.json", "report.md", "tb", "saved_models/task_1"):
        assert (tmp_path / "run" / name).exists(), name
    assert results.tasks_completed == 2 and any("after task 2/2" in line for line in lines)
