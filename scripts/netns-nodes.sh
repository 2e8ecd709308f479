#!/usr/bin/env bash
# Several hpcvirt "nodes" on one machine, for tests and demos of migration between daemons.
#
#   scripts/netns-nodes.sh up N      create namespaces PREFIX1..PREFIXN (10.200.0.1..N/24 on eth0),
#                                    joined by a bridge in namespace PREFIX0, a cluster CA with one
#                                    certificate per node (ROOT/cluster, 'hpcvirt cluster init'), and
#                                    start one daemon in each: home ROOT/nI, shared store ROOT/store,
#                                    mutual TLS on https://10.200.0.I:PORT with ROOT/cluster/nodes/nI,
#                                    scoped tokens of ROOT/cluster/tokens (empty at first), node name
#                                    nI (HPCVIRT_NODE) and every node as a peer (HPCVIRT_PEERS), so
#                                    fault-tolerance policies can move VMs between them
#   scripts/netns-nodes.sh start I   start node I's daemon again (after it died or was killed)
#   scripts/netns-nodes.sh down N    kill the daemons and every QEMU whose command line mentions a
#                                    node's home, delete the namespaces (their links go with them)
#                                    and ROOT
#
# Environment: HVN_ROOT (default /tmp/hvnodes; keep it short, Unix socket paths are limited),
# HVN_PREFIX (hvN), HVN_PORT (7700), HVN_IMAGES (images directory to share; default
# target/it-images, else ~/.local/share/hpcvirt/images), HVN_JAVA (java), HVN_CP (class path;
# default target/hpcvirt.jar), HVN_MODE (tls; plain: the daemons are started with the lab switch
# --insecure-plain-tcp and the shared token ROOT/token instead, http:// peers). The addresses exist only inside the namespaces: nothing here
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
mode=${HVN_MODE:-tls}
# the daemon's JVM options, the same file DaemonLauncher reads from the class path
jvm_options=$PWD/src/main/resources/org/hpcvirt/daemon/jvm.options

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
    echo "$n" > "$root/count"
    local specs=()
    for i in $(seq 1 "$n"); do specs+=(--node "n$i=10.200.0.$i"); done
    "$java" -cp "$cp" org.hpcvirt.cli.Main cluster init --dir "$root/cluster" --days 30 "${specs[@]}" >"$root/cluster-init.log"
    (umask 077; : > "$root/cluster/tokens")
    for i in $(seq 1 "$n"); do
        mkdir -p "$root/n$i"
        ln -sfn "$images" "$root/n$i/images"
        start_daemon "$i" "$n"
    done
    for i in $(seq 1 "$n"); do
        await_daemon "$i" || { down; exit 1; }
    done
    echo "store $root/store, cluster CA and node certificates $root/cluster, lab token file $root/token"
}

# start_daemon I COUNT: the daemon of node I (in the background), with every node as a peer
start_daemon() {
    local i=$1 count=$2 j peers="" home=$root/n$1 scheme=https auth
    auth=(--tls "$root/cluster/nodes/n$i" --tokens "$root/cluster/tokens")
    if [ "$mode" = plain ]; then
        scheme=http
        auth=(--insecure-plain-tcp --token-file "$root/token")
    fi
    for j in $(seq 1 "$count"); do
        peers="$peers${peers:+,}n$j=$scheme://10.200.0.$j:$port"
    done
    HPCVIRT_HOME=$home HPCVIRT_STORE=$root/store HPCVIRT_NODE=n$i HPCVIRT_PEERS=$peers setsid nsenter --net="/run/netns/$prefix$i" \
        "$java" -Dhpcvirt.home="$home/" @"$jvm_options" -cp "$cp" \
        org.hpcvirt.cli.Main daemon run --listen "10.200.0.$i:$port" "${auth[@]}" \
        </dev/null >>"$home/hpcvirtd.log" 2>&1 &
}

# await_daemon I: wait up to 30 s for node I's daemon to answer on its Unix socket
await_daemon() {
    local i=$1 home=$root/n$1
    for _ in $(seq 1 300); do
        if curl -sf --unix-socket "$home/hpcvirtd.sock" http://hpcvirtd/v1/node >/dev/null 2>&1; then break; fi
        sleep 0.1
    done
    if ! curl -sf --unix-socket "$home/hpcvirtd.sock" http://hpcvirtd/v1/node >/dev/null; then
        echo "daemon of node $i did not answer; see $home/hpcvirtd.log" >&2
        tail -5 "$home/hpcvirtd.log" >&2 || true
        return 1
    fi
    local scheme=https
    [ "$mode" = plain ] && scheme=http
    echo "node $i: ns $prefix$i, $scheme://10.200.0.$i:$port, HPCVIRT_HOME=$home (socket $home/hpcvirtd.sock)"
}

# start I: start node I's daemon again (after it died or was killed) in the existing setup
start_one() {
    local count
    count=$(cat "$root/count" 2>/dev/null) || { echo "no nodes under $root: run up first" >&2; exit 1; }
    if [ "$n" -gt "$count" ]; then
        echo "node $n does not exist (up $count)" >&2
        exit 2
    fi
    if curl -sf --unix-socket "$root/n$n/hpcvirtd.sock" http://hpcvirtd/v1/node >/dev/null 2>&1; then
        echo "daemon of node $n is running" >&2
        exit 1
    fi
    start_daemon "$n" "$count"
    await_daemon "$n"
}

case "$cmd" in
    up) trap 'down' ERR; up ;;
    down) down ;;
    start) start_one ;;
    *) echo "usage: $0 up|down N | start I" >&2; exit 2 ;;
esac
