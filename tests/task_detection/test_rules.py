"""The task-inference rules on synthetic heads and features."""

import numpy as np
import pytest
import tensorflow as tf

from hat_tf.layers.multi_head import MASKED_LOGIT
from hat_tf.task_detection import TASK_RULES
from hat_tf.task_detection.mahalanobis import class_statistics

CLASSES = [2, 3, 2]
UNITS = 16


def padded_logits(rows):
    """(tasks, 1, max classes) logits, padded like the heads."""
    width = max(len(row) for row in rows)
    return tf.constant([[row + [MASKED_LOGIT] * (width - len(row))] for row in rows])


def test_head_scores_are_comparable_across_class_counts():
    uniform = padded_logits([[0.0, 0.0], [0.0] * 20])
    energy = TASK_RULES.get("energy")([2, 20], None).scores(uniform, None).numpy()
    entropy = TASK_RULES.get("entropy")([2, 20], None).scores(uniform, None).numpy()
    softmax = TASK_RULES.get("max_softmax")([2, 20], None).scores(uniform, None).numpy()
    np.testing.assert_allclose(energy, 0.0, atol=1e-5)
    np.testing.assert_allclose(entropy, 0.0, atol=1e-5)
    np.testing.assert_allclose(softmax[:, 0], [0.5, 0.05], atol=1e-6)  # the baseline's bias


def test_class_statistics_pool_the_within_class_variance():
    features = np.array([[0.0, 1.0], [2.0, 1.0], [10.0, 5.0], [14.0, 5.0]])
    means, variance = class_statistics(features, np.array([0, 0, 1, 1]), 3)
    np.testing.assert_allclose(means, [[1.0, 1.0], [12.0, 5.0], [0.0, 0.0]])
    np.testing.assert_allclose(variance, [(1 + 1 + 4 + 4) / 2, 0.0])


def synthetic_task_features(rng, examples):
    """Per task, its class means and the mean of other tasks' images under its masks; and
    a sampler of (tasks, batch, units) features of `examples` images of a true task."""
    own = [rng.normal(0, 3, (classes, UNITS)) for classes in CLASSES]
    foreign = [rng.normal(0, 3, UNITS) for _ in CLASSES]

    def sample(true_task):
        labels = rng.integers(0, CLASSES[true_task], examples)
        views = [own[t][labels] if t == true_task else np.tile(foreign[t], (examples, 1))
                 for t in range(len(CLASSES))]
        return np.stack(views) + rng.normal(0, 1, (len(CLASSES), examples, UNITS)), labels

    return sample


def test_tasks_separable_in_feature_space_are_inferred():
    """Features of each task's images under its own masks cluster by class, other tasks'
    images elsewhere; the heads say nothing (zero logits). The Mahalanobis rule infers
    ≥ 95 % right; the baseline, which then favours the smallest heads, cannot."""
    rng = np.random.default_rng(0)
    sample = synthetic_task_features(rng, examples=200)
    rules = {name: TASK_RULES.get(name)(CLASSES, UNITS) for name in ("mahalanobis", "max_softmax")}
    for task in range(len(CLASSES)):
        features, labels = sample(task)
        rules["mahalanobis"].record(task, features[task], labels)
    logits = tf.fill([len(CLASSES), 200, max(CLASSES)], 0.0)
    accuracy = {name: [] for name in rules}
    for task in range(len(CLASSES)):
        features, _ = sample(task)
        for name, rule in rules.items():
            chosen = np.argmax(rule.scores(logits, tf.constant(features, tf.float32)), axis=0)
            accuracy[name].append(np.mean(chosen == task))
    assert np.mean(accuracy["mahalanobis"]) >= 0.95
    assert np.mean(accuracy["max_softmax"]) < 0.5


def test_mahalanobis_counts_what_it_stores():
    rule = TASK_RULES.get("mahalanobis")(CLASSES, UNITS)
    assert rule.bytes_per_task() == [(c + 1) * UNITS * 4 for c in CLASSES]
    assert TASK_RULES.get("energy")(CLASSES, UNITS).bytes_per_task() == [0, 0, 0]


def test_an_unknown_rule_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="unknown task-inference rule 'nearest'.*energy"):
        TASK_RULES.get("nearest")
