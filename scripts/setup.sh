#!/usr/bin/env bash
# Installs what Maven cannot fetch, idempotently (root on Debian 12):
#  - PixelMed and GDCM's Java bindings from Debian, manifests stripped, into the local Maven repository
#  - dcmtk, dicom3tools and pydicom's test corpus for the tests
#  - dcm2niix: research exports write NIfTI volumes with it; scikit-learn checks the evaluation metrics
#  - PostgreSQL for the tests against an external SQL index
#  - haproxy, in front of the local cluster scripts/cluster.sh runs
#  - the OHIF viewer's prebuilt dist/ from npm (--viewer, implied by --test), served at /viewer/
#  - Chromium (Debian) and playwright-core (npm) for the viewer's browser test
#  - python3-torch, -torchvision, -onnx, -h5py: the build trains the reference models with them
# Usage: scripts/setup.sh [--test] [--viewer]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
want_test=0
want_viewer=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1; want_viewer=1 ;;
    --viewer) want_viewer=1 ;;
    *) echo "usage: scripts/setup.sh [--test] [--viewer]" >&2; exit 2 ;;
  esac
done

pkgs=(openjdk-17-jdk-headless maven zip unzip libpixelmed-java libpixelmed-imageio-java libjsonp-java libgdcm-java dcm2niix)
# npm by command, not by package: NodeSource's nodejs bundles npm and conflicts with Debian's npm
[ $want_viewer = 1 ] && ! command -v npm >/dev/null && pkgs+=(nodejs npm)
[ $want_test = 1 ] && pkgs+=(dcmtk dicom3tools python3-pydicom python3-sklearn postgresql chromium orthanc haproxy libgdcm-tools)
# The reference models (models/reference/make.sh) are trained and exported with Debian's torch.
[ $want_test = 1 ] && pkgs+=(python3-torch python3-torchvision python3-onnx python3-h5py)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: installing Debian packages needs root; run this as root, or have an administrator run:" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# PixelMed into ~/.m2, with the Debian manifests removed: their Class-Path names absolute
# /usr/share/java jars that would leak onto our class path.
m2="${MAVEN_REPO:-$HOME/.m2/repository}"
install_jar() { # jar groupId artifactId version
  local jar=$1 g=$2 a=$3 v=$4
  local dest="$m2/${g//.//}/$a/$v/$a-$v.jar"
  [ -f "$dest" ] && return 0
  local tmp; tmp=$(mktemp -d)
  cp "$jar" "$tmp/$a.jar"
  zip -q -d "$tmp/$a.jar" META-INF/MANIFEST.MF || true
  mvn -q -B install:install-file -Dfile="$tmp/$a.jar" -DgroupId="$g" -DartifactId="$a" \
      -Dversion="$v" -Dpackaging=jar -DgeneratePom=true -Dmaven.repo.local="$m2"
  rm -rf "$tmp"
}
install_jar /usr/share/java/pixelmed.jar com.pixelmed pixelmed 20220618
install_jar /usr/share/java/pixelmed_imageio.jar com.pixelmed pixelmed-imageio 20200328
# GDCM's Java bindings (JNI: libgdcmjni.so from the same package) decode what PixelMed cannot
install_jar /usr/share/java/gdcm.jar org.gdcm gdcm 3.0.21

# Prebuilt web apps from npm, unpacked into versioned, git-ignored folders under .cache/, atomically
# (a half-unpacked dist is never left at the final path). --touch: npm stores every file with a 1985
# mtime, which would make Last-Modified useless.
# npm_dist PACKAGE VERSION DEST SUBPATH WHY: the package's SUBPATH (package/dist, or package) as DEST/dist
npm_dist() {
  local package=$1 version=$2 dest=$3 subpath=$4 why=$5
  echo "setup: fetching $package@$version ($why)" >&2
  mkdir -p "$dest"
  local tmp; tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
  (cd "$tmp" && npm pack --silent --loglevel=error "$package@$version" >/dev/null)
  local tgz=("$tmp"/*.tgz)
  tar -xzf "${tgz[0]}" -C "$tmp" --touch "$subpath"
  rm -rf "$dest/dist"
  mv "$tmp/$subpath" "$dest/dist"
  rm -rf "$tmp"
}

# OHIF: the viewer (~200 MB unpacked).
ohif_version=3.13.2
ohif_dir="$root/.cache/ohif/$ohif_version"
if [ $want_viewer = 1 ] && [ ! -f "$ohif_dir/dist/index.html" ]; then
  npm_dist @ohif/app "$ohif_version" "$ohif_dir" package/dist "prebuilt viewer, ~50 MB download"
fi
# Swagger UI: the browsable page of /openapi.json at /api-docs/.
swagger_version=5.36.0
swagger_dir="$root/.cache/swagger-ui/$swagger_version"
if [ $want_viewer = 1 ] && [ ! -f "$swagger_dir/dist/swagger-ui-bundle.js" ]; then
  npm_dist swagger-ui-dist "$swagger_version" "$swagger_dir" package "API documentation page"
fi

uplot_version=1.6.32
uplot_dir="$root/.cache/uplot/$uplot_version"
if [ $want_viewer = 1 ] && [ ! -f "$uplot_dir/dist/uPlot.iife.min.js" ]; then
  npm_dist uplot "$uplot_version" "$uplot_dir" package/dist "the console's charts, ~50 KB"
fi

if [ $want_test = 1 ]; then
  # playwright-core drives Debian's chromium (/usr/bin/chromium); it downloads no browser itself.
  pw_version=1.65.1
  pw_dir="$root/.cache/playwright"
  if [ "$(node -p "require('$pw_dir/node_modules/playwright-core/package.json').version" 2>/dev/null)" != "$pw_version" ]; then
    echo "setup: installing playwright-core@$pw_version into .cache/playwright" >&2
    mkdir -p "$pw_dir"
    [ -f "$pw_dir/package.json" ] || echo '{"private": true}' > "$pw_dir/package.json"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$pw_dir" --no-save --silent --loglevel=error \
      "playwright-core@$pw_version" >/dev/null
  fi

  # PostgreSQL for IngestOnPostgresTest: a cluster on loopback with a known test role.
  if ! pg_lsclusters -h 2>/dev/null | grep -q online; then
    v=$(ls /usr/lib/postgresql | sort -n | tail -1)
    pg_lsclusters -h | grep -q "^$v main" || pg_createcluster "$v" main >/dev/null
    pg_ctlcluster "$v" main start
  fi
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='imago'\"" | grep -q 1 ||
    su postgres -c "psql -q -c \"CREATE ROLE imago LOGIN SUPERUSER PASSWORD 'imago'\""
fi
[ -n "${IMAGO_VERBOSE:-}" ] && echo "setup: ok" >&2; true
