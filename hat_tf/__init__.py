"""hat_tf: Hard Attention to the Task (Serrà et al., ICML 2018) for TensorFlow 2 / Keras 3.

The Python API for a model of your own (docs/models.md, "HAT in your own model"):

    hat_tf.task_sequence(train, test)        your data, one (images, labels) split per task
    hat_tf.learn(features, tasks, "hat")     train the tasks one after another, as train.py
    hat_tf.hatify(features, classes)         the task network alone: gates, heads, GateGraph

and the settings they take (RunConfig, OptimConfig, HatConfig, DataConfig). Its names are
imported on first use, so `import hat_tf.console` and the tools still import TensorFlow
only when they choose to.
"""

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "hatify": "hat_tf.models.hatified",
    "learn": "hat_tf.learning",
    "task_sequence": "hat_tf.data.user_tasks",
    "RunConfig": "hat_tf.config",
    "OptimConfig": "hat_tf.config",
    "HatConfig": "hat_tf.config",
    "DataConfig": "hat_tf.config",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'hat_tf' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
