"""Where CIFAR arrays come from: a local folder of `.npz` files, else tensorflow-datasets.

The folder holds `cifar10.npz` and `cifar100.npz` with `x_train, y_train, x_test, y_test`,
the arrays `keras.datasets.cifar10/100.load_data()` return (labels flat or (N, 1)).
"""

from __future__ import annotations

import os
import socket

import numpy as np

# tensorflow-datasets fetches CIFAR from here; without a route to it, it retries for minutes.
CIFAR_DOWNLOAD_HOST = ("www.cs.toronto.edu", 443)
NUM_CLASSES = {"cifar10": 10, "cifar100": 100}


class DataUnavailableError(RuntimeError):
    """The data a run asked for cannot be found or fetched; the message says what to provide."""


class InvalidDataError(ValueError):
    """Arrays that do not have the shape, dtype or label range a dataset must have."""


Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_cifar(name: str, data_dir: str | None) -> Arrays:
    """((x_train, y_train), (x_test, y_test)) of `cifar10` or `cifar100`, labels flat int64.

    Args:
        name: `cifar10` or `cifar100`.
        data_dir: Folder with `{name}.npz`; None tries tensorflow-datasets instead.

    Raises:
        DataUnavailableError: Neither source has the data.
        InvalidDataError: The arrays found are malformed.
    """
    if data_dir is not None:
        path = os.path.join(data_dir, f"{name}.npz")
        if not os.path.isfile(path):
            raise DataUnavailableError(
                f"{path} does not exist: expected a folder with cifar10.npz and cifar100.npz "
                "(write them with `python ../shared/datasets/materialize.py DIR`)"
            )
        with np.load(path) as arrays:
            train = (arrays["x_train"], arrays["y_train"].reshape(-1))
            test = (arrays["x_test"], arrays["y_test"].reshape(-1))
    else:
        train, test = _load_from_tfds(name)
    for split, (images, labels) in (("train", train), ("test", test)):
        validate_arrays(f"{name} {split}", images, labels, NUM_CLASSES[name])
    unseen = np.setdiff1d(test[1], train[1])
    if len(unseen):
        raise InvalidDataError(f"{name}: test labels {unseen.tolist()} never occur in training: "
                               "expected the same classes in both splits")
    return train, test


def validate_arrays(what: str, images: np.ndarray, labels: np.ndarray, num_classes: int) -> None:
    """Raises InvalidDataError unless images are uint8 (N, 32, 32, 3) with N labels in range."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (32, 32, 3):
        raise InvalidDataError(
            f"{what}: expected uint8 images of shape (N, 32, 32, 3), "
            f"received {images.dtype} {images.shape}"
        )
    if labels.shape != (len(images),):
        raise InvalidDataError(
            f"{what}: expected {len(images)} labels, received shape {labels.shape}"
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise InvalidDataError(
            f"{what}: expected labels in 0..{num_classes - 1}, "
            f"received {labels.min()}..{labels.max()}"
        )


def _load_from_tfds(name: str) -> Arrays:
    """Reads a prepared tfds copy, downloading one only when the download host answers."""
    import tensorflow_datasets as tfds  # slow import; only runs without a data dir

    download = _download_host_reachable()
    try:
        splits = tfds.load(name, split=["train", "test"], batch_size=-1, as_supervised=True,
                           download=download)
    except Exception as error:  # tfds raises several types for a missing dataset
        raise DataUnavailableError(
            f"{name} is neither in a data dir nor available from tensorflow-datasets "
            f"({type(error).__name__}): pass --data-dir DIR holding cifar10.npz and "
            "cifar100.npz (or set HAT_DATA_DIR)"
        ) from None
    return tuple((np.asarray(x), np.asarray(y, np.int64)) for x, y in tfds.as_numpy(splits))


def _download_host_reachable(timeout_seconds: float = 3.0) -> bool:
    try:
        socket.create_connection(CIFAR_DOWNLOAD_HOST, timeout=timeout_seconds).close()
    except OSError:
        return False
    return True
