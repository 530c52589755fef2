"""The accuracy matrix and its metrics (docs/algorithm.md §11), and the run's result files."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hat_tf.training.run_results import RunResults


def acc(matrix: list[list[float | None]]) -> float:
    """ACC after the last task: the mean of the matrix's last row."""
    return float(np.mean(matrix[-1]))


def bwt(matrix: list[list[float | None]]) -> float:
    """Backward transfer: mean over τ < T of A[T, τ] − A[τ, τ] (0 for a single task)."""
    last = len(matrix) - 1
    if last == 0:
        return 0.0
    return float(np.mean([matrix[last][task] - matrix[task][task] for task in range(last)]))


def learning_accuracy(matrix: list[list[float | None]]) -> float:
    """LA: the mean over τ of A[τ, τ], each task's accuracy right after it was learned
    (the "learning accuracy" of Riemer et al., 2019). Since ACC = LA + (T − 1)/T · BWT, a
    method's gap to Joint's ACC splits into what it did not learn (LA below Joint's) and
    what it forgot (BWT)."""
    return float(np.mean([matrix[task][task] for task in range(len(matrix))]))


def forgetting_ratio(matrix: list[list[float | None]], joint_matrix: list[list[float | None]],
                     random_acc: list[float]) -> list[float]:
    """ρ_{≤t} for t = 1..T (paper Eq. 6): the mean over τ ≤ t of
    (A[t, τ] − A_R[τ]) / (A_J[t, τ] − A_R[τ]) − 1.

    0 means as good as Joint training, −1 as bad as the random classifier.
    """
    return [forgetting_ratio_after(t, matrix, joint_matrix, random_acc)
            for t in range(min(len(matrix), len(joint_matrix)))]


def forgetting_ratio_after(t: int, matrix: list[list[float | None]],
                           joint_matrix: list[list[float | None]],
                           random_acc: list[float]) -> float:
    """ρ_{≤t+1} (paper Eq. 6) from row `t` (0-based) of both matrices."""
    row, joint_row = matrix[t], joint_matrix[t]
    return float(np.mean([
        (row[task] - random_acc[task]) / (joint_row[task] - random_acc[task]) - 1.0
        for task in range(t + 1)
    ]))


def random_classifier_acc(train_labels: np.ndarray, test_labels: np.ndarray,
                          num_classes: int) -> float:
    """Expected accuracy of guessing by the training-label frequencies: Σ_c p_train(c)·p_test(c)."""
    p_train = np.bincount(train_labels, minlength=num_classes) / len(train_labels)
    p_test = np.bincount(test_labels, minlength=num_classes) / len(test_labels)
    return float(np.dot(p_train, p_test))


def format_matrix(matrix: list[list[float | None]], task_names: list[str]) -> str:
    """The accuracy matrix as a text table, one row per task trained (percent)."""
    width = max(8, *(len(name) for name in task_names))
    names = task_names[: len(matrix)]
    header = " " * width + "".join(f"{name[:width]:>{width + 1}}" for name in names)
    rows = [header]
    for name, row in zip(task_names, matrix):
        cells = "".join(f"{'':>{width + 1}}" if v is None else f"{100 * v:>{width + 1}.1f}"
                        for v in row[: len(matrix)])
        rows.append(f"{name[:width]:<{width}}{cells}")
    return "\n".join(rows)


def matrix_csv(matrix: list[list[float | None]], task_names: list[str]) -> str:
    """The accuracy matrix as CSV: a header of test tasks, a row per task trained."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["trained_task", *task_names])
    for name, row in zip(task_names, matrix):
        writer.writerow([name, *("" if v is None else f"{v:.6f}" for v in row)])
    return buffer.getvalue()


def write_atomically(path: str, content: str | bytes) -> None:
    """Writes `content` (text, or bytes such as a PNG) to `path` so a reader never sees a
    half-written file."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb" if isinstance(content, bytes) else "w") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write_json(path: str, value: dict) -> None:
    write_atomically(path, json.dumps(value, indent=2) + "\n")


def save_results(run_dir: str, results: RunResults) -> None:
    """Writes `results.json` and `acc_matrix.csv` of a run, each atomically: the only
    writer of results.json, which `run_sequence` calls (a run's record is the loop's)."""
    write_json(os.path.join(run_dir, "results.json"), results.to_json())
    write_atomically(os.path.join(run_dir, "acc_matrix.csv"),
                     matrix_csv(results.acc_matrix, results.task_names))


def task_inference_scores(true_tasks: np.ndarray, chosen_tasks: np.ndarray,
                          true_classes: np.ndarray, predicted_classes: np.ndarray) -> dict:
    """Scores of prediction without the task id, over the test examples of every task:
    `task_inference_acc`, the share whose task is inferred right, and `cil_acc`
    (class-incremental accuracy), the share whose task and class are both right."""
    task_right = np.asarray(true_tasks) == np.asarray(chosen_tasks)
    class_right = np.asarray(true_classes) == np.asarray(predicted_classes)
    return {"task_inference_acc": float(np.mean(task_right)),
            "cil_acc": float(np.mean(task_right & class_right))}


def task_confusion(true_tasks: np.ndarray, chosen_tasks: np.ndarray,
                   num_tasks: int) -> list[list[int]]:
    """Counts of test examples by true task (rows) and inferred task (columns)."""
    counts = np.zeros((num_tasks, num_tasks), np.int64)
    np.add.at(counts, (np.asarray(true_tasks), np.asarray(chosen_tasks)), 1)
    return counts.tolist()
