"""How much task information the rules' scores and the heads' logits hold: logistic
regressions fitted on out-of-task images, scored on the test sets (a measurement script of
docs/results.md, "Task inference on 10-split CIFAR-100", not part of the library).

    python runs/cifar100_10_task_inference/fitted_oracles.py SCORES.npz  # from dump_scores.py

- per task, a regression of "this task's image or not" on the 7 rules' scores under its
  masks, fitted on every task's validation images (replay: an upper bound), or on its own
  validation images against later tasks' training images only (no replay);
- one multinomial regression of the task on all heads' logits concatenated, fitted on every
  task's validation images (replay: an upper bound).
"""
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

RULES = ("energy", "entropy", "mahalanobis", "max_logit", "max_softmax", "tpl", "vim")


def accuracies(arrays, chosen):
    """(share of test images whose task is `chosen` right, class-incremental accuracy)."""
    logits, tasks, labels = arrays["test_logits"], arrays["test_tasks"], arrays["test_labels"]
    predicted = np.argmax(logits[chosen, np.arange(len(chosen))], -1)
    right_task = chosen == tasks
    return float(np.mean(right_task)), float(np.mean(right_task & (predicted == labels)))


def rule_features(arrays, split):
    """(tasks, N, rules): each task's rule scores of every image of `split`, standardised
    by the validation scores' mean and spread."""
    val = np.stack([arrays[f"val_score_{rule}"] for rule in RULES], -1).reshape(-1, len(RULES))
    features = np.stack([arrays[f"{split}_score_{rule}"] for rule in RULES], -1)
    return (features - val.mean(0)) / val.std(0)


def per_task_regressions(arrays, out_of_task):
    """(tasks, N) log-odds on the test images of each task's regression, fitted on its own
    validation images against `out_of_task(task)` ((M, rules) features); the last task,
    which has none without replay, gets the previous task's regression."""
    val, test, val_tasks = (rule_features(arrays, "val"), rule_features(arrays, "test"),
                            arrays["val_tasks"])
    num_tasks = len(test)
    log_odds, model = np.zeros(test.shape[:2]), None
    for task in range(num_tasks):
        negatives = out_of_task(task)
        if negatives is not None:
            positives = val[task][val_tasks == task]
            model = LogisticRegression(class_weight="balanced", max_iter=2000).fit(
                np.concatenate([positives, negatives]),
                np.r_[np.ones(len(positives)), np.zeros(len(negatives))])
        log_odds[task] = model.decision_function(test[task])
    return log_odds


def main(path):
    arrays = np.load(path)
    val, train = rule_features(arrays, "val"), rule_features(arrays, "train")
    val_tasks, train_tasks = arrays["val_tasks"], arrays["train_tasks"]
    last = len(val) - 1
    for name, out_of_task in (
            ("rules' scores, every other task's validation images (replay)",
             lambda task: val[task][val_tasks != task]),
            ("rules' scores, later tasks' training images (no replay)",
             lambda task: train[task][train_tasks > task] if task < last else None)):
        print(name, accuracies(arrays, np.argmax(per_task_regressions(arrays, out_of_task), 0)))
    concatenated = {split: np.transpose(arrays[f"{split}_logits"], (1, 0, 2)).reshape(
        len(arrays[f"{split}_tasks"]), -1) for split in ("val", "test")}
    for strength in (0.01, 0.1, 1.0):
        model = LogisticRegression(C=strength, max_iter=3000).fit(concatenated["val"], val_tasks)
        print(f"all heads' logits, C {strength} (replay)",
              accuracies(arrays, model.predict(concatenated["test"])))


if __name__ == "__main__":
    main(sys.argv[1])
