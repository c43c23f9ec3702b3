#!/usr/bin/env python3
"""Checks `sieve agreement --json` against reference implementations, to 1e-9:
scikit-learn's cohen_kappa_score, statsmodels' fleiss_kappa, the krippendorff package (nominal)
and irrCAC's Gwet AC1, on random data and edge cases (all raters agree; one label only; missing
answers; two raters only). Usage: agreement_reference.py SIEVE_BINARY. Exit status 1 on a mismatch.
"""
import csv
import json
import math
import random
import subprocess
import sys
import tempfile
import warnings

import krippendorff
import numpy as np
import pandas as pd
from irrCAC.raw import CAC
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

warnings.filterwarnings("ignore")
TOLERANCE = 1e-9


def datasets():
    rng = random.Random(20261124)
    for n in range(12):
        raters = rng.randint(2, 6)
        items = rng.randint(20, 150)
        labels = ["present", "absent", "uncertain"][: rng.randint(2, 3)]
        missing = rng.choice([0.0, 0.2, 0.4])
        skew = rng.random()
        rows = []
        for item in range(items):
            truth = labels[0] if rng.random() < skew else rng.choice(labels)
            for rater in range(raters):
                if rng.random() < missing:
                    continue
                label = truth if rng.random() < 0.7 else rng.choice(labels)
                rows.append((f"i{item}", f"r{rater}", label))
        yield f"random {n} ({raters} raters, {items} items, {int(missing * 100)}% missing)", rows
    yield "all raters agree", [(f"i{i}", f"r{r}", ["yes", "no"][i % 2]) for i in range(20) for r in range(3)]
    yield "one label only", [(f"i{i}", f"r{r}", "no") for i in range(15) for r in range(2)]
    yield "two raters only", [(f"i{i}", f"r{r}", ["a", "b", "c"][(i * (r + 1)) % 3]) for i in range(30) for r in range(2)]
    yield "missing answers", [(f"i{i}", f"r{r}", ["a", "b"][(i + r) % 2 if i % 3 else 0])
                              for i in range(40) for r in range(4) if (i + r) % 3 != 0]


def sieve(binary, rows):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["item", "rater", "label"])
        writer.writerows(rows)
    out = subprocess.run([binary, "agreement", f.name, "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def nan_to_none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def references(rows):
    items = sorted({r[0] for r in rows})
    raters = sorted({r[1] for r in rows})
    labels = sorted({r[2] for r in rows})
    code = {label: n for n, label in enumerate(labels)}
    grid = pd.DataFrame(index=items, columns=raters, dtype=object)
    for item, rater, label in rows:
        grid.loc[item, rater] = label
    out = {"pairs": {}}
    for a in range(len(raters)):
        for b in range(a + 1, len(raters)):
            both = grid[[raters[a], raters[b]]].dropna()
            value = cohen_kappa_score(both[raters[a]], both[raters[b]]) if len(both) else None
            out["pairs"][(raters[a], raters[b])] = nan_to_none(value)
    counts = np.array([[sum(1 for v in grid.loc[i] if v == label) for label in labels] for i in items])
    per_item = counts.sum(axis=1)
    sizes = pd.Series(per_item[per_item >= 2]).value_counts()
    modal = max(sizes.index, key=lambda n: (sizes[n], n))
    out["fleiss"] = nan_to_none(fleiss_kappa(counts[per_item == modal], method="fleiss"))
    data = np.array([[code[v] if isinstance(v, str) else np.nan for v in grid[r]] for r in raters], dtype=float)
    try:
        out["alpha"] = nan_to_none(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    except ValueError:  # one value in the domain: undefined
        out["alpha"] = None
    out["ac1"] = nan_to_none(CAC(grid, digits=15).gwet()["est"]["coefficient_value"])
    return out


def same(ours, theirs):
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours - theirs) <= TOLERANCE


def main(binary):
    checked = failed = 0
    for name, rows in datasets():
        ours = sieve(binary, rows)
        ref = references(rows)
        comparisons = [
            ("Fleiss' kappa", ours["fleiss_kappa"]["value"], ref["fleiss"]),
            ("Krippendorff's alpha", ours["krippendorff_alpha"]["value"], ref["alpha"]),
            ("Gwet's AC1", ours["gwet_ac1"]["value"], ref["ac1"]),
        ]
        for pair in ours["pairs"]:
            comparisons.append((f"Cohen's kappa {pair['a']}–{pair['b']}", pair["cohen_kappa"]["value"],
                                ref["pairs"].get((pair["a"], pair["b"]), ref["pairs"].get((pair["b"], pair["a"])))))
        for measure, mine, theirs in comparisons:
            checked += 1
            if not same(mine, theirs):
                failed += 1
                print(f"MISMATCH {name}: {measure}: sieve {mine}, reference {theirs}")
    print(f"agreement vs reference implementations: {checked} values compared, {failed} mismatches")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1])
