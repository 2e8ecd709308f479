#!/usr/bin/env bash
# Installs what hpcvirt needs on Debian 12, only what is missing (idempotent), and builds the jars
# and the CLI's start-up archive.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

# prometheus: the server and promtool, which MetricsIT runs against the daemon's metrics listener
# libvirt-daemon-system, libvirt-clients: the libvirt backend (libvirtd, virtlogd, virsh and libvirt.so.0 for the
# Java binding); no systemd needed: the tests start the daemons with bench/libvirt-setup.sh and stop what they started
# crun: the container backend's runtime; criu: its checkpoint/restore (the probe runs `criu check`)
# slurm-wlm, munge, libslurm-dev: the Slurm test cluster of scripts/slurm-cluster.sh and its SPANK plugin's headers
packages=(qemu-system-x86 qemu-utils busybox-static linux-image-cloud-amd64 linux-headers-cloud-amd64
          gcc libc6-dev make binutils e2fsprogs util-linux iproute2 curl openjdk-17-jdk-headless maven xz-utils
          prometheus libvirt-daemon-system libvirt-clients crun criu slurm-wlm munge libslurm-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
    # the tests start Prometheus themselves, on free loopback ports: the package's system service
    # (listening on all addresses, port 9090) is not wanted where this script just installed it
    if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now prometheus.service > /dev/null 2>&1 || true
    fi
    # likewise Slurm's and munge's services: scripts/slurm-cluster.sh runs its own, with its own key and config
    if [[ " ${missing[*]} " == *" slurm-wlm "* ]] && [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now slurmctld.service slurmd.service munge.service > /dev/null 2>&1 || true
    fi
fi

# cgroups v1 with a cgroup2 hierarchy beside it ("hybrid"): crun refuses to run while cgroup2 holds
# a controller (hugetlb, on the test machines). Mount each such controller as v1, which moves it
# there; nothing uses it on cgroup2 (its subtree_control is empty) or the mount fails and says so.
unified=/sys/fs/cgroup/unified
if [ -f "$unified/cgroup.controllers" ] && [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    for c in $(cat "$unified/cgroup.controllers"); do
        echo "setup: mounting cgroup controller $c as v1 at /sys/fs/cgroup/$c (for crun)"
        # not fatal: without it only the container backend is unusable, and its probe says why
        if ! { $SUDO mkdir -p "/sys/fs/cgroup/$c" && $SUDO mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"; }; then
            echo "setup: could not mount $c as v1; the container backend will be unusable here" >&2
        fi
    done
fi

if [ "${1:-}" != "--no-build" ]; then
    mvn -B -q package -DskipTests
    echo "setup: built target/hpcvirt.jar and target/hpcvirt-bench.jar"
    # the CLI's class-data-sharing archive (bin/hpcvirt would build it on its first call otherwise)
    if HPCVIRT_CDS=rebuild bin/hpcvirt --version > /dev/null; then
        echo "setup: built target/hpcvirt.jsa (start-up archive)"
    else
        echo "setup: no start-up archive, see target/hpcvirt.jsa.log: the CLI works, only slower" >&2
    fi
fi
