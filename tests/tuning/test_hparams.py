"""The trials in TensorBoard's HPARAMS tab, read back as TensorBoard reads them."""

import os

import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import metadata

from hat_tf.tuning import hparams
from hat_tf.tuning.space import search_space


def read_hparams(log_dir) -> tuple[dict, dict]:
    """The experiment in `log_dir` ({hparam: (min, max) or None, "metrics": [...]}) and per
    trial run under it {trial_id: (its hparams, its metrics)}."""
    experiment_data = _hparams_plugin_data(log_dir)[metadata.EXPERIMENT_TAG]
    experiment = metadata.parse_experiment_plugin_data(experiment_data)
    columns = {info.name: ((info.domain_interval.min_value, info.domain_interval.max_value)
                           if info.HasField("domain_interval") else None)
               for info in experiment.hparam_infos}
    columns["metrics"] = [info.name.tag for info in experiment.metric_infos]
    trials = {}
    for name in sorted(os.listdir(log_dir)):
        run = os.path.join(log_dir, name)
        if not os.path.isdir(run):
            continue
        start = metadata.parse_session_start_info_plugin_data(
            _hparams_plugin_data(run)[metadata.SESSION_START_INFO_TAG])
        accumulator = EventAccumulator(run)
        accumulator.Reload()
        metrics = {tag: float(tf.make_ndarray(accumulator.Tensors(tag)[0].tensor_proto))
                   for tag in accumulator.Tags()["tensors"] if not tag.startswith("_hparams_")}
        trials[name] = ({key: value.number_value for key, value in start.hparams.items()},
                        metrics)
    return columns, trials


def _hparams_plugin_data(log_dir) -> dict:
    accumulator = EventAccumulator(log_dir)
    accumulator.Reload()
    return accumulator.PluginTagToContent(metadata.PLUGIN_NAME)


def test_the_experiment_and_every_trial_read_back(tmp_path):
    hparams.write_experiment(str(tmp_path), search_space(tune_lr=False))
    for trial_id, s_max in (("0", 30.0), ("1", 300.0)):
        hparams.write_trial(str(tmp_path), trial_id,
                            {"s_max": s_max, "capacity_weight": 0.5, "lr": 0.05},
                            {"val_acc": 0.9, "acc": 0.8, "bwt": -0.01})
    columns, trials = read_hparams(tmp_path)
    assert columns == {"s_max": (25.0, 800.0), "capacity_weight": (0.1, 2.5), "lr": None,
                       "metrics": ["val_acc", "acc", "bwt"]}
    assert set(trials) == {"0", "1"}
    values, metrics = trials["1"]
    assert values == {"s_max": 300.0, "capacity_weight": 0.5, "lr": 0.05}
    assert metrics["val_acc"] == 0.8999999761581421 and metrics["bwt"] < 0
