"""The task-inference rules on synthetic heads and features."""

import numpy as np
import pytest
import tensorflow as tf

from hat_tf.layers.multi_head import MASKED_LOGIT
from hat_tf.task_detection import TASK_RULES, TaskDetector
from hat_tf.task_detection.mahalanobis import class_statistics
from hat_tf.task_detection.rule import own_scores
from tests.task_detection.inference import inferred_shares

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
    shares = inferred_shares(rules, logits, lambda task: sample(task)[0], len(CLASSES))
    assert shares["mahalanobis"] >= 0.95
    assert shares["max_softmax"] < 0.5


def test_mahalanobis_counts_what_it_stores():
    rule = TASK_RULES.get("mahalanobis")(CLASSES, UNITS)
    assert rule.bytes_per_task() == [(c + 1) * UNITS * 4 for c in CLASSES]
    assert TASK_RULES.get("energy")(CLASSES, UNITS).bytes_per_task() == [0, 0, 0]


def test_an_unknown_rule_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="unknown task-inference rule 'nearest'.*energy"):
        TASK_RULES.get("nearest")


def own_logits(rng, classes, examples):
    """Synthetic logits of a task's own images under its own head: noise, and 4 more on
    each image's class."""
    labels = rng.integers(0, classes, examples)
    return rng.normal(0, 1, (examples, classes)) + 4 * np.eye(classes)[labels]


def pad(logits, width):
    """Logits (…, classes) padded with MASKED_LOGIT to `width`, as the heads are."""
    missing = width - logits.shape[-1]
    return np.concatenate([logits, np.full((*logits.shape[:-1], missing), MASKED_LOGIT)], -1)


def test_max_logit_is_the_argmax_over_all_heads_concatenated_logits():
    """The published baseline: the task of the largest logit over every head, then its
    class, is the argmax over all heads' concatenated (unpadded) logits."""
    rng = np.random.default_rng(1)
    heads = [rng.normal(0, 3, (50, classes)) for classes in CLASSES]
    logits = tf.constant(np.stack([pad(h, max(CLASSES)) for h in heads]), tf.float32)
    tasks = np.argmax(TASK_RULES.get("max_logit")(CLASSES, None).scores(logits, None), axis=0)
    classes = np.argmax(logits.numpy()[tasks, np.arange(50)], axis=-1)
    offsets = np.cumsum([0, *CLASSES[:-1]])
    np.testing.assert_array_equal(offsets[tasks] + classes,
                                  np.argmax(np.concatenate(heads, axis=1), axis=1))


def test_each_rule_scores_one_task_alone_as_among_all():
    """`tasks` picks the statistics of each row: task t's row alone, as a rule reads its
    own statistics of one task, equals its row among all tasks'."""
    rng = np.random.default_rng(2)
    sample = synthetic_task_features(rng, examples=40)
    detector = TaskDetector(CLASSES, UNITS)
    for task in range(len(CLASSES)):
        features, labels = sample(task)
        logits = pad(own_logits(rng, CLASSES[task], 40), max(CLASSES))
        for rule in detector._record_order:
            rule.record(task, features[task], labels, logits)
        for rule in detector._record_order:
            rule.calibrate(task, features[task], labels, logits)
    features, _ = sample(1)
    logits = tf.constant(rng.normal(0, 2, (len(CLASSES), 40, max(CLASSES))), tf.float32)
    for name, rule in zip(detector.rule_names, detector.rules):
        every = rule.scores(logits, tf.constant(features, tf.float32)).numpy()
        alone = own_scores(rule, 2, features[2], logits.numpy()[2])
        np.testing.assert_allclose(alone, every[2], rtol=1e-4, atol=1e-4, err_msg=name)


