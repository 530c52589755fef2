"""What the loop trains: a network for a task sequence and the method it learns under.

The loop gets a recipe from its caller (`catalog.py` names the built-in ones, `learning.py`
makes one of a user's Keras model), so training knows no model by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from hat_tf.config import RunConfig
from hat_tf.data.task import TaskSequence
from hat_tf.methods.base import Method


@dataclass(frozen=True)
class Recipe:
    """How to build a model: its network for a task sequence, and its method.

    Attributes:
        build_network: The network for a task sequence and a run's settings.
        build_method: The method for a run's settings.
        method: The method's name (the registry's, `hat`), for the records.
    """

    build_network: Callable[[TaskSequence, RunConfig], keras.Model]
    build_method: Callable[[RunConfig], Method]
    method: str = ""
