#!/usr/bin/env python3
"""Checks `sieve model-stats` (a model's validation statistics) against reference implementations,
to 1e-9: statsmodels' proportion_confint(method="wilson") for sensitivity, specificity, PPV, NPV and
accuracy with their 95 % intervals, and scikit-learn's roc_auc_score for the ROC AUC — on random
data with tied and untied scores, and edge cases (a perfect model, a useless one, a class missing,
one study). Usage: models_reference.py SIEVE_BINARY. Exit status 1 on a mismatch.
"""
import csv
import json
import random
import subprocess
import sys
import tempfile
import warnings

from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import proportion_confint

warnings.filterwarnings("ignore")
TOLERANCE = 1e-9


def datasets():
    rng = random.Random(20261207)
    for n in range(12):
        size = rng.randint(5, 2000)
        prevalence = rng.random()
        sensitivity, specificity = rng.random(), rng.random()
        ties = rng.choice([0, 2, 10])
        rows = []
        for _ in range(size):
            truth = rng.random() < prevalence
            called = rng.random() < (sensitivity if truth else 1 - specificity)
            score = rng.random() * 0.5 + (0.5 if called else 0.0)
            if ties:
                score = round(score * ties) / ties
            rows.append((int(truth), int(called), score))
        yield f"random {n} ({size} studies, ties {ties or 'none'})", rows
    yield "perfect model", [(t, t, 0.9 if t else 0.1) for t in [1, 0] * 20]
    yield "useless model", [(t, 1, 0.5) for t in [1, 0, 0] * 15]
    yield "no positives", [(0, c, c * 0.7) for c in [1, 0, 0, 0] * 5]
    yield "one study", [(1, 1, 0.8)]


def sieve(binary, rows):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["reference", "model", "score"])
        writer.writerows(rows)
    out = subprocess.run([binary, "model-stats", f.name], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def wilson(count, total):
    if total == 0:
        return None
    low, high = proportion_confint(count, total, alpha=0.05, method="wilson")
    return count / total, low, high


def references(rows):
    tp = sum(1 for t, c, _ in rows if t and c)
    fp = sum(1 for t, c, _ in rows if not t and c)
    fn = sum(1 for t, c, _ in rows if t and not c)
    tn = sum(1 for t, c, _ in rows if not t and not c)
    truths = [t for t, _, _ in rows]
    auc = roc_auc_score(truths, [s for _, _, s in rows]) if 0 < sum(truths) < len(truths) else None
    return {
        "sensitivity": wilson(tp, tp + fn),
        "specificity": wilson(tn, tn + fp),
        "ppv": wilson(tp, tp + fp),
        "npv": wilson(tn, tn + fn),
        "accuracy": wilson(tp + tn, len(rows)),
        "auc": auc,
    }


def main(binary):
    checked = failed = 0
    for name, rows in datasets():
        ours = sieve(binary, rows)
        ref = references(rows)
        for measure in ("sensitivity", "specificity", "ppv", "npv", "accuracy"):
            mine = ours[measure] and (ours[measure]["value"], ours[measure]["low"], ours[measure]["high"])
            theirs = ref[measure]
            checked += 1
            if (mine is None) != (theirs is None) or (
                mine is not None and any(abs(a - b) > TOLERANCE for a, b in zip(mine, theirs))
            ):
                failed += 1
                print(f"MISMATCH {name}: {measure}: sieve {mine}, reference {theirs}")
        mine = ours["auc"] and ours["auc"]["value"]
        checked += 1
        if (mine is None) != (ref["auc"] is None) or (mine is not None and abs(mine - ref["auc"]) > TOLERANCE):
            failed += 1
            print(f"MISMATCH {name}: ROC AUC: sieve {mine}, reference {ref['auc']}")
    print(f"model validation vs reference implementations: {checked} values compared, {failed} mismatches")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1])
