#!/usr/bin/python3
"""Imago's reference models, made from nothing but this file.

    /usr/bin/python3 models/reference/make_reference_models.py OUT_DIR

1. Draw a synthetic data set of 64x64 "chest phantoms" (body, two lung fields, ribs, a heart
   shadow, detector noise); half of them carry a lesion: a bright Gaussian blob in a lung.
2. Train three small models on it (2 CPU threads, a few seconds each):
     lesion-cls  a CNN classifier           -> [B, 2] logits (no lesion, lesion)
     lesion-seg  a fully convolutional net  -> [B, 2, 64, 64] logits (background, lesion)
     lesion-det  lesion-seg with a detection head -> [B, 3, 6] boxes (x0, y0, x1, y1, score, label)
     MLP         Flatten-Dense-ReLU-Dense   -> [B, 2] logits, exported as a Keras 2 HDF5 file
   and, on synthetic chest CT volumes (axial 64x64 slices in Hounsfield units, half with a
   spherical nodule in a lung), a slice-by-slice segmenter:
     nodule-seg  the segmenter's architecture   -> [B, 2, 64, 64] logits (background, nodule)
3. Build densenet121 (CheXNet's shape, 14 outputs) and resnet18 (2 outputs), both with a
   one-channel 224x224 input and seeded random weights, for benchmarks.
4. Export: TorchScript, ONNX (opset 13, input "image", output "logits", dynamic "batch"),
   Keras HDF5 for the MLP; per model a directory with manifest.json, the artifact and reference
   tensors (raw little-endian float32) described by reference.json.

Everything is seeded; nothing is downloaded. The images a model sees in training go through
exactly the preprocessing its manifest declares (percentile clip to [0, 1], (x - 0.5) / 0.25),
so that images prepared by Imago look like the training data.
"""

import hashlib
import json
import math
import os
import sys
import time
import warnings

# Two threads that sleep when idle: OpenMP's default spinning collapses when another process
# (a parallel build, a second run) wants the same cores. Must be set before torch loads.
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

THREADS = 2
SIZE = 64            # phantom and lesion-model input size
BIG = 224            # densenet121 / resnet18 input size
N_TRAIN = 2000
N_TEST = 400
SEED = 20240611
VERSION = "1.0.0"

# Lesions: Gaussian blobs, sigma in pixels and peak height in body-contrast units.
LESION_SIGMA = (2.5, 5.0)
LESION_AMPLITUDE = (0.25, 0.45)

# Preprocessing declared in the manifests of the lesion models, applied to the training data.
CLIP_LOW, CLIP_HIGH = 0.5, 99.5
NORM_MEAN, NORM_STD = 0.5, 0.25

COMMON = {
    "intendedUse": "Research use only. Synthetic-data reference model for testing Imago; "
                   "not for clinical use.",
    "authors": ["Imago project"],
    "licence": "Apache-2.0",
    "contact": "mailto:imago-models@example.org",
}

LESION = {"scheme": "SCT", "value": "52988006", "meaning": "Lesion"}
LESION_LABELS = [
    {"name": "no lesion", "code": {"scheme": "SCT", "value": "17621005", "meaning": "Normal"}},
    {"name": "lesion", "code": LESION, "threshold": 0.5},
]
# A detector reports boxes of the one label, "lesion", from a score of 0.5.
LESION_DET_LABELS = [{"name": "lesion", "code": LESION, "threshold": 0.5}]
LESION_LABEL_MAP = [{
    "name": "lesion",
    "code": LESION,
    "category": {"scheme": "SCT", "value": "49755003", "meaning": "Morphologically Altered Structure"},
    "color": [255, 64, 64],
}]
LESION_PREPROCESSING = {
    "rescale": True,
    "percentileClip": {"low": CLIP_LOW, "high": CLIP_HIGH},
    "resize": "bilinear",
    "normalise": {"mean": [NORM_MEAN], "std": [NORM_STD]},
    "stacking": "per-instance",
}


def sct(name, value=None, meaning=None):
    label = {"name": name}
    if value:
        label["code"] = {"scheme": "SCT", "value": value, "meaning": meaning or name}
    return label


# CheXNet's 14 findings (ChestX-ray14 order), coded where SNOMED CT has a plain concept.
CHEXNET_LABELS = [
    sct("Atelectasis", "46621007"),
    sct("Cardiomegaly", "8186001"),
    sct("Effusion", "60046008", "Pleural effusion"),
    sct("Infiltration"),
    sct("Mass", "4147007"),
    sct("Nodule", "27925004"),
    sct("Pneumonia", "233604007"),
    sct("Pneumothorax", "36118008"),
    sct("Consolidation"),
    sct("Edema", "19242006", "Pulmonary edema"),
    sct("Emphysema", "87433001", "Pulmonary emphysema"),
    sct("Fibrosis"),
    sct("Pleural_Thickening"),
    sct("Hernia"),
]


# ----------------------------------------------------------------------------------------------
# Synthetic chest phantoms
# ----------------------------------------------------------------------------------------------

# pixel centres on [-1, 1] x [-1, 1]; y grows downwards (row), x to the right (column)
_GRID = (np.arange(SIZE, dtype=np.float64) + 0.5) / SIZE * 2.0 - 1.0
YY, XX = np.meshgrid(_GRID, _GRID, indexing="ij")
PIXEL = 2.0 / SIZE   # one pixel in grid units


def soft_ellipse(cy, cx, ry, rx, edge=0.05):
    """1 inside the ellipse, 0 outside, with a smooth border."""
    d = np.sqrt(((YY - cy) / ry) ** 2 + ((XX - cx) / rx) ** 2)
    return 1.0 / (1.0 + np.exp(np.clip((d - 1.0) / edge, -50, 50)))


