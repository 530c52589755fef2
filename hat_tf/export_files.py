"""Where a run's SavedModels lie (names only: no TensorFlow, so tools check a run dir fast).

    <run_dir>/saved_models/task_<k>/     task k's model; metadata.json: its class names
    <run_dir>/saved_models/task_<k>_compact/  the same without the units task k leaves off
    <run_dir>/saved_models/multitask/    every task's; metadata.json: tasks_trained, names
"""

from __future__ import annotations

import os

SAVED_MODELS = "saved_models"
MULTITASK = "multitask"
METADATA = "metadata.json"


def task_dir_name(task_id: int) -> str:
    """`task_<k>`, the folder of task `task_id`'s export."""
    return f"task_{task_id}"


def compact_dir_name(task_id: int) -> str:
    """`task_<k>_compact`, the folder of task `task_id`'s compact export (AlexNet-HAT)."""
    return f"{task_dir_name(task_id)}_compact"


def export_path(run_dir: str, name: str) -> str:
    """The folder of export `name` (`task_dir_name(k)` or MULTITASK) of the run."""
    return os.path.join(run_dir, SAVED_MODELS, name)
