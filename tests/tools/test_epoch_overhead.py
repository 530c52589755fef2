"""tools/epoch_overhead.py: the clock it wraps around keras.Model.fit ends an epoch's
steps where its validation starts and the epoch after every epoch-end callback."""

import time

import keras
import numpy as np

from tests.tools.tool_modules import load_tool

EPOCH_END_PAUSE = 0.2


class SlowEpochEnd(keras.callbacks.Callback):
    """An epoch-end callback that takes EPOCH_END_PAUSE seconds (a checkpoint, say)."""

    def on_epoch_end(self, epoch, logs=None):
        time.sleep(EPOCH_END_PAUSE)


def test_the_clock_counts_epoch_end_callbacks_in_the_epoch_and_not_in_its_steps():
    tool = load_tool("epoch_overhead")
    epochs = []
    fit = tool.timed_fit(keras.Model.fit, epochs)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    data = np.zeros((32, 4), "float32"), np.zeros((32, 2), "float32")
    fit(model, *data, validation_data=data, epochs=3, batch_size=8, verbose=0,
        callbacks=[SlowEpochEnd()])
    assert len(epochs) == 3
    for epoch in epochs:
        assert 0 < epoch["steps"] < epoch["epoch"] - EPOCH_END_PAUSE
    summary = tool.summary(epochs)
    assert summary["epochs"] == 3 and summary["median_epoch_over_steps"] > 1
