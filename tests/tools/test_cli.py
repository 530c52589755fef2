"""The options the tools share: numbers checked at parse time, and the settings
comparison that --resume relies on."""

import argparse
import dataclasses
import re

import pytest

from hat_tf.cli import Number, changed_settings, output_problem
from hat_tf.config import OptimConfig, RunConfig
from hat_tf.methods.ewc import EwcConfig
from hat_tf.methods.lwf import LwfConfig


def test_changed_settings_names_what_differs_but_not_where_a_run_lies():
    saved = RunConfig(run_dir="a").to_dict()
    now = dataclasses.replace(RunConfig(run_dir="b", strategy="mirrored"),
                              optim=OptimConfig(lr=0.1))
    assert changed_settings(saved, now.to_dict()) == ["optim.lr"]


def test_a_setting_added_after_the_run_started_counts_as_its_default():
    saved = RunConfig().to_dict()
    del saved["precision"]  # a run saved before the option existed
    assert changed_settings(saved, RunConfig().to_dict()) == []
    assert changed_settings(saved, RunConfig(precision="mixed_bfloat16").to_dict()) == [
        "precision"]


def test_a_retired_setting_does_not_stop_a_resume():
    saved = RunConfig().to_dict()
    saved["optim"]["clipnorm"] = 10000.0  # before each method declared its clip
    assert changed_settings(saved, RunConfig().to_dict()) == []


def test_a_run_saved_with_the_old_mixed_precision_flag_resumes_under_its_precision():
    saved = RunConfig().to_dict()
    del saved["precision"]
    saved["mixed_precision"] = True  # before --precision replaced --mixed-precision
    assert changed_settings(saved, RunConfig(precision="mixed_float16").to_dict()) == []
    assert changed_settings(saved, RunConfig().to_dict()) == ["precision"]


def test_a_run_saved_before_the_methods_settings_existed_resumes_with_their_defaults():
    saved = RunConfig(model="alexnet_ewc").to_dict()
    del saved["ewc"], saved["lwf"]  # config.json before EWC's and LwF's settings
    assert changed_settings(saved, RunConfig(model="alexnet_ewc").to_dict()) == []
    now = RunConfig(model="alexnet_ewc", ewc=EwcConfig(weight=100.0),
                    lwf=LwfConfig(temperature=2.0))
    assert changed_settings(saved, now.to_dict()) == ["ewc.weight", "lwf.temperature"]


@pytest.mark.parametrize("number, text, message", [
    (Number(float, 0, low_open=True), "nan", "expected a value in (0, inf), received nan"),
    (Number(float, 0, low_open=True), "inf", "expected a value in (0, inf), received inf"),
    (Number(float, 0, 1), "-inf", "expected a value in [0, 1], received -inf"),
    (Number(float, 0, 1), "1.5", "expected a value in [0, 1], received 1.5"),
    (Number(float, 0, low_open=True), "0", "expected a value in (0, inf), received 0"),
    (Number(int, 1), "inf", "expected int, received 'inf'"),
    (Number(int, 1), "2.5", "expected int, received '2.5'"),
])
def test_a_number_outside_its_interval_or_not_finite_is_refused(number, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=f"^{re.escape(message)}$"):
        number(text)


def test_a_number_inside_its_interval_is_parsed():
    assert Number(float, 0, 1)("1") == 1.0 and Number(float, 0, 1)("0") == 0.0
    assert Number(int, 1)("3") == 3 and Number(int, 1)("1" + "0" * 30) == 10**30


@pytest.mark.parametrize("make, folder, problem", [
    (lambda tmp: tmp / "new" / "deeper", True, None),
    (lambda tmp: tmp / "file", True, "expected a folder, received the file "),
    (lambda tmp: tmp / "file" / "below", True, "which lies under the file "),
    (lambda tmp: tmp / "new.json", False, None),
    (lambda tmp: tmp / "folder", False, "expected a file, received the folder "),
    (lambda tmp: tmp / "file" / "x.json", False, "which lies under the file "),
])
def test_an_output_the_tools_cannot_write_is_named(tmp_path, make, folder, problem):
    (tmp_path / "file").write_text("a file\n")
    (tmp_path / "folder").mkdir()
    found = output_problem(str(make(tmp_path)), folder)
    assert found == problem if problem is None else problem in found
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder"]  # creates nothing
