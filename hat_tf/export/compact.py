"""Compact per-task exports of AlexNet-HAT: the units a task's mask leaves off removed.

At inference a task t uses only the units whose gate a^t = σ(s_max·e^t) is on (paper §2.2,
Eq. 1); the paper (§4.3, Fig. 7) counts the share of the network a task needs. Here the
units with a^t ≤ a threshold are physically removed: every kernel loses the rows of dropped
input units and the columns of dropped output units, and the gate values of the kept units
are folded into the next layer's input rows (exact: the gate multiplies, the next layer is
linear). What differs from the full model is the contribution of the dropped units, whose
gates are small but not 0 while the masks are not saturated (σ(−12) ≈ 6e-6 at s_max = 400
for e = −0.03). So the threshold is the largest of THRESHOLDS whose compact model stays
within TOLERANCE of the full one on the task's validation and test images together: it is
searched on the validation images, then checked on both (a threshold chosen on 54
validation images alone was 8.5e-4 off on the test images), and lowered until it holds; a
task for which none does gets no compact export.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from hat_tf.data.task import TaskSequence
from hat_tf.export.files import export_path
from hat_tf.export.serving import ImageFunction, save_atomically, task_probabilities
from hat_tf.models.alexnet import AlexNet

# Gate values tried as the pruning threshold, from "on" (a^t > 0.5) down to "not exactly 0".
THRESHOLDS = (0.5, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 0.0)
TOLERANCE = 1e-6  # largest difference of the probabilities from the full model's


def kept_units(network: keras.Model, task_id: int,
               threshold: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per gated layer of an AlexNet-HAT, (indices of the units with a^t > threshold,
    their a^t)."""
    kept = []
    for gate in network.gates:
        attention = gate.attention(task_id, network.s_max).numpy()
        indices = np.flatnonzero(attention > threshold)
        kept.append((indices, attention[indices]))
    return kept


def compact_weights(network: keras.Model, task_id: int,
                    threshold: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel, bias) of conv1..3, fc1, fc2 and the task's head, with only the units whose
    gate exceeds `threshold`, each gate folded into the next kernel's input rows."""
    kept = kept_units(network, task_id, threshold)
    weights, previous = [], None  # previous: (input rows kept, their gates)
    for index, (kernel, bias) in enumerate(task_weights(network, task_id)):
        if previous is not None:
            rows, gates = previous
            kernel = np.take(kernel, rows, axis=-2) * gates[:, None]
        if index < len(kept):
            units, gates = kept[index]
            kernel, bias = kernel[..., units], bias[units]
            previous = (units, gates)
            if index == len(network.convs) - 1:
                previous = flattened(units, gates, network.convs[-1].filters,
                                     network.denses[0].kernel.shape[0])
        weights.append((kernel, bias))
    return weights


def task_weights(network: keras.Model, task_id: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel, bias) of conv1..3, fc1, fc2 and task `task_id`'s head over its classes
    (without the output "not this task" a head may have: MultiHead.class_weights)."""
    trunk = [(layer.kernel.numpy(), layer.bias.numpy())
             for layer in [*network.convs, *network.denses]]
    return [*trunk, network.head.class_weights(task_id)]


def flattened(units: np.ndarray, gates: np.ndarray, channels: int,
              features: int) -> tuple[np.ndarray, np.ndarray]:
    """The last conv's kept channels (of `channels`) as rows, and their gates, of fc1's
    kernel (`features` rows): Flatten orders the features height, width, channel, so the
    feature of channel c at position p is row p·channels + c (docs/algorithm.md §5: every flattened
    input carries the gate of its channel)."""
    positions = features // channels
    rows = (np.arange(positions)[:, None] * channels + units[None, :]).reshape(-1)
    return rows, np.tile(gates, positions)


def compact_probabilities(layer_weights, images, standardize, num_convs: int) -> tf.Tensor:
    """The task's probabilities from compact (kernel, bias) pairs, with the network's
    standardisation, ReLU and max-pooling (dropout is off at inference)."""
    h = tf.cast(images, tf.float32) * standardize[0] + standardize[1]
    for kernel, bias in layer_weights[:num_convs]:
        h = tf.nn.conv2d(h, kernel, strides=1, padding="VALID") + bias
        h = tf.nn.max_pool2d(tf.nn.relu(h), 2, 2, "VALID")
    h = tf.reshape(h, [tf.shape(h)[0], -1])
    for kernel, bias in layer_weights[num_convs:-1]:
        h = tf.nn.relu(tf.matmul(h, kernel) + bias)
    kernel, bias = layer_weights[-1]
    return tf.nn.softmax(tf.matmul(h, kernel) + bias)


def standardization(network: keras.Model) -> tuple[tf.Tensor, tf.Tensor]:
    """(scale, offset) of the network's input standardisation."""
    return tuple(tf.constant(np.asarray(value, np.float32))
                 for value in (network.standardize.scale, network.standardize.offset))


