"""A run's SavedModels, loadable by plain TensorFlow (docs/exports.md). From the bottom up:

- `files`: where they lie in a run dir (names only, no TensorFlow: tools check runs fast);
- `serving`: the full per-task and multi-task modules and their atomic save;
- `compact`: AlexNet-HAT's per-task models without the units a task's mask leaves off;
- `run_exporter`: the run observer that writes them, and when.

Nothing is imported here, so `hat_tf.export.files` stays free of TensorFlow.
"""
