"""Hyperparameter search over a method's hyperparameters (HAT's s_max and c, EWC's λ,
LwF's λ and T) with keras-tuner (tools/tune.py).

- `space.py`: the search space per method (HAT: paper Fig. 4's ranges) and a trial's
  `RunConfig`;
- `validation.py`: the objective, the mean validation accuracy after the last task;
- `tuner.py`: the keras-tuner `Tuner` whose trial is a whole task sequence, and its oracles;
- `hparams.py`: the trials in TensorBoard's HPARAMS tab;
- `summary.py`, `figure.py`: the table of trials, the best train.py command, the plot.
"""
