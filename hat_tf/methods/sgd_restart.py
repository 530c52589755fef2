"""SGD-R: the HAT paper's baseline that learns every task from the network the run began
with (reference `approaches/sgd_restart.py`: `self.model=deepcopy(self.initial_model)` at
each task's start)."""

from __future__ import annotations

from hat_tf.methods.initial_weights import FromInitialWeights
from hat_tf.methods.registry import register_method


@register_method("sgd_restart")
class Restart(FromInitialWeights):
    """Trains each task on its own data alone, from the run's initial weights: when a task
    begins, every variable of the network goes back to its value at the run's start. As in
    the reference, which copies the whole initial model, that includes the heads of the
    earlier tasks, so after a later task those answer as the untrained network does: SGD-R
    keeps nothing of an earlier task and transfers nothing to a later one.

    The initial weights are method state that a checkpoint keeps, so a resumed run restarts
    from the weights it began with.
    """