def phantom(rng, lesion):
    """One chest phantom as stored pixel values (uint16, 12 bits), its lesion mask and facts."""
    body = soft_ellipse(rng.uniform(0.0, 0.1), rng.uniform(-0.04, 0.04),
                        rng.uniform(0.85, 0.97), rng.uniform(0.78, 0.9), edge=0.04)
    img = 0.06 + 0.5 * body

    # two lung fields, darker than the soft tissue around them
    lung_cy = rng.uniform(-0.12, 0.0)
    lung_ry, lung_rx, sep = rng.uniform(0.5, 0.6), rng.uniform(0.24, 0.3), rng.uniform(0.34, 0.42)
    lungs = [(lung_cy, -sep, lung_ry, lung_rx),
             (lung_cy + rng.uniform(-0.03, 0.03), sep,
              lung_ry * rng.uniform(0.93, 1.05), lung_rx * rng.uniform(0.93, 1.05))]
    lung_mask = np.maximum(*(soft_ellipse(*lung) for lung in lungs))
    img = img - rng.uniform(0.28, 0.36) * lung_mask

    # heart shadow, a little to the image's right, and the mediastinum
    img = img + 0.14 * soft_ellipse(rng.uniform(0.15, 0.3), rng.uniform(0.05, 0.15),
                                    rng.uniform(0.25, 0.32), rng.uniform(0.22, 0.3), edge=0.12)
    img = img + 0.1 * soft_ellipse(-0.2, 0.0, 0.5, 0.09, edge=0.15)

    # ribs: curved stripes across the thorax
    period, phase = rng.uniform(0.2, 0.27), rng.uniform(0.0, 2 * math.pi)
    ribs = np.clip(np.sin(2 * math.pi * (YY + 0.35 * XX ** 2) / period + phase), 0.0, None) ** 3
    img = img + rng.uniform(0.06, 0.11) * ribs * body

    mask = np.zeros((SIZE, SIZE), np.uint8)
    facts = {"lesion": bool(lesion)}
    if lesion:
        side = rng.integers(2)
        cy, cx, ry, rx = lungs[side]
        while True:   # a point well inside the chosen lung
            v, u = rng.uniform(-1, 1, 2)
            if u * u + v * v <= 1.0:
                break
        by, bx = cy + 0.7 * v * ry, cx + 0.7 * u * rx
        sigma = rng.uniform(*LESION_SIGMA) * PIXEL
        amplitude = rng.uniform(*LESION_AMPLITUDE)
        profile = np.exp(-((YY - by) ** 2 + (XX - bx) ** 2) / (2 * sigma ** 2))
        img = img + amplitude * profile
        mask[profile >= 0.5] = 1          # the blob's half-maximum disc
        facts.update({"side": ("image left", "image right")[side],
                      "row": round((by + 1) / PIXEL - 0.5, 2), "column": round((bx + 1) / PIXEL - 0.5, 2),
                      "sigmaPixels": round(sigma / PIXEL, 3), "amplitude": round(amplitude, 3)})

    img = img + rng.normal(0.0, 0.025, img.shape)
    # detector: random gain and offset, 12 bits stored
    raw = rng.uniform(100, 400) + rng.uniform(2600, 3600) * img
    return np.clip(np.rint(raw), 0, 4095).astype(np.uint16), mask, facts


def make_dataset(n, rng):
    flags = rng.permutation(np.arange(n) % 2)
    raws, masks, facts = zip(*(phantom(rng, f) for f in flags))
    return np.stack(raws), np.stack(masks), flags.astype(np.int64), list(facts)


PHANTOM_PREPROCESSING = (
    "per image, from the stored uint16 pixels (rescale slope 1, intercept 0; no resize at 64x64), "
    "in float64: v = the n pixel values sorted; percentile(p): r = p / 100.0 * (n - 1), "
    "f = floor(r), a = v[f], b = v[min(f + 1, n - 1)], a + (b - a) * (r - f); "
    "lo = percentile(0.5), hi = percentile(99.5); x = clip((x - lo) / (hi - lo), 0, 1) "
    "(x = 0 where hi <= lo); x = (x - 0.5) / 0.25; cast to float32 at the end")


def percentile(values, p):
    """Percentile p of each row, linear between closest ranks, spelled out so Java can match it."""
    v = np.sort(values, axis=-1)
    n = v.shape[-1]
    r = p / 100.0 * (n - 1)
    f = math.floor(r)
    a, b = v[..., f], v[..., min(f + 1, n - 1)]
    return a + (b - a) * (r - f)


def preprocess(raw):
    """uint16 [N, H, W] -> float32 [N, 1, H, W], exactly as PHANTOM_PREPROCESSING says."""
    x = raw.astype(np.float64).reshape(len(raw), -1)
    lo = percentile(x, CLIP_LOW)[:, None]
    hi = percentile(x, CLIP_HIGH)[:, None]
    span = hi - lo
    x = np.where(span > 0, np.clip((x - lo) / np.where(span > 0, span, 1.0), 0.0, 1.0), 0.0)
    x = (x - NORM_MEAN) / NORM_STD
    return x.astype(np.float32).reshape(len(raw), 1, *raw.shape[1:])


# ----------------------------------------------------------------------------------------------
# Synthetic chest CT volumes
# ----------------------------------------------------------------------------------------------

CT_SLICES = 16             # axial slices per volume, head first (slice 0 is the most superior)
CT_PIXEL_MM = 5.0          # in-plane spacing: 64 x 5 mm = a 320 mm field of view
CT_SLICE_MM = 5.0          # slice thickness and spacing
CT_VOLUMES_TRAIN = 240
CT_VOLUMES_TEST = 60
NODULE_RADIUS_MM = (9.0, 17.0)
CT_WINDOW = {"center": -600.0, "width": 1600.0}     # a lung window
CT_INTERCEPT = -1024       # stored = HU + 1024, 12 bits stored
NODULE = {"scheme": "SCT", "value": "27925004", "meaning": "Nodule"}
LUNG = {"scheme": "SCT", "value": "39607008", "meaning": "Lung structure"}
NODULE_LABEL_MAP = [{
    "name": "nodule",
    "code": NODULE,
    "category": {"scheme": "SCT", "value": "49755003", "meaning": "Morphologically Altered Structure"},
    "findingSite": LUNG,
    "color": [255, 64, 64],
}]
CT_PREPROCESSING = {
    "rescale": True,
    "window": CT_WINDOW,
    "resize": "bilinear",
    "normalise": {"mean": [NORM_MEAN], "std": [NORM_STD]},
    "stacking": "per-instance",
}
CT_PREPROCESSING_TEXT = (
    "per slice, from the stored uint16 pixels: HU = stored + (-1024) (Rescale Slope 1); window "
    "LINEAR_EXACT c = -600, w = 1600 to [0, 1]: 0 where HU <= c - w/2, 1 where HU > c + w/2, else "
    "(HU - c) / w + 0.5; x = (x - 0.5) / 0.25 in float64; cast to float32 at the end")


