"""Every way a cifar .npz file can be unusable is refused with one message that names the
file and what is wrong (the tools print it as their one-line error)."""

import numpy as np
import pytest

from hat_tf.data.sources import DataUnavailableError, InvalidDataError, load_cifar
from tests.data.test_benchmarks import fake_cifar_dir


def rewritten(**changes):
    """A breakage that saves the file again with `changes`: array name → function of the
    array, or None to leave the array out."""
    def rewrite(path):
        with np.load(path) as archive:
            arrays = dict(archive)
        for name, change in changes.items():
            arrays[name] = change(arrays[name])
        np.savez(path, **{name: array for name, array in arrays.items() if array is not None})
    return rewrite


def flip_a_byte_inside(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))


NOT_NPZ = "is not an .npz file (a zip archive): it is truncated or of another format"
BREAKAGES = {
    "missing": (lambda path: path.unlink(), DataUnavailableError, "cifar10.npz does not exist"),
    "random bytes": (lambda path: path.write_bytes(np.random.default_rng(0).bytes(4096)),
                     InvalidDataError, NOT_NPZ),
    "truncated": (lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
                  InvalidDataError, NOT_NPZ),
    "an .npy file": (lambda path: np.save(path.open("wb"), np.zeros(3)), InvalidDataError,
                     NOT_NPZ),
    "damaged inside": (flip_a_byte_inside, InvalidDataError,
                       "cannot be read (BadZipFile: Bad CRC-32 for file 'x_train.npy')"),
    "pickled labels": (rewritten(y_test=lambda y: np.array([object()] * len(y))),
                       InvalidDataError, "cannot be read (ValueError: Object arrays"),
    "an array missing": (rewritten(y_test=lambda y: None), InvalidDataError,
                         "lacks y_test: expected the arrays x_train, y_train, x_test, y_test"),
    "float images": (rewritten(x_train=lambda x: x.astype(np.float32)), InvalidDataError,
                     ": x_train: expected uint8 images of shape (N, 32, 32, 3), received "
                     "float32 (50, 32, 32, 3)"),
    "small images": (rewritten(x_test=lambda x: x[:, :16]), InvalidDataError,
                     ": x_test: expected uint8 images of shape (N, 32, 32, 3), received "
                     "uint8 (50, 16, 32, 3)"),
    "float labels": (rewritten(y_train=lambda y: y.astype(np.float32)), InvalidDataError,
                     ": y_train: expected 50 integer labels, one per image, received "
                     "float32 (50,)"),
    "a label short": (rewritten(y_train=lambda y: y[:-1]), InvalidDataError,
                      ": y_train: expected 50 integer labels, one per image, received "
                      "int64 (49,)"),
    "labels out of range": (rewritten(y_test=lambda y: y + 10), InvalidDataError,
                            ": y_test: expected labels in 0..9, received 10..19"),
    "no examples": (rewritten(x_train=lambda x: x[:0], y_train=lambda y: y[:0]),
                    InvalidDataError, ": x_train: expected images, received none"),
    "classes absent": (rewritten(y_train=lambda y: y % 5), InvalidDataError,
                       ": y_train: expected examples of every class 0..9, received none of "
                       "[5, 6, 7, 8, 9]"),
}


@pytest.mark.parametrize("case", BREAKAGES)
def test_an_unusable_file_is_refused_naming_the_file_and_the_fault(tmp_path, case):
    breakage, error_type, reason = BREAKAGES[case]
    path = tmp_path / "cifar10.npz"
    fake_cifar_dir(tmp_path)
    breakage(path)
    with pytest.raises(error_type) as error:
        load_cifar("cifar10", str(tmp_path))
    assert str(error.value).startswith(str(path)) and reason in str(error.value)


def test_labels_of_shape_n_1_are_flattened_to_int64(tmp_path):
    fake_cifar_dir(tmp_path)  # y_train (N, 1), y_test (N,)
    (_, y_train), (_, y_test) = load_cifar("cifar10", str(tmp_path))
    assert y_train.shape == (50,) and y_train.dtype == np.int64 and y_test.dtype == np.int64
