#!/usr/bin/env python3
"""Benchmark helpers for phrase rules (used by scripts/bench.sh).

  bench_rules.py make CHEXPERT_CSV OUT_DIR   writes one rules CSV per CheXpert observation
  bench_rules.py regex OUT_DIR REPORTS.jsonl  the straightforward Python baseline: for each report and
                                              question, the first rule whose regular expression matches

The CheXpert labeler matches its phrases as substrings; here each becomes a phrase whose last word
is a prefix (`atelecta*`), plus negated and uncertain variants, so the rule set is about 600 rules; a
quarter route negated and uncertain mentions to their own labels, and every third question first
looks in the impression alone (section-scoped rules).
"""
import csv
import json
import os
import re
import sys
import time


def make(chexpert_csv, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    phrases = {}
    with open(chexpert_csv) as f:
        for row in csv.DictReader(f):
            if row["list"] == "mention":
                phrases.setdefault(row["observation"], []).append(row["phrase"].strip())
    total = 0
    phrases_seen = []
    for observation, words in sorted(phrases.items()):
        rules = []
        for p in words:
            rules.append((f"no {p}*", "absent", "any", "", ""))
        for p in words:
            rules.append((f"possible {p}*", "uncertain", "any", "", ""))
            rules.append((f"{p} cannot be excluded", "uncertain", "any", "", ""))
        for p in words:
            rules.append((f"{p}*", "present", "route", "absent", "uncertain"))
        # Every third question also looks for its phrases in the impression alone, first.
        if len(phrases_seen) % 3 == 0:
            rules[:0] = [(f"{p}*", "present", "route", "absent", "uncertain", "IMPRESSION")
                         for p in words[:4]]
        phrases_seen.append(observation)
        with open(os.path.join(out_dir, f"{observation}.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["priority", "phrase", "label", "negation", "negated_label", "uncertain_label",
                        "sections"])
            for rank, rule in enumerate(rules, 1):
                w.writerow([rank, *rule, *([""] * (6 - len(rule)))])
        total += len(rules)
    print(f"wrote {total} rules for {len(phrases)} questions to {out_dir}", file=sys.stderr)


def regex(rules_dir, reports):
    questions = []
    for name in sorted(os.listdir(rules_dir)):
        if not name.endswith(".csv"):
            continue
        compiled = []
        with open(os.path.join(rules_dir, name)) as f:
            for row in csv.DictReader(f):
                phrase = row["phrase"].strip()
                prefix = phrase.endswith("*")
                words = re.findall(r"\w+", phrase.rstrip("*"))
                pattern = r"\b" + r"\W+".join(map(re.escape, words)) + (r"\w*" if prefix else r"\b")
                compiled.append((re.compile(pattern, re.IGNORECASE), row["label"]))
        questions.append((name[:-4], compiled))
    started = time.time()
    count = size = 0
    labeled = 0
    with open(reports) as f:
        for line in f:
            text = json.loads(line)["report_text"]
            count += 1
            size += len(text.encode())
            for _, rules in questions:
                for pattern, label in rules:
                    if pattern.search(text):
                        labeled += 1
                        break
    seconds = time.time() - started
    print(f"python regex loop: {count} reports, {size / 1e6:.1f} MB, "
          f"{sum(len(r) for _, r in questions)} rules in {seconds:.1f} s: {size / 1e6 / seconds:.2f} MB/s "
          f"({labeled} labels)")


if __name__ == "__main__":
    {"make": make, "regex": regex}[sys.argv[1]](*sys.argv[2:])