def ct_phantom(rng, nodule):
    """One axial chest CT volume [CT_SLICES, 64, 64] as stored values (uint16, HU + 1024), its
    nodule mask (1 inside the sphere) and facts. Rows run anterior to posterior, columns from the
    patient's right to left (DICOM's axial convention), slices from superior to inferior."""
    z_mm = (np.arange(CT_SLICES) - (CT_SLICES - 1) / 2.0) * CT_SLICE_MM     # 0 mid-volume
    zz = z_mm[:, None, None] / 160.0                                         # about -0.23 .. 0.23
    yy, xx = YY[None], XX[None]

    def ellipsoid(cy, cx, ry, rx, edge=0.04):
        d = np.sqrt(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2)
        return 1.0 / (1.0 + np.exp(np.clip((d - 1.0) / edge, -50, 50)))

    hu = np.full((CT_SLICES, SIZE, SIZE), -1000.0)
    body = ellipsoid(rng.uniform(0.0, 0.06), rng.uniform(-0.03, 0.03), rng.uniform(0.6, 0.7), rng.uniform(0.82, 0.92))
    hu = hu + (1000.0 + rng.uniform(20, 50)) * body
    # lungs shrink towards the apex (superior slices) and the diaphragm (inferior ones)
    taper = np.sqrt(np.clip(1.0 - (zz / 0.32) ** 2, 0.2, 1.0))
    sep, lung_ry, lung_rx = rng.uniform(0.38, 0.46), rng.uniform(0.42, 0.5), rng.uniform(0.26, 0.32)
    lungs = [(rng.uniform(-0.05, 0.05), -sep, lung_ry, lung_rx), (rng.uniform(-0.05, 0.05), sep, lung_ry, lung_rx)]
    lung_mask = np.maximum(*(ellipsoid(cy, cx, ry * taper, rx * taper) for cy, cx, ry, rx in lungs))
    hu = hu + (rng.uniform(-880, -820) - 40.0) * lung_mask
    # heart (anterior, towards the patient's left = image right) in the lower slices, spine behind
    heart = ellipsoid(rng.uniform(-0.2, -0.1), rng.uniform(0.05, 0.15), 0.28, 0.3, edge=0.08) * (zz > -0.05)
    hu = np.where(heart > 0.5, 40.0 + 0 * hu, hu)
    hu = hu + 650.0 * ellipsoid(0.5, 0.0, 0.09, 0.08, edge=0.05)
    # vessels: a few small bright dots in the lungs, in every slice (what a nodule must not be
    # confused with: they are smaller and run through the whole volume)
    for _ in range(rng.integers(3, 7)):
        cy, cx, _, _ = lungs[rng.integers(2)]
        vy, vx = cy + rng.uniform(-0.3, 0.3), cx + rng.uniform(-0.15, 0.15)
        hu = hu + 700.0 * lung_mask * ellipsoid(vy, vx, 0.035, 0.035, edge=0.2)

    mask = np.zeros(hu.shape, np.uint8)
    facts = {"nodule": bool(nodule)}
    if nodule:
        side = int(rng.integers(2))
        cy, cx, ry, rx = lungs[side]
        radius = rng.uniform(*NODULE_RADIUS_MM)
        while True:     # a centre well inside the lung, in the middle slices
            v, u = rng.uniform(-1, 1, 2)
            if u * u + v * v <= 1.0:
                break
        ny, nx = cy + 0.55 * v * ry, cx + 0.55 * u * rx
        nz = rng.uniform(-3.5, 3.5) * CT_SLICE_MM
        # distances in mm from the centre, at each voxel's centre
        dy = (yy - ny) / PIXEL * CT_PIXEL_MM
        dx = (xx - nx) / PIXEL * CT_PIXEL_MM
        dz = z_mm[:, None, None] - nz
        d = np.sqrt(dy ** 2 + dx ** 2 + dz ** 2)
        inside = 1.0 / (1.0 + np.exp(np.clip((d - radius) / 1.5, -50, 50)))
        hu = hu * (1 - inside) + rng.uniform(10, 60) * inside
        mask[d <= radius] = 1
        facts.update({"side": ("patient right", "patient left")[side], "radiusMm": round(radius, 3),
                      "centreRow": round((ny + 1) / PIXEL - 0.5, 3), "centreColumn": round((nx + 1) / PIXEL - 0.5, 3),
                      # the volume's z runs to the feet (slice 0 on top); the patient's z, to the head
                      "centreZMm": round(-nz, 3), "maskVoxels": int(mask.sum())})
    hu = hu + rng.normal(0.0, 18.0, hu.shape)
    return np.clip(np.rint(hu - CT_INTERCEPT), 0, 4095).astype(np.uint16), mask, facts


def ct_dataset(n, rng):
    flags = rng.permutation(np.arange(n) % 2)
    vols, masks, facts = zip(*(ct_phantom(rng, f) for f in flags))
    return np.stack(vols), np.stack(masks), list(facts)


def ct_preprocess(stored):
    """uint16 [N, H, W] slices -> float32 [N, 1, H, W], exactly as CT_PREPROCESSING_TEXT says."""
    hu = stored.astype(np.float64) + CT_INTERCEPT
    c, w = CT_WINDOW["center"], CT_WINDOW["width"]
    x = np.where(hu <= c - w / 2, 0.0, np.where(hu > c + w / 2, 1.0, (hu - c) / w + 0.5))
    x = (x - NORM_MEAN) / NORM_STD
    return x.astype(np.float32).reshape(len(stored), 1, *stored.shape[1:])


