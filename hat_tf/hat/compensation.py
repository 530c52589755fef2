"""Embedding gradient compensation (paper §2.5)."""

from __future__ import annotations

import tensorflow as tf


def compensation_factor(embedding: tf.Tensor, s, s_max: float,
                        cosh_clip: float = 50.0) -> tf.Tensor:
    """s_max·[cosh(clip(s·e, ±cosh_clip)) + 1] / (s·[cosh(e) + 1]), element-wise.

    Multiplies the gradient q of the embedding e so that the annealing of s does not
    shrink it (paper §2.5): q' = factor · q. The clip keeps cosh finite (reference: 50).
    """
    numerator = tf.cosh(tf.clip_by_value(s * embedding, -cosh_clip, cosh_clip)) + 1.0
    denominator = tf.cosh(embedding) + 1.0
    return s_max / s * numerator / denominator
