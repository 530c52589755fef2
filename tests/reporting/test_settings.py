from hat_tf.config import DataConfig, RunConfig
from hat_tf.reporting.settings import flat_settings
from hat_tf.reporting.tables import markdown_table, percent


def test_settings_are_flat_without_unset_options_and_run_dir():
    settings = flat_settings(RunConfig(model="alexnet_sgd", data=DataConfig(train_limit=50),
                                       run_dir="runs/x"))
    assert settings["model"] == "alexnet_sgd" and settings["data.train_limit"] == 50
    assert settings["optim.lr"] == 0.05 and settings["hat.capacity_weight"] == 0.75
    assert "run_dir" not in settings and "data.num_tasks" not in settings
    assert all(isinstance(v, (bool, int, float, str)) for v in settings.values())


def test_markdown_table_and_percentages():
    assert markdown_table(["a", "b"], [["x", 1]]) == "| a | b |\n| --- | ---: |\n| x | 1 |"
    assert percent(0.5) == "50.0" and percent(None) == "" and percent(float("nan")) == ""
