"""PathNet (Fernando et al. 2017), the HAT paper's baseline, as the HAT reference code
trains it (`approaches/pathnet.py`), on the network of modules and paths of
models/pathnet.py (the model `alexnet_pathnet`).

Each task evolves its path by a tournament while it trains (Fernando et al. §2.2–2.3; the
reference's `train`):
- When the task begins, the modules on earlier tasks' paths are frozen and every other
  module goes back to its initial weights (§2.3); P random paths are drawn, each of N
  distinct modules a layer.
- A generation trains each path in turn, E epochs each (its turn). An epoch whose
  validation loss is the lowest of the task so far makes its path the winner and its
  weights the best.
- When a generation ends, the network goes back to the best weights, and every path but
  the winner's becomes a copy of the winner's, each of its L × N entries mutated with
  probability 1/(N·L) by adding an integer of [−2, 2], modulo M (§2.2).
- When the task ends, the trainer puts the best weights back, and with them the winner's
  path (a network variable): the task's path from then on.

The trainer's `fit` trains the task under the paper's learning-rate schedule; this
method's `on_epoch_end` is the tournament's clock. Where it departs from the reference:
- One learning-rate schedule for the task, the trainer's (every method's), where the
  reference keeps one per path (a path's rate divided by 3 after 5 of its own epochs
  without improving its own best; a loser takes the winner's rate): here a path's epochs
  that do not lower the task's best validation loss count toward the next drop.
- A turn is ⌊epochs / (generations · P)⌋ epochs (at least 1; 5 at the paper's cap of 200),
  so that the whole tournament fits the cap on epochs a task that every method has; the
  reference's turn is ⌊nepochs / generations⌋ epochs, so that a task may train P · nepochs.
  After the last generation, the winner trains the epochs left.
- One optimizer for the task, not one per turn: under momentum or Adam, the modules a path
  leaves keep moving with their momentum (never those of earlier tasks, which are not
  trained). Under the paper's plain SGD, the reference's, a module off the path has a zero
  gradient and stays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from hat_tf.config import Number, OptimConfig, RunConfig
from hat_tf.methods.base import Method
from hat_tf.methods.registry import Option, Searched, register_method

MUTATION_SHIFT = 2  # a mutation adds an integer of [−2, 2]: Fernando et al. §2.2, the reference


@dataclass(frozen=True)
class PathNetConfig:
    """PathNet's settings, as the HAT reference code runs it (`networks/alexnet_pathnet.py`,
    `approaches/pathnet.py`).

    Attributes:
        modules: M, the modules of every layer.
        path_modules: N, the modules a path takes in every layer (at most M).
        generations: The generations of a task's tournament.
        population: P, the paths of a generation.
    """

    modules: int = 16  # the reference's "better config found by us" (Fernando et al.: 10, 20)
    path_modules: int = 3  # the reference's, with M = 16 (Fernando et al. §2.4: 3, §2.5: 5)
    generations: int = 20  # the reference's, the best of its grid 5, 10, 20, 50, 100, 200
    population: int = 2  # the reference's, after Fernando et al. §2.4–2.5 (tournaments of 2)


def random_paths(rng: np.random.Generator, count: int, layers: int, path_modules: int,
                 modules: int) -> np.ndarray:
    """`count` paths, (count, layers, path_modules): in every layer, `path_modules` distinct
    modules of `modules` (the reference's first paths of a task)."""
    return np.array([[rng.permutation(modules)[:path_modules] for _ in range(layers)]
                     for _ in range(count)], np.int32)


def mutated(path: np.ndarray, modules: int, rng: np.random.Generator) -> np.ndarray:
    """`path` with each entry, with probability 1/(its entries), shifted by an integer of
    [−MUTATION_SHIFT, MUTATION_SHIFT] modulo `modules` (Fernando et al. §2.2)."""
    shifts = rng.integers(-MUTATION_SHIFT, MUTATION_SHIFT + 1, size=path.shape)
    mutate = rng.random(path.shape) < 1 / path.size
    return np.where(mutate, (path + shifts) % modules, path).astype(np.int32)


@register_method(
    "pathnet", settings=PathNetConfig,
    options=(
        Option("--pathnet-modules", "pathnet", "modules", "PathNet's M, the modules of every "
               "layer (default {default}, the HAT reference code's)", Number(int, 1)),
        Option("--pathnet-path-modules", "pathnet", "path_modules", "PathNet's N, the modules "
               "a path takes in every layer, at most M (default {default}, the reference's)",
               Number(int, 1)),
        Option("--pathnet-generations", "pathnet", "generations", "the generations of "
               "PathNet's tournament a task, which share its epochs (default {default}, the "
               "reference's)", Number(int, 1)),
        Option("--pathnet-population", "pathnet", "population", "PathNet's P, the paths of a "
               "generation (default {default}, the reference's)", Number(int, 1)),
    ),
    # The reference grid-searched the generations (5 … 200 at up to 200 epochs a task);
    # above 100 the tournament of P = 2 no longer fits the 200-epoch cap (a turn is ≥ 1 epoch).
    search=(Searched("pathnet_generations", "pathnet", "generations", 5, 100, "log",
                     "--pathnet-generations", "PathNet's generations a task", (5, 20, 100),
                     integer=True),))
class PathNet(Method):
    """Evolves each task's path through PathNet's modules by a tournament while the task
    trains, then freezes the winner's modules for the later tasks.

    Args:
        config: M, N, the generations and P (the network reads M and N too).
        epochs: The cap on epochs a task, which the tournament's turns share.
        seed: The run's seed: the random paths and mutations derive from it, the task and
            the generation, so a resumed run draws the same ones.
    """

    own_network = True
    final_network_serves_all_tasks = True  # earlier tasks' paths and modules never change
    gradient_clip_norm = 1000.0  # reference approaches/pathnet.py: clipgrad=1000

    def __init__(self, config: PathNetConfig, epochs: int = OptimConfig.epochs, seed: int = 0):
        self.generations = config.generations
        self.population = config.population
        self.turn_epochs = max(1, epochs // (config.generations * config.population))
        self.seed = seed

    @classmethod
    def from_config(cls, config: RunConfig) -> PathNet:
        return cls(config.pathnet, config.optim.epochs, config.data.seed)

    def attach(self, network: keras.Model) -> None:
        super().attach(network)
        self.candidates = tf.Variable(tf.zeros((self.population, *network.paths.shape[1:]),
                                               tf.int32), trainable=False, name="candidates")
        # float64: any validation loss the logs hold, exactly, as the schedule compares it
        self.best_loss = tf.Variable(math.inf, dtype=tf.float64, trainable=False,
                                     name="best_loss")
        self.winner = tf.Variable(0, trainable=False, name="winner")
        self.best_weights = [tf.Variable(v, trainable=False, name="best_weights")
                             for v in self._tournament_variables()]
        self.initial_modules = [tf.Variable(v, trainable=False, name="initial_modules")
                                for v in self.graph.shared]

    def on_task_begin(self, task_id: int, steps_per_epoch: int) -> None:
        """Freezes the modules of earlier tasks' paths, puts every other module back to its
        initial weights, and draws the first paths."""
        super().on_task_begin(task_id, steps_per_epoch)
        earlier_paths = self.network.paths.numpy()[:task_id]
        frozen = {id(v) for v in self.network.module_variables(earlier_paths)}
        self.variables_to_train = [v for v in self.variables_to_train if id(v) not in frozen]
        for module, initial in zip(self.graph.shared, self.initial_modules):
            if id(module) not in frozen:
                module.assign(initial)
        self._start_tournament(task_id)

    def _start_tournament(self, task_id: int) -> None:
        """The first generation's paths, the first of them on the network; no best yet."""
        layers, path_modules = self.network.paths.shape[1:]
        self.candidates.assign(random_paths(self._rng(task_id, 0), self.population, layers,
                                            path_modules, self.network.num_modules))
        self.best_loss.assign(math.inf)
        self.winner.assign(0)
        self.network.set_path(task_id, self.candidates[0])

    def on_epoch_end(self, task_id: int, epoch: int, logs: dict) -> None:
        """Keeps the best, ends a generation when its last turn ends, and sets the path
        that trains the next epoch."""
        if logs["val_loss"] < float(self.best_loss):
            self._keep_best(logs["val_loss"], self._candidate(epoch))
        generation_epochs = self.turn_epochs * self.population
        generation, into = divmod(epoch + 1, generation_epochs)
        if into == 0 and generation <= self.generations:
            self._next_generation(task_id, generation)
        self.network.set_path(task_id, self.candidates[self._candidate(epoch + 1)])

    def _candidate(self, epoch: int) -> int:
        """The path that trains epoch `epoch` of the task: the generations' turns in order,
        then the winner."""
        turn = epoch // self.turn_epochs
        if turn < self.generations * self.population:
            return turn % self.population
        return int(self.winner)

    def _keep_best(self, val_loss: float, candidate: int) -> None:
        self.best_loss.assign(val_loss)
        self.winner.assign(candidate)
        for kept, variable in zip(self.best_weights, self._tournament_variables()):
            kept.assign(variable)

    def _next_generation(self, task_id: int, generation: int) -> None:
        """Back to the best weights; every path but the winner's its mutated copy."""
        for kept, variable in zip(self.best_weights, self._tournament_variables()):
            variable.assign(kept)
        winner = int(self.winner)
        path, rng = self.candidates[winner].numpy(), self._rng(task_id, generation)
        self.candidates.assign(np.stack([
            path if candidate == winner else mutated(path, self.network.num_modules, rng)
            for candidate in range(self.population)]))

    def _tournament_variables(self) -> list:
        """What a generation's end puts back: the network's trainable variables and paths."""
        return [*self.network.trainable_variables, self.network.paths]

    def _rng(self, task_id: int, generation: int) -> np.random.Generator:
        """The draws of the task's first paths (generation 0) or of a generation's
        mutations, from the run's seed."""
        return np.random.default_rng([self.seed, task_id, generation])

    def checkpoint_variables(self) -> list:
        return [self.candidates, self.best_loss, self.winner, *self.best_weights,
                *self.initial_modules]

    def task_results(self, task_id: int) -> dict:
        """The task's path (its winner), L × N module indices: results.json's
        `pathnet_path`, one per task."""
        return {"pathnet_path": self.network.paths.numpy()[task_id].tolist()}

    def protocol(self) -> dict:
        return {**super().protocol(), "turn_epochs": self.turn_epochs}
