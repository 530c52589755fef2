"""Feature extractors as a user would write them with plain Keras, at tiny sizes."""

import keras

layers = keras.layers


def small_vgg() -> keras.Model:
    """conv → BN → ReLU stages with max-pooling, a separable conv, Flatten, dense → ReLU →
    dropout."""
    return keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(8, 3, padding="same", use_bias=False), layers.BatchNormalization(),
        layers.ReLU(), layers.MaxPooling2D(),
        layers.Conv2D(8, 3, padding="same", use_bias=False), layers.BatchNormalization(),
        layers.ReLU(), layers.MaxPooling2D(),
        layers.SeparableConv2D(16, 3, padding="same", activation="relu", name="separable"),
        layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(16, activation="relu"), layers.Dropout(0.5),
    ], name="small_vgg")


def conv_bn(x, filters, size, stride=1, relu=True, name=None):
    x = layers.Conv2D(filters, size, strides=stride, padding="same", use_bias=False,
                      name=name)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x) if relu else x


def small_residual() -> keras.Model:
    """A stem, a block with an identity shortcut, one with a projection shortcut, then two
    branches that are both concatenated and added, before global average pooling."""
    image = keras.Input((32, 32, 3))
    stem = conv_bn(image, 8, 3, name="stem")
    h = conv_bn(conv_bn(stem, 8, 3, name="block1_conv1"), 8, 3, relu=False,
                name="block1_conv2")
    block1 = layers.ReLU()(layers.Add(name="block1_add")([h, stem]))
    h = conv_bn(conv_bn(block1, 16, 3, stride=2, name="block2_conv1"), 16, 3, relu=False,
                name="block2_conv2")
    shortcut = conv_bn(block1, 16, 1, stride=2, relu=False, name="block2_shortcut")
    block2 = layers.ReLU()(layers.Add(name="block2_add")([h, shortcut]))
    a = layers.Conv2D(8, 1, activation="relu", name="branch_a")(block2)
    b = layers.Conv2D(8, 3, padding="same", activation="relu", name="branch_b")(block2)
    both = layers.Concatenate(name="both")([a, b])
    summed = layers.Add(name="summed")([a, b])
    u = conv_bn(both, 8, 3, stride=2, name="after_both")
    v = conv_bn(summed, 8, 3, stride=2, name="after_summed")
    features = layers.GlobalAveragePooling2D()(layers.Concatenate()([u, v]))
    return keras.Model(image, features, name="small_residual")


def mobilenet_v2(bn_momentum: float | None = None) -> keras.Model:
    """keras.applications' MobileNetV2 at its smallest (depthwise convs, ReLU6, Add);
    `bn_momentum` replaces its BatchNorms' 0.999."""
    model = keras.applications.MobileNetV2(alpha=0.35, weights=None, include_top=False,
                                           input_shape=(32, 32, 3), pooling="avg")
    if bn_momentum is None:
        return model

    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, layers.BatchNormalization):
            config["momentum"] = bn_momentum
        return type(layer).from_config(config)

    return keras.models.clone_model(model, clone_function=clone)
