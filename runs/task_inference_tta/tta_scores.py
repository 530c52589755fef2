"""Test-time views for predicting without the task id, measured offline on a kept
checkpoint (not part of hat_tf): each task's logits averaged over the image and its
horizontal flip (2 views), and over those two shifted by 2 pixels up, down, left and right
too (10 views, reflect-padded), then the task of the largest score (`max_logit`, the
published baseline, or `energy`) and its head's class.

    PYTHONPATH=. python runs/task_inference_tta/tta_scores.py ~/runs/c10_5/seed0/alexnet_hat

Prints, per split (validation, test) and per views/score, (share of images whose task is
inferred right, class-incremental accuracy). "plain" is the network's own rule, which
results.json scores too.
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

VIEW_COUNTS = {"plain": 1, "flip_avg": 2, "flip_shift10": 10}
SCORES = {"max_logit": lambda logits: logits.max(1),
          "energy": lambda logits: np.log(np.exp(logits - logits.max(1, keepdims=True))
                                          .sum(1)) + logits.max(1)}


def shifted(images, dx, dy, pad=2):
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")
    size = images.shape[1]
    return padded[:, pad + dy:pad + dy + size, pad + dx:pad + dx + size, :]


def views(images):
    """The image, its flip, then each of them shifted by 2 pixels four ways."""
    flipped = images[:, :, ::-1, :]
    return [images, flipped] + [shifted(v, dx, dy) for v in (images, flipped)
                                for dx, dy in ((2, 0), (-2, 0), (0, 2), (0, -2))]


def main(run_dir):
    config = RunConfig.from_dict(json.load(open(f"{run_dir}/config.json")))
    sequence = load_sequence("tta_scores.py", config.data)
    model = build_model(config, sequence)
    RunCheckpoint(run_dir).restore_network(model)
    outputs = TaskOutputs(model.network)
    classes = sequence.classes_per_task
    for split in ("val", "test"):
        images, labels, tasks = [], [], []
        for task_id, task in enumerate(sequence.tasks):
            x, y = task.split(split)
            images.append(x), labels.append(y), tasks.append(np.full(len(y), task_id))
        images, labels, tasks = map(np.concatenate, (images, labels, tasks))
        per_view = [[outputs(view, t)[0][:, :classes[t]] for t in range(len(classes))]
                    for view in views(images)]
        results = {}
        for name, count in VIEW_COUNTS.items():
            logits = [np.mean([per_view[v][t] for v in range(count)], 0)
                      for t in range(len(classes))]
            for score_name, score in SCORES.items():
                inferred = np.stack([score(task_logits) for task_logits in logits], 1).argmax(1)
                predicted = np.array([logits[t][i].argmax() for i, t in enumerate(inferred)])
                right = inferred == tasks
                results[f"{name}/{score_name}"] = (round(float(right.mean()), 4), round(
                    float((right & (predicted == labels)).mean()), 4))
        print(split, results, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
