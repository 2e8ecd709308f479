#!/bin/sh
# Two libvirtd on this one machine, for live migration between them, without systemd:
#   bench/libvirt-pair.sh up DIR     start node a and node b, each in its own network namespace
#                                    (hvlm-a 10.200.70.1/24, hvlm-b 10.200.70.2/24, joined by a veth
#                                    pair) and its own mount namespace (persisted as DIR/ns/a, DIR/ns/b)
#                                    in which /run/libvirt, /var/lib/libvirt, /var/log/libvirt,
#                                    /var/cache/libvirt and /etc/libvirt are private to that node;
#                                    each node runs its own virtlogd and libvirtd (own host_uuid, own
#                                    pid files), libvirtd listening on TCP 16509 with auth none (lab
#                                    only: anyone who reaches the namespace's address may use it)
#   bench/libvirt-pair.sh down DIR   stop everything up started (daemons, domains, mounts, namespaces)
#   bench/libvirt-pair.sh run DIR a|b CMD...   run CMD inside node a's or b's namespaces
# Node X's libvirtd: qemu:///system inside its namespaces, qemu+tcp://ADDR/system from the other node.
# Prints "ok" or "not available: REASON" as its last line (exit 0 either way for "up").
# The host's own libvirtd (qemu:///system outside) and its /run/libvirt are never touched.
set -u
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 up|down DIR | run DIR a|b CMD..." >&2; exit 2; }
NET=10.200.70
# which DIR the running pair belongs to (so that a leftover of a crashed run can be named and taken down)
OWNER=/run/hvlm-pair.dir
ns_name() { echo "hvlm-$1"; }
addr() { [ "$1" = a ] && echo "$NET.1" || echo "$NET.2"; }
# run a command in node $1's network and mount namespaces
in_node() { n=$1; shift; nsenter --net="/run/netns/$(ns_name "$n")" --mount="$dir/ns/$n" "$@"; }
fail() { echo "not available: $*"; "$0" down "$dir" >/dev/null 2>&1; exit 0; }

node_up() {
    n=$1; d="$dir/$n"
    mkdir -p "$d/lib" "$d/log" "$d/cache"
    rm -rf "$d/etc"; cp -a /etc/libvirt "$d/etc" || return 1
    # no domains, networks or pools of the host's libvirt: this libvirtd starts empty
    rm -rf "$d/etc/qemu" "$d/etc/storage" "$d/etc/nwfilter"; mkdir -p "$d/etc/qemu"
    uuid=$(cat /proc/sys/kernel/random/uuid)
    cat > "$d/etc/libvirtd.conf" <<EOF
listen_tls = 0
listen_tcp = 1
listen_addr = "0.0.0.0"
tcp_port = "16509"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "$uuid"
log_outputs = "3:file:$d/libvirtd.log"
EOF
    # no cgroups: both nodes' QEMU of one domain would share a cgroup name (same name, same id)
    cat > "$d/etc/qemu.conf" <<EOF
cgroup_controllers = [ ]
migration_address = "$(addr "$n")"
migration_host = "$(addr "$n")"
EOF
    touch "$dir/ns/$n"
    nsenter --net="/run/netns/$(ns_name "$n")" unshare --mount="$dir/ns/$n" --propagation private sh -ec "
        mount -t tmpfs -o mode=0755 hvlm-run /run/libvirt
        mount --bind '$d/lib' /var/lib/libvirt
        mount --bind '$d/log' /var/log/libvirt
        mount --bind '$d/cache' /var/cache/libvirt
        mount --bind '$d/etc' /etc/libvirt
    " || return 1
    in_node "$n" virtlogd -d -p "$d/virtlogd.pid" || return 1
    in_node "$n" libvirtd -d --listen -p "$d/libvirtd.pid" || return 1
    i=0
    while [ $i -lt 100 ]; do
        in_node "$n" virsh -c qemu:///system version >/dev/null 2>&1 && return 0
        sleep 0.1; i=$((i + 1))
    done
    echo "libvirtd of node $n does not answer (see $d/libvirtd.log)" > "$dir/why"
    return 1
}

