"""The registered task sequences (docs/algorithm.md §10). `DATASETS.get(name)(config)` builds
one."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hat_tf.config import DataConfig
from hat_tf.data.sources import load_cifar
from hat_tf.data.task import Task, TaskSequence, make_task
from hat_tf.registry import Registry

DATASETS: Registry[Callable[[DataConfig], TaskSequence]] = Registry("dataset")

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
CIFAR100_CLASSES = (
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
    "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
    "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
    "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
    "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
    "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank",
    "telephone", "television", "tiger", "tractor", "train", "trout", "tulip", "turtle",
    "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
)
# Channel statistics of the raw 0..255 pixels, as the reference code normalises CIFAR.
CIFAR10_MEAN, CIFAR10_STD = (125.3, 123.0, 113.9), (63.0, 62.1, 66.7)
CIFAR100_MEAN, CIFAR100_STD = (129.3, 124.1, 112.4), (68.2, 65.4, 70.4)
# sklearn's digits have no test split: about this share of the examples, drawn with a fixed
# seed, is the test set.
DIGITS_TEST_FRACTION = 0.2
DIGITS_TEST_SEED = 1234


class TaskCountError(ValueError):
    """A run asked for more tasks than its benchmark has (or for none)."""

    def __init__(self, benchmark: str, available: int, requested: int):
        super().__init__(f"{benchmark} has {available} tasks, received num_tasks={requested}")
        self.benchmark = benchmark
        self.available = available


def _class_block_tasks(
    prefix: str, arrays, class_names: tuple[str, ...], blocks: list[range], config: DataConfig,
    rng: np.random.Generator,
) -> list[Task]:
    """One task per block of consecutive global classes."""
    (x_train, y_train), (x_test, y_test) = arrays
    tasks = []
    for block in blocks:
        train_mask, test_mask = np.isin(y_train, block), np.isin(y_test, block)
        tasks.append(make_task(
            name=f"{prefix}-{block.start}-{block.stop - 1}",
            class_names=tuple(class_names[c] for c in block),
            train=(x_train[train_mask], y_train[train_mask]),
            test=(x_test[test_mask], y_test[test_mask]),
            val_fraction=config.val_fraction,
            rng=rng,
            train_limit=config.train_limit,
        ))
    return tasks


def _sequence(name: str, tasks: list[Task], mean, std, config: DataConfig) -> TaskSequence:
    """The first `config.num_tasks` of `tasks` (all if None) as the sequence `name`."""
    if config.num_tasks is not None and not 1 <= config.num_tasks <= len(tasks):
        raise TaskCountError(name, len(tasks), config.num_tasks)
    return TaskSequence(name, tuple(tasks[: config.num_tasks]), tuple(mean), tuple(std))


@DATASETS.register("cifar")
def cifar(config: DataConfig) -> TaskSequence:
    """The HAT paper's incremental CIFAR-10/100: CIFAR-10 in 5 pairs of classes and
    CIFAR-100 in 5 blocks of 20, 10 tasks in an order shuffled by the seed (reference
    `dataloaders/cifar.py`); normalised with CIFAR-10's channel statistics."""
    rng = np.random.default_rng(config.seed)
    tasks = _class_block_tasks(
        "cifar10", load_cifar("cifar10", config.data_dir), CIFAR10_CLASSES,
        [range(c, c + 2) for c in range(0, 10, 2)], config, rng,
    ) + _class_block_tasks(
        "cifar100", load_cifar("cifar100", config.data_dir), CIFAR100_CLASSES,
        [range(c, c + 20) for c in range(0, 100, 20)], config, rng,
    )
    order = np.random.default_rng(config.seed).permutation(len(tasks))
    return _sequence("cifar", [tasks[i] for i in order], CIFAR10_MEAN, CIFAR10_STD, config)


@DATASETS.register("cifar100_10")
def cifar100_10(config: DataConfig) -> TaskSequence:
    """10-split CIFAR-100 (GPM, PackNet, SupSup, WSN): 10 tasks of 10 consecutive classes,
    in class order."""
    rng = np.random.default_rng(config.seed)
    tasks = _class_block_tasks(
        "cifar100", load_cifar("cifar100", config.data_dir), CIFAR100_CLASSES,
        [range(c, c + 10) for c in range(0, 100, 10)], config, rng,
    )
    return _sequence("cifar100_10", tasks, CIFAR100_MEAN, CIFAR100_STD, config)


@DATASETS.register("cifar10_5")
def cifar10_5(config: DataConfig) -> TaskSequence:
    """5-split CIFAR-10 (the class-incremental benchmark of HAT-based methods such as HAT
    with TPL, ICLR 2024, and CLOM): 5 tasks of 2 consecutive classes ({airplane,
    automobile}, …, {ship, truck}), in class order; the seed moves the validation split and
    the initial weights, not the order."""
    rng = np.random.default_rng(config.seed)
    tasks = _class_block_tasks(
        "cifar10", load_cifar("cifar10", config.data_dir), CIFAR10_CLASSES,
        [range(c, c + 2) for c in range(0, 10, 2)], config, rng,
    )
    return _sequence("cifar10_5", tasks, CIFAR10_MEAN, CIFAR10_STD, config)


@DATASETS.register("digits")
def digits(config: DataConfig) -> TaskSequence:
    """scikit-learn's bundled handwritten digits (real, offline): 5 tasks of 2 digits.

    The 8×8 grey images (0..16) are scaled to 0..255, resized to 32×32 and replicated to
    3 channels. About 20 % of the examples, drawn with a fixed seed, are the test set.
    """
    import sklearn.datasets  # only this dataset needs scikit-learn

    images, labels = _digits_as_rgb32(*sklearn.datasets.load_digits(return_X_y=True))
    split = np.random.default_rng(DIGITS_TEST_SEED).random(len(labels)) < DIGITS_TEST_FRACTION
    arrays = ((images[~split], labels[~split]), (images[split], labels[split]))
    tasks = _class_block_tasks(
        "digits", arrays, tuple(str(d) for d in range(10)),
        [range(d, d + 2) for d in range(0, 10, 2)], config, np.random.default_rng(config.seed),
    )
    mean = float(images.mean())
    std = float(images.std())
    return _sequence("digits", tasks, (mean,) * 3, (std,) * 3, config)


def _digits_as_rgb32(flat: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import tensorflow as tf

    grey = flat.reshape(-1, 8, 8, 1).astype(np.float32) * (255.0 / 16.0)
    resized = tf.image.resize(grey, (32, 32), method="bilinear").numpy()
    rgb = np.repeat(np.clip(np.rint(resized), 0, 255).astype(np.uint8), 3, axis=-1)
    return rgb, labels.astype(np.int64)
