#!/bin/sh
# Brings up (or takes down) libvirt for the checkpoint/restore benchmark, without systemd.
#   bench/libvirt-setup.sh up STATE_FILE    install libvirt from Debian if missing; start virtlogd and
#                                           libvirtd unless qemu:///system already answers; record in
#                                           STATE_FILE the pids of the daemons this script started
#   bench/libvirt-setup.sh down STATE_FILE  stop only the daemons recorded in STATE_FILE
# Prints "ok" or "not available: REASON" as its last line (exit 0 either way for "up").
set -u
cmd=${1:-}; state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || { echo "usage: $0 up|down STATE_FILE" >&2; exit 2; }
URI=qemu:///system
# running (not a zombie) process with this exact name
running() { ps -C "$1" -o stat= 2>/dev/null | grep -qv '^Z'; }
case "$cmd" in
up)
    : > "$state"
    if ! command -v virsh >/dev/null 2>&1 || ! command -v libvirtd >/dev/null 2>&1; then
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
                libvirt-daemon-system libvirt-clients >"$state.apt.log" 2>&1; then
            echo "not available: apt-get install libvirt-daemon-system libvirt-clients failed (see $state.apt.log)"
            exit 0
        fi
    fi
    if virsh -c "$URI" version >/dev/null 2>&1; then
        echo "ok"; exit 0
    fi
    if ! running virtlogd; then
        virtlogd -d || { echo "not available: virtlogd -d failed"; exit 0; }
        sleep 0.3
        [ -f /run/virtlogd.pid ] && echo "virtlogd $(cat /run/virtlogd.pid)" >> "$state"
    fi
    if ! running libvirtd; then
        libvirtd -d || { echo "not available: libvirtd -d failed"; exit 0; }
        [ -f /run/libvirtd.pid ] && echo "libvirtd $(cat /run/libvirtd.pid)" >> "$state"
    fi
    i=0
    while [ $i -lt 100 ]; do
        if virsh -c "$URI" version >/dev/null 2>&1; then echo "ok"; exit 0; fi
        sleep 0.1; i=$((i + 1))
    done
    echo "not available: libvirtd started but $URI does not answer"
    ;;
down)
    [ -f "$state" ] || exit 0
    # libvirtd first (it talks to virtlogd), each by the pid recorded when this script started it.
    for name in libvirtd virtlogd; do
        pid=$(awk -v n="$name" '$1 == n { print $2 }' "$state")
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    done
    rm -f "$state" "$state.apt.log"
    ;;
*) echo "usage: $0 up|down STATE_FILE" >&2; exit 2 ;;
esac
