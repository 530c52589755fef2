"""The GateGraph that hatify derives from a Functional AlexNet and ResNet18 gives the update
factors (paper Eq. 2) of the hand-written AlexNet and ResNet18-HAT-BN, under the same
cumulative masks."""

import keras
import numpy as np
import pytest

from hat_tf.hat.conditioning import connection_factor
from hat_tf.models import alexnet, resnet
from hat_tf.models.alexnet import AlexNet, scaled
from hat_tf.models.building import built
from hat_tf.models.hatified import hatify
from hat_tf.models.resnet import ResNet18

layers = keras.layers
WIDTH = 0.125
CLASSES = [2, 3]


def functional_alexnet() -> keras.Model:
    """docs/algorithm.md §9's AlexNet: conv → ReLU → dropout → max-pool, ×3; dense → ReLU →
    dropout, ×2."""
    image = keras.Input((32, 32, 3))
    h = image
    for filters, size, rate in zip(alexnet.CONV_FILTERS, alexnet.CONV_KERNELS,
                                   alexnet.CONV_DROPOUT):
        h = layers.Conv2D(scaled(filters, WIDTH), size, activation="relu")(h)
        h = layers.MaxPooling2D(2)(layers.Dropout(rate)(h))
    h = layers.Flatten()(h)
    for units in alexnet.DENSE_UNITS:
        h = layers.Dropout(alexnet.DENSE_DROPOUT)(
            layers.Dense(scaled(units, WIDTH), activation="relu")(h))
    return keras.Model(image, h)


def conv_bn(x, filters, size, stride):
    x = layers.Conv2D(filters, size, strides=stride, padding="same", use_bias=False)(x)
    return layers.BatchNormalization()(x)


def functional_resnet18() -> keras.Model:
    """docs/algorithm.md §9's CIFAR ResNet18: 3×3 stem, four stages of two basic blocks, GAP."""
    image = keras.Input((32, 32, 3))
    in_filters = scaled(resnet.STAGE_FILTERS[0], WIDTH)
    h = layers.ReLU()(conv_bn(image, in_filters, 3, 1))
    for stage, base in enumerate(resnet.STAGE_FILTERS):
        filters = scaled(base, WIDTH)
        for index in range(resnet.BLOCKS_PER_STAGE):
            stride = 2 if stage > 0 and index == 0 else 1
            branch = conv_bn(layers.ReLU()(conv_bn(h, filters, 3, stride)), filters, 3, 1)
            shortcut = (conv_bn(h, filters, 1, stride)
                        if stride != 1 or in_filters != filters else h)
            h = layers.ReLU()(layers.Add()([branch, shortcut]))
            in_filters = filters
    return keras.Model(image, layers.GlobalAveragePooling2D()(h))


HANDWRITTEN = {
    "alexnet": (lambda: AlexNet(CLASSES, gated=True, width=WIDTH), functional_alexnet),
    "resnet18_hat_bn": (lambda: ResNet18(CLASSES, gated=True, per_task_norm=True,
                                         width=WIDTH), functional_resnet18),
}


@pytest.mark.parametrize("name", sorted(HANDWRITTEN))
def test_derived_factors_are_the_handwritten_ones(name):
    build_handwritten, build_functional = HANDWRITTEN[name]
    handwritten = built(build_handwritten()).gate_graph()
    derived = hatify(build_functional(), CLASSES).gate_graph()
    assert [g.units for g in derived.gates] == [g.units for g in handwritten.gates]
    rng = np.random.default_rng(0)
    for ours, theirs in zip(derived.gates, handwritten.gates):
        masks = rng.choice([0.0, 0.3, 1.0], size=ours.units).astype(np.float32)
        ours.cumulative.assign(masks)
        theirs.cumulative.assign(masks)
    assert len(derived.connections) == len(handwritten.connections)
    for ours, theirs in zip(derived.connections, handwritten.connections):
        assert (tuple(ours.variable.shape), ours.layout) == (tuple(theirs.variable.shape),
                                                             theirs.layout)
        np.testing.assert_array_equal(connection_factor(ours), connection_factor(theirs))
    assert sorted(tuple(v.shape) for v in derived.task_rows) == sorted(
        tuple(v.shape) for v in handwritten.task_rows)
