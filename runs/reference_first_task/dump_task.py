"""Writes one task of a hat_tf benchmark (its train/validation/test split, normalised as
hat_tf normalises it) to an .npz that reference_hat.py reads, so that the HAT reference code
and hat_tf train on the same images.

    PYTHONPATH=. python runs/reference_first_task/dump_task.py --data-dir ~/hat_data \
        --dataset cifar100_10 --seed 0 --task 0 --out ~/runs/reference_first_task/task0.npz
"""

from __future__ import annotations

import argparse

import numpy as np

from hat_tf.config import DataConfig
from hat_tf.data.benchmarks import DATASETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--dataset", default="cifar100_10")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sequence = DATASETS.get(args.dataset)(DataConfig(args.dataset, args.data_dir, args.seed))
    task = sequence.tasks[args.task]
    mean, std = (np.asarray(sequence.channel_mean, np.float32),
                 np.asarray(sequence.channel_std, np.float32))
    arrays = {}
    for split in ("train", "val", "test"):
        images, labels = task.split(split)
        arrays[f"x_{split}"] = ((images.astype(np.float32) - mean) / std).transpose(0, 3, 1, 2)
        arrays[f"y_{split}"] = labels.astype(np.int64)
    np.savez(args.out, name=task.name, **arrays)
    print(task.name, {k: v.shape for k, v in arrays.items()})


if __name__ == "__main__":
    main()
