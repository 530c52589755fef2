"""`report.md`: a run's settings, results and plots in one page, written at its end."""

from __future__ import annotations

import os

import numpy as np

from hat_tf.config import RunConfig
from hat_tf.export.compact import TOLERANCE
from hat_tf.hat.mask_snapshot import NETWORK
from hat_tf.reporting.mask_learning_warning import STAYED_RANDOM_BELOW
from hat_tf.reporting.run_figures import RunFigureCache
from hat_tf.reporting.settings import flat_settings
from hat_tf.reporting.tables import (
    REUSE_CAPTION,
    accuracy_table,
    capacity_tables,
    markdown_table,
    mask_learning_table,
    percent,
    reuse_table,
)
from hat_tf.reporting.task_inference import BASELINE_MARK, PICKED_MARK, rule_marks
from hat_tf.task_detection.max_logit import BASELINE_RULE
from hat_tf.training.observer import RunObserver
from hat_tf.training.results import write_atomically

REPORT = "report.md"
ACCURACY_PNG = "accuracy_matrix.png"
CAPACITY_PNG = "capacity.png"
REUSE_PNG = "reuse.png"


def task_inference_rows(results: dict) -> list[list[str]]:
    """The rows of the task-agnostic scores, once the run has them."""
    if results.get("task_inference_acc") is None:
        return []
    return [["task inferred right, without the task id (all test sets)",
             f"{100 * results['task_inference_acc']:.2f} %"],
            ["class-incremental accuracy (task and class right)",
             f"{100 * results['cil_acc']:.2f} %"]]


def task_inference_section(results: dict) -> list[str]:
    """Every task-inference rule's scores, and the task confusion matrix of the run's rule,
    once the run has them."""
    if not results.get("task_inference_rules"):
        return []
    names, rule = results["task_names"], results["task_inference_rule"]
    rows = [[rule_label(name, scores, rule),
             percent(scores["val_task_acc"]), percent(scores["test_task_acc"]),
             percent(scores["test_cil_acc"]), format_bytes(scores["bytes_per_task"])]
            for name, scores in results["task_inference_rules"].items()]
    confusion = np.asarray(results["task_confusion"], float)
    shares = 100 * confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    return ["## Task inference",
            "Predicting without the task id (our addition, not the paper's): each rule "
            "scores every learned task from its head and its features under its own masks, "
            "and the best-scoring task is chosen; class-incremental = task and class right. "
            f"The run's exports infer with **{rule}**, the rule best on the validation sets "
            f"({PICKED_MARK}); {BASELINE_RULE} ({BASELINE_MARK}) is the published "
            "class-incremental baseline, the argmax over all heads' concatenated logits. What "
            "a rule stores per task is kept instead of images (none are kept).",
            markdown_table(["rule", "task right, val (%)", "task right, test (%)",
                            "class-incremental, test (%)", "stored per task"], rows),
            f"Test images (%) of each true task (rows) inferred as each task (columns), by "
            f"{rule}:",
            markdown_table(["true task", *names],
                           [[name, *(f"{v:.1f}" for v in row)]
                            for name, row in zip(names, shares)])]


def rule_label(name: str, scores: dict, picked: str) -> str:
    """A rule's name in the table, the rule `picked` in bold, with its marks (`rule_marks`):
    `**vim_calibrated** (picked on validation)`, `max_logit (baseline)`."""
    marks = rule_marks(name, scores, picked)
    label = f"**{name}**" if name == picked else name
    return f"{label} ({', '.join(marks)})" if marks else label


def format_bytes(sizes: list[int]) -> str:
    """A rule's storage per task: one size, or the range over the tasks."""
    low, high = min(sizes), max(sizes)
    return f"{low / 1024:.1f} KiB" if low == high else f"{low / 1024:.1f}–{high / 1024:.1f} KiB"


def mask_learning_section(results: dict) -> list[str]:
    """The mask-learning table (docs/algorithm.md §11), for runs whose results have it (HAT)."""
    if not results.get("mask_learning"):
        return []
    return ["## Mask learning",
            "Whether each task's masks learned, per gated layer (`network`: all units): "
            "moved = the mean |e_end − e_start| of the task's embeddings over the task; "
            "switched = % of units whose gate (a^t > 0.5) turned on or off during it; "
            "at clamp = % of its embeddings at the ±clip bound; own mask, tasks 1..t = % of "
            "units with a^t > 0.5, a^≤t > 0.5. From the default start (`--embedding-init "
            "normal`: N(0, 1)) an untrained mask is a random half of the units: own mask ≈ "
            "50 %, switched a few %. The run "
            f"warns after a task that switched under {100 * STAYED_RANDOM_BELOW:.0f} % of the "
            "network's units.",
            mask_learning_table(results["mask_learning"], results["task_names"])]


