"""The HAT reference code's LwF and SGD (joansj/hat, src/approaches/lwf.py and sgd.py, on
src/networks/alexnet.py) on a sequence of tasks, on the CPU: the accuracy matrix, to set
beside hat_tf's `alexnet_lwf` and `alexnet_sgd` on the same images.

A port of the reference's lines, kept as they are: one AlexNet without gates and a head
per task; SGD lr 0.05 without momentum, batch 64, gradient norm clipped at 100 (LwF) or
10,000 (SGD); lr /= 3 after 5 epochs without a better validation loss, stop at lr < 1e-4
or the epoch cap, the best-validation weights restored at the task's end. LwF adds
λ·Σ_{τ<t} CE(old head τ, new head τ) on the new task's images (λ 2, T 1; `utils.cross_entropy`
with its ε = 1e-5 smoothing), the old network a frozen copy in eval mode taken after the
previous task. `--restore-at-drop` puts the best weights back at every lr drop too, as
hat_tf's protocol does. Needs PyTorch, which hat_tf does not: run it from its own
environment on the .npz files that ../reference_first_task/dump_task.py writes, one per task.

    for t in 0 1 2 3; do PYTHONPATH=. python runs/reference_first_task/dump_task.py \\
        --data-dir ~/hat_data --dataset cifar --seed 0 --task $t \\
        --out ~/scratch/cifar_s0_t$t.npz; done
    python runs/reference_lwf/reference_lwf.py ~/scratch/cifar_s0_t{0,1,2,3}.npz --lwf \\
        --epochs 15 --restore-at-drop --out runs/reference_lwf/lwf_cpu_seed0.json
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "reference_first_task"))
from reference_hat import Net  # noqa: E402  (the same network, run without gates)


class MultiHeadNet(torch.nn.Module):
    """The reference's `networks/alexnet.py`: AlexNet with one linear head per task."""

    def __init__(self, classes_per_task: list[int]):
        super().__init__()
        self.body = Net(1, gated=False)
        self.heads = torch.nn.ModuleList(torch.nn.Linear(2048, n) for n in classes_per_task)

    def forward(self, x):
        h, _ = self.body.features(torch.LongTensor([0]), x, 1.0)
        return [head(h) for head in self.heads]


def smoothed_cross_entropy(outputs, targets, eps=1e-5):
    """The reference's `utils.cross_entropy` at exp = 1 (T = 1)."""
    out = torch.nn.functional.softmax(outputs, dim=1)
    tar = torch.nn.functional.softmax(targets, dim=1)
    out = out + eps / out.size(1)
    out = out / out.sum(1, keepdim=True)
    return -(tar * out.log()).sum(1).mean()


def task_loss(t, outputs, targets, old_outputs, lamb):
    """The reference's `lwf.py` criterion; with lamb 0 (or no old network) `sgd.py`'s."""
    loss = torch.nn.functional.cross_entropy(outputs[t], targets)
    if old_outputs is not None:
        loss = loss + lamb * sum(smoothed_cross_entropy(outputs[u], old_outputs[u])
                                 for u in range(t))
    return loss


def run_batches(model, old_model, t, x, y, lamb, optimizer=None, clip=100.0, batch=64):
    """One pass over (x, y): training when an optimizer is given; (mean loss, accuracy)."""
    model.train(optimizer is not None)
    order = np.random.permutation(len(x)) if optimizer else np.arange(len(x))
    loss_sum, hits = 0.0, 0
    for i in range(0, len(order), batch):
        b = torch.from_numpy(order[i:i + batch])
        with torch.set_grad_enabled(optimizer is not None):
            old = None
            if old_model is not None:
                with torch.no_grad():
                    old = old_model(x[b])
            outputs = model(x[b])
            loss = task_loss(t, outputs, y[b], old, lamb)
        if optimizer is not None:
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
        loss_sum += loss.item() * len(b)
        hits += (outputs[t].argmax(1) == y[b]).sum().item()
    return loss_sum / len(x), hits / len(x)


def train_task(model, old_model, t, data, lamb, clip, epochs, restore_at_drop):
    """The reference's `train`: the schedule, the best-validation weights at the end."""
    lr, patience, best_loss = 0.05, 5, np.inf
    best = copy.deepcopy(model.state_dict())
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for epoch in range(epochs):
        run_batches(model, old_model, t, data["x_train"], data["y_train"], lamb, optimizer, clip)
        val_loss, val_acc = run_batches(model, old_model, t, data["x_val"], data["y_val"], lamb)
        print({"task": t, "epoch": epoch + 1, "lr": lr, "val_loss": round(val_loss, 4),
               "val_acc": round(val_acc, 4)}, flush=True)
        if val_loss < best_loss:
            best_loss, best, patience = val_loss, copy.deepcopy(model.state_dict()), 5
            continue
        patience -= 1
        if patience <= 0:
            lr /= 3
            if lr < 1e-4:
                break
            if restore_at_drop:
                model.load_state_dict(best)
            patience = 5
            optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    model.load_state_dict(best)
    return epoch + 1


def load_task(path):
    data = np.load(path)
    return {k: torch.from_numpy(data[k]) for k in data.files if k != "name"}, str(data["name"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+", help="one .npz per task, in order (dump_task.py)")
    parser.add_argument("--lwf", action="store_true", help="LwF (else the reference's SGD)")
    parser.add_argument("--lamb", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--restore-at-drop", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    tasks = [load_task(p) for p in args.tasks]
    model = MultiHeadNet([int(d["y_train"].max()) + 1 for d, _ in tasks])
    lamb, clip = (args.lamb, 100.0) if args.lwf else (0.0, 10000.0)
    old_model, matrix, epochs, clock = None, [], [], time.time()
    for t, (data, _) in enumerate(tasks):
        epochs.append(train_task(model, old_model, t, data, lamb, clip, args.epochs,
                                 args.restore_at_drop))
        matrix.append([run_batches(model, None, u, tasks[u][0]["x_test"], tasks[u][0]["y_test"],
                                   0.0)[1] for u in range(t + 1)])
        print({"after task": t, "test accuracy": [round(a, 4) for a in matrix[-1]]}, flush=True)
        if args.lwf:
            old_model = copy.deepcopy(model).eval()
    result = {"approach": "lwf" if args.lwf else "sgd", "lamb": lamb, "seed": args.seed,
              "tasks": [name for _, name in tasks], "epochs_cap": args.epochs,
              "restore_at_drop": args.restore_at_drop, "epochs": epochs,
              "acc_matrix": matrix, "train_seconds": time.time() - clock}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
