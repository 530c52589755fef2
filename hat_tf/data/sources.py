"""Where CIFAR arrays come from: a local folder of `.npz` files, else tensorflow-datasets.

The folder holds `cifar10.npz` and `cifar100.npz` with `x_train, y_train, x_test, y_test`,
the arrays `keras.datasets.cifar10/100.load_data()` return (labels flat or (N, 1)).
"""

from __future__ import annotations

import os
import socket
import zipfile
import zlib

import numpy as np

# tensorflow-datasets fetches CIFAR from here; without a route to it, it retries for minutes.
CIFAR_DOWNLOAD_HOST = ("www.cs.toronto.edu", 443)
NUM_CLASSES = {"cifar10": 10, "cifar100": 100}


class DataUnavailableError(RuntimeError):
    """The data a run asked for cannot be found or fetched; the message says what to provide."""


class InvalidDataError(ValueError):
    """A data file that cannot be read, or arrays without the shape, dtype, label range or
    classes a dataset must have."""


Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")
# What np.load raises on an archive damaged inside, or on arrays it refuses (pickled objects).
READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def load_cifar(name: str, data_dir: str | None) -> Arrays:
    """((x_train, y_train), (x_test, y_test)) of `cifar10` or `cifar100`, labels flat int64.

    Args:
        name: `cifar10` or `cifar100`.
        data_dir: Folder with `{name}.npz`; None tries tensorflow-datasets instead.

    Raises:
        DataUnavailableError: Neither source has the data.
        InvalidDataError: The file cannot be read, or its arrays are malformed; the message
            names the file (or tensorflow-datasets) and the array.
    """
    if data_dir is not None:
        source = os.path.join(data_dir, f"{name}.npz")
        arrays = _read_npz(source)
    else:
        source = f"{name} of tensorflow-datasets"
        arrays = _load_from_tfds(name)
    return tuple(_checked_split(source, split, arrays, NUM_CLASSES[name])
                 for split in ("train", "test"))


def _read_npz(path: str) -> dict[str, np.ndarray]:
    """The arrays ARRAY_NAMES of the .npz file `path`."""
    if not os.path.isfile(path):
        raise DataUnavailableError(
            f"{path} does not exist: expected a folder with cifar10.npz and cifar100.npz, "
            "the arrays of keras.datasets.cifar10/100.load_data() (docs/protocol.md)"
        )
    if not os.access(path, os.R_OK):
        raise DataUnavailableError(f"{path} cannot be read: permission denied")
    if not zipfile.is_zipfile(path):
        raise InvalidDataError(f"{path} is not an .npz file (a zip archive): it is truncated "
                               "or of another format")
    try:
        with np.load(path) as archive:
            arrays = {key: archive[key] for key in ARRAY_NAMES if key in archive.files}
    except READ_ERRORS as error:
        message = f"{path} cannot be read ({type(error).__name__}: {error})"
        raise InvalidDataError(message) from None
    missing = [key for key in ARRAY_NAMES if key not in arrays]
    if missing:
        raise InvalidDataError(f"{path} lacks {', '.join(missing)}: expected the arrays "
                               f"{', '.join(ARRAY_NAMES)} (as keras.datasets returns them)")
    return arrays


def _checked_split(source: str, split: str, arrays: dict[str, np.ndarray],
                   num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(images, flat int64 labels) of `split` after `validate_arrays`; labels may come
    as (N,) or (N, 1)."""
    images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    validate_arrays(source, split, images, labels, num_classes)
    return images, labels.astype(np.int64)


def validate_arrays(source: str, split: str, images: np.ndarray, labels: np.ndarray,
                    num_classes: int) -> None:
    """Raises InvalidDataError, naming `source` and the array, unless the images are uint8
    (N, 32, 32, 3), N ≥ 1, with N integer labels in 0..num_classes-1 that hold every class."""
    x, y = f"{source}: x_{split}", f"{source}: y_{split}"
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (32, 32, 3):
        raise InvalidDataError(f"{x}: expected uint8 images of shape (N, 32, 32, 3), "
                               f"received {images.dtype} {images.shape}")
    if not len(images):
        raise InvalidDataError(f"{x}: expected images, received none")
    if not np.issubdtype(labels.dtype, np.integer) or labels.shape != (len(images),):
        raise InvalidDataError(f"{y}: expected {len(images)} integer labels, one per image, "
                               f"received {labels.dtype} {labels.shape}")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise InvalidDataError(f"{y}: expected labels in 0..{num_classes - 1}, "
                               f"received {labels.min()}..{labels.max()}")
    absent = np.setdiff1d(np.arange(num_classes), labels)
    if len(absent):
        raise InvalidDataError(f"{y}: expected examples of every class 0..{num_classes - 1}, "
                               f"received none of {absent.tolist()}")


def _load_from_tfds(name: str) -> dict[str, np.ndarray]:
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
    arrays = {}
    for split, (images, labels) in zip(("train", "test"), tfds.as_numpy(splits)):
        arrays.update({f"x_{split}": np.asarray(images), f"y_{split}": np.asarray(labels)})
    return arrays


def _download_host_reachable(timeout_seconds: float = 3.0) -> bool:
    try:
        socket.create_connection(CIFAR_DOWNLOAD_HOST, timeout=timeout_seconds).close()
    except OSError:
        return False
    return True
