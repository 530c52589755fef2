"""A warning that may come after every task: said in full the first time, briefly after."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


class RepeatedWarning:
    """Logs a run's warnings of one kind: the first in full, the later ones in their brief
    form (the full one has said what they mean), each also written as TensorBoard text
    `tag` at its step, given a writer.

    Args:
        tag: The TensorBoard tag (`masks/warning`).
        log: Where the lines go.
        writer: A summary writer (the run's TensorBoard log dir), or None.
    """

    def __init__(self, tag: str, log: Callable[[str], None],
                 writer: tf.summary.SummaryWriter | None):
        self.tag = tag
        self.log = log
        self.writer = writer
        self.count = 0

    def say(self, step: int, full: str, brief: str) -> None:
        """Logs `full` the first time, `brief` after; writes the line at `step`."""
        message = full if self.count == 0 else brief
        self.count += 1
        self.log(message)
        if self.writer is not None:
            with self.writer.as_default(step=step):
                tf.summary.text(self.tag, message)
            self.writer.flush()
