"""`training_batches(..., augment=True)`: each training image a random crop of itself padded
by 4 zeros on each side, flipped left-right half of the time, the same for a resumed run."""

import keras
import numpy as np

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig
from hat_tf.data import DATASETS
from hat_tf.data.pipeline import CROP_PADDING, training_batches
from hat_tf.data.task import Task
from hat_tf.training import loop
from tests.tools.tool_modules import load_tool


def task(examples=40):
    rng = np.random.default_rng(0)
    images = rng.integers(1, 256, size=(examples, 8, 8, 3), dtype=np.uint8)  # no zero pixel
    labels = np.arange(examples) % 2
    return Task("t", ("a", "b"), images, labels, images[:2], labels[:2], images[:2], labels[:2])


def batches(augment, first_epoch=0, epochs=3):
    data = training_batches([(0, task())], batch_size=16, seed=7, epochs=epochs,
                            first_epoch=first_epoch, augment=augment)
    return [(inputs["image"].numpy(), labels.numpy()) for inputs, labels in data]


def crops(image):
    """Every crop of the image's size of the image padded by CROP_PADDING zeros."""
    size = image.shape[0]
    padded = np.pad(image, ((CROP_PADDING,) * 2, (CROP_PADDING,) * 2, (0, 0)))
    return [padded[y:y + size, x:x + size] for y in range(2 * CROP_PADDING + 1)
            for x in range(2 * CROP_PADDING + 1)]


def by_original(plain, augmented):
    """{an original image's bytes: its augmented copy} of one epoch's batches."""
    return {original.tobytes(): copy for (originals, _), (copies, _) in zip(plain, augmented)
            for original, copy in zip(originals, copies)}


def test_each_image_is_a_padded_crop_or_its_mirror_and_they_vary():
    plain, augmented = batches(False), batches(True)
    assert [len(y) for _, y in plain] == [len(y) for _, y in augmented] == [16, 16, 8] * 3
    changed = mirrored = 0
    for (original, labels), (image, augmented_labels) in zip(plain, augmented):
        np.testing.assert_array_equal(labels, augmented_labels)  # the same order
        for before, after in zip(original, image):
            as_is = any(np.array_equal(after, crop) for crop in crops(before))
            flipped = any(np.array_equal(after[:, ::-1], crop) for crop in crops(before))
            assert as_is or flipped
            changed += not np.array_equal(before, after)
            mirrored += flipped and not as_is
    assert changed > 0.8 * 120  # 1 in 162 of (crop, flip) leaves an image as it was
    assert 0.3 * 120 < mirrored < 0.7 * 120
    shifted = sum(np.any(image == 0) for batch, _ in augmented for image in batch)
    assert shifted > 0.6 * 120  # zeros from the padding: the crop moved


def test_a_resumed_epoch_gets_the_same_crops_and_flips_and_another_epoch_others():
    uninterrupted, resumed = batches(True), batches(True, first_epoch=2)
    for (expected, _), (image, _) in zip(uninterrupted[6:], resumed):
        np.testing.assert_array_equal(expected, image)
    first, second = batches(True, epochs=1), batches(True, first_epoch=1, epochs=2)
    plain_first, plain_second = batches(False, epochs=1), batches(False, first_epoch=1, epochs=2)
    # Epochs 0 and 1 shuffle differently: compare each image's two augmented copies.
    in_epoch_0, in_epoch_1 = by_original(plain_first, first), by_original(plain_second, second)
    differing = sum(not np.array_equal(in_epoch_0[key], in_epoch_1[key]) for key in in_epoch_0)
    assert differing > 0.8 * 40


def test_without_it_the_images_are_the_tasks_own():
    images = task().x_train
    for batch, _ in batches(False, epochs=1):
        for image in batch:
            assert any(np.array_equal(image, original) for original in images)


def test_train_pys_option_reaches_the_training_batches(monkeypatch):
    train = load_tool("train")
    config = train.to_config(train.build_parser().parse_args(
        ["--model", "alexnet_hat", "--augment", "--epochs", "1", "--width", "0.125"]))
    assert config.optim.augment and config.to_dict()["optim"]["augment"] is True
    assert not train.to_config(train.build_parser().parse_args(
        ["--model", "alexnet_hat"])).optim.augment
    sequence = DATASETS.get("digits")(DataConfig(num_tasks=1, train_limit=60))
    seen, real = [], loop.training_batches
    monkeypatch.setattr(loop, "training_batches",
                        lambda *args, **options: seen.append(options["augment"])
                        or real(*args, **options))
    keras.utils.set_random_seed(0)
    loop.train_task(build_model(config, sequence), sequence, 0, config, lambda line: None)
    assert seen == [True]
