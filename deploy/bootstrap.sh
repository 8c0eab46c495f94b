# Sourced by deploy/run and deploy/test: makes this machine able to run lienthong, idempotently.
#   - Java 17+ and Maven (apt-get, as root or with passwordless sudo), for the Kafka broker;
#   - openssl (apt-get), for the certificates of the secured broker (`lienthong kafka up --secure`);
#   - Chromium and Noto fonts (apt-get), for the dashboard's end-to-end browser test;
#   - Python 3.11+ with venv, and the project's virtualenv in .venv with pinned dependencies
#     (deploy/constraints.txt), reinstalled only when pyproject.toml or the constraints change;
#   - kustomize (pinned, built with Go into .local/bin) for the tests of the Kubernetes manifests (deploy/k8s).
# Prints one line and exits non-zero when something is missing and cannot be installed here.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf 'lienthong: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

java_major() {
  local java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  command -v "$java" >/dev/null 2>&1 || { echo 0; return; }
  "$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\.\{0,1\}\([0-9]*\).*/\1 \2/p' | head -n1 |
    awk '{ if ($1 == 1) print $2; else print $1 }'
}

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      die "missing $*: install them (apt-get install -y $*) or run as root"
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing $*: this is not a Debian/Ubuntu machine, install them by hand"
  say "installing with apt-get: $*"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
    die "apt-get update failed"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    die "apt-get install $* failed"
}

pick_jdk() {
  # Debian 12 ships 17, Debian 13 ships 21, Ubuntu 22.04/24.04 ship both; take the first one offered.
  local pkg
  for pkg in openjdk-17-jdk-headless openjdk-21-jdk-headless openjdk-25-jdk-headless default-jdk-headless; do
    if apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then echo "$pkg"; return; fi
  done
  echo openjdk-17-jdk-headless
}

ensure_system() {
  local missing=()
  if [ "$(java_major)" -lt 17 ]; then
    command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -ne 0 ] || apt-get update -qq >/dev/null 2>&1 || true; }
    missing+=("$(pick_jdk)")
  fi
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  # the dashboard's browser test drives Debian's Chromium (no browser download); Noto renders Vietnamese
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
  [ "$(java_major)" -ge 17 ] || die "Java 17+ is required for Kafka 4 (found $(java_major)); set JAVA_HOME"
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "Python 3.11+ is required (found $(python3 --version 2>&1))"
}

ensure_venv() {
  local stamp="$VENV/.lienthong-stamp" want
  want="$(cat "$ROOT/pyproject.toml" "$ROOT/deploy/constraints.txt" | sha256sum | cut -c1-16)"
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return; fi
  say "installing Python dependencies into .venv (pinned by deploy/constraints.txt) ..."
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || die "could not create $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null || die "could not upgrade pip in $VENV"
  "$VENV/bin/python" -m pip install -q -c "$ROOT/deploy/constraints.txt" -e "$ROOT[dev]" ||
    die "pip install failed (see the lines above)"
  echo "$want" >"$stamp"
}

ensure_kustomize() {
  # deploy/k8s is rendered by kustomize in the tests (tests/unit/deploy): built from the Go module proxy into
  # .local/bin once, at the version pinned here. Not fatal without Go: only those tests need it, and they say so.
  local want="v5.8.1" bin="$ROOT/.local/bin/kustomize"
  if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -qx "$want"; then return; fi
  if ! command -v go >/dev/null 2>&1; then
    say "kustomize $want not installed (needs Go 1.22+): the deploy/k8s tests will fail until it is"
    return
  fi
  say "installing kustomize $want into .local/bin (go install, once) ..."
  mkdir -p "$ROOT/.local/bin"
  GOBIN="$ROOT/.local/bin" GOTOOLCHAIN=local GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$want" ||
    say "go install of kustomize $want failed (see above): the deploy/k8s tests will fail until it is installed"
}

ensure_system
ensure_venv
ensure_kustomize
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
