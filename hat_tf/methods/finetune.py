"""SGD: plain fine-tuning on each new task, the lower bound of the HAT paper."""

from hat_tf.methods.base import Method


class FineTuning(Method):
    """Trains every shared weight on each new task; earlier tasks are forgotten freely."""