def test_tpl_divides_each_score_by_its_mean_on_the_tasks_own_data():
    """Task 1's head has logits ten times larger than the others' on every image, its own
    and theirs: the max logit draws every image to it. TPL divides each task's max logit
    by its mean on the task's own training images (and the Mahalanobis score likewise),
    so the scale goes, and the task is inferred from where each is typical."""
    rng = np.random.default_rng(3)
    sample = synthetic_task_features(rng, examples=300)
    scale = [1.0, 10.0, 1.0]
    mahalanobis = TASK_RULES.get("mahalanobis")(CLASSES, UNITS)
    rules = {"tpl": TASK_RULES.get("tpl")(CLASSES, UNITS, shared=mahalanobis),
             "max_logit": TASK_RULES.get("max_logit")(CLASSES, UNITS)}

    def task_logits(true_task, labels):
        """Every task's logits for images of `true_task`: a peak on the true class under
        the true task's head, noise under the others', each head at its own scale."""
        rows = []
        for task, classes in enumerate(CLASSES):
            own = np.eye(classes)[labels % classes] * 3 if task == true_task else 0
            rows.append(pad(scale[task] * (own + rng.normal(0, 1, (len(labels), classes))),
                            max(CLASSES)))
        return np.stack(rows)

    for task in range(len(CLASSES)):
        features, labels = sample(task)
        logits = task_logits(task, labels)[task]
        mahalanobis.record(task, features[task], labels, logits)
        rules["tpl"].record(task, features[task], labels, logits)
    accuracy = {name: [] for name in rules}
    for task in range(len(CLASSES)):
        features, labels = sample(task)
        logits = tf.constant(task_logits(task, labels), tf.float32)
        for name, rule in rules.items():
            chosen = np.argmax(rule.scores(logits, tf.constant(features, tf.float32)), axis=0)
            accuracy[name].append(np.mean(chosen == task))
    assert np.mean(accuracy["tpl"]) >= 0.95
    assert np.mean(accuracy["max_logit"]) < 0.5  # task 1's scale wins


