"""A run's end-of-run plots (figures.py), drawn once and shown by every reporter that shows
them: TensorBoard's images and report.md's PNGs. Drawing one costs a second or two."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hat_tf.hat.mask_snapshot import MaskSnapshot
from hat_tf.reporting.figures import accuracy_matrix_png, capacity_png, reuse_png
from hat_tf.training.continual_model import ContinualModel


@dataclass(frozen=True)
class RunFigures:
    """The plots as PNG bytes, `capacity` and `reuse` only for a gated network, and the
    masks they were drawn from (for the tables beside them)."""

    snapshot: MaskSnapshot
    accuracy_matrix: bytes
    capacity: bytes | None
    reuse: bytes | None


class RunFigureCache:
    """Draws a run's plots at the first request and hands every later request of the same
    run state (the tasks completed) the same bytes.

    Args:
        s_max: The s the masks are read at (paper Eq. 3).
        capacity_threshold: Drawn as a line in the capacity plot, or None.
    """

    def __init__(self, s_max: float, capacity_threshold: float | None = None):
        self.s_max = s_max
        self.capacity_threshold = capacity_threshold
        self._drawn: tuple[int, RunFigures] | None = None

    def figures(self, model: ContinualModel, results: Mapping[str, Any]) -> RunFigures:
        """The plots of the run's tasks completed so far, drawn once per number of tasks."""
        completed = results["tasks_completed"]
        if self._drawn is None or self._drawn[0] != completed:
            self._drawn = completed, self._draw(model, results, completed)
        return self._drawn[1]

    def _draw(self, model: ContinualModel, results: Mapping[str, Any],
              completed: int) -> RunFigures:
        names = results["task_names"]
        matrix = [row[:completed] for row in results["acc_matrix"][:completed]]
        snapshot = MaskSnapshot.read(model.method.graph.gates, completed, self.s_max)
        if not snapshot.layer_names:
            return RunFigures(snapshot, accuracy_matrix_png(matrix, names), None, None)
        return RunFigures(snapshot, accuracy_matrix_png(matrix, names),
                          capacity_png(snapshot.history(), names, self.capacity_threshold),
                          reuse_png(snapshot.reuse(), names))
