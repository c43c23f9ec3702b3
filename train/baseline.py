#!/usr/bin/env python3
"""Sieve's reference training job: a text baseline on a label set.

Reads the label set's manifest, checks the SHA-256 of every file it lists (a changed file stops
the job), trains a multinomial naive Bayes classifier on the report texts of the train split for
one question, and reports accuracy and macro F1 on the validation and test splits. Standard
library only, so it runs on any host with Python 3.

    python3 train/baseline.py --manifest DIR/manifest.json --output OUT [--question NAME] [--alpha 1.0]

Sieve passes --manifest and --output itself (and sets SIEVE_MANIFEST, SIEVE_OUTPUT_DIR); extra
launch arguments such as `--alpha 0.5` follow them. Writes OUT/metrics.json and OUT/model.json.
"""

import argparse
import csv
import hashlib
import json
import math
import os
import re
import sys
import time
from collections import Counter, defaultdict

WORD = re.compile(r"[a-z0-9]+")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(manifest, directory):
    """Every file the manifest lists must have its recorded hash."""
    wrong = [
        entry["name"]
        for entry in manifest["files"]
        if not os.path.exists(os.path.join(directory, entry["name"]))
        or sha256(os.path.join(directory, entry["name"])) != entry["sha256"]
    ]
    if wrong:
        sys.exit(f"label set v{manifest['version']}: {', '.join(wrong)} differ from the manifest; refusing to train")
    log(f"verified {len(manifest['files'])} files of label set v{manifest['version']} ({manifest['project']})")


def read_jsonl(path):
    with open(path, encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def words(text):
    return WORD.findall(text.lower())


class NaiveBayes:
    def __init__(self, alpha):
        self.alpha = alpha
        self.classes = Counter()
        self.counts = defaultdict(Counter)
        self.totals = Counter()
        self.vocabulary = set()

    def fit(self, examples):
        for tokens, label in examples:
            self.classes[label] += 1
            self.counts[label].update(tokens)
            self.totals[label] += len(tokens)
            self.vocabulary.update(tokens)

    def log_scores(self, tokens):
        total = sum(self.classes.values())
        size = len(self.vocabulary)
        scores = {}
        for label, count in self.classes.items():
            score = math.log(count / total)
            denominator = self.totals[label] + self.alpha * size
            for token in tokens:
                score += math.log((self.counts[label][token] + self.alpha) / denominator)
            scores[label] = score
        return scores

    def predict(self, tokens):
        scores = self.log_scores(tokens)
        return max(scores, key=scores.get)

    def probability(self, tokens, label):
        """The posterior probability of `label` (0 for a label never seen in training)."""
        scores = self.log_scores(tokens)
        if label not in scores:
            return 0.0
        top = max(scores.values())
        return math.exp(scores[label] - top) / sum(math.exp(s - top) for s in scores.values())


def scores(model, examples, labels):
    if not examples:
        return {"studies": 0}
    confusion = Counter()
    for tokens, truth, _ in examples:
        confusion[(truth, model.predict(tokens))] += 1
    correct = sum(n for (truth, guess), n in confusion.items() if truth == guess)
    f1 = []
    for label in labels:
        tp = confusion[(label, label)]
        fp = sum(n for (truth, guess), n in confusion.items() if guess == label and truth != label)
        fn = sum(n for (truth, guess), n in confusion.items() if truth == label and guess != label)
        if tp + fp + fn:
            f1.append(2 * tp / (2 * tp + fp + fn))
    return {
        "studies": len(examples),
        "accuracy": correct / len(examples),
        "macro_f1": sum(f1) / len(f1) if f1 else None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", default=os.environ.get("SIEVE_MANIFEST"))
    parser.add_argument("--output", default=os.environ.get("SIEVE_OUTPUT_DIR", "."))
    parser.add_argument("--question", help="question name (default: the label set's first)")
    parser.add_argument("--alpha", type=float, default=1.0, help="additive smoothing")
    parser.add_argument("--sleep", type=float, default=0.0, help="pause before training (seconds; for demos and tests)")
    arguments = parser.parse_args()
    if not arguments.manifest:
        sys.exit("--manifest is required (or SIEVE_MANIFEST)")

    with open(arguments.manifest, encoding="utf-8") as file:
        manifest = json.load(file)
    directory = os.path.dirname(os.path.abspath(arguments.manifest))
    verify(manifest, directory)
    questions = [q["name"] for q in manifest["questions"]]
    question = arguments.question or questions[0]
    if question not in questions:
        sys.exit(f"--question: {question!r} is not in the label set ({', '.join(questions)})")
    labels = next(q["labels"] for q in manifest["questions"] if q["name"] == question)

    texts = {row["study_id"]: row["text"] for row in read_jsonl(os.path.join(directory, "texts.jsonl"))}
    splits = defaultdict(list)
    for row in read_jsonl(os.path.join(directory, "labels.jsonl")):
        cell = row["labels"].get(question)
        if cell is not None:
            splits[row["split"]].append((words(texts.get(row["study_id"], "")), cell["label"], row["study_id"]))
    log(f"question {question!r}: " + ", ".join(f"{s} {len(splits[s])}" for s in ("train", "validation", "test")))
    if not splits["train"]:
        sys.exit(f"no labeled studies of {question!r} in the train split: nothing to train on")
    if arguments.sleep:
        log(f"waiting {arguments.sleep:g} s")
        time.sleep(arguments.sleep)

    model = NaiveBayes(arguments.alpha)
    model.fit([(tokens, label) for tokens, label, _ in splits["train"]])
    log(f"trained naive Bayes (alpha {arguments.alpha:g}) on {len(splits['train'])} studies, {len(model.vocabulary)} words")
    metrics = {
        "label_set_version": manifest["version"],
        "question": question,
        "alpha": arguments.alpha,
        "splits": {name: scores(model, splits[name], labels) for name in ("train", "validation", "test")},
    }
    for name, result in metrics["splits"].items():
        if result["studies"]:
            log(f"{name}: accuracy {result['accuracy']:.3f}, macro F1 {result['macro_f1'] or 0:.3f} on {result['studies']} studies")
    os.makedirs(arguments.output, exist_ok=True)
    with open(os.path.join(arguments.output, "metrics.json"), "w", encoding="utf-8") as file:
        json.dump(metrics, file, indent=2)
    # The test split's predictions, which Sieve reads in as the model's (see README.md): the label
    # and the posterior probability of the question's first label.
    with open(os.path.join(arguments.output, "predictions.csv"), "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["study_id", "label", "score"])
        for tokens, _, study_id in splits["test"]:
            writer.writerow([study_id, model.predict(tokens), f"{model.probability(tokens, labels[0]):.6f}"])
    log(f"wrote predictions.csv for the {len(splits['test'])} studies of the test split")
    top = {
        label: [w for w, _ in model.counts[label].most_common(20)] for label in model.classes
    }
    with open(os.path.join(arguments.output, "model.json"), "w", encoding="utf-8") as file:
        json.dump({"classes": dict(model.classes), "top_words": top}, file, indent=2)
    log("done")


if __name__ == "__main__":
    main()
