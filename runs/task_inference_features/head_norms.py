"""Scores read from the heads and fc2's features (the heads' input), measured offline on
a kept checkpoint's outputs (dump.py); not part of hat_tf. GradNorm (Huang, Geng and Li,
NeurIPS 2021) for the last layer: ‖softmax − uniform‖₁ · ‖f‖₁.

    python head_norms.py OUTPUTS.npz

Printed per score: share of val / test images whose task is inferred right,
class-incremental accuracy on test (%).
"""
import sys

import numpy as np
from mahalanobis_full import evaluate  # the same reading of a score

data = np.load(sys.argv[1])
classes = data["classes"]
num_tasks = len(classes)


def logits(t, split):
    return data[f"{split}_logit_{t}"][:, :classes[t]].astype(np.float64)


def fc2(t, split):
    return data[f"{split}_feat_{t}"][:, -2048:].astype(np.float64)


def softmax(z):
    exp = np.exp(z - z.max(1, keepdims=True))
    return exp / exp.sum(1, keepdims=True)


own_l1 = {t: np.abs(fc2(t, "train")).sum(1).mean() for t in range(num_tasks)}
own_max_logit = {t: logits(t, "train").max(1).mean() for t in range(num_tasks)}
SCORES = {
    "max_logit": lambda t, s: logits(t, s).max(1),
    "gradnorm": lambda t, s: (np.abs(softmax(logits(t, s)) - 1 / classes[t]).sum(1)
                              * np.abs(fc2(t, s)).sum(1)),
    "fc2 L1 norm": lambda t, s: np.abs(fc2(t, s)).sum(1),
    "fc2 L2 norm": lambda t, s: np.linalg.norm(fc2(t, s), axis=1),
    "fc2 L1 norm / own mean": lambda t, s: np.abs(fc2(t, s)).sum(1) / own_l1[t],
    "max_logit / own mean": lambda t, s: logits(t, s).max(1) / own_max_logit[t],
    "logit margin": lambda t, s: np.diff(np.sort(logits(t, s), 1)[:, -2:], axis=1)[:, 0],
}
for name, score in SCORES.items():
    evaluate(data, name, score)