def compact_export_section(results: dict) -> list[str]:
    """The compact exports' sizes and differences, for runs that wrote them."""
    if not results.get("compact_exports"):
        return []
    names = results["task_names"]
    return ["## Compact exports",
            "Each task's model with the units its mask leaves off (a^t at most the "
            "threshold, the largest that keeps the probabilities within "
            f"{TOLERANCE:g} of the full model's on the validation and test sets) removed "
            "(`saved_models/task_<k>/`; with `--export full`, `task_<k>_compact/` beside "
            "the full one): parameters kept of those the task runs "
            "through (trunk and its head), and the largest difference of its probabilities "
            "from the full model's on those sets.",
            markdown_table(["task", "threshold", "parameters", "size", "max abs. difference"], [
                [names[row["task_id"]], f"{row['threshold']:g}",
                 f"{row['num_params']:,} of {row['full_params']:,}",
                 f"{100 * row['size_ratio']:.1f} %", f"{row['max_abs_difference']:.1e}"]
                for row in results["compact_exports"]])]


class MarkdownReport(RunObserver):
    """At the end of the run writes `report.md` into `run_dir`, and the PNGs it shows:
    `accuracy_matrix.png`, and for a gated network `capacity.png` and `reuse.png`.
    Each file is written atomically.

    Args:
        run_dir: The run's folder.
        config: The run's settings (listed in the report; s_max reads the masks).
        figures: Draws the plots; pass TensorBoard's so each is drawn once (default: a
            cache of this report's own, without a threshold line).
    """

    def __init__(self, run_dir: str, config: RunConfig, figures: RunFigureCache | None = None):
        self.run_dir = run_dir
        self.config = config
        self.figures = figures or RunFigureCache(config.hat.s_max)

    def on_run_end(self, model, results):
        names = results["task_names"]
        trained = len(results["acc_matrix"])
        figures = self.figures.figures(model, results)
        history = figures.snapshot.history()
        matrix = [row[:trained] for row in results["acc_matrix"]]
        self._write(ACCURACY_PNG, figures.accuracy_matrix)
        sections = [
            f"# {results['model']} on {results['dataset']}",
            "## Results",
            markdown_table(["metric", "value"], [
                ["ACC (mean of the last row)", f"{100 * results['acc']:.2f} %"],
                ["BWT (mean of A[T, τ] − A[τ, τ])", f"{100 * results['bwt']:+.2f} %"],
                ["tasks", f"{trained} of {len(names)}"],
                ["trainable parameters", f"{results['num_params']:,}"],
                ["epochs per task", ", ".join(map(str, results["epochs_per_task"]))],
                ["training time", f"{results['train_seconds']:.0f} s"],
                *task_inference_rows(results),
            ]),
            "## Accuracy matrix",
            "Accuracy (%) on each task's test set (columns) after training each task (rows); "
            "the cells below the diagonal show what later tasks made it forget.",
            accuracy_table(matrix, names),
            f"![accuracy matrix]({ACCURACY_PNG})",
            "## Capacity",
        ]
        if history:
            self._write(CAPACITY_PNG, figures.capacity)
            self._write(REUSE_PNG, figures.reuse)
            sections += [
                capacity_tables(history, names),
                f"![capacity per layer over tasks]({CAPACITY_PNG})",
                "## Mask reuse",
                REUSE_CAPTION + " Per layer in the plot.",
                reuse_table(figures.snapshot.reuse()[NETWORK], names),
                f"![mask reuse between tasks]({REUSE_PNG})",
            ]
        else:
            sections.append("The network has no gates: every task may change every weight.")
        sections += task_inference_section(results)
        sections += mask_learning_section(results)
        sections += compact_export_section(results)
        sections += ["## Settings",
                     markdown_table(["setting", "value"], sorted(
                         flat_settings(self.config).items()))]
        write_atomically(os.path.join(self.run_dir, REPORT), "\n\n".join(sections) + "\n")

    def _write(self, name: str, png: bytes) -> None:
        write_atomically(os.path.join(self.run_dir, name), png)
