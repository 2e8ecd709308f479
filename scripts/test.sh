#!/usr/bin/env bash
# Installs what is missing, then runs every test: unit tests (Surefire) and integration tests that
# boot real QEMU/TCG guests (Failsafe). This is the command CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build
exec mvn -B verify "$@"
