#!/usr/bin/python3
"""What a researcher would write instead of Imago: the baseline of bench/inference.

    torch_baseline.py MODEL_DIR COHORT_DIR OUT_DIR BATCH THREADS

Reads every study under COHORT_DIR (COHORT_DIR/<study>/<series>/<n>.dcm, as the bench generates
them) from disk with pydicom, decodes, preprocesses each image as the model's manifest declares
and as Imago does for the manifests the bench runs: one channel, NCHW, per-instance stacking,
single-frame images; modality values; percentile clip to [0, 1] or a window; MONOCHROME1
inverted; bilinear resize as torch.nn.functional.interpolate with align_corners=False;
(x - mean) / std (Imago rounds modality values to float32 first; this stays in float64). Any
other manifest is refused. Runs the same TorchScript model (Debian's torch, THREADS threads) in
batches of BATCH images across studies, applies the manifest's activation and writes one JSON
result per study to OUT_DIR.
Prints one JSON line: images, studies, seconds (first file read to last result written),
images per second.
"""

import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pydicom
import torch
import torch.nn.functional as F


def percentile(sorted_values, p):
    """numpy's 'linear' percentile on an ascending array, as the manifests define it."""
    n = len(sorted_values)
    r = p / 100.0 * (n - 1)
    f = int(np.floor(r))
    a, b = sorted_values[f], sorted_values[min(f + 1, n - 1)]
    return a + (b - a) * (r - f)


def preprocess(ds, manifest):
    pre = manifest["preprocessing"]
    size = (manifest["input"]["height"], manifest["input"]["width"])
    x = ds.pixel_array.astype(np.float64)
    if x.ndim != 2:
        raise ValueError(f"{ds.SOPInstanceUID}: only single-frame grayscale images")
    if pre.get("rescale", True):
        x = x * float(getattr(ds, "RescaleSlope", 1)) + float(getattr(ds, "RescaleIntercept", 0))
    if "window" in pre:
        c, w = pre["window"]["center"], pre["window"]["width"]
        x = np.where(x <= c - w / 2, 0.0, np.where(x > c + w / 2, 1.0, (x - c) / w + 0.5))
    elif "percentileClip" in pre:
        v = np.sort(x, axis=None)
        lo, hi = percentile(v, pre["percentileClip"]["low"]), percentile(v, pre["percentileClip"]["high"])
        x = np.clip((x - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(x)
    if str(getattr(ds, "PhotometricInterpretation", "")).strip() == "MONOCHROME1":   # inverted after the VOI step
        x = 1.0 - x if ("window" in pre or "percentileClip" in pre) else x.min() + x.max() - x
    t = torch.from_numpy(x)[None, None]
    if t.shape[-2:] != size:
        t = F.interpolate(t, size=size, mode="bilinear", align_corners=False)
    norm = pre.get("normalise")
    if norm:
        t = (t - norm["mean"][0]) / norm["std"][0]
    return t[0].float()


def supported(manifest):
    """Why this script cannot preprocess as Imago would for the manifest, or None."""
    pre, inp = manifest["preprocessing"], manifest["input"]
    if inp.get("channels", 1) != 1 or inp.get("layout", "NCHW") != "NCHW":
        return "only one-channel NCHW inputs"
    if pre.get("stacking", "per-instance") != "per-instance":
        return "only per-instance stacking"
    if pre.get("resize", "bilinear") != "bilinear":
        return "only bilinear resizing"
    return None


def main(model_dir, cohort, out, batch, threads):
    torch.set_num_threads(threads)
    with open(os.path.join(model_dir, "manifest.json")) as f:
        manifest = json.load(f)
    why = supported(manifest)
    if why:
        sys.exit(f"torch_baseline.py: {manifest['name']}: {why}")
    model = torch.jit.load(os.path.join(model_dir, "model.pt")).eval()
    labels = [label["name"] for label in manifest["output"].get("labels", [])]
    activation = manifest["output"].get("activation", "none")
    studies = []
    for study in sorted(os.listdir(cohort), key=lambda s: (len(s), s)):
        files = []
        for root, _, names in os.walk(os.path.join(cohort, study)):
            files += [os.path.join(root, n) for n in names if n.endswith(".dcm")]
        studies.append((study, sorted(files)))
    os.makedirs(out, exist_ok=True)
    with torch.no_grad():   # warm-up, as the raw engine and Imago have loaded the model before
        model(torch.zeros(batch, 1, manifest["input"]["height"], manifest["input"]["width"]))

    started = time.perf_counter()
    pending = []        # (study folder, SOP Instance UID, tensor)
    results = {}        # study folder -> {sop: probabilities}
    left = {}           # study folder -> images still to run
    uids = {}           # study folder -> Study Instance UID
    images = 0

    def flush():
        nonlocal pending
        if not pending:
            return
        with torch.no_grad():
            y = model(torch.stack([t for _, _, t in pending]))
        if activation == "softmax":
            y = torch.softmax(y, dim=1)
        elif activation == "sigmoid":
            y = torch.sigmoid(y)
        for (study, sop, _), p in zip(pending, y.numpy()):
            results.setdefault(study, {})[sop] = dict(zip(labels, map(float, p))) if labels else p.tolist()
            left[study] -= 1
            if left[study] == 0:
                with open(os.path.join(out, uids[study] + ".json"), "w") as f:
                    json.dump({"studyInstanceUID": uids[study], "model": manifest["name"], "version": manifest["version"],
                               "images": results.pop(study)}, f)
        pending = []

    for study, files in studies:
        left[study] = len(files)
        for path in files:
            ds = pydicom.dcmread(path)
            uids[study] = str(ds.StudyInstanceUID)
            pending.append((study, str(ds.SOPInstanceUID), preprocess(ds, manifest)))
            images += 1
            if len(pending) == batch:
                flush()
    flush()
    seconds = time.perf_counter() - started
    print(json.dumps({"images": images, "studies": len(studies), "seconds": round(seconds, 3),
                      "imagesPerSecond": round(images / seconds, 2)}))


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit("usage: torch_baseline.py MODEL_DIR COHORT_DIR OUT_DIR BATCH THREADS")
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
