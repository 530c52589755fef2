"""A VGG-style Keras model built with plain Keras layers: the example of a user's own
feature extractor that `hatify` gates (registered as `vgg8_hat`, and plain as `vgg8_sgd`).

Three stages of two 3×3 conv → BatchNorm → ReLU, each followed by a 2×2 max-pool
(64-128-256 filters), then Flatten → dense 512 → ReLU → dropout 0.5: six convs and a dense
layer, plus the heads, eight weight layers. ≈ 3.3 M trunk parameters at width 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from hat_tf.models.alexnet import scaled
from hat_tf.models.building import IMAGE_SHAPE

STAGE_FILTERS = (64, 128, 256)
CONVS_PER_STAGE = 2
DENSE_UNITS = 512
DROPOUT = 0.5
BN_MOMENTUM, BN_EPSILON = 0.9, 1e-5  # PyTorch's, as ResNet18's (Keras': 0.99, 1e-3)


def vgg8_features(width: float = 1.0, image_shape: Sequence[int] = IMAGE_SHAPE) -> keras.Model:
    """The VGG-style feature extractor, images → (batch, 512·width), as a Sequential model.

    Args:
        width: Multiplier of every layer's units.
        image_shape: (height, width, channels) of the images.
    """
    layers = [keras.Input(tuple(image_shape))]
    for stage, filters in enumerate(STAGE_FILTERS):
        for index in range(CONVS_PER_STAGE):
            name = f"conv{stage + 1}_{index + 1}"
            layers += [keras.layers.Conv2D(scaled(filters, width), 3, padding="same",
                                           use_bias=False, name=name),
                       keras.layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON,
                                                       name=f"{name}_bn"),
                       keras.layers.ReLU(name=f"{name}_relu")]
        layers.append(keras.layers.MaxPooling2D(2, name=f"pool{stage + 1}"))
    layers += [keras.layers.Flatten(name="flatten"),
               keras.layers.Dense(scaled(DENSE_UNITS, width), activation="relu", name="fc"),
               keras.layers.Dropout(DROPOUT, name="fc_dropout")]
    return keras.Sequential(layers, name="vgg8")
