"""Task inference from each task's features against LATER tasks' images (no replay).

Task i's detector separates task i's own images from those of tasks i+1..T, all read under
task i's masks: when task j > i is trained its images are at hand, and task i's own side is
kept as statistics (mean, covariance) of its features. Decision: a cascade, task 1's
detector first; an image it accepts is task 1's, otherwise task 2's detector decides
between task 2 and the rest, and so on; task T takes what all reject.

    PYTHONPATH=. python forward_negatives.py RUN_DIR CACHE.npz [PER_TASK [lda-only]]

Features are cached as float16; "lda-only" skips the logistic regressions (slow on 10 tasks).
"""
import json
import os
import sys

import numpy as np
from forward_detectors import cascade, later_detectors, load_cache, masked_logits, report

from hat_tf.console import import_tensorflow_quietly

import_tensorflow_quietly()

from hat_tf.catalog import build_model  # noqa: E402
from hat_tf.cli import load_sequence  # noqa: E402
from hat_tf.config import RunConfig  # noqa: E402
from hat_tf.task_detection import TaskOutputs  # noqa: E402
from hat_tf.training.checkpoint import RunCheckpoint  # noqa: E402


def dump(run_dir, cache, per_task):
    config = RunConfig.from_dict(json.load(open(f"{run_dir}/config.json")))
    sequence = load_sequence("forward_negatives.py", config.data)
    model = build_model(config, sequence)
    RunCheckpoint(run_dir).restore_network(model)
    outputs = TaskOutputs(model.network)
    rng = np.random.default_rng(0)
    train = []
    for task in sequence.tasks:
        pick = rng.permutation(len(task.x_train))[:per_task]
        train.append(task.x_train[pick])
    arrays = {"classes": np.array(sequence.classes_per_task)}
    for split in ("val", "test"):
        parts = [task.split(split) for task in sequence.tasks]
        arrays[f"{split}_y"] = np.concatenate([y for _, y in parts])
        arrays[f"{split}_task"] = np.concatenate(
            [np.full(len(y), t) for t, (_, y) in enumerate(parts)])
    T = len(sequence.tasks)
    for i in range(T):
        for j in range(T):
            _, feats = outputs(train[j], i)
            arrays[f"train_feat_{i}_{j}"] = feats.astype(np.float16)
        for split in ("val", "test"):
            images = np.concatenate([task.split(split)[0] for task in sequence.tasks])
            logits, feats = outputs(images, i)
            arrays[f"{split}_feat_{i}"] = feats.astype(np.float16)
            arrays[f"{split}_logit_{i}"] = logits
        print("dumped mask", i, flush=True)
    np.savez(cache, **arrays)


def main(run_dir, cache, per_task="3000", only=""):
    if not os.path.exists(cache):
        dump(run_dir, cache, int(per_task))
    d = load_cache(cache)
    T = len(d["classes"])
    for split in ("val", "test"):
        report("max_logit (the baseline)", d, split, masked_logits(d, split).max(2).argmax(0))
    for shrink in (1e-3, 1e-2, 1e-1):
        detectors = later_detectors(d, shrink)
        for split in ("val", "test"):
            scores = np.stack([d[f"{split}_feat_{i}"] @ t["w"] + t["b"]
                               for i, t in enumerate(detectors)])
            report(f"forward LDA cascade, shrink {shrink}", d, split, cascade(scores))
    if only == "lda-only":
        return
    for c in (0.01, 1.0):
        forward = [logistic(d, i, range(i + 1, T), c) for i in range(T - 1)]
        for split in ("val", "test"):
            report(f"forward logistic cascade (own features kept), C {c}", d, split,
                   cascade(decisions(d, split, forward)))
        # the replay upper bound: task i against every other task, argmax
        everyone = [logistic(d, i, [j for j in range(T) if j != i], c) for i in range(T)]
        for split in ("val", "test"):
            report(f"REPLAY bound: one-vs-rest logistic, argmax, C {c}", d, split,
                   decisions(d, split, everyone).argmax(0))


def logistic(d, i, others, c):
    """(fit, scale): task i's own training features against those of `others`, all under
    task i's masks, standardised, classes balanced."""
    from sklearn.linear_model import LogisticRegression
    own = d[f"train_feat_{i}_{i}"]
    neg = np.concatenate([d[f"train_feat_{i}_{j}"] for j in others])
    x = np.concatenate([own, neg])
    scale = x.std(0) + 1e-6
    fit = LogisticRegression(C=c, max_iter=300, class_weight="balanced").fit(
        x / scale, np.r_[np.ones(len(own)), np.zeros(len(neg))])
    return fit, scale


def decisions(d, split, detectors):
    """(detectors, images): each detector's decision function on its task's features."""
    return np.stack([fit.decision_function(d[f"{split}_feat_{i}"] / scale)
                     for i, (fit, scale) in enumerate(detectors)])


if __name__ == "__main__":
    main(*sys.argv[1:])