def write_ct_raw(path, volume, mask, facts):
    """One CT volume for tests: slice-K.u16 (stored values) and slice-K.mask.u8, plus volume.json."""
    os.makedirs(path, exist_ok=True)
    slices = []
    for k in range(len(volume)):
        volume[k].astype("<u2").tofile(os.path.join(path, f"slice-{k}.u16"))
        mask[k].astype(np.uint8).tofile(os.path.join(path, f"slice-{k}.mask.u8"))
        slices.append({"pixels": f"slice-{k}.u16", "mask": f"slice-{k}.mask.u8",
                       "zMm": round(((CT_SLICES - 1) / 2.0 - k) * CT_SLICE_MM, 3)})
    doc = {
        "description": "A synthetic axial chest CT volume with a spherical nodule in a lung: stored "
                       "values (HU + 1024; Rescale Intercept -1024, slope 1), MONOCHROME2, unsigned, "
                       "12 bits stored, row-major, little-endian, slice 0 the most superior; masks one "
                       "byte per pixel, 1 inside the nodule's sphere. Orientation 1\\0\\0\\0\\1\\0: rows "
                       "run anterior to posterior, columns from the patient's right to left.",
        "rows": SIZE, "columns": SIZE, "bitsAllocated": 16, "bitsStored": 12, "highBit": 11,
        "pixelRepresentation": 0, "photometricInterpretation": "MONOCHROME2",
        "rescaleSlope": 1, "rescaleIntercept": CT_INTERCEPT, "pixelSpacingMm": CT_PIXEL_MM,
        "sliceThicknessMm": CT_SLICE_MM, "slices": slices, **facts,
    }
    with open(os.path.join(path, "volume.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------

def conv_bn(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class LesionClassifier(nn.Module):
    """Three conv blocks, global max pooling (a lesion is small), a linear head."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn(1, 8), nn.MaxPool2d(2),      # 32 x 32
            *conv_bn(8, 16), nn.MaxPool2d(2),     # 16 x 16
            *conv_bn(16, 32),
            nn.AdaptiveMaxPool2d(1), nn.Flatten())
        self.head = nn.Linear(32, 2)

    def forward(self, image):
        return self.head(self.features(image))


class LesionSegmenter(nn.Module):
    """Fully convolutional: down to 32 x 32, a dilated look around, back up to 64 x 64."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),           # 32 x 32
            nn.Conv2d(16, 16, 3, padding=2, dilation=2), nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),                     # 64 x 64
            nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 2, 1))

    def forward(self, image):
        return self.body(image)


class LesionDetector(nn.Module):
    """A detection head on the trained segmenter: boxes around the peaks of its lesion probability.

    Output [B, K, 6]: x0, y0, x1, y1 in the input's pixel coordinates (DICOM SCOORD convention:
    (0, 0) is the top left corner of the top left pixel), the peak's lesion probability as the
    score, and the label index (0: lesion). Peaks are local maxima over a 15 x 15 window, so K
    boxes are K places; a box is centred on the centroid of the probability mass around its peak
    (15 x 15 pixels), its half-size the radius of a disc as large as that mass, plus a pixel.
    """

    K = 3

    def __init__(self, segmenter):
        super().__init__()
        self.segmenter = segmenter

    def forward(self, image):
        p = torch.softmax(self.segmenter(image), dim=1)[:, 1:2]
        b, _, h, w = p.shape
        # where the segmenter is sure its probability is flat: a slope of 1e-7 a pixel (above
        # float32's resolution near 1) makes each plateau one peak, without changing any score
        ramp = torch.arange(h * w, dtype=p.dtype).reshape(1, 1, h, w) * 1e-7
        key = p + ramp
        peaks = p * (key == F.max_pool2d(key, 15, stride=1, padding=7)).float()
        # around each pixel (15 x 15): the probability mass, and its centroid in pixel coordinates
        mass = F.avg_pool2d(p, 15, stride=1, padding=7, count_include_pad=True) * 225.0
        ys = (torch.arange(h, dtype=p.dtype) + 0.5).reshape(1, 1, h, 1).expand(1, 1, h, w)
        xs = (torch.arange(w, dtype=p.dtype) + 0.5).reshape(1, 1, 1, w).expand(1, 1, h, w)
        my = F.avg_pool2d(p * ys, 15, stride=1, padding=7, count_include_pad=True) * 225.0
        mx = F.avg_pool2d(p * xs, 15, stride=1, padding=7, count_include_pad=True) * 225.0
        score, idx = peaks.flatten(1).topk(self.K, dim=1)
        around = mass.flatten(1).gather(1, idx)
        cy = my.flatten(1).gather(1, idx) / around
        cx = mx.flatten(1).gather(1, idx) / around
        half = torch.sqrt(around / math.pi) + 1.0
        label = torch.zeros_like(score)
        return torch.stack([cx - half, cy - half, cx + half, cy + half, score, label], dim=2)


def detection_accuracy(boxes, facts):
    """A lesion phantom: the best box scores >= 0.5 and holds the centre; a normal one: no box >= 0.5."""
    right = 0
    for b, f in zip(boxes, facts):
        found = b[b[:, 4] >= 0.5]
        if f["lesion"]:
            x0, y0, x1, y1 = b[0, :4]
            right += int(len(found) > 0 and x0 <= f["column"] + 0.5 <= x1 and y0 <= f["row"] + 0.5 <= y1)
        else:
            right += int(len(found) == 0)
    return right / len(facts)


