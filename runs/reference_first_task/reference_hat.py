"""The HAT reference code (joansj/hat, src/networks/alexnet_hat.py and src/approaches/hat.py)
on the first task of a sequence, on the CPU, reporting how far its masks moved.

A port of the reference's lines for task t = 0, kept as they are (SGD lr 0.05 without
momentum, batch 64, s annealed over each epoch by the sample index, the capacity term
c·mean(a), embedding-gradient compensation with cosh clipped at 50, gradient-norm clip
10,000, embeddings clamped to ±6, lr /= 3 after 5 epochs without a better validation loss,
stop at lr < 1e-4 or 200 epochs, restore the best-validation weights at the task's end);
only `.cuda()` and the removed `Variable` wrapper differ. Two options measure departures:
`--sgd` (the reference's SGD baseline) and `--restore-at-drop` (hat_tf's protocol, which
restores the best weights at every lr drop too). It needs PyTorch, which hat_tf does not: run it
from its own environment, on the .npz that dump_task.py writes.

    python runs/reference_first_task/reference_hat.py ~/runs/reference_first_task/task0.npz \
        --seed 0 --out runs/reference_first_task/reference_seed0.json
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import numpy as np
import torch

GATED = ("ec1", "ec2", "ec3", "efc1", "efc2")


class Net(torch.nn.Module):
    """The reference's AlexNet-HAT (alexnet_hat.py) for 32×32×3 inputs and one head."""

    def __init__(self, num_classes: int, num_tasks: int = 10, gated: bool = True):
        super().__init__()
        self.gated = gated
        self.c1 = torch.nn.Conv2d(3, 64, kernel_size=4)
        self.c2 = torch.nn.Conv2d(64, 128, kernel_size=3)
        self.c3 = torch.nn.Conv2d(128, 256, kernel_size=2)
        self.maxpool, self.relu = torch.nn.MaxPool2d(2), torch.nn.ReLU()
        self.drop1, self.drop2 = torch.nn.Dropout(0.2), torch.nn.Dropout(0.5)
        self.fc1 = torch.nn.Linear(256 * 2 * 2, 2048)
        self.fc2 = torch.nn.Linear(2048, 2048)
        self.last = torch.nn.Linear(2048, num_classes)
        for name, units in zip(GATED, (64, 128, 256, 2048, 2048)):
            setattr(self, name, torch.nn.Embedding(num_tasks, units))

    def mask(self, t, s):
        """The gates σ(s·e); all 1 in the reference's plain AlexNet (`networks/alexnet.py`)."""
        if not self.gated:
            return [torch.ones_like(getattr(self, name)(t)) for name in GATED]
        return [torch.sigmoid(s * getattr(self, name)(t)) for name in GATED]

    def forward(self, t, x, s):
        h, masks = self.features(t, x, s)
        return self.last(h), masks

    def features(self, t, x, s):
        """The output of fc2 under task t's gates at scale s, and the gates."""
        gc1, gc2, gc3, gfc1, gfc2 = masks = self.mask(t, s)
        h = self.maxpool(self.drop1(self.relu(self.c1(x)))) * gc1.view(1, -1, 1, 1)
        h = self.maxpool(self.drop1(self.relu(self.c2(h)))) * gc2.view(1, -1, 1, 1)
        h = self.maxpool(self.drop2(self.relu(self.c3(h)))) * gc3.view(1, -1, 1, 1)
        h = self.drop2(self.relu(self.fc1(h.view(x.size(0), -1)))) * gfc1
        h = self.drop2(self.relu(self.fc2(h))) * gfc2
        return h, masks


def criterion(output, targets, masks, lamb):
    """Cross-entropy + c·R with R the mean gate value (the first task's form of Eq. 5)."""
    reg = sum(m.sum() for m in masks) / sum(m.numel() for m in masks)
    return torch.nn.functional.cross_entropy(output, targets) + lamb * reg


