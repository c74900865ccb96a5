#!/usr/bin/env bash
# Installs what Maven cannot fetch, idempotently (root on Debian 12):
#  - PixelMed from Debian, manifests stripped, into the local Maven repository
#  - dcmtk, dicom3tools and pydicom's test corpus for the tests
#  - PostgreSQL for the tests against an external SQL index
# Usage: scripts/setup.sh [--test]
set -euo pipefail
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

pkgs=(openjdk-17-jdk-headless maven zip unzip libpixelmed-java libpixelmed-imageio-java libjsonp-java)
[ $want_test = 1 ] && pkgs+=(dcmtk dicom3tools python3-pydicom postgresql)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
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

if [ $want_test = 1 ]; then
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
