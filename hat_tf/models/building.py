"""Building a network before training, and counting what it learns."""

from __future__ import annotations

import keras
import numpy as np

IMAGE_SHAPE = (32, 32, 3)  # every benchmark's input (docs/algorithm.md §10)


def built(network: keras.Model) -> keras.Model:
    """`network` (a TaskNetwork) after one call on a dummy batch of its image shape, so
    every variable exists."""
    network({"image": np.zeros((1, *network.image_shape), np.uint8),
             "task_id": np.zeros(1, np.int32)})
    return network


def count_params(network: keras.Model) -> int:
    """Trainable parameters (gate embeddings included; masks and BN statistics not)."""
    return int(sum(np.prod(v.shape) for v in network.trainable_variables))