def train_epoch(model, optimizer, x, y, smax, lamb, batch=64, thres_cosh=50, thres_emb=6):
    model.train()
    order = torch.from_numpy(np.random.permutation(len(x)))
    task = torch.LongTensor([0])
    for i in range(0, len(order), batch):
        b = order[i:i + batch]
        s = (smax - 1 / smax) * i / len(order) + 1 / smax
        output, masks = model(task, x[b], s)
        loss = criterion(output, y[b], masks, lamb)
        optimizer.zero_grad()
        loss.backward()
        for name in GATED if model.gated else ():
            p = getattr(model, name).weight
            num = torch.cosh(torch.clamp(s * p.data, -thres_cosh, thres_cosh)) + 1
            den = torch.cosh(p.data) + 1
            p.grad.data *= smax / s * num / den
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10000)
        optimizer.step()
        for name in GATED:
            p = getattr(model, name).weight
            p.data = torch.clamp(p.data, -thres_emb, thres_emb)


@torch.no_grad()
def evaluate(model, x, y, smax, lamb, batch=64):
    model.eval()
    task, loss, hits = torch.LongTensor([0]), 0.0, 0
    for i in range(0, len(x), batch):
        output, masks = model(task, x[i:i + batch], smax)
        loss += criterion(output, y[i:i + batch], masks, lamb).item() * len(output)
        hits += (output.argmax(1) == y[i:i + batch]).sum().item()
    return loss / len(x), hits / len(x)


def mask_summary(start: np.ndarray, end: np.ndarray) -> dict[str, float]:
    """Gates on (σ(s_max·e) > 0.5 ⇔ e > 0) at the end, switched since the start, moved."""
    return {"on": float(np.mean(end > 0)), "switched": float(np.mean((start > 0) != (end > 0))),
            "moved": float(np.mean(np.abs(end - start))),
            "at_clamp": float(np.mean(np.abs(end) >= 6))}


def embeddings(model) -> np.ndarray:
    return np.concatenate([getattr(model, n).weight.data[0].numpy().copy() for n in GATED])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("npz")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lamb", type=float, default=0.75)
    parser.add_argument("--smax", type=float, default=400.0)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--sgd", action="store_true",
                        help="the reference's SGD baseline: the same network without gates "
                             "(`networks/alexnet.py`) and c = 0 (`approaches/sgd.py`)")
    parser.add_argument("--restore-at-drop", action="store_true",
                        help="put the best weights back at every lr drop, as hat_tf's "
                             "protocol does (the reference only at the task's end)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch's CPU threads (1 beside the background grid)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    data = np.load(args.npz)
    x = {s: torch.from_numpy(data[f"x_{s}"]) for s in ("train", "val", "test")}
    y = {s: torch.from_numpy(data[f"y_{s}"]) for s in ("train", "val", "test")}
    if args.sgd:
        args.lamb = 0.0
    model = Net(int(y["train"].max()) + 1, gated=not args.sgd)
    start = embeddings(model)
    lr, patience, best_loss = 0.05, 5, np.inf
    best = copy.deepcopy(model.state_dict())
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    history, clock = [], time.time()
    for epoch in range(args.epochs):
        train_epoch(model, optimizer, x["train"], y["train"], args.smax, args.lamb)
        val_loss, val_acc = evaluate(model, x["val"], y["val"], args.smax, args.lamb)
        history.append({"epoch": epoch + 1, "lr": lr, "val_loss": val_loss, "val_acc": val_acc,
                        **mask_summary(start, embeddings(model))})
        print(history[-1], flush=True)
        if val_loss < best_loss:
            best_loss, best, patience = val_loss, copy.deepcopy(model.state_dict()), 5
        else:
            patience -= 1
            if patience <= 0:
                lr /= 3
                if lr < 1e-4:
                    break
                if args.restore_at_drop:
                    model.load_state_dict(best)
                patience = 5
                optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    model.load_state_dict(best)
    _, test_acc = evaluate(model, x["test"], y["test"], args.smax, args.lamb)
    result = {"task": str(data["name"]), "seed": args.seed, "sgd": args.sgd,
              "restore_at_drop": args.restore_at_drop, "lamb": args.lamb,
              "smax": args.smax, "epochs": len(history), "test_acc": test_acc,
              "train_seconds": time.time() - clock,
              "mask": mask_summary(start, embeddings(model)), "history": history}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print({k: v for k, v in result.items() if k != "history"})


if __name__ == "__main__":
    main()
