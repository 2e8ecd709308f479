package org.hpcvirt.sim;

/**
 * One node failure of the platform.
 *
 * @param at   seconds since the start of the simulation
 * @param node index of the failed node, in [0, nodes)
 */
public record PlatformFailure(double at, int node) {
}
