"""The paper's lr schedule (docs/algorithm.md §8): a drop after `patience` epochs without a
lower validation loss, with or without putting the best weights back at the drop."""

import keras
import numpy as np
import pytest

from hat_tf.cli import run_command_line
from hat_tf.training.callbacks import PlateauSchedule, current_lr
from tests.tools.tool_modules import load_tool


@pytest.mark.parametrize("restore_at_drop", [True, False])
def test_a_drop_divides_the_lr_and_restores_the_best_weights_only_when_asked(restore_at_drop):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    schedule = PlateauSchedule(factor=3.0, patience=2, lr_min=1e-4,
                               restore_at_drop=restore_at_drop)
    schedule.set_model(model)
    best = [w.copy() for w in model.get_weights()]
    schedule.on_epoch_end(0, {"val_loss": 1.0})
    moved = [w + 1.0 for w in best]
    model.set_weights(moved)
    schedule.on_epoch_end(1, {"val_loss": 2.0})
    assert current_lr(model.optimizer) == pytest.approx(0.05)
    schedule.on_epoch_end(2, {"val_loss": 2.0})  # the second epoch without improving: a drop
    assert current_lr(model.optimizer) == pytest.approx(0.05 / 3)
    expected = best if restore_at_drop else moved
    for weight, want in zip(model.get_weights(), expected):
        np.testing.assert_array_equal(weight, want)
    schedule.restore_best(model)  # the task's end: the best weights back either way
    for weight, want in zip(model.get_weights(), best):
        np.testing.assert_array_equal(weight, want)


def test_train_py_turns_the_restore_at_a_drop_off_and_says_so_in_its_command_line():
    train = load_tool("train")
    args = train.build_parser().parse_args(["--model", "alexnet_hat", "--no-restore-at-drop"])
    assert train.to_config(args).optim.restore_at_drop is False
    assert "--no-restore-at-drop" in run_command_line(args)
    default = train.build_parser().parse_args(["--model", "alexnet_hat"])
    assert train.to_config(default).optim.restore_at_drop is True
