#!/usr/bin/env python3
"""A research project's next version of the reference lesion classifier, trained on its export.

The researcher's step of Imago's research loop (README, "The loop"): start from the reference
classifier's weights (lesion-cls-torchscript/model.pt), fine-tune them on the radiographs of a
de-identified export (`imago research export P --out EXPORT`) with the project's labels (the CSV
`imago research labels` takes: study-level rows of finding "lesion"), and write a model folder that
`imago models register` takes: model.onnx and manifest.json, the template's manifest with the new
version and a description of what it was trained on.

Usage: train_on_export.py EXPORT_DIR LABELS_CSV TEMPLATE_DIR WEIGHTS_DIR OUT_DIR VERSION
  TEMPLATE_DIR  a model folder whose manifest the new version takes (e.g. lesion-cls-onnx)
  WEIGHTS_DIR   the lesion-cls-torchscript folder, whose weights are the starting point
Needs Debian's python3-torch, python3-onnx and python3-pydicom.
"""
import csv
import json
import os
import sys

import numpy as np
import pydicom
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_reference_models as ref  # noqa: E402  (the reference models' network, preprocessing and export)


def read_export(export_dir):
    """Study UID -> the stored pixels of its first image (uint16 H x W), from manifest.csv."""
    images = {}
    with open(os.path.join(export_dir, "manifest.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if row["study"] in images or not row["file"].endswith(".dcm"):
                continue
            ds = pydicom.dcmread(os.path.join(export_dir, row["file"]))
            if "PixelData" not in ds or ds.Rows != ref.SIZE or ds.Columns != ref.SIZE:
                continue
            images[row["study"]] = ds.pixel_array.astype(np.uint16)
    return images


def read_labels(labels_csv, finding="lesion"):
    """Study UID -> 1 or 0, from the study-level rows of {finding}."""
    labels = {}
    with open(labels_csv, newline="") as f:
        for row in csv.DictReader(f):
            if row["finding"] == finding and not row["instance"]:
                labels[row["study"]] = 1 if row["present"].strip().lower() in ("1", "true", "yes") else 0
    return labels


def main(export_dir, labels_csv, template_dir, weights_dir, out_dir, version):
    torch.set_num_threads(ref.THREADS)
    torch.manual_seed(ref.SEED + 100)
    images, labels = read_export(export_dir), read_labels(labels_csv)
    studies = sorted(s for s in images if s in labels)
    if len(studies) < 4 or len({labels[s] for s in studies}) < 2:
        sys.exit(f"need labelled studies of both kinds in the export; found {len(studies)}")
    x = torch.from_numpy(ref.preprocess(np.stack([images[s] for s in studies])))
    y = torch.tensor([labels[s] for s in studies], dtype=torch.int64)

    model = ref.LesionClassifier()
    model.load_state_dict(torch.jit.load(os.path.join(weights_dir, "model.pt")).state_dict())
    before = ref.accuracy(model.eval(), x, y)
    print(f"fine-tuning on {len(studies)} exported studies ({int(y.sum())} with a lesion); accuracy before {before:.3f}",
          flush=True)
    model = ref.train(model, F.cross_entropy, x, y, epochs=4, batch_size=8, lr=1e-3, seed=ref.SEED + 100)
    after = ref.accuracy(model, x, y)
    print(f"accuracy on the export after {after:.3f}", flush=True)

    os.makedirs(out_dir, exist_ok=True)
    ref.export_onnx(model, torch.from_numpy(ref.dryrun_input((1, 1, ref.SIZE, ref.SIZE))),
                    os.path.join(out_dir, "model.onnx"))
    with open(os.path.join(template_dir, "manifest.json")) as f:
        manifest = json.load(f)
    manifest["version"] = version
    manifest["description"] = (f"The reference lesion classifier fine-tuned on a research export of {len(studies)} "
                               f"de-identified studies (models/reference/train_on_export.py); "
                               f"accuracy on them {after:.3f}.")
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(f"wrote {out_dir}: {manifest['name']} {version}")


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    main(*sys.argv[1:])
