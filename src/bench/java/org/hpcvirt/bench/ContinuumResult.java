package org.hpcvirt.bench;

import java.util.List;
import java.util.Map;

/**
 * Everything one run of {@code hpcvirt bench continuum} measured: per solution the workloads' medians, per
 * backend × isolation level × zone the faults contained. Written as {@code continuum.json}. Immutable.
 *
 * @param date      day of the run (ISO-8601)
 * @param started   instant the run started
 * @param host      what the machine was (cores, kernel, load, versions)
 * @param runs      runs of each workload per solution
 * @param sizes     work of each workload
 * @param solutions native first, then each backend asked for, in order
 * @param zones     fault campaign cells, backend × isolation × zone
 */
public record ContinuumResult(String date, String started, Map<String, String> host, int runs, Sizes sizes,
                              List<Solution> solutions, List<ZoneCell> zones) {

    /** The workloads, in table order; {@code roundtrip} is the relayed message round trip. */
    public static final List<String> WORKLOADS = List.of("cpu", "mem", "syscall", "fileio", "roundtrip");

    /**
     * Work of each workload.
     *
     * @param cpuIterations iterations of the integer/floating-point chain
     * @param memMib        MiB of each of the three triad arrays
     * @param memReps       triad repetitions
     * @param syscalls      getppid calls
     * @param fileMib       MiB written and read back
     * @param roundTrips    round trips per run
     */
    public record Sizes(long cpuIterations, int memMib, int memReps, long syscalls, int fileMib, int roundTrips) {
    }

    /**
     * One solution: {@code native} or a backend.
     *
     * @param name      native, container, libvirt, qemu, kvm
     * @param status    null if measured, else why not ("not runnable here: …")
     * @param fileWhere where the file I/O ran (data disk, the instance's own file system, …)
     * @param fileCompared whether that is a disk-backed file system like native's, so the file I/O ratio means
     *                  something (false for a tmpfs in RAM: left out of the geometric mean)
     * @param roundTrip how the round trip was made, in words
     * @param workloads per workload name, its measurement
     */
    public record Solution(String name, String status, String fileWhere, boolean fileCompared, String roundTrip,
                           Map<String, Measure> workloads) {
    }

    /**
     * One workload on one solution.
     *
     * @param median   median time (seconds; µs for roundtrip)
     * @param p95      95th percentile (roundtrip only), else null
     * @param unit     s or µs
     * @param samples  every sample
     * @param checksum checksum of the first run (null for roundtrip)
     */
    public record Measure(double median, Double p95, String unit, List<Double> samples, String checksum) {
    }

    /**
     * Faults of one zone on one backend × isolation level.
     *
     * @param backend   backend name
     * @param isolation isolation level id
     * @param zone      3 or 4
     * @param fault     fault id
     * @param contained runs whose effect stayed limited to the victim
     * @param runs      runs that completed (not broken)
     * @param broken    runs that broke (the VMM did not come up, …)
     * @param refused   why the fault was refused here, or null
     * @param expected  the zone model's expected effect
     * @param observed  each completed run's observed effect
     */
    public record ZoneCell(String backend, String isolation, int zone, String fault, int contained, int runs, int broken,
                           String refused, String expected, List<String> observed) {
    }
}
