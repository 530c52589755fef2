"""keras-tuner over whole task sequences: one trial = one continual-learning run.

keras-tuner's own machinery drives the search: an oracle (random search or Bayesian
optimisation) proposes the method's hyperparameters (HAT: s_max and c; tuning/space.py)
and optionally the lr, `SequenceTuner.run_trial` runs the task
sequence with them, and the oracle keeps its state in `<search>/keras_tuner/`, from which
an interrupted search resumes. In chief/worker mode (the `KERASTUNER_*` variables) the
oracle serves the workers over gRPC from the chief, and only the workers run trials.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import keras
import keras_tuner

from hat_tf.catalog import method_name
from hat_tf.config import RunConfig
from hat_tf.data.task import TaskSequence
from hat_tf.runner import start_run
from hat_tf.training.callbacks import NonFiniteLossError
from hat_tf.training.run_results import RunResults
from hat_tf.tuning import hparams
from hat_tf.tuning.space import search_space, trial_config, trial_values
from hat_tf.tuning.validation import OBJECTIVE, ValidationScorer

ORACLES = {"random": keras_tuner.oracles.RandomSearchOracle,
           "bayesian": keras_tuner.oracles.BayesianOptimizationOracle}
KERAS_TUNER_DIR = "keras_tuner"  # the oracle's state and keras-tuner's record of each trial
TRIALS_DIR = "trials"  # each trial's run: config.json, results.json, acc_matrix.csv
TENSORBOARD_DIR = "tb"


def make_oracle(algorithm: str, max_trials: int, tune_lr: bool, seed: int,
                method: str = "hat") -> keras_tuner.Oracle:
    """The oracle `algorithm` (`random` or `bayesian`) over `search_space(tune_lr, method)`,
    maximising the mean validation accuracy, for at most `max_trials` trials in all.

    The space is fixed: a trial asks for no hyperparameter outside it. keras-tuner reads
    a seed of 0 as "no seed", so the oracle gets `seed + 1`.
    """
    return ORACLES[algorithm](objective=keras_tuner.Objective(OBJECTIVE, direction="max"),
                              max_trials=max_trials,
                              hyperparameters=search_space(tune_lr, method),
                              allow_new_entries=False, tune_new_entries=False, seed=seed + 1)


class SequenceTuner(keras_tuner.Tuner):
    """A keras-tuner `Tuner` whose trial learns the whole task sequence.

    Each trial trains `base`'s model on `sequence` with the trial's values (its method's
    hyperparameters, and the lr where searched), from the same seed, and reports to the
    oracle its objective (`val_acc`) and the run's test ACC and BWT. It writes the run to
    `<run_dir>/trials/<trial_id>/` and its TensorBoard hparams to `<run_dir>/tb/<trial_id>/`.

    Args:
        oracle: Proposes the trials (`make_oracle`).
        base: Every setting but the searched ones.
        sequence: The tasks.
        run_dir: The search's folder.
        log: Where the trials' progress lines go.
    """

    def __init__(self, oracle: keras_tuner.Oracle, base: RunConfig, sequence: TaskSequence,
                 run_dir: str, log: Callable[[str], None] = print):
        self.base = base
        self.method = method_name(base.model)
        self.sequence = sequence
        self.run_dir = run_dir
        self.log = log
        super().__init__(oracle, directory=run_dir, project_name=KERAS_TUNER_DIR)

    def run_trial(self, trial: keras_tuner.engine.trial.Trial, **kwargs) -> dict[str, float]:
        """Learns the sequence with the trial's values; its metrics for the oracle.

        keras-tuner passes `search`'s keyword arguments on (none here); a run whose loss
        becomes NaN is a failed trial, and the search goes on.
        """
        config = trial_config(self.base, trial.hyperparameters.values,
                              os.path.join(self.run_dir, TRIALS_DIR, trial.trial_id))
        try:
            results = run_trial_sequence(config, self.sequence, self.log)
        except NonFiniteLossError as error:
            raise keras_tuner.errors.FailedTrialError(str(error)) from error
        metrics = {OBJECTIVE: results.val_acc, "acc": results.acc, "bwt": results.bwt}
        hparams.write_trial(os.path.join(self.run_dir, TENSORBOARD_DIR), trial.trial_id,
                            trial_values(config, self.method), metrics)
        return metrics


def run_trial_sequence(config: RunConfig, sequence: TaskSequence,
                       log: Callable[[str], None] = print) -> RunResults:
    """One trial's run in `config.run_dir`, from scratch (a trial retried after a crash
    starts anew): the task sequence, then the validation accuracy of every task.

    Every trial starts from the same seed (runner.start_run), so trials differ only in the
    searched values.
    """
    shutil.rmtree(config.run_dir, ignore_errors=True)
    keras.backend.clear_session()  # the previous trial's models are not needed any more
    return start_run(config, sequence, log=log, observers=[ValidationScorer(sequence)])
