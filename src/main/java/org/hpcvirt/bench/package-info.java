/**
 * Benchmarks that measure an hpcvirt operation side by side with its baseline in one run and
 * report medians and the ratio ({@code hpcvirt bench …}). Results are recorded in docs/BENCHMARKS.md.
 */
package org.hpcvirt.bench;
