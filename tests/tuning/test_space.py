"""The search space (paper Fig. 4's ranges) and a trial's settings."""

from hat_tf.config import RunConfig
from hat_tf.tuning.space import search_space, trial_config, trial_values


def test_the_space_holds_the_papers_ranges_with_s_max_on_a_log_scale():
    space = {hp.name: hp for hp in search_space(tune_lr=False).space}
    assert set(space) == {"s_max", "capacity_weight"}
    assert (space["s_max"].min_value, space["s_max"].max_value) == (25.0, 800.0)
    assert space["s_max"].sampling == "log"
    assert (space["capacity_weight"].min_value, space["capacity_weight"].max_value) == (0.1, 2.5)
    assert space["capacity_weight"].sampling == "linear"


def test_tune_lr_adds_the_learning_rate_around_the_papers_value():
    lr = {hp.name: hp for hp in search_space(tune_lr=True).space}["lr"]
    assert lr.min_value < 0.05 < lr.max_value and lr.sampling == "log"


def test_a_trial_changes_only_the_searched_settings():
    base = RunConfig(width=0.5)
    config = trial_config(base, {"s_max": 50.0, "capacity_weight": 1.5}, "runs/x/trials/3")
    assert (config.hat.s_max, config.hat.capacity_weight) == (50.0, 1.5)
    assert config.optim == base.optim and config.hat.cosh_clip == base.hat.cosh_clip
    assert config.width == 0.5 and config.run_dir == "runs/x/trials/3"
    assert trial_values(config) == {"s_max": 50.0, "capacity_weight": 1.5, "lr": 0.05}
    tuned = trial_config(base, {"s_max": 50.0, "capacity_weight": 1.5, "lr": 0.02}, "d")
    assert tuned.optim.lr == 0.02

