"""Where a run's SavedModels lie (names only: no TensorFlow, so tools check a run dir fast).

    <run_dir>/saved_models/task_<k>/     task k's model; metadata.json: its class names
                                         (`compact: true` where it is the compact one)
    <run_dir>/saved_models/task_<k>_compact/  `--export full`: the compact one beside it
    <run_dir>/saved_models/multitask/    every task's; metadata.json: tasks_trained, names
"""

from __future__ import annotations

import json
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


def compact_export_path(run_dir: str, task_id: int) -> str | None:
    """The folder of task `task_id`'s compact export (without the units the task leaves
    off): `task_<k>_compact/` where the run wrote both, else `task_<k>/` where that one is
    compact; None where the run has none."""
    beside = export_path(run_dir, compact_dir_name(task_id))
    if os.path.isdir(beside):
        return beside
    task = export_path(run_dir, task_dir_name(task_id))
    metadata = os.path.join(task, METADATA)
    if os.path.isfile(metadata):
        with open(metadata) as file:
            if json.load(file).get("compact", False):
                return task
    return None
