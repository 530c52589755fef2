"""Runs started by earlier code go on: every model name keeps its network and its method,
and every config.json the repository holds loads, and resumes under the command
tools/compare.py gives train.py (the same settings, nothing changed)."""

import json
from pathlib import Path

import pytest

from hat_tf.catalog import MODELS
from hat_tf.cli import changed_settings
from hat_tf.config import DataConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.models.building import built
from hat_tf.reporting.protocols import CPU
from tests.tools.tool_modules import load_tool

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted(REPO.glob("runs/**/config.json"))

# The models of train.py before the method registry, with what each was built from: the
# network's class, its gates and per-task BatchNorm (None: the network has none), and the
# method's class.
MODELS_BEFORE = {
    "alexnet_sgd": ("AlexNet", False, None, "FineTuning"),
    "alexnet_joint": ("AlexNet", False, None, "Joint"),
    "alexnet_multitask": ("AlexNet", False, None, "Multitask"),
    "alexnet_hat": ("AlexNet", True, None, "Hat"),
    "alexnet_sgd_frozen": ("AlexNet", False, None, "FrozenTrunk"),
    "alexnet_ewc": ("AlexNet", False, None, "Ewc"),
    "alexnet_lwf": ("AlexNet", False, None, "Lwf"),
    "alexnet_pnn": ("ProgressiveAlexNet", None, None, "FineTuning"),
    "resnet18_sgd": ("ResNet18", False, False, "FineTuning"),
    "resnet18_joint": ("ResNet18", False, False, "Joint"),
    "resnet18_multitask": ("ResNet18", False, False, "Multitask"),
    "resnet18_hat": ("ResNet18", True, False, "Hat"),
    "resnet18_hat_bn": ("ResNet18", True, True, "Hat"),
    "resnet18_ewc": ("ResNet18", False, False, "Ewc"),
    "resnet18_lwf": ("ResNet18", False, False, "Lwf"),
    "vgg8_hat": ("HatifiedNetwork", True, True, "Hat"),
    "vgg8_sgd": ("HatifiedNetwork", False, False, "FineTuning"),
}


@pytest.mark.parametrize("name", sorted(MODELS_BEFORE))
def test_every_earlier_model_name_builds_what_it_built(name):
    network_class, gated, per_task_norm, method_class = MODELS_BEFORE[name]
    config = RunConfig(model=name, width=0.125)
    sequence = DATASETS.get("digits")(DataConfig(num_tasks=2, train_limit=40))
    recipe = MODELS.get(name)
    network = built(recipe.build_network(sequence, config))
    assert type(network).__name__ == network_class
    if gated is not None:
        assert network.settings["gated"] is gated
    if per_task_norm is not None:
        assert network.settings["per_task_norm"] is per_task_norm
    assert type(recipe.build_method(config)).__name__ == method_class


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_recorded_config_loads_with_nothing_changed(path):
    saved = json.loads(path.read_text())
    config = RunConfig.from_dict(saved)
    assert config.model in MODELS.names()
    assert changed_settings(saved, config.to_dict()) == []


def compare_command(saved: dict) -> list[str]:
    """The train.py command tools/compare.py gives to resume the run of `saved`."""
    data, optim = saved["data"], saved["optim"]
    words = ["--model", saved["model"], "--run-dir", saved["run_dir"], "--dataset",
             data["dataset"], "--seed", str(data["seed"]), "--epochs", str(optim["epochs"]),
             "--width", str(saved["width"]), "--resume"]
    if data["data_dir"] is not None:
        words += ["--data-dir", data["data_dir"]]
    if data["num_tasks"] is not None:
        words += ["--tasks", str(data["num_tasks"])]
    if data["train_limit"] is not None:
        words += ["--train-limit", str(data["train_limit"])]
    return words


def test_the_cpu_grids_runs_resume_under_the_command_compare_gives():
    """runs/compare_cpu's config.json files (the first written before the method registry,
    without `ewc`, `lwf`, `export`): train.py --resume finds the same settings."""
    train = load_tool("train")
    paths = sorted(REPO.glob("runs/compare_cpu/seed*/*/config.json"))
    recorded = {(path.parent.parent.name, path.parent.name) for path in paths}
    first_grid = {(f"seed{seed}", model) for seed in CPU.seeds
                  for family in CPU.families[:2] for model in family.models}
    assert len(first_grid) == 33 and first_grid <= recorded  # 11 models at 3 seeds, then
    # the runs recorded since
    for path in paths:
        saved = json.loads(path.read_text())
        config = train.to_config(train.build_parser().parse_args(compare_command(saved)))
        assert changed_settings(saved, config.to_dict()) == [], path
