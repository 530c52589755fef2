"""Test-time flip averaging of the task-inference rules: each rule's per-task scores (and
each head's logits) averaged over an image and its mirror image, against the image alone,
on a finished run with a kept checkpoint (a measurement script of docs/results.md, "Task
inference on 10-split CIFAR-100", not part of the library). Costs a second pass per image;
the rules' statistics stay those recorded on the unflipped training images.

    PYTHONPATH=. python runs/cifar100_10_task_inference/flip_average.py RUN_DIR OUT.json
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import fitted_oracles  # noqa: E402
from dump_scores import score_task_inference, split_arrays  # noqa: E402


def accuracies(scores, logits, tasks, labels):
    """(task-inference accuracy, class-incremental accuracy) of argmax-over-tasks `scores`,
    read off as fitted_oracles.py reads its regressions' choices."""
    return fitted_oracles.accuracies(
        {"test_logits": logits, "test_tasks": tasks, "test_labels": labels},
        np.argmax(scores, 0))


def main(run_dir, out):
    network, sequence, detector = score_task_inference.recorded_detector(
        run_dir, score_task_inference.check_run(run_dir))
    plain = split_arrays(network, sequence, detector, "test")
    mirror = split_arrays(network, sequence, detector, "test", lambda x: x[:, :, ::-1])
    tasks, labels = plain["test_tasks"], plain["test_labels"]
    both_logits = (plain["test_logits"] + mirror["test_logits"]) / 2
    results = {}
    for rule in detector.rule_names:
        key = f"test_score_{rule}"
        results[rule] = {
            "plain": accuracies(plain[key], plain["test_logits"], tasks, labels),
            "flip_averaged": accuracies((plain[key] + mirror[key]) / 2, both_logits, tasks,
                                        labels)}
        print(rule, results[rule])
    with open(out, "w") as f:
        json.dump({"run_dir": run_dir, "metric": "(task accuracy, CIL accuracy) on test",
                   "rules": results}, f, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
