#!/usr/bin/env bash
# A real Slurm 22.05 cluster on one machine, for tests, demos and the VSE work: a controller and N
# compute nodes, each in its own network namespace, each compute node with its own slurmd and its
# own hpcvirt node daemon.
#
#   scripts/slurm-cluster.sh up N [--dir DIR]    build and start it (N = 1..50); waits until sinfo
#                                                shows the N nodes idle and every daemon answers
#   scripts/slurm-cluster.sh down [--dir DIR]    stop everything it started, remove the namespaces
#                                                and DIR; idempotent
#   scripts/slurm-cluster.sh status [--dir DIR]  what runs; exit status 3 when the cluster is not up
#   scripts/slurm-cluster.sh run [--dir DIR] -- CMD…
#                                                run a Slurm command (sbatch, sinfo, squeue…) in the
#                                                controller's namespace with the cluster's slurm.conf
#
# Layout (DIR defaults to /tmp/hvslurm; keep it short, Unix socket paths are limited):
#   namespaces   hvs-ctl 10.200.60.254 (slurmctld, and the bridge br0), hvs-nI 10.200.60.I (slurmd,
#                hpcvirt daemon), joined by veths on br0; hostnames (UTS namespaces) = node names
#   DIR/etc      slurm.conf, plugstack.conf, prolog, epilog (the prolog/epilog record their
#                environment to DIR/record/{prolog,epilog}.JOBID.NODE.env and, for a job with a
#                VSE, run 'hpcvirt slurm prolog|epilog'; logs DIR/log/{prolog,epilog}-NODE.log),
#                vse-policy.yaml (HPCVIRT_VSE_POLICY), hpcvirt-slurm.yaml (HPCVIRT_SLURM_CONF)
#   DIR/bin      hpcvirt, the CLI on the daemons' class path ('run' puts it first on PATH), and
#                hpcvirt-hook (slurm/hpcvirt-hook), which the prolog and epilog run
#   DIR/munge    the cluster's own munge key, socket, log (munged runs as user munge)
#   DIR/lib      hpcvirt_vse.so, the SPANK plugin of slurm/spank/hpcvirt_vse.c (--vse=FILE)
#   DIR/state    StateSaveLocation; DIR/spool/NODE SlurmdSpoolDir; DIR/log all logs
#   DIR/hvs-nI   HPCVIRT_HOME of node I's daemon (Unix socket DIR/hvs-nI/hpcvirtd.sock, mutual TLS
#                on https://10.200.60.I:7700 with DIR/cluster/nodes/hvs-nI)
#   DIR/images   the image store every node shares (seeded with the images of target/it-images)
#   DIR/store    the checkpoint store every node shares (HPCVIRT_STORE)
#
# Environment: HVS_JAVA (java), HVS_CP (class path of the daemon; default target/hpcvirt.jar, built
# when missing), HVS_IMAGES (images to seed DIR/images with; default target/it-images).
# Slurm runs as root without systemd: ProctrackType=proctrack/linuxproc and TaskPlugin=task/none,
# since several slurmd share one host's cgroup v1 hierarchy. Needs root. One cluster per
# namespace prefix (HVS_NETNS, default hvs); the directory of the running one is in /run/PREFIX-slurm.dir.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
repo=$PWD
subnet=10.200.60
# HVS_NETNS: prefix of the network namespace names (default hvs), so that two clusters may run on one
# machine side by side (each has its own namespaces; addresses are the same inside each). Node names
# and host names stay hvs-nI and hvs-ctl.
nsp=${HVS_NETNS:-hvs}
[[ "$nsp" =~ ^[a-z][a-z0-9]{0,5}$ ]] || { echo "slurm-cluster: HVS_NETNS must be 1-6 lower-case letters or digits starting with a letter, not '$nsp'" >&2; exit 2; }
ctl=hvs-ctl
ctl_ns=$nsp-ctl
ctl_addr=$subnet.254
port=7700
java=${HVS_JAVA:-java}
dirfile=/run/$nsp-slurm.dir
marker=.hvs-slurm-cluster

