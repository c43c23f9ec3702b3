#!/usr/bin/env python3
"""Prepares the label-quality evaluation on the development set (used by scripts/evaluate.sh).

  evaluate_iu.py OUT_DIR

Writes, under OUT_DIR (never into the repository: the report texts' licence forbids copying them):
  rules/<Finding>.csv   the CheXpert labeler's mention phrases for seven findings, as a fellow would
                        use them: each phrase with `*` on its last word, negation mode route
                        (affirmed → present, negated → absent, uncertain → uncertain)
  reports.jsonl         ../shared/data/iu_cxr_reports_dev.csv as Sieve reads reports: the findings
                        and the impression under their headers
  gold.csv              ../shared/data/iu_cxr_dev_labels.csv, one column per finding
"""
import csv
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data")
# Sieve's question ← the CheXpert labeler's observation, and the gold file's column.
FINDINGS = {
    "Atelectasis": ("atelectasis", "Atelectasis"),
    "Cardiomegaly": ("cardiomegaly", "Cardiomegaly"),
    "Consolidation": ("consolidation", "Consolidation"),
    "Edema": ("edema", "Edema"),
    "Effusion": ("pleural_effusion", "Effusion"),
    "Pneumonia": ("pneumonia", "Pneumonia"),
    "Pneumothorax": ("pneumothorax", "Pneumothorax"),
}


def main(out):
    os.makedirs(os.path.join(out, "rules"), exist_ok=True)
    phrases = {}
    with open(os.path.join(HERE, "data", "chexpert_phrases.csv")) as f:
        for row in csv.DictReader(f):
            if row["list"] == "mention":
                phrases.setdefault(row["observation"], []).append(row["phrase"].strip())
    for question, (observation, _) in FINDINGS.items():
        with open(os.path.join(out, "rules", f"{question}.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["priority", "phrase", "label", "negation", "negated_label", "uncertain_label"])
            for rank, phrase in enumerate(phrases[observation], 1):
                w.writerow([rank, f"{phrase}*", "present", "route", "absent", "uncertain"])
    with open(os.path.join(SHARED, "iu_cxr_reports_dev.csv"), newline="") as f, \
            open(os.path.join(out, "reports.jsonl"), "w") as o:
        for row in csv.DictReader(f):
            text = f"FINDINGS: {row['findings']}\nIMPRESSION: {row['impression']}"
            o.write(json.dumps({"id": row["report_id"], "report_text": text}) + "\n")
    with open(os.path.join(SHARED, "iu_cxr_dev_labels.csv"), newline="") as f, \
            open(os.path.join(out, "gold.csv"), "w", newline="") as o:
        w = csv.writer(o)
        w.writerow(["report_id", *FINDINGS])
        for row in csv.DictReader(f):
            w.writerow([row["report_id"], *(row[column] for _, column in FINDINGS.values())])


if __name__ == "__main__":
    main(*sys.argv[1:])
