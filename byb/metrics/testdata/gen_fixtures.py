#!/usr/bin/env python3
"""Generate scikit-learn reference fixtures for byb/metrics tests.

Run once from this directory (outputs are checked in):

    python3 gen_fixtures.py

Requires numpy and scikit-learn. Writes binary.json and multiclass.json.
Floats are written with Python's repr (shortest round-trip), so Go parses
exactly the values sklearn saw.
"""
import json
import platform

import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score, roc_curve

rng = np.random.default_rng(20261128)


def binary_case(name, scores, labels):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    fpr, tpr, _ = roc_curve(labels, scores)
    return {
        "name": name,
        "scores": scores.tolist(),
        "labels": labels.tolist(),
        "auroc": float(roc_auc_score(labels, scores)),
        "ks": float(np.max(tpr - fpr)),
    }


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def multi_case(name, probs, labels, num_classes, check_sklearn_ovr):
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    per_class = []
    for c in range(num_classes):
        y = (labels == c).astype(np.int64)
        if y.min() == y.max():  # no positive or no negative: skipped (byb rule)
            per_class.append(None)
        else:
            per_class.append(float(roc_auc_score(y, probs[:, c])))
    used = [a for a in per_class if a is not None]
    macro = float(np.mean(used))
    case = {
        "name": name,
        "num_classes": num_classes,
        "probs": probs.reshape(-1).tolist(),
        "labels": labels.tolist(),
        "per_class": per_class,
        "macro_auroc": macro,
        "classes_used": len(used),
        "accuracy": float(np.mean(probs.argmax(axis=1) == labels)),
    }
    if check_sklearn_ovr:
        # All classes present: byb's value must equal sklearn's own OvR macro.
        ovr = float(roc_auc_score(labels, probs, multi_class="ovr", average="macro"))
        assert abs(ovr - macro) < 1e-12, (ovr, macro)
        case["macro_auroc"] = ovr
        case["sklearn_ovr"] = True
    return case


binary = []
# Many ties: scores on a coarse grid, labels correlated with the score.
s = rng.integers(0, 6, size=200) / 10.0
y = (rng.random(200) < 0.2 + s).astype(int)
binary.append(binary_case("many_ties", s, y))
# All scores equal.
binary.append(binary_case("all_equal", np.full(50, 0.5), (np.arange(50) % 3 == 0).astype(int)))
# Perfectly separated.
binary.append(binary_case("separated", [0.1, 0.2, 0.3, 0.35, 0.8, 0.9, 0.95], [0, 0, 0, 0, 1, 1, 1]))
# Perfectly reversed.
binary.append(binary_case("reversed", [0.1, 0.2, 0.3, 0.35, 0.8, 0.9, 0.95], [1, 1, 1, 0, 0, 0, 0]))
# Random, n=1000, continuous scores.
y = (rng.random(1000) < 0.3).astype(int)
s = rng.normal(size=1000) + 0.8 * y
binary.append(binary_case("random_1000", s, y))
# Random, n=1000, rounded scores (ties across classes) with negative values.
y = (rng.random(1000) < 0.1).astype(int)
s = np.round(rng.normal(size=1000) + 0.5 * y, 1)
binary.append(binary_case("random_1000_ties", s, y))
# Single positive.
binary.append(binary_case("one_positive", [0.3, 0.1, 0.7, 0.7, 0.2], [0, 0, 1, 0, 0]))

multi = []
# C=5, class 3 absent from labels.
n, c = 300, 5
y = rng.choice([0, 1, 2, 4], size=n)
z = rng.normal(size=(n, c))
z[np.arange(n), y] += 1.0
multi.append(multi_case("c5_class3_absent", softmax(z), y, c, False))
# C=10, classes 2, 7, 9 absent, coarse (tied) scores.
n, c = 500, 10
y = rng.choice([0, 1, 3, 4, 5, 6, 8], size=n)
z = rng.normal(size=(n, c))
z[np.arange(n), y] += 0.7
multi.append(multi_case("c10_three_absent_ties", np.round(softmax(z), 2), y, c, False))
# C=3, all present, continuous: checked directly against sklearn OvR macro.
n, c = 400, 3
y = rng.integers(0, c, size=n)
z = rng.normal(size=(n, c))
z[np.arange(n), y] += 0.9
multi.append(multi_case("c3_all_present", softmax(z), y, c, True))
# C=3, all present, rows drawn from 4 fixed probability vectors (heavy ties).
table = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [0.1, 0.8, 0.1], [0.25, 0.25, 0.5]])
y = rng.integers(0, c, size=200)
rows = table[rng.integers(0, 4, size=200)]
multi.append(multi_case("c3_all_present_ties", rows, y, c, True))

meta = {"numpy": np.__version__, "sklearn": sklearn.__version__, "python": platform.python_version()}
with open("binary.json", "w") as f:
    json.dump({"generator": meta, "cases": binary}, f)
    f.write("\n")
with open("multiclass.json", "w") as f:
    json.dump({"generator": meta, "cases": multi}, f)
    f.write("\n")
print("wrote", len(binary), "binary and", len(multi), "multiclass cases with", meta)