stop_pidfile() {
    [ -f "$1" ] || return 0
    pid=$(cat "$1"); [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null
    rm -f "$1"
}

case "$cmd" in
up)
    for t in libvirtd virtlogd virsh nsenter unshare ip; do
        command -v "$t" >/dev/null 2>&1 || { echo "not available: $t not installed"; exit 0; }
    done
    for n in a b; do
        if [ -e "/run/netns/$(ns_name "$n")" ]; then
            echo "not available: network namespace $(ns_name "$n") exists (a pair is up: $0 down $(cat "$OWNER" 2>/dev/null || echo DIR))"
            exit 0
        fi
    done
    mkdir -p "$dir/ns" || { echo "not available: cannot create $dir"; exit 0; }
    dir=$(cd "$dir" && pwd)
    rm -f "$dir/why"
    echo "$dir" > "$OWNER"
    # a private mount to hold the persisted mount namespaces
    mountpoint -q "$dir/ns" || { mount --bind "$dir/ns" "$dir/ns" && mount --make-private "$dir/ns"; } \
        || fail "cannot bind-mount $dir/ns"
    ip netns add hvlm-a && ip netns add hvlm-b || fail "ip netns add failed"
    ip link add hvlm-a0 netns hvlm-a type veth peer name hvlm-b0 netns hvlm-b || fail "cannot create the veth pair"
    for n in a b; do
        ip -n "$(ns_name "$n")" link set lo up
        ip -n "$(ns_name "$n")" addr add "$(addr "$n")/24" dev "hvlm-${n}0"
        ip -n "$(ns_name "$n")" link set "hvlm-${n}0" up
    done
    for n in a b; do
        node_up "$n" || fail "$(cat "$dir/why" 2>/dev/null || echo "cannot start libvirt on node $n")"
    done
    # each node reaches the other's libvirtd over TCP
    in_node a virsh -c "qemu+tcp://$NET.2/system" version >/dev/null 2>&1 \
        || fail "node a cannot reach qemu+tcp://$NET.2/system"
    in_node b virsh -c "qemu+tcp://$NET.1/system" version >/dev/null 2>&1 \
        || fail "node b cannot reach qemu+tcp://$NET.1/system"
    echo ok
    ;;
down)
    [ -d "$dir" ] || exit 0
    dir=$(cd "$dir" && pwd)
    for n in a b; do
        d="$dir/$n"
        if [ -e "$dir/ns/$n" ] && [ -e "/run/netns/$(ns_name "$n")" ] && [ -f "$d/libvirtd.pid" ]; then
            # domains left behind: destroy them while their libvirtd still runs
            for dom in $(in_node "$n" virsh -c qemu:///system list --name 2>/dev/null); do
                in_node "$n" virsh -c qemu:///system destroy "$dom" >/dev/null 2>&1
            done
        fi
        stop_pidfile "$d/libvirtd.pid"
        # a QEMU left behind by a libvirtd that was already gone (its pid file is in the node's /run/libvirt)
        if [ -e "$dir/ns/$n" ]; then
            # driver.pid is libvirtd's own; a pid is killed only if it still is a QEMU (not a reused pid)
            for pid in $(in_node "$n" sh -c 'for f in /run/libvirt/qemu/*.pid; do
                    [ "${f##*/}" = driver.pid ] || [ ! -f "$f" ] || { cat "$f"; echo; }; done'); do
                tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q qemu-system && kill -9 "$pid"
            done
        fi
        stop_pidfile "$d/virtlogd.pid"
        if [ -e "$dir/ns/$n" ]; then
            umount "$dir/ns/$n" 2>/dev/null
            rm -f "$dir/ns/$n"
        fi
        ip netns del "$(ns_name "$n")" 2>/dev/null
    done
    mountpoint -q "$dir/ns" && umount "$dir/ns"
    rm -rf "$dir/ns" "$dir/why"
    [ "$(cat "$OWNER" 2>/dev/null)" = "$dir" ] && rm -f "$OWNER"
    ;;
run)
    n=${3:-}; shift 3 || exit 2
    [ "$n" = a ] || [ "$n" = b ] || { echo "usage: $0 run DIR a|b CMD..." >&2; exit 2; }
    dir=$(cd "$dir" && pwd)
    exec nsenter --net="/run/netns/$(ns_name "$n")" --mount="$dir/ns/$n" "$@"
    ;;
*) echo "usage: $0 up|down DIR | run DIR a|b CMD..." >&2; exit 2 ;;
esac