die() {
    echo "slurm-cluster: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 up N [--dir DIR] | down [--dir DIR] | status [--dir DIR] | run [--dir DIR] -- CMD..." >&2
    exit 2
}

verb=${1:-}
[ -n "$verb" ] || usage
shift
count=""
dir=""
cmd=()
if [ "$verb" = up ]; then
    count=${1:-}
    [ -n "$count" ] || usage
    shift
    if ! [[ "$count" =~ ^[0-9]+$ ]] || [ "$count" -lt 1 ] || [ "$count" -gt 50 ]; then
        die "up: the number of nodes must be 1..50, not '$count'"
    fi
fi
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) [ $# -ge 2 ] || die "--dir needs a directory"; dir=$2; shift 2 ;;
        --dir=*) dir=${1#--dir=}; shift ;;
        --) shift; cmd=("$@"); break ;;
        *) die "$verb: unknown argument '$1'" ;;
    esac
done
if [ -z "$dir" ]; then
    if [ "$verb" != up ] && [ -s "$dirfile" ]; then dir=$(cat "$dirfile"); else dir=/tmp/hvslurm; fi
fi
case "$dir" in
    /*) ;;
    *) dir=$caller/$dir ;;
esac
dir=${dir%/}
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, munged as user munge, slurmd)"
conf=$dir/etc/slurm.conf

# the names of the nodes of the cluster in DIR, from its slurm.conf
node_names() {
    sed -n 's/^NodeName=\([^ ]*\) .*/\1/p' "$conf" 2>/dev/null || true
}

our_namespaces() {
    ls /run/netns 2>/dev/null | grep -E "^$nsp-(ctl|n[0-9]+)\$" || true
}

# in_ctl CMD…: a command in the controller's namespace with the cluster's configuration
in_ctl() {
    SLURM_CONF=$conf nsenter --net=/run/netns/$ctl_ns "$@"
}

# live pids whose command line names DIR (daemons, QEMUs, munged) — besides this script
pids_naming_dir() {
    local p line
    for p in $(pgrep -f -- "$dir/" || true); do
        line=$({ tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null) || continue
        case "$line" in
            *slurm-cluster.sh*) ;;
            *) echo "$p" ;;
        esac
    done
}

# every process this cluster started: whatever lives in its namespaces (slurmctld, slurmd,
# slurmstepd, job steps, daemons, QEMU), munged of DIR, and anything naming DIR
cluster_pids() {
    local ns
    for ns in $(our_namespaces); do
        ip netns pids "$ns" 2>/dev/null || true
    done
    if [ -s "$dir/munge/munged.pid" ]; then
        local m
        m=$(cat "$dir/munge/munged.pid")
        if [ -r "/proc/$m/cmdline" ] && tr '\0' ' ' < "/proc/$m/cmdline" | grep -qF "$dir/munge"; then echo "$m"; fi
    fi
    pids_naming_dir
}

stop_all() {
    local pids i
    pids=$(cluster_pids | sort -u)
    if [ -n "$pids" ]; then
        kill -TERM $pids 2>/dev/null || true
        # slurmstepd and job steps may ignore SIGTERM: 3 s, then SIGKILL
        for i in $(seq 1 30); do
            pids=$(cluster_pids | sort -u)
            [ -n "$pids" ] || break
            sleep 0.1
        done
        if [ -n "$pids" ]; then
            kill -KILL $pids 2>/dev/null || true
            for i in $(seq 1 50); do
                pids=$(cluster_pids | sort -u)
                [ -n "$pids" ] || break
                sleep 0.1
            done
        fi
        [ -z "$pids" ] || die "down: processes $pids survived SIGKILL"
    fi
    local ns
    for ns in $(our_namespaces); do
        ip netns del "$ns" 2>/dev/null || die "down: cannot delete network namespace $ns"
    done
}

down() {
    if [ -n "$(our_namespaces)" ] && [ -s "$dirfile" ] && [ "$(cat "$dirfile")" != "$dir" ]; then
        die "down: the running cluster is in $(cat "$dirfile"), not in $dir"
    fi
    stop_all
    if [ -d "$dir" ]; then
        [ -e "$dir/$marker" ] || die "down: $dir was not made by this script (no $marker); not deleting it"
        rm -rf "$dir"
    fi
    if [ -s "$dirfile" ] && [ "$(cat "$dirfile")" = "$dir" ]; then rm -f "$dirfile"; fi
    echo "slurm cluster down (nothing left of $dir)"
}

