"""How much longer a training epoch takes than its training steps (issue 15).

    python tools/epoch_overhead.py --out runs/epoch_overhead/after.json -- \\
        --model alexnet_hat --dataset digits --epochs 5 --run-dir /tmp/overhead_run

Runs the checkout's own tools/train.py (from the current directory, so any commit can be
measured with the same clock) with the arguments after `--`, and times every epoch of
every task's `fit`: its steps run from the epoch's start to the start of its validation,
and the whole epoch to the end of the last epoch-end callback (the learning-rate
schedule, its copy of the best weights, the checkpoint, the epoch line, TensorBoard).
Prints and writes the median of epoch time / step time, the medians of both times, and
every epoch's pair.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import statistics
import sys
import time

import keras


class EpochClock(keras.callbacks.Callback):
    """Marks an epoch's start and its validation's start; the last callback of a `fit`
    (`EpochEnd`) marks its end."""

    def __init__(self, epochs: list):
        super().__init__()
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.begin = time.perf_counter()
        self.steps_end = None

    def on_test_begin(self, logs=None):
        if self.steps_end is None:
            self.steps_end = time.perf_counter()


class EpochEnd(keras.callbacks.Callback):
    """Records the epoch of `clock` once every other epoch-end callback has run."""

    def __init__(self, clock: EpochClock):
        super().__init__()
        self.clock = clock

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.clock.epochs.append({"steps": self.clock.steps_end - self.clock.begin,
                                  "epoch": now - self.clock.begin})


def timed_fit(fit, epochs: list):
    """`keras.Model.fit` with an EpochClock first and its EpochEnd last among the callbacks."""
    def fit_with_clock(model, *args, callbacks=None, **kwargs):
        clock = EpochClock(epochs)
        return fit(model, *args, callbacks=[clock, *(callbacks or []), EpochEnd(clock)],
                   **kwargs)
    return fit_with_clock


def summary(epochs: list) -> dict:
    """Medians of the step and epoch times and of their ratio, with every epoch's pair."""
    return {"epochs": len(epochs),
            "median_epoch_over_steps": statistics.median(e["epoch"] / e["steps"] for e in epochs),
            "median_steps_seconds": statistics.median(e["steps"] for e in epochs),
            "median_epoch_seconds": statistics.median(e["epoch"] for e in epochs),
            "per_epoch": epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="the JSON file to write")
    parser.add_argument("train_args", nargs=argparse.REMAINDER,
                        help="after --: the arguments of tools/train.py")
    args = parser.parse_args()
    train_args = args.train_args[1:] if args.train_args[:1] == ["--"] else args.train_args
    epochs: list = []
    keras.Model.fit = timed_fit(keras.Model.fit, epochs)
    sys.argv = ["tools/train.py", *train_args]
    sys.path.insert(0, os.getcwd())
    try:
        runpy.run_path(os.path.join("tools", "train.py"), run_name="__main__")
    except SystemExit as stop:
        if stop.code not in (None, 0):
            raise
    result = {"train_args": train_args, **summary(epochs)}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as out:
        json.dump(result, out, indent=1)
    print(f"epoch / steps: median {result['median_epoch_over_steps']:.3f} over "
          f"{len(epochs)} epochs (steps {result['median_steps_seconds']:.3f} s, "
          f"epoch {result['median_epoch_seconds']:.3f} s)")


if __name__ == "__main__":
    main()