def lesion_mlp():
    """The model exported for Keras: Flatten -> Dense(32, relu) -> Dense(2)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(SIZE * SIZE, 32), nn.ReLU(), nn.Linear(32, 2))


def one_channel_densenet121():
    import torchvision
    model = torchvision.models.densenet121(num_classes=14)
    model.features.conv0 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def one_channel_resnet18():
    import torchvision
    model = torchvision.models.resnet18(num_classes=2)
    model.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------

def batches(n, batch_size, gen):
    order = torch.randperm(n, generator=gen)
    for i in range(0, n, batch_size):
        yield order[i:i + batch_size]


def train(model, loss_fn, x, y, epochs, batch_size, lr, seed, weight_decay=0.0):
    gen = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=lr, total_steps=epochs * math.ceil(len(x) / batch_size))
    model.train()
    for epoch in range(epochs):
        total, t0 = 0.0, time.time()
        for idx in batches(len(x), batch_size, gen):
            optimiser.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(idx)
        print(f"    epoch {epoch + 1}/{epochs}  loss {total / len(x):.4f}  {time.time() - t0:.1f} s", flush=True)
    model.eval()
    return model


def seg_loss(logits, mask):
    """Cross-entropy plus soft Dice on the lesion channel (lesions are a few dozen pixels)."""
    ce = F.cross_entropy(logits, mask)
    p = torch.softmax(logits, dim=1)[:, 1]
    t = mask.float()
    dice = (2 * (p * t).sum() + 1.0) / (p.sum() + t.sum() + 1.0)
    return ce + (1.0 - dice)


@torch.no_grad()
def accuracy(model, x, y):
    return (model(x).argmax(1) == y).float().mean().item()


@torch.no_grad()
def dice(model, x, mask):
    pred = model(x).argmax(1)
    inter = ((pred == 1) & (mask == 1)).sum().item()
    return 2.0 * inter / max((pred == 1).sum().item() + (mask == 1).sum().item(), 1)


# ----------------------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------------------

def dryrun_input(shape):
    """The dry-run input Imago reproduces: flat C-order index i -> ((i * 7919) % 1000) / 1000 - 0.5."""
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    return (((i * 7919) % 1000) / 1000.0 - 0.5).astype(np.float32).reshape(shape)


def write_f32(path, array):
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_torchscript(model, example, path):
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, example)
    traced.save(path)
    return torch.jit.load(path)       # reference outputs come from the saved module


def export_onnx(model, example, path):
    import onnx
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # the exporter's chatter about shape inference
        torch.onnx.export(model, example, path, opset_version=13, do_constant_folding=True,
                          input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    onnx.checker.check_model(onnx.load(path), full_check=True)


def keras_dense(name, units, activation):
    config = {
        "name": name, "trainable": True, "units": units, "activation": activation, "use_bias": True,
        "kernel_initializer": {"class_name": "VarianceScaling",
                               "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform",
                                          "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }
    return {"class_name": "Dense", "config": config}


def export_keras_h5(mlp, path):
    """Write the MLP as Keras 2.2.4 would save a Sequential model (model.save('x.h5')).

    Input [B, 64, 64, 1] (channels_last); Flatten over (H, W, C) equals torch's flatten over
    (C, H, W) because C = 1. Dense kernels are stored [in, out], i.e. torch's weight transposed.
    """
    import h5py
    _, hidden, _, logits = mlp
    layers = [
        {"class_name": "Flatten", "config": {"name": "flatten_1", "trainable": True,
                                             "batch_input_shape": [None, SIZE, SIZE, 1],
                                             "dtype": "float32", "data_format": "channels_last"}},
        keras_dense("dense_1", 32, "relu"),
        keras_dense("dense_2", 2, "linear"),
    ]
    model_config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": layers}}
    weights = {
        "flatten_1": [],
        "dense_1": [("kernel:0", hidden.weight.detach().numpy().T), ("bias:0", hidden.bias.detach().numpy())],
        "dense_2": [("kernel:0", logits.weight.detach().numpy().T), ("bias:0", logits.bias.detach().numpy())],
    }
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = np.bytes_(b"2.2.4")
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["model_config"] = np.bytes_(json.dumps(model_config).encode("utf8"))
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.array([name.encode("utf8") for name in weights])
        group.attrs["backend"] = np.bytes_(b"tensorflow")
        group.attrs["keras_version"] = np.bytes_(b"2.2.4")
        for layer, params in weights.items():
            g = group.create_group(layer)
            names = [f"{layer}/{p}".encode("utf8") for p, _ in params]
            g.attrs["weight_names"] = np.array(names) if names else np.zeros((0,), np.float64)
            for name, (_, value) in zip(names, params):
                g.create_dataset(name.decode(), data=np.ascontiguousarray(value, dtype="<f4"),
                                 track_times=False)


def manifest(name, framework, task, description, *, layout="NCHW", size=SIZE, input_name=None,
             output_name=None, preprocessing=None, activation="softmax", labels=None,
             label_map=None, modalities=("CR", "DX", "CT"), batching=(8, 20)):
    m = {"schemaVersion": 1, "name": name, "version": VERSION, "framework": framework, "task": task,
         "description": description}
    m.update(COMMON)
    m["input"] = {"layout": layout, "channels": 1, "height": size, "width": size, "dtype": "float32"}
    if input_name:
        m["input"] = {"name": input_name, **m["input"]}
    m["preprocessing"] = preprocessing or LESION_PREPROCESSING
    m["output"] = {"activation": activation}
    if output_name:
        m["output"] = {"name": output_name, **m["output"]}
    if labels:
        m["output"]["labels"] = labels
    if label_map:
        m["output"]["labelMap"] = label_map
    m["applicability"] = {"modalities": list(modalities)}
    m["batching"] = {"maxBatchSize": batching[0], "maxQueueDelayMs": batching[1]}
    return m


class ModelDir:
    """OUT_DIR/<dir>/: manifest.json, the artifact, reference tensors and reference.json."""

    def __init__(self, out, dirname, layout, sample_shape):
        self.path = os.path.join(out, dirname)
        os.makedirs(self.path, exist_ok=True)
        self.layout = layout
        self.reference = {
            "layout": layout,
            "inputShape": list(sample_shape),
            "dtype": "float32",
            "byteOrder": "little-endian",
            "outputs": "raw model outputs (logits), before the manifest's activation",
            "dryRunFormula": "x[i] = float32(((i * 7919) % 1000) / 1000.0 - 0.5), "
                             "i = flat C-order index over the whole batch tensor, computed in 64-bit",
            "tolerance": {"absolute": 1e-4, "relative": 1e-4,
                          "rule": "|got - want| <= absolute + relative * |want|"},
            "files": {},
        }

    def file(self, name):
        return os.path.join(self.path, name)

    def add(self, key, x, y, **extra):
        write_f32(self.file(f"{key}.in.f32"), x)
        write_f32(self.file(f"{key}.out.f32"), y)
        self.reference["files"][key] = {"in": f"{key}.in.f32", "out": f"{key}.out.f32",
                                        "inShape": list(x.shape), "outShape": list(y.shape), **extra}

    def finish(self, manifest_json, artifact, **facts):
        self.reference["artifact"] = artifact
        self.reference["artifactSha256"] = sha256(self.file(artifact))
        self.reference.update(facts)
        for name, doc in (("manifest.json", manifest_json), ("reference.json", self.reference)):
            with open(self.file(name), "w") as f:
                json.dump(doc, f, indent=2)
                f.write("\n")


def to_layout(x_nchw, layout):
    return x_nchw if layout == "NCHW" else np.ascontiguousarray(x_nchw.transpose(0, 2, 3, 1))


def write_phantom_raw(path, raws, masks, facts):
    os.makedirs(path, exist_ok=True)
    images = []
    for k, (raw, mask, fact) in enumerate(zip(raws, masks, facts)):
        raw.astype("<u2").tofile(os.path.join(path, f"phantom-{k}.u16"))
        mask.astype(np.uint8).tofile(os.path.join(path, f"phantom-{k}.mask.u8"))
        images.append({"pixels": f"phantom-{k}.u16", "mask": f"phantom-{k}.mask.u8", **fact})
    doc = {
        "description": "Synthetic chest phantoms, stored pixel values as DICOM would hold them "
                       "(MONOCHROME2, unsigned, 12 bits stored), row-major, little-endian; "
                       "masks: one byte per pixel, 1 = lesion (the blob's half-maximum disc).",
        "rows": SIZE, "columns": SIZE, "bitsAllocated": 16, "bitsStored": 12, "highBit": 11,
        "pixelRepresentation": 0, "photometricInterpretation": "MONOCHROME2",
        "rescaleSlope": 1, "rescaleIntercept": 0, "images": images,
    }
    with open(os.path.join(path, "phantoms.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def nodule_model(out, started):
    """nodule-seg: the segmenter's architecture trained slice by slice on chest CT volumes.
    Returns its held-out Dice, pooled over every held-out voxel."""
    torch.set_flush_denormal(True)
    rng = np.random.default_rng(SEED + 10)
    print(f"nodule-seg: {CT_VOLUMES_TRAIN} training CT volumes, {CT_VOLUMES_TEST} held out", flush=True)
    vol_train, mask_train, _ = ct_dataset(CT_VOLUMES_TRAIN, rng)
    vol_test, mask_test, facts_test = ct_dataset(CT_VOLUMES_TEST, rng)
    x_train = torch.from_numpy(ct_preprocess(vol_train.reshape(-1, SIZE, SIZE)))
    m_train = torch.from_numpy(mask_train.reshape(-1, SIZE, SIZE).astype(np.int64))
    x_test = torch.from_numpy(ct_preprocess(vol_test.reshape(-1, SIZE, SIZE)))
    m_test = torch.from_numpy(mask_test.reshape(-1, SIZE, SIZE).astype(np.int64))
    torch.manual_seed(SEED + 11)
    model = train(LesionSegmenter(), seg_loss, x_train, m_train, epochs=8, batch_size=32, lr=1e-2, seed=SEED + 11)
    held_out = dice(model, x_test, m_test)
    print(f"  held-out Dice {held_out:.4f}  ({time.time() - started:.1f} s)", flush=True)
    torch.set_flush_denormal(False)

    # the test volume: a nodule found with a Dice of at least 0.8, nothing marked outside it
    with torch.no_grad():
        pred = model(x_test).argmax(1).reshape(CT_VOLUMES_TEST, CT_SLICES, SIZE, SIZE).numpy()
    pick = None
    for k, f in enumerate(facts_test):
        if not f["nodule"]:
            continue
        inter = int((pred[k] & mask_test[k]).sum())
        volume_dice = 2.0 * inter / (pred[k].sum() + mask_test[k].sum())
        marked = pred[k].any(axis=(1, 2))
        truth = mask_test[k].any(axis=(1, 2))
        if volume_dice >= 0.8 and not (marked & ~truth).any() and 3 <= truth.sum() <= 8:
            pick = k
            break
    assert pick is not None, "no held-out nodule volume good enough for the fixture"

    d = ModelDir(out, "nodule-seg-torchscript", "NCHW", (1, SIZE, SIZE))
    example = torch.from_numpy(dryrun_input((1, 1, SIZE, SIZE)))
    runner = export_torchscript(model, example, d.file("model.pt"))
    for key, batch in (("dryrun-b1", 1), ("dryrun-b4", 4)):
        x = dryrun_input((batch, 1, SIZE, SIZE))
        with torch.no_grad():
            d.add(key, x, runner(torch.from_numpy(x)).numpy())
    x = ct_preprocess(vol_test[pick])
    with torch.no_grad():
        y = runner(torch.from_numpy(x)).numpy()
    predicted = y.argmax(1)
    d.add("volume", x, y, raw="ct-raw/volume.json", preprocessing=CT_PREPROCESSING_TEXT,
          predictedVoxels=int(predicted.sum()),
          predictedSlices=[int(k) for k in np.nonzero(predicted.any(axis=(1, 2)))[0]])
    write_ct_raw(d.file("ct-raw"), vol_test[pick], mask_test[pick], facts_test[pick])
    text = (f"Small fully convolutional lung nodule segmenter, run slice by slice on chest CT, trained on "
            f"{CT_VOLUMES_TRAIN} synthetic volumes of {CT_SLICES} axial 64x64 slices ({CT_PIXEL_MM:g} mm pixels, "
            f"{CT_SLICE_MM:g} mm slices; half with a spherical nodule of {NODULE_RADIUS_MM[0]:g}-{NODULE_RADIUS_MM[1]:g} mm "
            f"radius in a lung) made by models/reference/make_reference_models.py; held-out Dice {held_out:.4f} "
            f"({CT_VOLUMES_TEST} volumes).")
    m = manifest("nodule-seg", "torchscript", "segmentation", text, preprocessing=CT_PREPROCESSING,
                 label_map=NODULE_LABEL_MAP, modalities=("CT",), batching=(16, 20))
    d.finish(m, "model.pt", dice=round(held_out, 4))
    print(f"  {time.time() - started:.1f} s", flush=True)
    return held_out


# ----------------------------------------------------------------------------------------------

def main(out):
    started = time.time()
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    os.makedirs(out, exist_ok=True)

    print(f"phantoms: {N_TRAIN} training, {N_TEST} held out", flush=True)
    raw_train, mask_train, y_train, _ = make_dataset(N_TRAIN, rng)
    raw_test, mask_test, y_test, facts_test = make_dataset(N_TEST, rng)
    x_train, x_test = torch.from_numpy(preprocess(raw_train)), torch.from_numpy(preprocess(raw_test))
    y_train, y_test = torch.from_numpy(y_train), torch.from_numpy(y_test)
    m_train, m_test = torch.from_numpy(mask_train.astype(np.int64)), torch.from_numpy(mask_test.astype(np.int64))
    print(f"  {time.time() - started:.1f} s", flush=True)

    torch.set_flush_denormal(True)    # denormals in training make the CPU crawl

    print("lesion-cls: CNN classifier", flush=True)
    torch.manual_seed(SEED + 1)
    cls = train(LesionClassifier(), F.cross_entropy, x_train, y_train, epochs=5, batch_size=64,
                lr=1e-2, seed=SEED + 1)
    cls_acc = accuracy(cls, x_test, y_test)
    print(f"  held-out accuracy {cls_acc:.4f}  ({time.time() - started:.1f} s)", flush=True)

    print("lesion-seg: segmentation net", flush=True)
    torch.manual_seed(SEED + 2)
    seg = train(LesionSegmenter(), seg_loss, x_train, m_train, epochs=4, batch_size=32,
                lr=1e-2, seed=SEED + 2)
    seg_dice = dice(seg, x_test, m_test)
    print(f"  held-out Dice {seg_dice:.4f}  ({time.time() - started:.1f} s)", flush=True)

    print("lesion-cls-keras: MLP", flush=True)
    torch.manual_seed(SEED + 3)
    mlp = train(lesion_mlp(), F.cross_entropy, x_train, y_train, epochs=20, batch_size=64,
                lr=1e-3, seed=SEED + 3, weight_decay=1e-4)
    mlp_acc = accuracy(mlp, x_test, y_test)
    print(f"  held-out accuracy {mlp_acc:.4f}  ({time.time() - started:.1f} s)", flush=True)

    det = LesionDetector(seg).eval()

    torch.set_flush_denormal(False)   # reference outputs with IEEE arithmetic, as runtimes do

    # Four held-out phantoms for tests: one lesion in each lung, two without. Each one such that
    # the classifier is sure and right, the MLP is right, and the segmenter finds the lesion
    # (or, without one, marks nothing).
    with torch.no_grad():
        p_cls = torch.softmax(cls(x_test), 1)[:, 1].numpy()
        p_mlp = torch.softmax(mlp(x_test), 1)[:, 1].numpy()
        seg_pred = seg(x_test).argmax(1)
        seg_hit = (seg_pred * m_test).flatten(1).sum(1).numpy()
        seg_any = seg_pred.flatten(1).sum(1).numpy()
        det_boxes = det(x_test).numpy()
    det_acc = detection_accuracy(det_boxes, facts_test)
    print(f"lesion-det: held-out detection accuracy {det_acc:.4f}", flush=True)

    def detected(k):
        b, f = det_boxes[k], facts_test[k]
        if not f["lesion"]:
            return bool((b[:, 4] < 0.3).all())
        x0, y0, x1, y1, score = b[0, :5]
        return bool(score > 0.6 and (b[1:, 4] < 0.3).all() and x0 <= f["column"] + 0.5 <= x1
                    and y0 <= f["row"] + 0.5 <= y1)

    def convincing(k):
        if y_test[k]:
            return p_cls[k] > 0.9 and p_mlp[k] > 0.6 and seg_hit[k] > 0 and detected(k)
        return p_cls[k] < 0.1 and p_mlp[k] < 0.4 and seg_any[k] == 0 and detected(k)

    good = [k for k in range(N_TEST) if convincing(k)]
    pick = [next((k for k in good if y_test[k] == 1 and facts_test[k]["side"] == side), None)
            for side in ("image left", "image right")]
    pick += [k for k in good if y_test[k] == 0][:2]
    assert None not in pick and len(pick) == 4, "too few convincing phantoms for the fixtures"
    ph_raw, ph_mask, ph_facts = raw_test[pick], mask_test[pick], [facts_test[k] for k in pick]
    ph_x = preprocess(ph_raw)
    ph_lesion = [bool(f["lesion"]) for f in ph_facts]

    def lesion_model(dirname, name, framework, task, model, layout, artifact, save, description,
                     facts, **manifest_args):
        d = ModelDir(out, dirname, layout, (1, SIZE, SIZE) if layout == "NCHW" else (SIZE, SIZE, 1))
        runner = save(d.file(artifact)) or model
        for key, batch in (("dryrun-b1", 1), ("dryrun-b4", 4)):
            x = dryrun_input((batch, 1, SIZE, SIZE))      # same flat values in either layout (C = 1)
            with torch.no_grad():
                y = runner(torch.from_numpy(x)).numpy()
            d.add(key, to_layout(x, layout), y)
        with torch.no_grad():
            y = runner(torch.from_numpy(ph_x)).numpy()
        d.add("phantom", to_layout(ph_x, layout), y, lesion=ph_lesion, raw="phantom-raw/phantoms.json",
              preprocessing=PHANTOM_PREPROCESSING)
        write_phantom_raw(d.file("phantom-raw"), ph_raw, ph_mask, ph_facts)
        m = manifest(name, framework, task, description, layout=layout, **manifest_args)
        d.finish(m, artifact, **facts)

    example = torch.from_numpy(dryrun_input((1, 1, SIZE, SIZE)))
    trained_on = (f"trained on {N_TRAIN} synthetic 64x64 chest phantoms (half with a bright "
                  f"blob lesion in a lung) made by models/reference/make_reference_models.py")
    cls_text = f"Small CNN lesion classifier, {trained_on}; held-out accuracy {cls_acc:.4f} ({N_TEST} phantoms)."
    seg_text = f"Small fully convolutional lesion segmenter, {trained_on}; held-out Dice {seg_dice:.4f} ({N_TEST} phantoms)."
    mlp_text = (f"MLP lesion classifier (Flatten, Dense 32 ReLU, Dense 2) in Keras 2 HDF5, {trained_on}; "
                f"held-out accuracy {mlp_acc:.4f} ({N_TEST} phantoms).")
    det_text = (f"Lesion detector: the lesion segmenter with a detection head (a box around each local maximum "
                f"of its lesion probability), {trained_on}; "
                f"held-out accuracy {det_acc:.4f} ({N_TEST} phantoms: the best box holds the lesion's centre, "
                f"or no box scores 0.5 without one).")
    cls_args = dict(labels=LESION_LABELS, batching=(8, 20))
    seg_args = dict(label_map=LESION_LABEL_MAP, batching=(8, 20))

    print("exporting lesion models", flush=True)
    lesion_model("lesion-cls-torchscript", "lesion-cls", "torchscript", "classification", cls, "NCHW",
                 "model.pt", lambda p: export_torchscript(cls, example, p), cls_text,
                 {"heldOutAccuracy": round(cls_acc, 4)}, **cls_args)
    lesion_model("lesion-cls-onnx", "lesion-cls-onnx", "onnx", "classification", cls, "NCHW",
                 "model.onnx", lambda p: export_onnx(cls, example, p), cls_text,
                 {"heldOutAccuracy": round(cls_acc, 4)}, input_name="image", output_name="logits", **cls_args)
    lesion_model("lesion-cls-keras", "lesion-cls-keras", "keras-h5", "classification", mlp, "NHWC",
                 "model.h5", lambda p: export_keras_h5(mlp, p), mlp_text,
                 {"heldOutAccuracy": round(mlp_acc, 4)}, **cls_args)
    lesion_model("lesion-seg-torchscript", "lesion-seg", "torchscript", "segmentation", seg, "NCHW",
                 "model.pt", lambda p: export_torchscript(seg, example, p), seg_text,
                 {"dice": round(seg_dice, 4)}, **seg_args)
    lesion_model("lesion-seg-onnx", "lesion-seg-onnx", "onnx", "segmentation", seg, "NCHW",
                 "model.onnx", lambda p: export_onnx(seg, example, p), seg_text,
                 {"dice": round(seg_dice, 4)}, input_name="image", output_name="logits", **seg_args)
    lesion_model("lesion-det-torchscript", "lesion-det", "torchscript", "detection", det, "NCHW",
                 "model.pt", lambda p: export_torchscript(det, example, p), det_text,
                 {"heldOutDetectionAccuracy": round(det_acc, 4)}, activation="none", labels=LESION_DET_LABELS,
                 batching=(8, 20))
    print(f"  {time.time() - started:.1f} s", flush=True)

    nodule_dice = nodule_model(out, started)

    # Benchmark architectures: seeded random weights, 1 x 224 x 224 input.
    big_pre = {"rescale": True, "percentileClip": {"low": CLIP_LOW, "high": CLIP_HIGH},
               "resize": "bilinear", "normalise": {"mean": [0.449], "std": [0.226]},
               "stacking": "per-instance"}
    big_example = torch.from_numpy(dryrun_input((1, 1, BIG, BIG)))
    benchmarks = [
        ("densenet121", "densenet121-chexnet", one_channel_densenet121, 121,
         dict(activation="sigmoid", labels=CHEXNET_LABELS),
         "DenseNet-121 with CheXNet's shape (one-channel 224x224 input, 14 ChestX-ray14 findings), "
         "seeded random weights: for benchmarks only, its outputs mean nothing."),
        ("resnet18", "resnet18", one_channel_resnet18, 18,
         dict(activation="softmax", labels=LESION_LABELS),
         "ResNet-18 with a one-channel 224x224 input and 2 outputs (no lesion, lesion), "
         "seeded random weights: for benchmarks only, its outputs mean nothing."),
    ]
    for prefix, name, build, seed, out_args, text in benchmarks:
        print(f"exporting {prefix}", flush=True)
        torch.manual_seed(SEED + seed)
        model = build().eval()
        for fmt, artifact in (("torchscript", "model.pt"), ("onnx", "model.onnx")):
            d = ModelDir(out, f"{prefix}-{fmt}", "NCHW", (1, BIG, BIG))
            if fmt == "torchscript":
                runner = export_torchscript(model, big_example, d.file(artifact))
                extra = {}
            else:
                export_onnx(model, big_example, d.file(artifact))
                runner = model
                extra = dict(input_name="image", output_name="logits")
            for key, batch in (("dryrun-b1", 1), ("dryrun-b4", 4)):
                x = dryrun_input((batch, 1, BIG, BIG))
                with torch.no_grad():
                    d.add(key, x, runner(torch.from_numpy(x)).numpy())
            m = manifest(name if fmt == "torchscript" else f"{name}-onnx", fmt, "classification", text,
                         size=BIG, preprocessing=big_pre, modalities=("CR", "DX"), batching=(16, 10),
                         **extra, **out_args)
            d.finish(m, artifact)
        print(f"  {time.time() - started:.1f} s", flush=True)

    summary = {"heldOutAccuracy": {"lesion-cls": cls_acc, "lesion-cls-keras": mlp_acc},
               "dice": {"lesion-seg": seg_dice, "nodule-seg": nodule_dice}, "detectionAccuracy": {"lesion-det": det_acc}, "seconds": round(time.time() - started, 1),
               "torch": torch.__version__}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(f"done in {time.time() - started:.1f} s: classifier accuracy {cls_acc:.4f}, "
          f"MLP accuracy {mlp_acc:.4f}, segmentation Dice {seg_dice:.4f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_reference_models.py OUT_DIR")
    main(sys.argv[1])
