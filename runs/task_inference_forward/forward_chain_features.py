"""The chain + alpha * max logit reading (forward_chain.py) on parts of AlexNet's detector
features (the flattened conv trunk 1,024 units, fc1 and fc2 2,048 each), with a full or a
diagonal covariance, alpha 0 to 2: class-incremental accuracy, validation / test.

    python forward_chain_features.py CACHE.npz
"""
import sys
import numpy as np
d = {k: (v.astype(np.float32) if v.dtype == np.float16 else v) for k, v in np.load(sys.argv[1]).items()}
classes = d["classes"]; T = len(classes)


def logits_of(split):
    return np.stack([np.where(np.arange(d[f"{split}_logit_{t}"].shape[1]) < classes[t],
                              d[f"{split}_logit_{t}"], -np.inf) for t in range(T)])


def chain_scores(sl, diag, shrink, split):
    dets = []
    for i in range(T - 1):
        own = d[f"train_feat_{i}_{i}"][:, sl]
        neg = np.concatenate([d[f"train_feat_{i}_{j}"][:, sl] for j in range(i + 1, T)])
        mo, mn = own.mean(0), neg.mean(0)
        if diag:
            vo, vn = own.var(0), neg.var(0)
            pooled = 0.5 * (vo + vn); pooled += shrink * pooled.mean()
            w = (mo - mn) / pooled
            v1, v0 = (w * w * vo).sum(), (w * w * vn).sum()
        else:
            co, cn = np.cov(own, rowvar=False), np.cov(neg, rowvar=False)
            cov = 0.5 * (co + cn); cov += shrink * np.trace(cov) / len(cov) * np.eye(len(cov))
            w = np.linalg.solve(cov, mo - mn); v1, v0 = w @ co @ w, w @ cn @ w
        dets.append((w, w @ mo, v1, w @ mn, v0, T - 1 - i))
    lo = []
    for i, (w, m1, v1, m0, v0, later) in enumerate(dets):
        z = d[f"{split}_feat_{i}"][:, sl] @ w
        lo.append(-0.5 * (z - m1) ** 2 / v1 - 0.5 * np.log(v1) + 0.5 * (z - m0) ** 2 / v0
                  + 0.5 * np.log(v0) - np.log(later))
    lo = np.stack(lo)
    ls, l1s = -np.logaddexp(0, -lo), -np.logaddexp(0, lo)
    chain = np.zeros((T, lo.shape[1])); acc = np.zeros(lo.shape[1])
    for i in range(T - 1):
        chain[i] = acc + ls[i]; acc = acc + l1s[i]
    chain[T - 1] = acc
    return chain


def result(split, task_pred):
    y, truth = d[f"{split}_y"], d[f"{split}_task"]
    cls = logits_of(split)[task_pred, np.arange(len(y))].argmax(1)
    return 100 * (task_pred == truth).mean(), 100 * ((task_pred == truth) & (cls == y)).mean()


slices = {"all": slice(None), "trunk": slice(0, 1024), "fc1": slice(1024, 3072),
          "fc2": slice(3072, 5120), "fc1+fc2": slice(1024, 5120)}
for name, sl in slices.items():
    for diag in (False, True):
        for shrink in ((0.01,) if not diag else (0.0, 0.1)):
            ch = {s: chain_scores(sl, diag, shrink, s) for s in ("val", "test")}
            row = []
            for alpha in (0.0, 0.5, 1.0, 2.0):
                r = {s: result(s, (ch[s] + alpha * logits_of(s).max(2)).argmax(0))
                     for s in ("val", "test")}
                row.append(f"a{alpha}: {r['val'][1]:.1f}/{r['test'][1]:.1f}")
            print(f"{name:8s} {'diag' if diag else 'full'} {shrink:5}  CIL val/test  " + "  ".join(row), flush=True)
