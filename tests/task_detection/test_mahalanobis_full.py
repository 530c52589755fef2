"""The Mahalanobis rule with one full covariance per task, and TPL's score on it."""

import numpy as np
import tensorflow as tf

from hat_tf.task_detection import TASK_RULES
from hat_tf.task_detection.mahalanobis_full import SHRINKAGE
from tests.task_detection.inference import inferred_shares

CLASSES = [2, 3, 2]
UNITS = 12


def correlated_task(rng, open_units):
    """Per task: class means, and a sampler of its own images' features (each class's mean
    plus noise along one direction of the task's own, over its open units, the others 0)
    and of other tasks' images under its masks (noise of the same variance in every open
    unit, independent: a diagonal covariance cannot tell the two apart)."""
    tasks = []
    for classes in CLASSES:
        units = rng.choice(UNITS, open_units, replace=False)
        means = np.zeros((classes, UNITS))
        means[:, units] = rng.normal(0, 1, (classes, open_units))
        direction = np.zeros(UNITS)
        direction[units] = rng.choice([-1.0, 1.0], open_units)
        tasks.append((means, direction, units))

    def own(task, count):
        means, direction, units = tasks[task]
        labels = rng.integers(0, CLASSES[task], count)
        noise = 3 * rng.normal(0, 1, (count, 1)) * direction
        noise[:, units] += 0.1 * rng.normal(0, 1, (count, len(units)))
        return means[labels] + noise, labels

    def foreign(task, count):
        means, _, units = tasks[task]
        features = np.tile(means[0], (count, 1))
        features[:, units] += np.sqrt(9 + 0.01) * rng.normal(0, 1, (count, len(units)))
        return features

    return own, foreign


def test_the_full_covariance_sees_what_the_diagonal_one_cannot():
    """Each task's own images vary along one direction of its open units, other tasks'
    images under its masks vary as much in every open unit but independently. The heads
    are indifferent (zero logits). With one full covariance per task the task of ≥ 95 %
    of the images is inferred; with the diagonal one (`mahalanobis`), the two kinds of
    image look alike and it stays far from that."""
    rng = np.random.default_rng(0)
    own, foreign = correlated_task(rng, open_units=6)
    rules = {name: TASK_RULES.get(name)(CLASSES, UNITS)
             for name in ("mahalanobis_full", "mahalanobis")}
    for task in range(len(CLASSES)):
        features, labels = own(task, 400)
        for rule in rules.values():
            rule.record(task, features, labels)
    def views_of(true_task):
        return np.stack([own(task, 100)[0] if task == true_task else foreign(task, 100)
                         for task in range(len(CLASSES))])

    shares = inferred_shares(rules, tf.zeros([len(CLASSES), 100, max(CLASSES)]), views_of,
                             len(CLASSES))
    assert shares["mahalanobis_full"] >= 0.95
    assert shares["mahalanobis"] < 0.8


def test_the_distance_is_the_shrunk_covariances_on_the_open_units_over_its_own_mean():
    """By hand: the pooled within-class covariance of the units the task's masks leave on,
    shrunk by SHRINKAGE times its mean variance, inverted; the distance to the nearest
    class mean, over its mean on the task's own images (to their own class). The head's
    input is the last 8 of the 12 units; a unit switched off (0 everywhere) is left out."""
    rng = np.random.default_rng(1)
    head_units = 8
    features = rng.normal(0, 1, (200, UNITS)) @ rng.normal(0, 1, (UNITS, UNITS))
    features[:, 5] = 0.0
    labels = rng.integers(0, 2, 200)
    features[labels == 1] += 2.0
    rule = TASK_RULES.get("mahalanobis_full")([2], UNITS, head_units=head_units)
    rule.record(0, features.astype(np.float32), labels)

    head = features[:, -head_units:]
    open_units = [u for u in range(head_units) if u != 5 - (UNITS - head_units)]
    means = np.stack([head[labels == c].mean(0) for c in range(2)])
    residuals = (head - means[labels])[:, open_units]
    covariance = residuals.T @ residuals / (200 - 2)
    covariance += SHRINKAGE * np.trace(covariance) / len(open_units) * np.eye(len(open_units))
    precision = np.linalg.inv(covariance)

    def distance(rows, mean):
        centred = (rows - mean)[:, open_units]
        return np.sum((centred @ precision) * centred, axis=-1)

    own = np.mean(distance(head, means[labels]))
    images = rng.normal(0, 2, (5, UNITS))
    expected = np.min([distance(images[:, -head_units:], mean) for mean in means], 0) / own
    scores = rule.scores(tf.zeros([1, 5, 2]), tf.constant(images[None], tf.float32))
    np.testing.assert_allclose(-scores.numpy()[0], expected, rtol=1e-3)
    assert rule.dimensions() == [len(open_units)]
    assert rule.bytes_per_task() == [((2 + len(open_units)) * head_units + 1) * 4]


def test_tpl_full_reads_the_full_rules_statistics_and_counts_them():
    """`tpl_full` keeps its two means and reads `mahalanobis_full`'s statistics; a task
    whose images its own head scores highest and whose features fit is inferred."""
    rng = np.random.default_rng(2)
    own, foreign = correlated_task(rng, open_units=6)
    full = TASK_RULES.get("mahalanobis_full")(CLASSES, UNITS)
    tpl = TASK_RULES.get("tpl_full")(CLASSES, UNITS, shared=full)
    for task in range(len(CLASSES)):
        features, labels = own(task, 300)
        logits = np.zeros((300, max(CLASSES)))
        full.record(task, features, labels, logits)
        tpl.record(task, features, labels, logits + 1.0)
    assert tpl.bytes_per_task() == [size + 8 for size in full.bytes_per_task()]
    views = np.stack([own(0, 50)[0]] + [foreign(task, 50) for task in (1, 2)])
    chosen = np.argmax(tpl.scores(tf.ones([3, 50, max(CLASSES)]),
                                  tf.constant(views, tf.float32)), axis=0)
    assert np.mean(chosen == 0) >= 0.95
