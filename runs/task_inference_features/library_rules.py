"""hat_tf's `mahalanobis_full` and `tpl_full` rules, recorded from a kept checkpoint's
dumped outputs (dump.py) at several shrinkages and scored as a run scores them: the task
of the largest score among all tasks, then its head's class.

    PYTHONPATH=. python runs/task_inference_features/library_rules.py OUTPUTS.npz SHRINKAGE...

Printed per shrinkage, split and rule: the share of images whose task is inferred right
and the class-incremental accuracy (%). The heads' input is AlexNet's fc2 (the last 2,048
of the detector's 5,120 features).
"""
import sys

import numpy as np

from hat_tf.console import import_tensorflow_quietly

import_tensorflow_quietly()

import tensorflow as tf  # noqa: E402

from hat_tf.task_detection import TASK_RULES  # noqa: E402

HEAD_UNITS = 2048
BATCH = 1000


def recorded_rules(data, shrinkage):
    classes = [int(c) for c in data["classes"]]
    units = data["train_feat_0"].shape[1]
    full = TASK_RULES.get("mahalanobis_full")(classes, units, head_units=HEAD_UNITS,
                                              shrinkage=shrinkage)
    tpl = TASK_RULES.get("tpl_full")(classes, units, shared=full)
    for t in range(len(classes)):
        features = data[f"train_feat_{t}"].astype(np.float32)
        labels, logits = data[f"train_y_{t}"], data[f"train_logit_{t}"]
        full.record(t, features, labels, logits)
        tpl.record(t, features, labels, logits)
    return {"mahalanobis_full": full, "tpl_full": tpl}


def scored(data, rule, split):
    """(share of the task inferred right, class-incremental accuracy) on `split`."""
    classes = [int(c) for c in data["classes"]]
    labels, tasks = data[f"{split}_y"], data[f"{split}_task"]
    scores = []
    for start in range(0, len(labels), BATCH):
        part = slice(start, start + BATCH)
        features = np.stack([data[f"{split}_feat_{t}"][part] for t in range(len(classes))])
        logits = np.stack([data[f"{split}_logit_{t}"][part] for t in range(len(classes))])
        scores.append(rule.scores(tf.constant(logits), tf.constant(features, tf.float32)))
    inferred = np.concatenate(scores, axis=1).argmax(0)
    heads = [data[f"{split}_logit_{t}"][:, :classes[t]] for t in range(len(classes))]
    predicted = np.array([heads[t][i].argmax() for i, t in enumerate(inferred)])
    right = inferred == tasks
    return right.mean(), (right & (predicted == labels)).mean()


def main(path, *shrinkages):
    data = np.load(path)
    for shrinkage in map(float, shrinkages):
        for name, rule in recorded_rules(data, shrinkage).items():
            (val_task, _), (test_task, test_cil) = (scored(data, rule, s) for s in ("val", "test"))
            print(f"shrinkage {shrinkage:g}  {name:17s} task right val {100 * val_task:5.1f}  "
                  f"test {100 * test_task:5.1f}  class-incremental test {100 * test_cil:5.1f}",
                  flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
