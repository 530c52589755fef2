"""Every rule's per-task score and every task head's logits for every train, validation and
test image of a finished run with a kept checkpoint, into one .npz (a measurement script of
docs/results.md, "Task inference on 10-split CIFAR-100", not part of the library).

    PYTHONPATH=. python runs/cifar100_10_task_inference/dump_scores.py RUN_DIR OUT.npz
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import score_task_inference  # noqa: E402  (its run checks and recorded detector; TF quietly)
import tensorflow as tf  # noqa: E402

from hat_tf.data.pipeline import array_batches  # noqa: E402


def split_arrays(network, sequence, detector, split, transform=lambda images: images):
    """{name: array} of `split`: true tasks and labels, logits (tasks, N, classes) and
    each rule's scores (tasks, N), of the images as `transform` (NumPy) leaves them."""
    num_tasks = len(sequence.tasks)
    scores_of = tf.function(lambda images: detector.all_scores(network, images, num_tasks),
                            reduce_retracing=True)
    parts = {"tasks": [], "labels": [], "logits": []}
    for task_id, task in enumerate(sequence.tasks):
        images, labels = task.split(split)
        for (batch,) in array_batches(transform(images)):
            logits, scores = scores_of(batch)
            parts["logits"].append(logits.numpy())
            for name, rule_scores in scores.items():
                parts.setdefault(f"score_{name}", []).append(rule_scores.numpy())
        parts["tasks"].append(np.full(len(labels), task_id))
        parts["labels"].append(labels)
    return {f"{split}_{name}": np.concatenate(arrays, axis=0 if name in ("tasks", "labels")
                                              else 1)
            for name, arrays in parts.items()}


def main(run_dir, out):
    network, sequence, detector = score_task_inference.recorded_detector(
        run_dir, score_task_inference.check_run(run_dir))
    arrays = {"rule_names": np.array(detector.rule_names)}
    for split in ("train", "val", "test"):
        arrays.update(split_arrays(network, sequence, detector, split))
    np.savez_compressed(out, **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:])
