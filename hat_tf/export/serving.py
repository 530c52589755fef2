"""SavedModels for inference: one per task, and one that takes the task id (docs/exports.md).

Each export is a `tf.Module` with `tf.function`s of explicit input signatures, so loading it
needs only TensorFlow (`tf.saved_model.load(path).serve(images)`), not hat_tf. The images
are a batch of raw NHWC pixels in 0..255, uint8 or float32: the network standardises them
itself. Gates run at s = s_max, as at evaluation (docs/algorithm.md §2). A `metadata.json` beside
the SavedModel's files holds the task and class names.

The modules track the network's variables, not the Keras network itself: saving a tracked
Keras model traces its own `call` with inferred (float) inputs, which fails on the int
task id.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence

import keras
import tensorflow as tf

from hat_tf.data.task import TaskSequence
from hat_tf.export.files import METADATA, MULTITASK, export_path, task_dir_name
from hat_tf.task_detection import TaskDetector

IMAGE_DTYPES = (tf.uint8, tf.float32)  # the last is the serving_default signature's
TASK_IDS = tf.TensorSpec([None], tf.int32, name="task_id")


def task_probabilities(network: keras.Model, images, task_id: int, num_classes: int):
    """Softmax of task `task_id`'s head over its own `num_classes` classes, under its mask."""
    batch = tf.shape(images)[0]
    logits = network({"image": images, "task_id": tf.fill([batch], task_id)}, training=False)
    return tf.nn.softmax(tf.cast(logits[:, :num_classes], tf.float32))


def padded_probabilities(network: keras.Model, images, task_ids):
    """Each example's probabilities under its own task's head, padded to the largest class
    count with zeros (the heads' MASKED_LOGIT)."""
    logits = network({"image": images, "task_id": tf.cast(task_ids, tf.int32)}, training=False)
    return tf.nn.softmax(tf.cast(logits, tf.float32))


def image_signatures(image_shape: Sequence[int]) -> list[tf.TensorSpec]:
    """A batch of images of `image_shape`, one spec per accepted dtype."""
    return [tf.TensorSpec([None, *image_shape], dtype, name="images") for dtype in IMAGE_DTYPES]


class ImageFunction:
    """`function(images, *others)` as a `tf.function` that takes images of every
    IMAGE_DTYPES: `function` is traced once, for float32 images, and the function of each
    other dtype casts its images to float32 and calls that one trace. Tracing a network per
    dtype doubled an export's time; the network casts its input to float32 first anyway,
    so the numbers are the same.

    Args:
        function: Takes a float32 batch of images (and `other_specs`' tensors).
        image_shape: (height, width, channels) of the images.
        other_specs: The specs of `function`'s other arguments.
    """

    def __init__(self, function, image_shape: Sequence[int], *other_specs: tf.TensorSpec):
        self.specs = image_signatures(image_shape)
        self.other_specs = other_specs
        float_trace = tf.function(function, input_signature=[self.specs[-1], *other_specs])
        self.function = tf.function(
            lambda images, *others: float_trace(tf.cast(images, tf.float32), *others))
        for spec in self.specs:
            self.function.get_concrete_function(spec, *other_specs)

    def float32(self):
        """The concrete function of float32 images: the SavedModel's `serving_default`."""
        return self.function.get_concrete_function(self.specs[-1], *self.other_specs)


class TaskServing(tf.Module):
    """`serve(images)` → (batch, classes of the task): one task's class probabilities."""

    def __init__(self, network: keras.Model, task_id: int, num_classes: int,
                 image_shape: Sequence[int]):
        super().__init__(name=task_dir_name(task_id))
        self.model_variables = list(network.variables)  # not the network: see module doc
        self._serve = ImageFunction(
            lambda images: task_probabilities(network, images, task_id, num_classes),
            image_shape)
        self.serve = self._serve.function

    def serving_default(self):
        """The float32 `serve`, the SavedModel's `serving_default` signature."""
        return self._serve.float32()


class MultiTaskServing(tf.Module):
    """`serve(images, task_id)` → (batch, max classes), each example under its own task
    (zeros for classes its task lacks); `infer(images)` → (task_id, probabilities): the
    task `detector` infers among the `num_trained` tasks learned (its statistics saved
    with the export, as they are now), and its probabilities; `task_scores(images)` →
    (rules, tasks, batch): every rule's scores (metadata.json's `task_rules` order), for
    inferring by another rule."""

    def __init__(self, network: keras.Model, num_trained: int, image_shape: Sequence[int],
                 detector: TaskDetector):
        super().__init__(name=MULTITASK)
        self.model_variables = list(network.variables)  # not the network: see module doc
        self.detector = detector
        self._serve = ImageFunction(
            lambda images, task_id: padded_probabilities(network, images, task_id),
            image_shape, TASK_IDS)
        self.serve = self._serve.function
        self.infer = ImageFunction(
            lambda images: detector.infer(network, images, num_trained), image_shape).function
        self.task_scores = ImageFunction(
            lambda images: detector.stacked_scores(network, images, num_trained),
            image_shape).function

    def serving_default(self):
        """The float32 `serve`, the SavedModel's `serving_default` signature."""
        return self._serve.float32()


def save_atomically(module: tf.Module, path: str, metadata: dict) -> None:
    """Writes `module` as a SavedModel with `metadata.json` into a temporary folder beside
    `path`, then renames it to `path` (replacing an older export: a reader sees the old or
    the new one whole; between the two renames `path` is briefly absent)."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    temporary = tempfile.mkdtemp(dir=parent, prefix=".tmp-")
    try:
        tf.saved_model.save(module, temporary, signatures=module.serving_default())
        with open(os.path.join(temporary, METADATA), "w") as file:
            json.dump(metadata, file, indent=2)
        if os.path.exists(path):
            old = tempfile.mkdtemp(dir=parent, prefix=".old-")
            os.replace(path, os.path.join(old, "export"))
            os.replace(temporary, path)
            shutil.rmtree(old)
        else:
            os.replace(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise

def run_metadata(sequence: TaskSequence, results: dict) -> dict:
    """What every export's metadata.json says of the run: image shape, model, dataset."""
    return {"image_shape": list(sequence.tasks[0].x_test.shape[1:]),
            "model": results["model"], "dataset": results["dataset"]}


def save_task_export(run_dir: str, sequence: TaskSequence, network: keras.Model,
                     task_id: int, results: dict) -> None:
    """Writes `<run_dir>/saved_models/task_<k>/`: task `task_id` under `network`."""
    task = sequence.tasks[task_id]
    save_atomically(
        TaskServing(network, task_id, task.num_classes, task.x_test.shape[1:]),
        export_path(run_dir, task_dir_name(task_id)),
        {"task_id": task_id, "task_name": task.name, "class_names": list(task.class_names),
         **run_metadata(sequence, results)})


def save_multitask_export(run_dir: str, sequence: TaskSequence, network: keras.Model,
                          detector: TaskDetector, results: dict) -> None:
    """Writes `<run_dir>/saved_models/multitask/`: the `tasks_completed` tasks of
    `results` under `network`, their task inferred by `detector`."""
    tasks, trained = sequence.tasks, results["tasks_completed"]
    save_atomically(
        MultiTaskServing(network, trained, tasks[0].x_test.shape[1:], detector),
        export_path(run_dir, MULTITASK),
        {"tasks_trained": trained, "task_names": [t.name for t in tasks],
         "task_rule": detector.rule, "task_rules": detector.rule_names,
         "class_names": [list(t.class_names) for t in tasks],
         **run_metadata(sequence, results)})
