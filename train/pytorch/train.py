#!/usr/bin/env python3
"""Template: fine-tune a torchvision ResNet on a Sieve label set's images, on a GPU host.

    python3 train.py --manifest LABELSET/manifest.json --output OUT [--question NAME]
                     [--epochs 10] [--lr 1e-4] [--batch-size 32] [--image-root DIR]

Reads `labels.jsonl` (one study per line: study_id, patient_id, image_uri, split, labels), keeps
the studies labeled for the question, and trains on the train split, choosing the epoch by
validation macro F1 and reporting it on test. `image_uri` is `images/<study_id>`, a link inside the
label set's directory to the study's images in the hospital's archive (relative paths are read under
--image-root, the label set's directory unless given). Adapt the model, transforms and loss to the task.
"""

import argparse
import hashlib
import json
import os
import sys

import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import models, transforms


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_manifest(path):
    with open(path, encoding="utf-8") as file:
        manifest = json.load(file)
    directory = os.path.dirname(os.path.abspath(path))
    for entry in manifest["files"]:
        if sha256(os.path.join(directory, entry["name"])) != entry["sha256"]:
            sys.exit(f"{entry['name']} differs from the manifest: refusing to train")
    return manifest, directory


class Studies(Dataset):
    def __init__(self, rows, label_map, image_root, train):
        self.rows, self.label_map, self.image_root = rows, label_map, image_root
        augment = [transforms.RandomResizedCrop(224, scale=(0.8, 1.0)), transforms.RandomHorizontalFlip()] if train else [
            transforms.Resize(256), transforms.CenterCrop(224)]
        self.transform = transforms.Compose(augment + [
            transforms.Grayscale(num_output_channels=3), transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        row, label = self.rows[index]
        path = row["image_uri"]
        if not os.path.isabs(path):
            path = os.path.join(self.image_root, path)
        return self.transform(Image.open(path).convert("RGB")), self.label_map[label]


def macro_f1(model, loader, classes, device):
    model.eval()
    confusion = torch.zeros(classes, classes, dtype=torch.long)
    with torch.no_grad():
        for images, labels in loader:
            guesses = model(images.to(device)).argmax(1).cpu()
            for truth, guess in zip(labels, guesses):
                confusion[truth, guess] += 1
    f1 = []
    for c in range(classes):
        tp = confusion[c, c].item()
        fp = confusion[:, c].sum().item() - tp
        fn = confusion[c, :].sum().item() - tp
        if tp + fp + fn:
            f1.append(2 * tp / (2 * tp + fp + fn))
    return sum(f1) / len(f1) if f1 else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", default=os.environ.get("SIEVE_MANIFEST"), required=not os.environ.get("SIEVE_MANIFEST"))
    parser.add_argument("--output", default=os.environ.get("SIEVE_OUTPUT_DIR", "."))
    parser.add_argument("--question")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-root", default=None)
    arguments = parser.parse_args()

    manifest, directory = verified_manifest(arguments.manifest)
    question = next(q for q in manifest["questions"] if arguments.question in (None, q["name"]))
    label_map = question["label_map"]
    splits = {"train": [], "validation": [], "test": []}
    with open(os.path.join(directory, "labels.jsonl"), encoding="utf-8") as file:
        for line in file:
            row = json.loads(line)
            cell = row["labels"].get(question["name"])
            if cell and row.get("image_uri"):
                splits[row["split"]].append((row, cell["label"]))
    print({name: len(rows) for name, rows in splits.items()}, flush=True)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    loaders = {
        name: DataLoader(Studies(rows, label_map, arguments.image_root or directory, name == "train"),
                         batch_size=arguments.batch_size, shuffle=name == "train", num_workers=4)
        for name, rows in splits.items()
    }
    model = models.resnet50(weights=models.ResNet50_Weights.DEFAULT)
    model.fc = nn.Linear(model.fc.in_features, len(label_map))
    model.to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=arguments.lr)
    loss_of = nn.CrossEntropyLoss()
    os.makedirs(arguments.output, exist_ok=True)
    best = -1.0
    for epoch in range(arguments.epochs):
        model.train()
        for images, labels in loaders["train"]:
            optimiser.zero_grad()
            loss = loss_of(model(images.to(device)), labels.to(device))
            loss.backward()
            optimiser.step()
        score = macro_f1(model, loaders["validation"], len(label_map), device)
        print(f"epoch {epoch + 1}: validation macro F1 {score:.3f}", flush=True)
        if score > best:
            best = score
            torch.save(model.state_dict(), os.path.join(arguments.output, "model.pt"))
    model.load_state_dict(torch.load(os.path.join(arguments.output, "model.pt")))
    metrics = {"question": question["name"], "label_set_version": manifest["version"],
               "validation_macro_f1": best, "test_macro_f1": macro_f1(model, loaders["test"], len(label_map), device)}
    with open(os.path.join(arguments.output, "metrics.json"), "w", encoding="utf-8") as file:
        json.dump(metrics, file, indent=2)
    print(metrics, flush=True)


if __name__ == "__main__":
    main()
