"""SGD: plain fine-tuning on each new task, the lower bound of the HAT paper."""

from hat_tf.methods.base import Method
from hat_tf.methods.registry import register_method


@register_method("sgd")
class FineTuning(Method):
    """Trains every shared weight on each new task; earlier tasks are forgotten freely."""
