"""Input standardisation inside the network, so exported models take raw pixels."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np


def standardization(
    channel_mean: Sequence[float], channel_std: Sequence[float]
) -> keras.layers.Layer:
    """(x − mean) / std per channel, for raw 0..255 pixels (docs/algorithm.md §10)."""
    mean, std = np.asarray(channel_mean, np.float32), np.asarray(channel_std, np.float32)
    return keras.layers.Rescaling(scale=1.0 / std, offset=-mean / std, name="standardize")