ensure_packages() {
    local missing=() p
    for p in slurm-wlm munge libslurm-dev gcc libc6-dev iproute2 curl jq util-linux; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    echo "installing ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends \
        "${missing[@]}" > "$dir/log/apt.log" 2>&1; then
        # the package lists may be missing or stale: update them once, then try again
        apt-get update -q >> "$dir/log/apt.log" 2>&1 || die "apt-get update failed, see $dir/log/apt.log"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends \
            "${missing[@]}" >> "$dir/log/apt.log" 2>&1 || die "cannot install ${missing[*]}, see $dir/log/apt.log"
    fi
}

start_munge() {
    install -d -o munge -g munge -m 0755 "$dir/munge"
    (umask 077; head -c 1024 /dev/urandom > "$dir/munge/munge.key")
    chown munge:munge "$dir/munge/munge.key"
    chmod 0400 "$dir/munge/munge.key"
    runuser -u munge -- munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
        > "$dir/log/munged.out" 2>&1 || die "munged did not start: $(tail -1 "$dir/log/munged.out")"
    munge -n -S "$dir/munge/munge.socket" | unmunge -S "$dir/munge/munge.socket" > /dev/null \
        || die "munge does not answer on $dir/munge/munge.socket"
}

make_network() {
    local i
    ip netns add $ctl_ns
    ip -n $ctl_ns link set lo up
    ip -n $ctl_ns link add br0 type bridge
    ip -n $ctl_ns addr add "$ctl_addr/24" dev br0
    ip -n $ctl_ns link set br0 up
    for i in $(seq 1 "$count"); do
        ip netns add "$nsp-n$i"
        ip -n "$nsp-n$i" link set lo up
        ip link add eth0 netns "$nsp-n$i" type veth peer name "n$i" netns $ctl_ns
        ip -n $ctl_ns link set "n$i" master br0 up
        ip -n "$nsp-n$i" addr add "$subnet.$i/24" dev eth0
        ip -n "$nsp-n$i" link set eth0 up
    done
}

# the SPANK plugin; without a compiler or headers the cluster runs without it and says so
build_spank() {
    : > "$dir/etc/plugstack.conf"
    if gcc -Wall -shared -fPIC -o "$dir/lib/hpcvirt_vse.so" "$repo/slurm/spank/hpcvirt_vse.c" > "$dir/log/spank-build.log" 2>&1; then
        # check=: sbatch --vse=FILE checks FILE against the policy at submission
        echo "required $dir/lib/hpcvirt_vse.so check=$dir/bin/hpcvirt" > "$dir/etc/plugstack.conf"
    else
        echo "slurm-cluster: the SPANK plugin (--vse) did not build, running without it: $(grep -m1 error "$dir/log/spank-build.log")" >&2
    fi
}

# cpu_map I: the host cores node I's CPU ids 0..nproc-1 stand for, rotated by I-1 (node 1: 0,1,…;
# node 2: 1,2,…,0), so that the first jobs of different nodes are not all pinned to host core 0
cpu_map() {
    local c=$(nproc) k out=""
    for k in $(seq 0 $((c - 1))); do out="$out${out:+,}$(( (k + $1 - 1) % c ))"; done
    echo "$out"
}

