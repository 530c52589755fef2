"""Runs started by earlier code go on: every model name keeps its network and its method,
every config.json the repository holds loads, and every run of a grid's record has the
settings of the command tools/compare.py gives train.py (nothing changed)."""

import json
from pathlib import Path

import pytest

from hat_tf.catalog import MODELS
from hat_tf.cli import changed_settings
from hat_tf.config import DataConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.models.building import built
from hat_tf.reporting.protocols import CPU, PROTOCOLS
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


GRID_RECORDS = {record: PROTOCOLS[record.name.removeprefix("compare_")]
                for record in sorted(REPO.glob("runs/compare_*"))
                if record.name.removeprefix("compare_") in PROTOCOLS}


@pytest.mark.parametrize("record", sorted(GRID_RECORDS), ids=lambda path: path.name)
def test_every_recorded_grid_run_has_the_settings_its_protocol_gives_it(record):
    """Each run of a grid's record (runs/compare_<protocol>) has the settings of the
    train.py command tools/compare.py gives it, as compare.py checks before it records a
    run it finds finished, and as train.py --resume checks: the same settings, where its
    data lay aside. The first runs of runs/compare_cpu were written before the method
    registry, without `ewc`, `lwf`, `export`."""
    compare, protocol = load_tool("compare"), GRID_RECORDS[record]
    checked = set()
    for seed, family, model in protocol.runs():
        run_dir = record / f"seed{seed}" / model
        if (run_dir / "config.json").is_file():
            compare.check_settings(protocol, model, str(run_dir),
                                   compare.train_options(protocol, family, seed, None))
            checked.add((f"seed{seed}", model))
    recorded = {(path.parent.parent.name, path.parent.name)
                for path in record.glob("seed*/*/config.json")}
    assert recorded == checked  # every recorded run is one of its protocol's
    if protocol is CPU:
        first_grid = {(f"seed{seed}", model) for seed in CPU.seeds
                      for family in CPU.families[:2] for model in family.models}
        assert len(first_grid) == 33 and first_grid <= recorded  # 11 models at 3 seeds,
        # then the runs recorded since
