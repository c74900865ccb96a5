#!/usr/bin/env bash
# Builds Imago's reference models into OUT_DIR (see README.md); never commit what it makes.
# Usage: models/reference/make.sh OUT_DIR
#
# Idempotent: OUT_DIR/.stamp holds a hash of the generator script(s), this wrapper and the
# Debian packages that run them; when it matches and every model directory is there, nothing
# runs. Otherwise the script writes into a scratch directory beside OUT_DIR's models, and each
# model directory is moved into place whole; the stamp is written last.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
py=/usr/bin/python3
dirs=(lesion-cls-torchscript lesion-cls-onnx lesion-cls-keras lesion-seg-torchscript lesion-seg-onnx lesion-det-torchscript nodule-seg-torchscript
      densenet121-torchscript densenet121-onnx resnet18-torchscript resnet18-onnx)

# Two threads, sleeping rather than spinning when idle (a parallel build may share the cores).
export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE
export PYTHONDONTWRITEBYTECODE=1

stamp() {
  {
    for f in "$here"/*.py "$here/make.sh"; do sha256sum "$f" | cut -d' ' -f1; done
    dpkg-query -W -f='${Package} ${Version}\n' python3-torch python3-torchvision python3-onnx \
      python3-h5py python3-numpy 2>/dev/null || true
  } | sha256sum | cut -d' ' -f1
}

up_to_date() {
  [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$want" ] || return 1
  for d in "${dirs[@]}"; do [ -f "$out/$d/manifest.json" ] || return 1; done
}

mkdir -p "$out"
want="$(stamp)"
if up_to_date; then
  echo "reference models in $out are up to date"
  exit 0
fi

# One build at a time per OUT_DIR (parallel Maven modules may ask together).
exec 9>"$out/.lock"
flock 9
if up_to_date; then
  echo "reference models in $out are up to date"
  exit 0
fi

if ! "$py" -c 'import torch, torchvision, onnx, h5py, numpy' 2>/dev/null; then
  echo "make.sh: $py cannot import torch, torchvision, onnx, h5py and numpy" \
       "(Debian python3-torch python3-torchvision python3-onnx python3-h5py python3-numpy);" \
       "run scripts/setup.sh --test" >&2
  exit 1
fi

tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "building reference models into $out (about a minute)"
start=$SECONDS
"$py" "$here/make_reference_models.py" "$tmp"
for d in "${dirs[@]}"; do
  [ -f "$tmp/$d/manifest.json" ] || { echo "make.sh: $d was not made" >&2; exit 1; }
done

rm -f "$out/.stamp"
for d in "${dirs[@]}"; do
  if [ -e "$out/$d" ]; then mv "$out/$d" "$tmp/$d.old"; fi
  mv "$tmp/$d" "$out/$d"
done
mv "$tmp/summary.json" "$out/summary.json"
echo "$want" > "$out/.stamp.new" && mv "$out/.stamp.new" "$out/.stamp"
echo "reference models built in $((SECONDS - start)) s"