write_config() {
    local i cpus maps=""
    cpus=$(nproc)
    for i in $(seq 1 "$count"); do maps="$maps    hvs-n$i) export HPCVIRT_CPU_MAP=$(cpu_map "$i") ;;
"; done
    for hook in prolog epilog; do
        cat > "$dir/etc/$hook" <<EOF
#!/bin/sh
# Slurm $hook of this test cluster: records the environment Slurm gives it (one file per job and node),
# then, for a job with a VSE, hands the job to this node's daemon (hpcvirt-hook $hook: jq and curl, no JVM)
env | LC_ALL=C sort > "$dir/record/$hook.\${SLURM_JOB_ID}.\${SLURMD_NODENAME:-\$(hostname)}.env"
[ -n "\$SPANK_HPCVIRT_VSE" ] || exit 0
# the nodes share one host: each node's CPU ids stand for host cores of their own (HPCVIRT_CPU_MAP)
case "\$SLURMD_NODENAME" in
${maps}esac
HPCVIRT_HOME=$dir/\$SLURMD_NODENAME HPCVIRT_VSE_POLICY=$dir/etc/vse-policy.yaml HPCVIRT_SLURM_CONF=$dir/etc/hpcvirt-slurm.yaml \\
    exec $dir/bin/hpcvirt-hook $hook >> "$dir/log/$hook-\$SLURMD_NODENAME.log" 2>&1
EOF
        chmod 0755 "$dir/etc/$hook"
    done
    {
        cat <<EOF
# generated by scripts/slurm-cluster.sh: a test cluster of $count nodes in network namespaces
ClusterName=hvs
SlurmctldHost=$ctl($ctl_addr)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: also how long a requeued job waits before it may start again (default 120 s)
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups: several slurmd share this host's cgroup v1 hierarchy, and there is no systemd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
# schedule a batch job at submission instead of up to 3 s later (the default batch_sched_delay), and a requeued
# one within a second of its cred_expire hold instead of at the next backfill pass 30 s later (bf_interval)
SchedulerParameters=batch_sched_delay=0,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# a node whose slurmd is silent for 10 s is DOWN and its batch jobs are requeued (JobRequeue=1), as a node failure
SlurmdTimeout=10
JobRequeue=1
SlurmdParameters=config_overrides
# the node hooks: Alloc runs the Prolog on every allocated node when the job starts, before its script
Prolog=$dir/etc/prolog
Epilog=$dir/etc/epilog
PrologFlags=Alloc
PlugStackConfig=$dir/etc/plugstack.conf
EOF
        for i in $(seq 1 "$count"); do
            echo "NodeName=hvs-n$i NodeAddr=$subnet.$i CPUs=$cpus State=UNKNOWN"
        done
        echo "PartitionName=hvs Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
    } > "$conf"
}

