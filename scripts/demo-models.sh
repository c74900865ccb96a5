#!/usr/bin/env bash
# Maintainers only: refreshes the demo models `./imago demo` registers
# (app/src/main/resources/imago/demo/models/) from a reference-model build, so the demo needs no
# Python. Each is a copy of a reference model (models/reference, trained on the same synthetic
# phantoms the demo draws) under a demo- name, applicable to the modality the demo sends it, well
# under 1 MiB. Run after changing make_reference_models.py:
#   models/reference/make.sh models/reference/target/out && scripts/demo-models.sh models/reference/target/out
set -euo pipefail
src=${1:?usage: scripts/demo-models.sh REFERENCE_OUT_DIR}
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/app/src/main/resources/imago/demo/models"
copy() { # reference-dir demo-name artifact modalities...
  local from=$1 name=$2 artifact=$3; shift 3
  mkdir -p "$dest/$name"
  cp "$src/$from/$artifact" "$dest/$name/$artifact"
  /usr/bin/python3 - "$src/$from/manifest.json" "$dest/$name/manifest.json" "$name" "$@" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["name"] = sys.argv[3]
m["applicability"] = {"modalities": sys.argv[4:]}
m["description"] = "Demo copy of the reference model " + json.load(open(sys.argv[1]))["name"] + ": " + m["description"]
json.dump(m, open(sys.argv[2], "w"), indent=2)
open(sys.argv[2], "a").write("\n")
PY
  [ "$(stat -c %s "$dest/$name/$artifact")" -lt 1048576 ] || { echo "$name: $artifact is over 1 MiB" >&2; exit 1; }
}
copy lesion-cls-onnx demo-lesion-cls model.onnx CR DX
copy lesion-det-torchscript demo-lesion-det model.pt CR DX
copy nodule-seg-torchscript demo-nodule-seg model.pt CT
echo "demo models in $dest"
