"""Every task's logits and detector features on a kept checkpoint, saved for the offline
scores of this folder: the training images under their own task, the validation and test
images of all tasks under every task (features float16).

    PYTHONPATH=. python runs/task_inference_features/dump.py RUN_DIR OUT.npz
"""
import json
import sys

import numpy as np

from hat_tf.console import import_tensorflow_quietly

import_tensorflow_quietly()

from hat_tf.catalog import build_model  # noqa: E402
from hat_tf.cli import load_sequence  # noqa: E402
from hat_tf.config import RunConfig  # noqa: E402
from hat_tf.task_detection import TaskOutputs  # noqa: E402
from hat_tf.training.checkpoint import RunCheckpoint  # noqa: E402


def main(run_dir, out):
    config = RunConfig.from_dict(json.load(open(f"{run_dir}/config.json")))
    sequence = load_sequence("dump.py", config.data)
    model = build_model(config, sequence)
    RunCheckpoint(run_dir).restore_network(model)
    outputs = TaskOutputs(model.network)
    arrays = {}
    for t, task in enumerate(sequence.tasks):
        logits, features = outputs(task.x_train, t)
        arrays.update({f"train_feat_{t}": features.astype(np.float16),
                       f"train_logit_{t}": logits, f"train_y_{t}": task.y_train})
    for split in ("val", "test"):
        parts = [task.split(split) for task in sequence.tasks]
        images = np.concatenate([x for x, _ in parts])
        arrays[f"{split}_y"] = np.concatenate([y for _, y in parts])
        arrays[f"{split}_task"] = np.concatenate(
            [np.full(len(y), t) for t, (_, y) in enumerate(parts)])
        for t in range(len(sequence.tasks)):
            logits, features = outputs(images, t)
            arrays.update({f"{split}_feat_{t}": features.astype(np.float16),
                           f"{split}_logit_{t}": logits})
    np.savez(out, classes=np.array(sequence.classes_per_task), **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:])
