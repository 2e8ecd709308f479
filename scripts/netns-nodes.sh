#!/usr/bin/env bash
# Several hpcvirt "nodes" on one machine, for tests and demos of migration between daemons.
#
#   scripts/netns-nodes.sh up N      create namespaces PREFIX1..PREFIXN (10.200.0.1..N/24 on eth0),
#                                    joined by a bridge in namespace PREFIX0, and start one daemon in
#                                    each: home ROOT/nI, shared store ROOT/store, shared token
#                                    ROOT/token, listening on 10.200.0.I:PORT, node name nI
#                                    (HPCVIRT_NODE) and every node as a peer (HPCVIRT_PEERS), so
#                                    fault-tolerance policies can move VMs between them
#   scripts/netns-nodes.sh down N    kill the daemons and every QEMU whose command line mentions a
#                                    node's home, delete the namespaces (their links go with them)
#                                    and ROOT
#
# Environment: HVN_ROOT (default /tmp/hvnodes; keep it short, Unix socket paths are limited),
# HVN_PREFIX (hvN), HVN_PORT (7700), HVN_IMAGES (images directory to share; default
# target/it-images, else ~/.local/share/hpcvirt/images), HVN_JAVA (java), HVN_CP (class path;
# default target/hpcvirt.jar). The addresses exist only inside the namespaces: nothing here
# touches the host's own interfaces or routes. Needs root (ip netns, nsenter).
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}
n=${2:-2}
root=${HVN_ROOT:-/tmp/hvnodes}
prefix=${HVN_PREFIX:-hvN}
port=${HVN_PORT:-7700}
java=${HVN_JAVA:-java}
cp=${HVN_CP:-$PWD/target/hpcvirt.jar}

if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 200 ]; then
    echo "usage: $0 up|down N (1..200)" >&2
    exit 2
fi

down() {
    local i pids
    for i in $(seq 1 "$n"); do
        # daemons and QEMU started for this node: their command line or environment names the home
        pids=$(pgrep -f -- "$root/n$i/" || true)
        pids="$pids $(cat "$root/n$i/hpcvirtd.pid" 2>/dev/null || true)"
        for p in $pids; do
            kill -9 "$p" 2>/dev/null || true
        done
    done
    for i in $(seq 0 "$n"); do
        ip netns del "$prefix$i" 2>/dev/null || true
    done
    rm -rf "$root"
}

up() {
    local i images home addr
    images=${HVN_IMAGES:-}
    if [ -z "$images" ]; then
        if [ -d target/it-images ]; then images=$PWD/target/it-images; else images=$HOME/.local/share/hpcvirt/images; fi
    fi
    images=$(readlink -f "$images")
    mkdir -p "$root/store"
    [ -f "$root/token" ] || (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=' > "$root/token")
    ip netns add "${prefix}0"
    ip -n "${prefix}0" link add br0 type bridge
    ip -n "${prefix}0" link set br0 up
    for i in $(seq 1 "$n"); do
        ip netns add "$prefix$i"
        ip -n "$prefix$i" link set lo up
        ip link add eth0 netns "$prefix$i" type veth peer name "p$i" netns "${prefix}0"
        ip -n "${prefix}0" link set "p$i" master br0 up
        ip -n "$prefix$i" addr add "10.200.0.$i/24" dev eth0
        ip -n "$prefix$i" link set eth0 up
    done
    peers=""
    for i in $(seq 1 "$n"); do
        peers="$peers${peers:+,}n$i=http://10.200.0.$i:$port"
    done
    for i in $(seq 1 "$n"); do
        home=$root/n$i
        addr=10.200.0.$i
        mkdir -p "$home"
        ln -sfn "$images" "$home/images"
        HPCVIRT_HOME=$home HPCVIRT_STORE=$root/store HPCVIRT_NODE=n$i HPCVIRT_PEERS=$peers setsid nsenter --net="/run/netns/$prefix$i" \
            "$java" -Dhpcvirt.home="$home/" -Xmx256m -XX:+UseSerialGC -cp "$cp" \
            org.hpcvirt.cli.Main daemon run --listen "$addr:$port" --token-file "$root/token" \
            </dev/null >>"$home/hpcvirtd.log" 2>&1 &
    done
    for i in $(seq 1 "$n"); do
        home=$root/n$i
        for _ in $(seq 1 300); do
            if curl -sf --unix-socket "$home/hpcvirtd.sock" http://hpcvirtd/v1/node >/dev/null 2>&1; then break; fi
            sleep 0.1
        done
        if ! curl -sf --unix-socket "$home/hpcvirtd.sock" http://hpcvirtd/v1/node >/dev/null; then
            echo "daemon of node $i did not answer; see $home/hpcvirtd.log" >&2
            tail -5 "$home/hpcvirtd.log" >&2 || true
            down
            exit 1
        fi
        echo "node $i: ns $prefix$i, http://10.200.0.$i:$port, HPCVIRT_HOME=$home (socket $home/hpcvirtd.sock)"
    done
    echo "store $root/store, token file $root/token"
}

case "$cmd" in
    up) trap 'down' ERR; up ;;
    down) down ;;
    *) echo "usage: $0 up|down N" >&2; exit 2 ;;
esac
