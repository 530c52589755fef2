"""A run's TensorBoard logs: `tensorboard --logdir runs` compares runs side by side.

Under `<log_dir>` (the run dir's `tb/`):

- `train/`, `validation/`: per epoch, `epoch/loss`, `epoch/accuracy`; in `train/` also
  `epoch/lr`, `epoch/task` and the method's step metrics (HAT: `epoch/capacity_reg`, the
  regulariser R of paper Eq. 5; `epoch/s_lowest`, `epoch/s_highest`, the range of s in
  the epoch, Eq. 3).
- the log dir itself, per task (step = tasks trained): `task/acc`, `task/bwt`,
  `task/epochs`, `task/accuracy/<task>` (a column of the accuracy matrix: how a task's
  accuracy changes as later tasks are learned) and `task/accuracy_matrix_table` (text);
  for a gated network `capacity/<layer>/task` and `capacity/<layer>/cumulative` (units
  with a^t > 0.5, a^{≤t} > 0.5; `<layer>` = `network` for all units), `capacity/table`
  (text), `reuse/network_table` (text, after the paper's Fig. 6),
  `gates/<layer>/task` and `gates/<layer>/cumulative` (histograms of a^t at s_max and of
  a^{≤t}); for HAT, whether the task's masks learned (results' `mask_learning`, docs/algorithm.md
  §11): `masks/<layer>/moved` (mean |e_end − e_start| of the task's embeddings),
  `masks/<layer>/switched` (share of units whose a^t > 0.5 changed during the task),
  `masks/<layer>/at_clamp` (share of the task's embeddings at ±clip) and `masks/table`
  (text, every task so far), and the warning `masks/warning` (text); at the end the
  images `task/accuracy_matrix`, for a gated network `capacity/over_tasks` and
  `reuse/per_layer` (every task in one image each), and `final/acc`, `final/bwt`,
  `final/train_seconds`; from the start the run's settings
  as hparams (TensorBoard's HPARAMS tab).
"""

from __future__ import annotations

import os

import tensorflow as tf
from tensorboard.plugins.hparams import api as hparams_api

from hat_tf.config import RunConfig
from hat_tf.hat.mask_snapshot import NETWORK, MaskSnapshot
from hat_tf.reporting.epoch_summaries import EpochSummaries
from hat_tf.reporting.run_figures import RunFigureCache, RunFigures
from hat_tf.reporting.settings import flat_settings
from hat_tf.reporting.tables import (
    REUSE_CAPTION,
    accuracy_table,
    capacity_tables,
    mask_learning_table,
    reuse_table,
)
from hat_tf.training.observer import RunObserver


def png_image(png: bytes) -> tf.Tensor:
    """PNG bytes as a batch of one RGB image, the input `tf.summary.image` takes."""
    return tf.io.decode_png(png, channels=3)[tf.newaxis]


