"""The SavedModels a run writes (hat_tf.export.serving, .compact), and when it writes them.

A method whose final network serves every task (`Method.final_network_serves_all_tasks`:
HAT, Joint) has its exports written once, at the run's end, from that network: tracing and
saving a SavedModel after every task cost a 10-task CIFAR run more than its training did.
The other methods' task exports are the network at each task's end, written then.

Export modes (`RunConfig.export`); in the first two task k's export is
`saved_models/task_<k>/`:
- `compact`: there, its compact model (hat_tf.export.compact: AlexNet-HAT) where one is within
  the compact tolerance of the full network, else the full network;
- `full`: there, the full network, and the compact model beside it in `task_<k>_compact/`;
- `none`: no SavedModels, for runs read only through their results, reports and kept
  checkpoint (grids, sweeps, tests), where the exports take a short run's wall time up to a
  quarter (docs/exports.md); such a run gets no RunExporter (reporting/standard.py).
In `compact` and `full`, `saved_models/multitask/` holds the final network for all tasks.
"""

from __future__ import annotations

from hat_tf.data.task import TaskSequence
from hat_tf.export.compact import compactable, save_compact_export
from hat_tf.export.files import compact_dir_name, task_dir_name
from hat_tf.export.serving import save_multitask_export, save_task_export
from hat_tf.task_detection.recorder import TaskDetectorRecorder
from hat_tf.training.observer import RunObserver

WRITING_MODES = ("compact", "full")
EXPORT_MODES = (*WRITING_MODES, "none")


class RunExporter(RunObserver):
    """Writes a run's SavedModels into `<run_dir>/saved_models/` (see the module doc) and
    adds to the results (returns) `compact_exports`, the summaries of the compact ones.

    Args:
        run_dir: The run's folder.
        sequence: The tasks (names, class names, validation and test images).
        recorder: Whose task detector the multi-task export infers with (it records each
            task before this exporter sees it).
        mode: One of WRITING_MODES.
    """

    def __init__(self, run_dir: str, sequence: TaskSequence, recorder: TaskDetectorRecorder,
                 mode: str = "compact"):
        if mode not in WRITING_MODES:
            raise ValueError(f"export mode must be one of {WRITING_MODES}, received {mode!r}")
        self.run_dir = run_dir
        self.sequence = sequence
        self.recorder = recorder
        self.mode = mode

    def on_task_end(self, task_id, model, results):
        if not model.method.final_network_serves_all_tasks:
            save_task_export(self.run_dir, self.sequence, model.network, task_id, results)

    def on_run_end(self, model, results):
        network = model.network
        save_multitask_export(self.run_dir, self.sequence, network, self.recorder.detector,
                              results)
        if not model.method.final_network_serves_all_tasks:
            return None
        summaries = []
        for task_id in range(results["tasks_completed"]):
            name = task_dir_name(task_id) if self.mode == "compact" else compact_dir_name(task_id)
            summary = (save_compact_export(self.run_dir, self.sequence, network, task_id, name)
                       if compactable(network) else None)
            if summary is not None:
                summaries.append(summary)
            if summary is None or self.mode == "full":
                save_task_export(self.run_dir, self.sequence, network, task_id, results)
        return {"compact_exports": summaries} if summaries else None
