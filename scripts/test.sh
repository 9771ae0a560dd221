#!/usr/bin/env bash
# Set up and run the whole test suite.
#
#   bash scripts/test.sh                      # everything
#   bash scripts/test.sh tests/blocks -x      # extra arguments go to pytest
#
# Installs Callwright with its `test` extra into its own virtualenv ${CALLWRIGHT_TEST_VENV:-.venv-test}
# through scripts/install.sh, as a wheel (never editable: the tests import the installed package,
# so they prove the package data ships), then the example partner package examples/acme-crm, and
# the Debian packages the suite needs when they are missing. Under CI=true a dependency that
# cannot be installed is a failure, never a skipped test. Exits with pytest's code, except that
# "no tests collected" (pytest's 5) is a failure too.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv=${CALLWRIGHT_TEST_VENV:-.venv-test}
python=${CALLWRIGHT_PYTHON:-python3}
case "${CI:-}" in true|TRUE|True|1|yes) ci=true;; *) ci=false;; esac

say() { echo "test.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

# Debian packages the suite needs, as "package|shell test that succeeds when it is present".
# apt-get runs (update once, then one install) only when one of them is missing.
debian_needs=(
  "python3-venv|$python -c 'import ensurepip'"
  "redis-server|command -v redis-server"      # Redis session store and Huey contract tests
  "postgresql|ls /usr/lib/postgresql/*/bin/initdb"  # the records database's PostgreSQL tests
  "sip-tester|command -v sipp"                # SIP peers for the SIP backend's tests (sipp scenarios)
  "espeak-ng|command -v espeak-ng"            # text prompts spoken in English and Russian (runtime/media)
  "kamailio|command -v kamailio"              # a real registrar and proxy for the line backend's calls (tests/runtime/ports/line)
  "chromium|command -v chromium"              # the editor's browser suite (tests/e2e/test_editor.py)
)

missing_debian() {
  local need
  for need in "${debian_needs[@]}"; do
    bash -c "${need#*|}" >/dev/null 2>&1 || echo "${need%%|*}"
  done
}

install_debian() {
  local missing sudo=()
  missing=$(missing_debian | xargs)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      say "cannot install Debian packages ($missing) without root"; return 0; fi
  fi
  say "installing Debian packages: $missing"
  "${sudo[@]}" apt-get update -qq || say "apt-get update failed"
  # shellcheck disable=SC2086  # the package list is split on purpose
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
    || say "apt-get install failed"
  # Debian starts the kamailio it installs as a service on port 5060, where serve answers SIP by
  # default; the tests run their own instance, so the one just installed is stopped and disabled
  if [[ " $missing " == *" kamailio "* ]] && [ -d /run/systemd/system ]; then
    "${sudo[@]}" systemctl disable --now kamailio >/dev/null 2>&1 || say "could not stop the kamailio service"
  fi
}

install_debian
still=$(missing_debian | xargs)
if [ -n "$still" ]; then
  [ "$ci" = true ] && fail "missing Debian packages under CI: $still"
  say "warning: missing Debian packages: $still (tests that need them will be skipped)"
fi

CALLWRIGHT_VENV=$venv CALLWRIGHT_INSTALL_MODE=wheel CALLWRIGHT_PYTHON=$python bash scripts/install.sh test

# The example partner package, installed as a partner would (a wheel, its own entry points).
partner=examples/acme-crm
partner_stamp="$venv/.acme-crm-install"
partner_hash=$(find "$partner" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' \
                 ! -path '*.egg-info/*' ! -path '*/build/*' -print0 \
               | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ ! -f "$partner_stamp" ] || [ "$(cat "$partner_stamp")" != "$partner_hash" ]; then
  say "installing the example partner package $partner into $venv"
  rm -rf "$partner/build"
  "$venv/bin/python" -I -m pip install --quiet "./$partner"
  rm -rf "$partner/build"
  echo "$partner_hash" > "$partner_stamp"
fi

set +e
# CI's log says why each test was skipped or expected to fail (-rsxX) and which tests took
# longest (--durations); options given to test.sh come after, so they override these
"$venv/bin/pytest" -rsxX --durations=20 "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  fail "pytest collected no tests: that is a failure"
fi
exit "$code"