# start_in NS NAME LOG CMD…: CMD in the network namespace NS and a new UTS namespace whose host name is NAME
start_in() {
    local ns=$1 name=$2 log=$3
    shift 3
    (cd "$dir" && exec setsid nsenter --net="/run/netns/$ns" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$name" "$@" \
        < /dev/null >> "$log" 2>&1) &
}

java_cp() {
    if [ -n "${HVS_CP:-}" ]; then echo "$HVS_CP"; return; fi
    if [ ! -f "$repo/target/hpcvirt.jar" ]; then
        (cd "$repo" && mvn -B -q package -DskipTests) > "$dir/log/build.log" 2>&1 || die "cannot build target/hpcvirt.jar, see $dir/log/build.log"
    fi
    echo "$repo/target/hpcvirt.jar"
}

start_daemons() {
    local cp i j peers specs=() images
    cp=$(java_cp)
    images=${HVS_IMAGES:-$repo/target/it-images}
    mkdir -p "$dir/images" "$dir/store"
    if [ -d "$images" ]; then
        for img in "$images"/*/; do
            [ -d "$img" ] && ln -sfn "$(readlink -f "$img")" "$dir/images/$(basename "$img")"
        done
    fi
    for i in $(seq 1 "$count"); do specs+=(--node "hvs-n$i=$subnet.$i"); done
    "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cp" org.hpcvirt.cli.Main cluster init --dir "$dir/cluster" --days 30 "${specs[@]}" \
        > "$dir/log/cluster-init.log" 2>&1 || die "hpcvirt cluster init failed: $(tail -1 "$dir/log/cluster-init.log")"
    (umask 077; : > "$dir/cluster/tokens")
    write_hpcvirt_config "$cp"
    peers=""
    for j in $(seq 1 "$count"); do peers="$peers${peers:+,}hvs-n$j=https://$subnet.$j:$port"; done
    for i in $(seq 1 "$count"); do
        mkdir -p "$dir/hvs-n$i"
        ln -sfn "$dir/images" "$dir/hvs-n$i/images"
        # SLURM_CONF: the daemon of a job's first node runs squeue and scontrol requeue (job checkpoints, time limits),
        # and the Prolog and Epilog run in the daemons; HPCVIRT_SLURM_CONF: how a daemon reaches the others' (job networks)
        HPCVIRT_HOME=$dir/hvs-n$i HPCVIRT_STORE=$dir/store HPCVIRT_NODE=hvs-n$i HPCVIRT_PEERS=$peers SLURM_CONF=$dir/etc/slurm.conf \
            HPCVIRT_SLURM_CONF=$dir/etc/hpcvirt-slurm.yaml \
            setsid nsenter --net="/run/netns/$nsp-n$i" \
            "$java" -Dhpcvirt.home="$dir/hvs-n$i/" @"$repo/src/main/resources/org/hpcvirt/daemon/jvm.options" -cp "$cp" \
            org.hpcvirt.cli.Main daemon run --listen "$subnet.$i:$port" --tls "$dir/cluster/nodes/hvs-n$i" --tokens "$dir/cluster/tokens" \
            < /dev/null >> "$dir/log/hpcvirtd-hvs-n$i.log" 2>&1 &
    done
}

# DIR/bin/hpcvirt (the CLI for hooks and jobs), the VSE policy and the node configuration of 'hpcvirt job'
write_hpcvirt_config() {
    local cp=$1 i images
    mkdir -p "$dir/bin"
    # the start-up archive bin/hpcvirt builds (class-data sharing, ~0.2 s less per command), when it is
    # there and newer than the jar; the JVM ignores one that does not match
    local share=""
    if [ "$cp" = "$repo/target/hpcvirt.jar" ] && [ "$repo/target/hpcvirt.jsa" -nt "$cp" ]; then
        share="-XX:SharedArchiveFile=$repo/target/hpcvirt.jsa"
    fi
    cat > "$dir/bin/hpcvirt" <<EOF
#!/bin/sh
exec $java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $share -cp $cp org.hpcvirt.cli.Main "\$@"
EOF
    chmod 0755 "$dir/bin/hpcvirt"
    install -m 0755 "$repo/slurm/hpcvirt-hook" "$dir/bin/hpcvirt-hook"
    images=$(for d in "$dir/images"/*/; do [ -f "$d/manifest.json" ] && basename "$d"; done | paste -sd, -)
    cat > "$dir/etc/vse-policy.yaml" <<EOF
# the VSE policy of this test cluster (docs/vse.md)
images: [$images]
catalogue: $dir/images
defaults:
  memory: 128M
limits:
  cpusPerVm: $(nproc)
  memoryPerVm: 512M
  vmsPerNode: 2
  cpusPerNode: $(nproc)
  memoryPerNode: 1G
host:
  reserveMemory: 256M
partitions:
  hvs:
    maxCheckpointPeriod: 2h
    onViolation: clamp
EOF
    {
        echo "# how 'hpcvirt job' reaches each node's daemon: mutual TLS with the certificate of the node it runs on"
        echo "tls: $dir/cluster/nodes/{node}"
        echo "nodes:"
        for i in $(seq 1 "$count"); do echo "  hvs-n$i: https://$subnet.$i:$port"; done
    } > "$dir/etc/hpcvirt-slurm.yaml"
}

daemon_answers() {
    curl -sf --max-time 2 --unix-socket "$dir/$1/hpcvirtd.sock" http://hpcvirtd/v1/node > /dev/null 2>&1
}

idle_nodes() {
    in_ctl sinfo -h -N -o '%N %t' 2>/dev/null | awk '$2 == "idle" {print $1}' | sort -u | wc -l
}

await_up() {
    local i ok
    for _ in $(seq 1 600); do
        [ "$(idle_nodes)" -ge "$count" ] && break
        sleep 0.1
    done
    [ "$(idle_nodes)" -ge "$count" ] || die "up: sinfo shows $(idle_nodes) of $count nodes idle after 60 s, see $dir/log/slurmctld.log and $dir/log/slurmd-*.log"
    for i in $(seq 1 "$count"); do
        for _ in $(seq 1 600); do
            daemon_answers "hvs-n$i" && break
            sleep 0.1
        done
        daemon_answers "hvs-n$i" || die "up: the hpcvirt daemon of hvs-n$i does not answer after 60 s, see $dir/log/hpcvirtd-hvs-n$i.log"
    done
}