class TensorBoardReporter(RunObserver):
    """Writes the summaries listed in this module's docstring.

    Args:
        log_dir: Where the event files go (the run dir's `tb/`).
        config: The run's settings: the hparams, and s_max to read the masks at.
        figures: Draws the end-of-run plots; pass report.md's so each is drawn once
            (default: a cache of this reporter's own, without a threshold line).
        trial_id: The run's name in the HPARAMS tab (default: the log dir's parent's name).
    """

    def __init__(self, log_dir: str, config: RunConfig, figures: RunFigureCache | None = None,
                 trial_id: str | None = None):
        self.log_dir = log_dir
        self.config = config
        self.figures = figures or RunFigureCache(config.hat.s_max)
        self.trial_id = trial_id or os.path.basename(os.path.dirname(os.path.abspath(log_dir)))
        self.writer = tf.summary.create_file_writer(log_dir)
        self.train_writer = tf.summary.create_file_writer(os.path.join(log_dir, "train"))
        self.validation_writer = tf.summary.create_file_writer(os.path.join(log_dir, "validation"))
        self.epochs_done = 0

    def on_run_begin(self, model, results):
        settings = {**flat_settings(self.config), "tasks": len(results["task_names"]),
                    "num_params": results["num_params"]}
        with self.writer.as_default(step=0):
            hparams_api.hparams(settings, trial_id=self.trial_id)
        self.writer.flush()

    def task_callbacks(self, task_id):
        return [EpochSummaries(self.train_writer, self.validation_writer,
                               first_step=self.epochs_done + 1, task_id=task_id)]

    def on_task_end(self, task_id, model, results):
        self.epochs_done += results["epochs_per_task"][task_id]
        step = task_id + 1
        names = results["task_names"]
        matrix = [row[:step] for row in results["acc_matrix"][:step]]
        with self.writer.as_default(step=step):
            tf.summary.scalar("task/acc", results["acc"])
            tf.summary.scalar("task/bwt", results["bwt"])
            tf.summary.scalar("task/epochs", results["epochs_per_task"][task_id])
            for name, accuracy in zip(names, matrix[-1]):
                tf.summary.scalar(f"task/accuracy/{name}", accuracy)
            tf.summary.text("task/accuracy_matrix_table", accuracy_table(matrix, names))
            snapshot = MaskSnapshot.read(model.method.graph.gates, step, self.config.hat.s_max)
            if snapshot.layer_names:
                self._write_masks(snapshot, names)
            if "mask_learning" in results:
                self._write_mask_learning(results["mask_learning"], names)
        for writer in (self.writer, self.train_writer, self.validation_writer):
            writer.flush()

    def _write_masks(self, snapshot: MaskSnapshot, task_names: list[str]) -> None:
        """Capacity, reuse and gate histograms of a gated network (inside `as_default`)."""
        history = snapshot.history()
        for name, row in history[-1].items():
            tf.summary.scalar(f"capacity/{name}/task", row.task)
            tf.summary.scalar(f"capacity/{name}/cumulative", row.cumulative)
        tf.summary.text("capacity/table", capacity_tables(history, task_names))
        tf.summary.text("reuse/network_table", REUSE_CAPTION + "\n\n"
                        + reuse_table(snapshot.reuse()[NETWORK], task_names))
        for name, attention, cumulative in zip(snapshot.layer_names, snapshot.task_attention,
                                               snapshot.cumulative):
            tf.summary.histogram(f"gates/{name}/task", attention[-1])
            tf.summary.histogram(f"gates/{name}/cumulative", cumulative)

    def _write_figures(self, figures: RunFigures) -> None:
        """The plots, once at the end (they show every task; inside `as_default`)."""
        tf.summary.image("task/accuracy_matrix", png_image(figures.accuracy_matrix))
        if figures.capacity is not None:
            tf.summary.image("capacity/over_tasks", png_image(figures.capacity))
            tf.summary.image("reuse/per_layer", png_image(figures.reuse))

    @staticmethod
    def _write_mask_learning(records: list[dict[str, dict]], task_names: list[str]) -> None:
        """The last task's mask-learning record, and the table of all (inside
        `as_default`)."""
        for name, row in records[-1].items():
            for key in ("moved", "switched", "at_clamp"):
                tf.summary.scalar(f"masks/{name}/{key}", row[key])
        tf.summary.text("masks/table", (
            "Whether each task's masks learned: moved = mean |e_end − e_start| of its "
            "embeddings; % of units whose gate switched, whose embedding ends at the clamp, "
            "in its own mask (a^t > 0.5) and in tasks 1..t's (a^≤t > 0.5).\n\n"
            + mask_learning_table(records, task_names)))

    def on_run_end(self, model, results):
        with self.writer.as_default(step=results["tasks_completed"]):
            self._write_figures(self.figures.figures(model, results))
            tf.summary.scalar("final/acc", results["acc"])
            tf.summary.scalar("final/bwt", results["bwt"])
            tf.summary.scalar("final/train_seconds", results["train_seconds"])
        for writer in (self.writer, self.train_writer, self.validation_writer):
            writer.close()


