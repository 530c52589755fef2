"""A search of an EWC, LwF or PathNet model varies that method's hyperparameters: the space, a
trial's settings and method, the table, and the best trial as a train.py command."""

import shlex

import pandas as pd
import pytest

from hat_tf.catalog import METHODS
from hat_tf.config import OptimConfig, RunConfig
from hat_tf.tuning.space import search_space, trial_config, trial_values
from hat_tf.tuning.summary import write_summary
from tests.tools.tool_modules import load_tool


@pytest.mark.parametrize("method, ranges", [
    ("ewc", {"ewc_lambda": (100.0, 100000.0)}),
    ("lwf", {"lwf_lambda": (0.1, 10.0), "lwf_temperature": (0.5, 4.0)}),
])
def test_the_space_holds_the_methods_hyperparameters_on_a_log_scale(method, ranges):
    space = {hp.name: hp for hp in search_space(tune_lr=False, method=method).space}
    assert {name: (hp.min_value, hp.max_value) for name, hp in space.items()} == ranges
    assert all(hp.sampling == "log" for hp in space.values())


def test_a_trials_values_reach_the_method_it_trains_with():
    ewc = trial_config(RunConfig(model="alexnet_ewc"), {"ewc_lambda": 300.0}, "d")
    assert METHODS.get("ewc")(ewc).weight == 300.0 and ewc.hat == RunConfig().hat
    assert trial_values(ewc, "ewc") == {"ewc_lambda": 300.0, "lr": 0.05}
    lwf = trial_config(RunConfig(model="alexnet_lwf"),
                       {"lwf_lambda": 0.5, "lwf_temperature": 2.0, "lr": 0.02}, "d")
    method = METHODS.get("lwf")(lwf)
    assert (method.weight, method.temperature, lwf.optim.lr) == (0.5, 2.0, 0.02)


def test_tune_takes_ewc_and_lwf_models_and_refuses_one_without_hyperparameters(capsys):
    parser = load_tool("tune").build_parser()
    for model in ("alexnet_ewc", "alexnet_lwf", "alexnet_hat"):
        assert parser.parse_args(["--model", model]).model == model
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--model", "alexnet_sgd"])
    assert exit_info.value.code == 2 and "invalid choice: 'alexnet_sgd'" in capsys.readouterr().err


def test_the_best_lwf_trial_is_a_train_command_and_a_report(tmp_path):
    tune = load_tool("tune")
    args = tune.build_parser().parse_args(["--model", "alexnet_lwf", "--tasks", "2"])
    best = pd.Series({"lwf_lambda": 0.51234, "lwf_temperature": 2.5, "lr": 0.05})
    words = shlex.split(tune.train_command(args, best))
    train = load_tool("train")
    config = train.to_config(train.build_parser().parse_args(words[2:]))
    assert (config.lwf.weight, config.lwf.temperature, config.data.num_tasks) == (0.5123, 2.5, 2)
    table = pd.DataFrame([{"trial_id": "0", "status": "COMPLETED", "lwf_lambda": 0.51234,
                           "lwf_temperature": 2.5, "lr": 0.05, "val_acc": 0.8, "acc": 0.7,
                           "bwt": 0.0, "note": ""}])
    write_summary(str(tmp_path), table, "a search", " ".join(words))
    report = (tmp_path / "trials.md").read_text()
    assert "`lwf_lambda` is LwF's λ, `lwf_temperature` is LwF's T" in report
    assert (tmp_path / "sensitivity.png").read_bytes().startswith(b"\x89PNG")


def test_pathnets_generations_are_searched_as_whole_numbers_and_reach_its_tournament():
    (generations,) = search_space(tune_lr=False, method="pathnet").space
    assert type(generations).__name__ == "Int"
    assert (generations.name, generations.min_value, generations.max_value,
            generations.sampling) == ("pathnet_generations", 5, 100, "log")
    config = trial_config(RunConfig(model="alexnet_pathnet", optim=OptimConfig(epochs=200)),
                          {"pathnet_generations": 10}, "d")
    assert METHODS.get("pathnet")(config).turn_epochs == 200 // (10 * 2)
    tune = load_tool("tune")
    args = tune.build_parser().parse_args(["--model", "alexnet_pathnet"])
    words = shlex.split(tune.train_command(args, pd.Series({"pathnet_generations": 37.0,
                                                           "lr": 0.05})))
    assert words[words.index("--pathnet-generations") + 1] == "37"
