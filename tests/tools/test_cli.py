"""The settings comparison that --resume relies on."""

import dataclasses

from hat_tf.cli import changed_settings
from hat_tf.config import OptimConfig, RunConfig


def test_changed_settings_names_what_differs_but_not_where_a_run_lies():
    saved = RunConfig(run_dir="a").to_dict()
    now = dataclasses.replace(RunConfig(run_dir="b", strategy="mirrored"),
                              optim=OptimConfig(lr=0.1))
    assert changed_settings(saved, now.to_dict()) == ["optim.lr"]


def test_a_setting_added_after_the_run_started_counts_as_its_default():
    saved = RunConfig().to_dict()
    del saved["mixed_precision"]  # a run saved before the option existed
    assert changed_settings(saved, RunConfig().to_dict()) == []
    assert changed_settings(saved, RunConfig(mixed_precision=True).to_dict()) == [
        "mixed_precision"]
