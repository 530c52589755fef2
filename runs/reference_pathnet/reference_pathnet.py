"""The HAT reference code's PathNet (joansj/hat, src/networks/alexnet_pathnet.py and
src/approaches/pathnet.py) training one path on one task, on the CPU: every epoch's training
loss, to set beside hat_tf's `alexnet_pathnet`, which diverged at the same settings.

A port of the reference's lines, kept as they are: M = 16 modules a layer at its
expand_factor 0.258 of AlexNet's units, paths of N = 3 distinct modules a layer drawn as its
`train` draws them, each layer the sum over the path's modules of ReLU → dropout → [max-pool]
of the module's output, PyTorch's default initialisation; plain SGD at lr 0.05, batch 64,
gradient norm clipped at 1000 (`train_epoch`). It trains one path for `--epochs` epochs at
the first lr, without the tournament or the lr schedule: the question is whether the first
epochs at lr 0.05 blow the loss up, as they do in hat_tf. Needs PyTorch, which hat_tf does
not: run it from its own environment on an .npz that ../reference_first_task/dump_task.py
writes.

    PYTHONPATH=. python runs/reference_first_task/dump_task.py --data-dir ~/hat_data \\
        --dataset cifar --seed 0 --task 0 --out ~/scratch/cifar_s0_t0.npz
    python runs/reference_pathnet/reference_pathnet.py ~/scratch/cifar_s0_t0.npz --seed 0 \\
        --epochs 3 --out runs/reference_pathnet/task0_seed0.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

M, N, L, EXPAND = 16, 3, 5, 0.258  # the reference's "better config found by us"


class PathNet(torch.nn.Module):
    """`networks/alexnet_pathnet.py` for 32×32×3 images."""

    def __init__(self, classes_per_task: list[int]):
        super().__init__()
        c1, c2, c3, f = (int(EXPAND * u) for u in (64, 128, 256, 2048))
        self.conv1 = torch.nn.ModuleList(torch.nn.Conv2d(3, c1, 4) for _ in range(M))
        self.conv2 = torch.nn.ModuleList(torch.nn.Conv2d(c1, c2, 3) for _ in range(M))
        self.conv3 = torch.nn.ModuleList(torch.nn.Conv2d(c2, c3, 2) for _ in range(M))
        self.fc1 = torch.nn.ModuleList(torch.nn.Linear(c3 * 2 * 2, f) for _ in range(M))
        self.fc2 = torch.nn.ModuleList(torch.nn.Linear(f, f) for _ in range(M))
        self.last = torch.nn.ModuleList(torch.nn.Linear(f, n) for n in classes_per_task)
        self.pool, self.drop1, self.drop2 = (torch.nn.MaxPool2d(2), torch.nn.Dropout(0.2),
                                             torch.nn.Dropout(0.5))

    def forward(self, x, path):
        h = x
        for depth, (layer, drop, pool) in enumerate([(self.conv1, self.drop1, True),
                                                     (self.conv2, self.drop1, True),
                                                     (self.conv3, self.drop2, True),
                                                     (self.fc1, self.drop2, False),
                                                     (self.fc2, self.drop2, False)]):
            if depth == 3:
                h = h.reshape(x.size(0), -1)
            outputs = [drop(torch.relu(layer[m](h))) for m in path[depth]]
            h = sum(self.pool(o) if pool else o for o in outputs)
        return [head(h) for head in self.last]


def first_path(rng: np.random.RandomState) -> np.ndarray:
    """The reference's first path of a task: N distinct modules a layer, shuffled."""
    guesses = list(range(M))
    path = np.zeros((L, N), dtype=int)
    for depth in range(L):
        rng.shuffle(guesses)
        path[depth] = guesses[:N]
    return path


def train_epoch(model, optimizer, path, x, y, batch=64, clip=1000.0):
    """`approaches/pathnet.py`'s `train_epoch`; every batch's loss and gradient norm."""
    model.train()
    order = np.random.permutation(len(x))
    losses, norms = [], []
    for i in range(0, len(order), batch):
        b = torch.from_numpy(order[i:i + batch])
        loss = torch.nn.functional.cross_entropy(model(x[b], path)[0], y[b])
        optimizer.zero_grad()
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), clip)))
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses), np.array(norms)


@torch.no_grad()
def evaluate(model, path, x, y, batch=256):
    """Mean loss and accuracy in eval mode (the reference's `eval`)."""
    model.eval()
    loss, hits = 0.0, 0
    for i in range(0, len(x), batch):
        out = model(x[i:i + batch], path)[0]
        loss += torch.nn.functional.cross_entropy(out, y[i:i + batch], reduction="sum").item()
        hits += (out.argmax(1) == y[i:i + batch]).sum().item()
    return loss / len(x), hits / len(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", help="the task's .npz (dump_task.py)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    data = np.load(args.task)
    x, y = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"])
    model = PathNet([int(data["y_train"].max()) + 1])
    path = first_path(np.random.RandomState(args.seed))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    with torch.no_grad():
        model.eval()
        initial_logits = model(x[:64], path)[0].abs().mean().item()
    epochs, clock = [], time.time()
    for epoch in range(args.epochs):
        losses, norms = train_epoch(model, optimizer, path, x, y)
        val_loss, val_acc = evaluate(model, path, torch.from_numpy(data["x_val"]),
                                     torch.from_numpy(data["y_val"]))
        epochs.append({"epoch": epoch + 1, "train_loss_mean": float(losses.mean()),
                       "train_loss_max": float(losses.max()),
                       "batches_loss_over_100": int((losses > 100).sum()),
                       "grad_norm_max": float(norms.max()),
                       "batches_clipped": int((norms > 1000).sum()), "batches": len(losses),
                       "val_loss": round(val_loss, 4), "val_acc": round(val_acc, 4)})
        print(epochs[-1], flush=True)
    result = {"task": str(data["name"]), "seed": args.seed, "lr": args.lr,
              "path": path.tolist(), "params": sum(p.numel() for p in model.parameters()),
              "initial_mean_abs_logit": initial_logits, "epochs": epochs,
              "train_seconds": round(time.time() - clock, 1)}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
