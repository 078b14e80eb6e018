#!/usr/bin/env bash
#===- setup.sh - Install QuantC's toolchain and Python environment ---------===#
#
# Installs (once) the Debian packages QuantC builds with and a Python
# virtualenv (.venv) with the test dependencies. Idempotent: a second run
# checks and returns in a second or two.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

apt_packages=(
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools clang-19 lld-19 libomp-19-dev
  ninja-build ccache cmake libonnx-dev protobuf-compiler libprotobuf-dev
  python3 python3-venv libgtest-dev libzstd-dev zlib1g-dev libedit-dev
  libxml2-dev libcurl4-openssl-dev
)

missing=()
for p in "${apt_packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[setup] installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

venv="$root/.venv"
req="$root/scripts/requirements.txt"
reqNoDeps="$root/scripts/requirements-nodeps.txt"
stamp="$venv/.requirements.sha256"
want=$(cat "$req" "$reqNoDeps" | sha256sum | cut -d' ' -f1)
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "[setup] creating Python virtualenv in .venv"
  py=/usr/bin/python3
  [[ -x $py ]] || py=$(command -v python3)
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps \
    -r "$reqNoDeps"
  echo "$want" >"$stamp"
fi