def test_vim_measures_the_residual_outside_each_tasks_principal_subspace():
    """Each task's own features lie in a subspace of 4 of its 10 open units (the other 22
    of 32 switched off by its masks); other tasks' images under its masks leave it. The
    heads are indifferent (zero logits): energy cannot tell the tasks apart, ViM's
    virtual logit can. ViM keeps D = 10 / 2 principal directions (ViM's rule for narrow
    features, on the units the task's masks leave on)."""
    rng = np.random.default_rng(4)
    units, open_units, rank = 32, 10, 4
    bases = []
    for _ in CLASSES:
        basis = np.zeros((rank, units))
        on = rng.choice(units, open_units, replace=False)
        basis[:, on] = np.linalg.qr(rng.normal(0, 1, (open_units, rank)))[0].T
        bases.append((basis, on))

    def features_of(true_task, examples):
        views = []
        for task, (basis, on) in enumerate(bases):
            inside = rng.normal(0, 3, (examples, rank)) @ basis
            outside = np.zeros((examples, units))
            if task != true_task:  # other tasks' images leave the subspace, on the open units
                outside[:, on] = rng.normal(0, 2, (examples, open_units))
            noise = np.zeros((examples, units))  # the switched-off units are 0
            noise[:, on] = 5.0 + 0.01 * rng.normal(0, 1, (examples, open_units))
            views.append(inside + outside + noise)
        return np.stack(views)

    vim = TASK_RULES.get("vim")(CLASSES, units)
    energy = TASK_RULES.get("energy")(CLASSES, units)
    for task in range(len(CLASSES)):
        own = features_of(task, 400)[task]
        logits = pad(np.ones((400, CLASSES[task])), max(CLASSES))  # max logit 1: α = 1 / r
        vim.record(task, own, np.zeros(400, int), logits)
    assert vim.dimensions() == [open_units // 2] * len(CLASSES)
    assert vim.bytes_per_task() == [((open_units // 2 + 1) * units + 1) * 4] * len(CLASSES)
    # what it reports is what it allocates: no directions padded to a largest D
    assert sum(vim.bytes_per_task()) == sum(v.numpy().nbytes for v in vim.state())
    accuracy = {"vim": [], "energy": []}
    logits = tf.constant(np.stack([pad(np.zeros((200, c)), max(CLASSES)) for c in CLASSES]),
                         tf.float32)
    for task in range(len(CLASSES)):
        features = tf.constant(features_of(task, 200), tf.float32)
        for name, rule in (("vim", vim), ("energy", energy)):
            accuracy[name].append(np.mean(np.argmax(rule.scores(logits, features), 0) == task))
    assert np.mean(accuracy["vim"]) >= 0.95
    assert np.mean(accuracy["energy"]) < 0.5


def test_vim_reads_the_heads_input_at_the_end_of_the_features():
    """With `head_units`, ViM's statistics are those of the features' last units alone."""
    rng = np.random.default_rng(5)
    features = rng.normal(0, 1, (200, 24))
    whole, tail = TASK_RULES.get("vim")([2], 24), TASK_RULES.get("vim")([2], 24, head_units=8)
    for rule in (whole, tail):
        rule.record(0, features, np.zeros(200, int), rng.normal(0, 1, (200, 2)))
    np.testing.assert_allclose(tail.means.numpy()[0], features[:, -8:].mean(0), rtol=1e-5)
    assert tail.dimensions() == [4] and whole.dimensions() == [12]
    assert tail.bytes_per_task() == [(5 * 8 + 1) * 4]


def test_calibration_puts_a_shifted_task_back_on_one_footing():
    """Task 0's head runs hot: its logits are 6 higher on every image, its own and the
    others'. Plain energy draws every image to task 0; calibrated per task on each task's
    own held-out images (mean and std of its energy there), the shift goes."""
    rng = np.random.default_rng(6)
    shift = np.array([6.0, 0.0, 0.0])

    def all_logits(true_task, examples):
        labels = rng.integers(0, 2, examples)
        rows = [pad(shift[t] + rng.normal(0, 1, (examples, c))
                    + (4 * np.eye(c)[labels % c] if t == true_task else 0), max(CLASSES))
                for t, c in enumerate(CLASSES)]
        return np.stack(rows), labels

    energy = TASK_RULES.get("energy")(CLASSES, UNITS)
    calibrated = TASK_RULES.get("energy_calibrated")(CLASSES, UNITS, shared=energy)
    features = np.zeros((300, UNITS))
    for task in range(len(CLASSES)):
        logits, labels = all_logits(task, 300)  # the task's own held-out images
        calibrated.calibrate(task, features, labels, logits[task])
    accuracy = {"energy": [], "energy_calibrated": []}
    for task in range(len(CLASSES)):
        logits, _ = all_logits(task, 300)
        for name, rule in (("energy", energy), ("energy_calibrated", calibrated)):
            chosen = np.argmax(rule.scores(tf.constant(logits, tf.float32), None), axis=0)
            accuracy[name].append(np.mean(chosen == task))
    assert accuracy["energy"][0] == 1.0 and np.mean(accuracy["energy"]) < 0.5
    assert np.mean(accuracy["energy_calibrated"]) >= 0.9


def test_every_rule_has_a_calibrated_variant_counting_what_it_adds():
    names = TASK_RULES.names()
    plain = [name for name in names if not name.endswith("_calibrated")]
    assert sorted(plain) == ["energy", "entropy", "mahalanobis", "mahalanobis_full",
                             "max_logit", "max_softmax", "reject", "tpl", "tpl_full", "vim"]
    assert sorted(names) == sorted(plain + [f"{name}_calibrated" for name in plain])
    detector = TaskDetector(CLASSES, UNITS, rejects=True)
    sizes = detector.bytes_per_task()
    for name in plain:
        assert sizes[f"{name}_calibrated"] == [size + 8 for size in sizes[name]], name
    assert sizes["max_logit"] == [0, 0, 0]
    assert sizes["reject"] == [(UNITS + 1) * 4] * 3  # the heads' reject outputs
    assert sizes["tpl"] == [size + 8 for size in sizes["mahalanobis"]]
    # TPL and the calibrated rules read the statistics of the rule they share, not a copy
    mahalanobis = detector.rules[detector.rule_names.index("mahalanobis")]
    assert detector.rules[detector.rule_names.index("tpl")].mahalanobis is mahalanobis
    assert detector.rules[detector.rule_names.index("tpl_full")].mahalanobis \
        is detector.rules[detector.rule_names.index("mahalanobis_full")]
    assert detector.rules[detector.rule_names.index("mahalanobis_calibrated")].base \
        is mahalanobis
    state = detector.state()
    assert len({id(variable) for variable in state}) == len(state)


def reject_logits(rng, true_task, examples):
    """Every task's logits for `examples` images of `true_task`, its reject logit last:
    under the true task's head a peak of 4 on the image's class and a low reject logit;
    under the others' a peak of 6 on some class (another task's image often looks like
    one of a head's classes, more than its own images do) and a high reject logit."""
    rows = []
    for task, classes in enumerate(CLASSES):
        labels = rng.integers(0, classes, examples)
        own = task == true_task
        logits = rng.normal(0, 1, (examples, classes)) + (4 if own else 6) * np.eye(classes)[
            labels]
        reject = rng.normal(-2 if own else 5, 1, (examples, 1))
        rows.append(np.concatenate([pad(logits, max(CLASSES)), reject], axis=-1))
    return np.stack(rows)


def test_reject_infers_the_task_whose_head_does_not_reject_the_image():
    """Each head, trained to reject rotated copies of its task's images, rejects other
    tasks' images while one of its classes still scores higher than on its own: the
    max-logit baseline takes every image for another task's, the reject rule (the
    log-odds of the head's classes against its reject output) for its own."""
    rng = np.random.default_rng(7)
    detector = TaskDetector(CLASSES, UNITS, rejects=True)
    rules = {name: detector.rules[detector.rule_names.index(name)]
             for name in ("reject", "max_logit")}
    accuracy = {name: [] for name in rules}
    for task in range(len(CLASSES)):
        logits = tf.constant(reject_logits(rng, task, 200), tf.float32)
        for name, rule in rules.items():
            chosen = np.argmax(rule.scores(detector.logits_for(rule, logits), None), axis=0)
            accuracy[name].append(np.mean(chosen == task))
    assert np.mean(accuracy["reject"]) >= 0.95
    assert np.mean(accuracy["max_logit"]) < 0.2


def test_only_the_reject_rules_read_the_reject_logit():
    """The reject rules exist only for heads with a reject output; the other rules get the
    logits of the classes alone (the reject logit is not a class, even when highest)."""
    assert "reject" not in TaskDetector(CLASSES, UNITS).rule_names
    detector = TaskDetector(CLASSES, UNITS, rejects=True)
    assert {"reject", "reject_calibrated"} <= set(detector.rule_names)
    logits = tf.constant(np.stack([pad(np.zeros((4, c)), max(CLASSES)) for c in CLASSES]),
                         tf.float32)
    with_reject = tf.concat([logits, tf.fill([len(CLASSES), 4, 1], 100.0)], axis=-1)
    for name, rule in zip(detector.rule_names, detector.rules):
        expected = with_reject if name.startswith("reject") else logits
        assert detector.logits_for(rule, with_reject).shape == expected.shape, name
    np.testing.assert_array_equal(detector.class_logits(with_reject), logits)


def test_the_calibrated_reject_rule_is_recorded_from_the_tasks_own_held_out_images():
    """detector.record gives the calibrated reject rule the logits with the reject logit:
    its location and scale are the mean and std of the reject score on the task's own
    held-out images."""
    rng = np.random.default_rng(8)
    detector = TaskDetector(CLASSES, UNITS, rejects=True)
    held_out = {task: reject_logits(rng, task, 50)[task] for task in range(len(CLASSES))}

    def outputs(images, task_id):  # a network's (logits, features) of a task's images
        return held_out[task_id], np.zeros((50, UNITS), np.float32)

    for task in range(len(CLASSES)):
        detector.record(outputs, task, None, np.zeros(50, int))
    calibrated = detector.rules[detector.rule_names.index("reject_calibrated")]
    reject = detector.rules[detector.rule_names.index("reject")]
    for task in range(len(CLASSES)):
        scores = own_scores(reject, task, None, held_out[task])
        assert calibrated.location.numpy()[task] == pytest.approx(np.mean(scores), rel=1e-5)
        assert calibrated.scale.numpy()[task] == pytest.approx(np.std(scores), rel=1e-4)
