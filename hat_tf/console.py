"""Terminal hygiene for the command-line tools."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def native_stderr_silenced():
    """Discards what native code writes to file descriptor 2 inside the block.

    TensorFlow's C++ start-up lines (oneDNN, CUDA probing) ignore TF_CPP_MIN_LOG_LEVEL;
    the tools import TensorFlow and initialise its devices inside this block so that their
    own output, and one-line errors, stay readable. Python exceptions still propagate.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow_quietly():
    """Imports TensorFlow and lists its devices (the noisy part) without native log lines."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices()
    return tf