def pruning_threshold(network: keras.Model, task_id: int, search_images: np.ndarray,
                      check_images: np.ndarray, num_classes: int,
                      tolerance: float = TOLERANCE) -> tuple[float, float] | None:
    """The largest of THRESHOLDS whose compact model's probabilities differ from the full
    network's by at most `tolerance` on `check_images`, with that largest difference; None
    if none does.

    Bisects THRESHOLDS on the few `search_images` (a lower threshold keeps more units, so
    the difference falls as the threshold does), then checks the one found on
    `check_images`, stepping down to lower thresholds while it fails there: the threshold
    returned holds on `check_images` whether or not the difference is monotone. Without
    search images (a validation set rounded to none) it bisects on `check_images`."""
    standardize = standardization(network)
    if not len(search_images):
        search_images = check_images

    def difference(threshold: float, images: np.ndarray, full: np.ndarray) -> float:
        compact = compact_probabilities(compact_weights(network, task_id, threshold), images,
                                        standardize, len(network.convs)).numpy()
        return float(np.max(np.abs(compact - full)))

    search_full = task_probabilities(network, search_images, task_id, num_classes).numpy()
    low, high = 0, len(THRESHOLDS)  # THRESHOLDS[high:] hold, THRESHOLDS[:low] do not
    while low < high:
        middle = (low + high) // 2
        if difference(THRESHOLDS[middle], search_images, search_full) <= tolerance:
            high = middle
        else:
            low = middle + 1
    check_full = task_probabilities(network, check_images, task_id, num_classes).numpy()
    for threshold in THRESHOLDS[high:]:
        checked = difference(threshold, check_images, check_full)
        if checked <= tolerance:
            return threshold, checked
    return None


class CompactTask(tf.Module):
    """`serve(images)` → (batch, classes of the task): the task's probabilities from the
    compact weights (units with a^t > `threshold`).

    Args:
        network: A gated AlexNet.
        task_id: The task.
        image_shape: (height, width, channels) of the images `serve` takes.
        threshold: Units with a^t at most this are removed (see `pruning_threshold`).
    """

    def __init__(self, network: keras.Model, task_id: int, image_shape, threshold: float):
        super().__init__(name=f"compact_task_{task_id}")
        self.threshold = threshold
        self.layer_weights = [(tf.Variable(k), tf.Variable(b))
                              for k, b in compact_weights(network, task_id, threshold)]
        self.standardize = standardization(network)
        self.num_convs = len(network.convs)
        self._serve = ImageFunction(self._probabilities, image_shape)
        self.serve = self._serve.function

    def serving_default(self):
        """The float32 `serve`, the SavedModel's `serving_default` signature."""
        return self._serve.float32()

    def _probabilities(self, images):
        return compact_probabilities(self.layer_weights, images, self.standardize,
                                     self.num_convs)

    def num_params(self) -> int:
        return int(sum(np.prod(k.shape) + np.prod(b.shape) for k, b in self.layer_weights))


def full_params(network: keras.Model, task_id: int) -> int:
    """Parameters task `task_id` runs through in the full network: trunk and its head (the
    gate embeddings left out)."""
    return int(sum(kernel.size + bias.size for kernel, bias in task_weights(network, task_id)))


def compactable(network: keras.Model) -> bool:
    """Whether `network` has compact exports: a gated AlexNet without BatchNorms (whose
    kept units' gates fold into the next layer; a BatchNorm between them is not folded)."""
    return isinstance(network, AlexNet) and bool(network.gates) and not network.norms


def save_compact_export(run_dir: str, sequence: TaskSequence, network: keras.Model,
                        task_id: int, name: str) -> dict | None:
    """Writes the export `name` (`task_<k>` or `task_<k>_compact`: hat_tf.export.run_exporter;
    the same `serve` as the full one, `compact: true` in its metadata.json) for task
    `task_id` of a gated AlexNet, pruned at the threshold `pruning_threshold` searches on
    the task's validation images and checks on its validation and test images; returns its
    summary (threshold, parameters kept, the task's parameters in the full network, their
    ratio, the largest difference of its probabilities from the full network's on those
    images), or None where no threshold keeps it within TOLERANCE (nothing written)."""
    task = sequence.tasks[task_id]
    found = pruning_threshold(network, task_id, task.x_val,
                              np.concatenate([task.x_val, task.x_test]), task.num_classes)
    if found is None:
        return None
    threshold, difference = found
    compact = CompactTask(network, task_id, task.x_test.shape[1:], threshold)
    summary = {"task_id": task_id, "num_params": compact.num_params(),
               "full_params": full_params(network, task_id), "threshold": threshold,
               "max_abs_difference": difference}
    summary["size_ratio"] = summary["num_params"] / summary["full_params"]
    save_atomically(compact, export_path(run_dir, name),
                    {**summary, "compact": True, "task_name": task.name,
                     "class_names": list(task.class_names),
                     "image_shape": list(task.x_test.shape[1:])})
    return summary
