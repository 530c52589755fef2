"""How often rules infer the right task on synthetic features (the rule tests' measure)."""

import numpy as np
import tensorflow as tf


def inferred_shares(rules, logits, views_of, num_tasks):
    """{rule name: the share of images whose task the rule infers right, averaged over the
    true tasks}, `views_of(true_task)` giving (tasks, batch, units) features of a batch of
    that task's images under every task's masks, `logits` the heads' for every batch."""
    shares = {name: [] for name in rules}
    for true_task in range(num_tasks):
        features = tf.constant(views_of(true_task), tf.float32)
        for name, rule in rules.items():
            chosen = np.argmax(rule.scores(logits, features), axis=0)
            shares[name].append(np.mean(chosen == true_task))
    return {name: float(np.mean(share)) for name, share in shares.items()}
