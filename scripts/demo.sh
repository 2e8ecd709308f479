#!/usr/bin/env bash
# The hpcvirt demo on the embedded single-node default: installs what is missing, builds, starts the
# node daemon, boots two VMs from example profiles, shows heartbeats and status, pauses and resumes
# one, crashes the other's guest kernel and shows the panic event while the first keeps running,
# then cleans up (also on failure or Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

export HPCVIRT_HOME="${HPCVIRT_HOME:-$(mktemp -d /tmp/hpcvirt-demo.XXXXXX)}"
A=compute-small      # examples/compute-small.yaml
B=service-net        # examples/service-net.yaml

hv() { printf '\n\033[1m$ hpcvirt %s\033[0m\n' "$*"; bin/hpcvirt "$@"; }
say() { printf '\n\033[36m# %s\033[0m\n' "$*"; }
state_of() { bin/hpcvirt vm status "$1" --json | sed -n 's/.*"state" : "\([A-Z]*\)".*/\1/p'; }
wait_state() { # VM STATE SECONDS
    local deadline=$((SECONDS + $3))
    until [ "$(state_of "$1")" = "$2" ]; do
        if ((SECONDS > deadline)); then echo "demo: $1 did not reach $2 within $3 s" >&2; return 1; fi
        sleep 0.5
    done
}
cleanup() {
    set +e
    say "cleaning up"
    for vm in $A $B; do bin/hpcvirt vm destroy "$vm" >/dev/null 2>&1; done
    bin/hpcvirt daemon stop
    case "$HPCVIRT_HOME" in /tmp/hpcvirt-demo.*) rm -rf "$HPCVIRT_HOME" ;; esac
}
trap cleanup EXIT

say "HPCVIRT_HOME=$HPCVIRT_HOME"
hv backends
hv image build
hv daemon start
hv vm define examples/$A.yaml
hv vm define examples/$B.yaml
hv vm start $A --wait
hv vm start $B --wait
hv vm list
say "heartbeats keep coming"
sleep 2
hv vm status $A
hv vm exec $A --shell 'echo "hello from $(hostname), kernel $(uname -r)"; df -h /data | tail -1'
say "pause $A: its heartbeats stop, and it is not reported as hung"
hv vm pause $A
sleep 3
hv vm status $A
hv vm resume $A
sleep 1
say "after resume the heartbeat sequence continues"
hv vm status $A
say "crash the guest kernel of $B (sysrq-c)"
hv vm exec $B --shell '(sleep 0.3; echo c > /proc/sysrq-trigger) >/dev/null 2>&1 &'
wait_state $B PANICKED 30
hv events --vm $B
say "$A is unaffected"
hv vm list
hv vm status $A
