"""The task detector: every task's head and features under its own masks, scored by rules
(rule.py), the best-scoring task chosen. Our addition, not the HAT paper's.

Each task is run as if it were the image's task: its masks a^t = σ(s_max·e^t) (paper Eq. 1,
at s_max as at evaluation), its per-task BatchNorm, its head. Rules that keep feature
statistics need a gated network, whose tasks' features stay as they were at each task's
end (Eq. 2); without masks a task's features drift afterwards, so such networks get only
the rules that read the heads.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from hat_tf.data.pipeline import array_batches

# Imported for their registration.
from hat_tf.task_detection import (  # noqa: F401
    energy,
    entropy,
    mahalanobis,
    mahalanobis_full,
    max_logit,
    max_softmax,
    reject,
    tpl,
    vim,
)
from hat_tf.task_detection.calibrated import register_calibrated_variants
from hat_tf.task_detection.rule import TASK_RULES, TaskRule

register_calibrated_variants()

DEFAULT_RULE = "mahalanobis"  # until a run's end picks one on validation (validation.py)
HEADS_ONLY_RULE = "energy"  # the default where no feature rule can be kept


def own_task_outputs(network: keras.Model, images, task_id):
    """(logits (batch, max classes) float32, features) of every image under task
    `task_id`'s masks and head, the head's reject logit last where it has one (then
    (batch, max classes + 1): MultiHead, `with_reject`); features are what
    `network.detector_features` gives the detector, (batch, units) float32, or None for a
    network without one feature tensor (a PNN's columns)."""
    task_ids = tf.fill([tf.shape(images)[0]], tf.cast(task_id, tf.int32))
    head_features, features = network.detector_features({"image": images, "task_id": task_ids})
    logits = tf.cast(network.head(head_features, task_id=task_ids,
                                  with_reject=network.head.reject_output), tf.float32)
    return logits, None if isinstance(features, list) else tf.cast(features, tf.float32)


def every_task_outputs(network: keras.Model, images, num_tasks: int, with_features: bool):
    """(logits (tasks, batch, max classes) float32, features (tasks, batch, units) float32,
    or None without `with_features`) of every image under each of the first `num_tasks`
    tasks' masks and heads: one pass per task inside one `tf.map_fn` over the task ids, so
    the network is traced once, not once per task. Against one traced pass per task, on
    CPU (docs/results.md): traced 3–10 times faster, each call as fast within the
    machine's noise, the detector's pick on 10-split CIFAR-100's validation sets 1.5–2
    times faster for a ResNet18 with per-task BatchNorm and as fast for AlexNet; one pass
    over the batch repeated once per task ran 5–60 % slower a call."""
    def one_task(task_id):
        logits, features = own_task_outputs(network, images, task_id)
        return (logits, features) if with_features else logits

    signature = (tf.float32, tf.float32) if with_features else tf.float32
    outputs = tf.map_fn(one_task, tf.range(num_tasks, dtype=tf.int32),
                        fn_output_signature=signature, parallel_iterations=num_tasks)
    return outputs if with_features else (outputs, None)


def feature_units(network: keras.Model) -> tuple[int | None, int | None]:
    """(the width of the features the detector reads, the width of the heads' input that
    they end with); (None, None) for a network with one feature tensor per task."""
    inputs = {"image": tf.zeros([1, *network.image_shape], tf.uint8),
              "task_id": tf.zeros([1], tf.int32)}
    head_features, features = network.detector_features(inputs)
    if isinstance(features, list):
        return None, None
    return int(features.shape[-1]), int(head_features.shape[-1])


class TaskOutputs:
    """`outputs(images, task_id)`: (logits (batch, max classes), features (batch, units))
    of a network for `images` under task `task_id`'s masks and head, in batches
    (`array_batches`), float32 NumPy. Traced once for all tasks (the task id is a
    tensor), not once a task.

    Args:
        network: A network with one feature tensor (see `own_task_outputs`).
    """

    def __init__(self, network: keras.Model):
        self._outputs = tf.function(
            lambda images, task_id: own_task_outputs(network, images, task_id),
            reduce_retracing=True)

    def __call__(self, images: np.ndarray, task_id: int) -> tuple[np.ndarray, np.ndarray]:
        task = tf.constant(task_id, tf.int32)
        logits, features = zip(*((logits.numpy(), features.numpy()) for logits, features
                                 in (self._outputs(batch, task)
                                     for (batch,) in array_batches(images))))
        return np.concatenate(logits), np.concatenate(features)


def build_rules(names: Sequence[str], classes_per_task: Sequence[int], units: int | None,
                head_units: int | None = None) -> dict[str, TaskRule]:
    """The rules `names`, each built once, a rule that `shares` another's statistics given
    that rule (built first, so recorded first), one that reads the head features given
    `head_units`."""
    built: dict[str, TaskRule] = {}

    def build(name: str) -> TaskRule:
        if name not in built:
            factory = TASK_RULES.get(name)
            options = {"head_units": head_units} if factory.reads_head_features else {}
            if factory.shares is not None:
                options["shared"] = build(factory.shares)
            built[name] = factory(classes_per_task, units, **options)
        return built[name]

    for name in names:
        build(name)
    return built


class TaskDetector(tf.Module):
    """Scores every learned task for every image with each of its rules and picks, by the
    chosen `rule`, the task of each image.

    Args:
        classes_per_task: Classes of each task's head.
        units: Width of the features (None: no feature rules, see the module doc).
        rule: The registered rule `infer` uses (None: DEFAULT_RULE where it can be kept,
            else HEADS_ONLY_RULE).
        head_units: Width of the heads' input, which the features end with (None: all of
            them are).
        rejects: Whether the heads have the output "not this task" (MultiHead's
            `reject_output`), last in the logits the detector is given: the rules that
            read it are kept, the others get the logits without it.

    Raises:
        ValueError: `rule` is not registered, or needs features or a reject output the
            network lacks.
    """

    def __init__(self, classes_per_task: Sequence[int], units: int | None,
                 rule: str | None = None, head_units: int | None = None,
                 rejects: bool = False):
        super().__init__(name="task_detector")
        self.rejects = rejects
        self.rule_names = [name for name in TASK_RULES.names()
                           if (units is not None or not TASK_RULES.get(name).needs_features)
                           and (rejects or not TASK_RULES.get(name).needs_reject)]
        built = build_rules(self.rule_names, classes_per_task, units, head_units)
        self.rules = [built[name] for name in self.rule_names]
        self._record_order = list(built.values())  # a shared rule before its readers
        fallback = DEFAULT_RULE if DEFAULT_RULE in self.rule_names else HEADS_ONLY_RULE
        self.rule = rule or fallback
        if self.rule not in self.rule_names:
            TASK_RULES.get(self.rule)  # an unknown name: the registry's error
            raise ValueError(f"task rule {self.rule!r} needs the features of a gated network "
                             f"or heads with a reject output: expected one of "
                             f"{', '.join(self.rule_names)}")
        self.uses_features = units is not None

    @classmethod
    def for_network(cls, network: keras.Model, classes_per_task: Sequence[int], gated: bool,
                    rule: str | None = None) -> TaskDetector:
        """A detector for `network`: with feature rules when it is `gated` (see above), and
        the rules of the reject output where its heads have one."""
        units, head_units = feature_units(network) if gated else (None, None)
        return cls(classes_per_task, units, rule, head_units, network.head.reject_output)

    def record(self, outputs: TaskOutputs, task_id: int, images: np.ndarray,
               labels: np.ndarray, held_out: tuple[np.ndarray, np.ndarray] | None = None
               ) -> None:
        """At the end of task `task_id`: one pass over its training `images` under its own
        masks (`outputs`, of the network) gives every rule what it keeps of the task, then
        one over its `held_out` (images, labels), its validation set, what the calibrated
        rules keep (the training set again where there is none). No other task's images
        are read."""
        if not self.uses_features:
            return
        logits, features = outputs(images, task_id)
        for rule in self._record_order:
            rule.record(task_id, features, labels, self.logits_for(rule, logits))
        if held_out is not None and len(held_out[1]):
            logits, features = outputs(held_out[0], task_id)
            labels = held_out[1]
        for rule in self._record_order:
            rule.calibrate(task_id, features, labels, self.logits_for(rule, logits))

    def logits_for(self, rule: TaskRule, logits):
        """The logits `rule` reads: with the heads' reject logit last if it `needs_reject`,
        else the classes alone (the reject logit is not a class)."""
        return logits if rule.needs_reject else self.class_logits(logits)

    def outputs(self, network: keras.Model, images, num_tasks: int):
        """(logits (tasks, batch, max classes [+ 1, the reject logit, where the heads have
        it]), features (tasks, batch, units) or None) of the first `num_tasks` tasks, each
        under its own masks (`every_task_outputs`)."""
        return every_task_outputs(network, images, num_tasks, self.uses_features)

    def all_scores(self, network: keras.Model, images, num_tasks: int):
        """(logits of the classes, {rule name: (tasks, batch) scores}) for the first
        `num_tasks` tasks."""
        logits, features = self.outputs(network, images, num_tasks)
        scores = {name: rule.scores(self.logits_for(rule, logits), features)
                  for name, rule in zip(self.rule_names, self.rules)}
        return self.class_logits(logits), scores

    def class_logits(self, logits):
        """`logits` without the heads' reject logit, where they have one."""
        return logits[..., :-1] if self.rejects else logits

    def stacked_scores(self, network: keras.Model, images, num_tasks: int) -> tf.Tensor:
        """(rules, tasks, batch): every rule's scores, the rules in `rule_names` order."""
        _, scores = self.all_scores(network, images, num_tasks)
        return tf.stack([scores[name] for name in self.rule_names])

    def infer(self, network: keras.Model, images, num_tasks: int):
        """(task ids (batch,) int32, probabilities (batch, max classes)): the task `rule`
        scores highest among the first `num_tasks`, and its head's softmax (zero for the
        classes it lacks)."""
        logits, features = self.outputs(network, images, num_tasks)
        rule = self.rules[self.rule_names.index(self.rule)]
        scores = rule.scores(self.logits_for(rule, logits), features)
        chosen = tf.argmax(scores, axis=0, output_type=tf.int32)
        chosen_logits = tf.gather(tf.transpose(self.class_logits(logits), [1, 0, 2]), chosen,
                                  batch_dims=1)
        return chosen, tf.nn.softmax(chosen_logits)

    def state(self) -> list[tf.Variable]:
        """The rules' recorded statistics, in a fixed order."""
        return [v for rule in self.rules for v in rule.state()]

    def bytes_per_task(self) -> dict[str, list[int]]:
        """What each rule stores per task, in bytes."""
        return {name: rule.bytes_per_task() for name, rule in zip(self.rule_names, self.rules)}
