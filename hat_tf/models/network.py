"""What every hat_tf network shares: raw pixels in, one head per task out, and a config."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from hat_tf.layers import MultiHead, standardization
from hat_tf.models.building import IMAGE_SHAPE


class TaskNetwork(keras.Model):
    """Base of the architectures: standardises raw 0..255 pixels inside the network (so
    exported models take images as they are), holds one head per task, and serialises the
    constructor's settings (`get_config`, used for LwF's frozen copy and exports).

    Args:
        settings: The subclass's constructor arguments, JSON-ready.
        classes_per_task: Classes of each task's head.
        channel_mean: Per-channel mean of the raw pixels.
        channel_std: Per-channel standard deviation of the raw pixels.
        reject_output: Give every task's head the output "not this task"
            (`RunConfig.reject_rotations`; MultiHead).

    Attributes:
        image_shape: (height, width, channels) of the images it takes (32×32×3 unless a
            subclass says otherwise).
    """

    image_shape = IMAGE_SHAPE

    def __init__(self, settings: dict, classes_per_task: Sequence[int],
                 channel_mean: Sequence[float], channel_std: Sequence[float],
                 reject_output: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.settings = {**settings, "classes_per_task": list(classes_per_task),
                         "channel_mean": list(channel_mean), "channel_std": list(channel_std),
                         "reject_output": reject_output}
        self.standardize = standardization(channel_mean, channel_std)
        self.head = MultiHead(classes_per_task, reject_output, name="head")

    def call(self, inputs, training=False, s=None, all_heads=False, with_reject=False):
        """The logits of each example's own task head, or with `all_heads` every head's,
        (batch, tasks, classes), from `features` at gate scale `s` (None: s_max); with
        `with_reject`, each head's reject output after its padded classes (MultiHead)."""
        features = self.features(inputs, training=training, s=s)
        return self.head(features, task_id=None if all_heads else inputs["task_id"],
                         with_reject=with_reject)

    def features(self, inputs, training=False, s=None):
        """What the heads read, under each example's own task (its masks, its BatchNorm):
        (batch, units), or one tensor per task (a PNN's columns). Subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not define its features")

    def detector_features(self, inputs, s=None):
        """(what the heads read, what the task detector reads) at inference, under each
        example's own task (hat_tf/task_detection): both `features` unless a subclass
        gives the detector more of its layers."""
        features = self.features(inputs, training=False, s=s)
        return features, features

    def standardized_image(self, inputs) -> tf.Tensor:
        """The batch's images as standardised floats of the compute dtype."""
        return self.standardize(tf.cast(inputs["image"], self.compute_dtype))

    def get_config(self) -> dict:
        return {"name": self.name, **self.settings}
