"""The HAT AlexNet's layers as shapes, for the baselines built of AlexNet-shaped parts and
sized to the HAT AlexNet's parameter count (docs/algorithm.md §8: baselines matched in
size): PNN's columns (models/pnn.py), PathNet's modules (models/pathnet.py).
"""

from __future__ import annotations

from collections.abc import Callable

from hat_tf.models.alexnet import CONV_FILTERS, CONV_KERNELS, DENSE_UNITS, scaled

IMAGE_CHANNELS = 3
FLAT_POSITIONS = 2 * 2  # AlexNet's last conv map is 2×2 at 32×32 inputs
NUM_CONVS = len(CONV_FILTERS)
LAYER_NAMES = ([f"conv{i + 1}" for i in range(NUM_CONVS)]
               + [f"fc{i + 1}" for i in range(len(DENSE_UNITS))])


def trunk_layers(width: float) -> list[tuple[int, int, int]]:
    """(kernel positions, input width, units) of each of AlexNet's layers before its heads
    with every layer's units scaled by `width`; the input width of fc1 is the flattened
    last feature map."""
    convs = [scaled(f, width) for f in CONV_FILTERS]
    denses = [scaled(u, width) for u in DENSE_UNITS]
    layers = [(k * k, fan_in, filters) for k, fan_in, filters
              in zip(CONV_KERNELS, (IMAGE_CHANNELS, *convs[:-1]), convs)]
    return layers + [(1, fan_in, units) for fan_in, units
                     in zip((convs[-1] * FLAT_POSITIONS, *denses[:-1]), denses)]


def matched_width(param_count: Callable[[float], int], target_params: int) -> float:
    """The width whose network has the parameter count closest to `target_params`, given
    `param_count(width)`, which grows with the width (bisection on the width)."""
    low, high = 0.01, 1.0
    for _ in range(40):
        middle = (low + high) / 2
        if param_count(middle) < target_params:
            low = middle
        else:
            high = middle
    return min((low, high), key=lambda width: abs(param_count(width) - target_params))