up() {
    [ -z "$(our_namespaces)" ] || die "up: a cluster is already up (namespaces $(our_namespaces | paste -sd ' ')); run '$0 down' first"
    if [ -e "$dir" ]; then
        [ -e "$dir/$marker" ] || die "up: $dir exists and was not made by this script; choose another --dir"
        rm -rf "$dir"
    fi
    # from here on, a failure stops what was started and keeps the logs
    trap 'rc=$?; if [ $rc -ne 0 ]; then stop_all 2>/dev/null || true; echo "slurm-cluster: up failed; everything stopped, logs kept in $dir/log" >&2; fi' EXIT
    mkdir -p "$dir"
    touch "$dir/$marker"
    echo "$dir" > "$dirfile"
    mkdir -p "$dir/etc" "$dir/lib" "$dir/log" "$dir/run" "$dir/state" "$dir/record"
    ensure_packages
    for i in $(seq 1 "$count"); do mkdir -p "$dir/spool/hvs-n$i"; done
    start_munge
    make_network
    build_spank
    write_config
    start_in $ctl_ns $ctl "$dir/log/slurmctld.out" slurmctld -D -c -f "$conf"
    for i in $(seq 1 "$count"); do
        start_in "$nsp-n$i" "hvs-n$i" "$dir/log/slurmd-hvs-n$i.out" slurmd -D -N "hvs-n$i" -f "$conf"
    done
    start_daemons
    await_up
    echo "slurm cluster up in $dir: controller $ctl (namespace $ctl_ns, $ctl_addr), partition hvs"
    in_ctl sinfo -N -o '%N %T %c %P' | sed 's/^/  /'
    for i in $(seq 1 "$count"); do
        echo "  hvs-n$i: address $subnet.$i, slurmd log $dir/log/slurmd-hvs-n$i.log, hpcvirt daemon HPCVIRT_HOME=$dir/hvs-n$i"
    done
    echo "  images $dir/images, checkpoint store $dir/store, SPANK plugin: $( [ -s "$dir/etc/plugstack.conf" ] && echo "--vse" || echo "none")"
    echo "  Slurm commands: $0 run -- sbatch …  (or SLURM_CONF=$conf nsenter --net=/run/netns/$ctl_ns sbatch …)"
}

status() {
    local ns n pids
    if [ -z "$(our_namespaces)" ] || [ ! -f "$conf" ]; then
        echo "slurm cluster: not up (dir $dir)"
        exit 3
    fi
    echo "slurm cluster in $dir"
    for ns in $(our_namespaces); do
        pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        echo "  $ns: $(for p in $pids; do cat "/proc/$p/comm" 2>/dev/null; done | sort | uniq -c | awk '{printf "%s%s×%s", sep, $2, $1; sep=", "}')"
    done
    in_ctl sinfo -N -o '%N %T %c %P' | sed 's/^/  /'
    for n in $(node_names); do
        if daemon_answers "$n"; then echo "  $n: hpcvirt daemon answers"; else echo "  $n: hpcvirt daemon does not answer"; fi
    done
}

case "$verb" in
    up) up ;;
    down) down ;;
    status) status ;;
    run) ((${#cmd[@]})) || die "run: no command (run -- CMD…)"
         [ -f "$conf" ] && [ -e /run/netns/$ctl_ns ] || die "run: no cluster is up in $dir"
         cd "$caller"
         # the hpcvirt CLI with the cluster's VSE policy and node configuration; sbatch passes them on to jobs
         PATH=$dir/bin:$PATH HPCVIRT_VSE_POLICY=$dir/etc/vse-policy.yaml HPCVIRT_SLURM_CONF=$dir/etc/hpcvirt-slurm.yaml \
             in_ctl "${cmd[@]}" ;;
    *) usage ;;
esac
