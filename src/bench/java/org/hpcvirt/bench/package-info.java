/**
 * Benchmarks that measure an hpcvirt operation side by side with its baseline in one run and
 * report medians and the ratio ({@code hpcvirt bench …}). Results are recorded in docs/BENCHMARKS.md.
 * Not part of the product: this source set (src/bench) is compiled against the product classes
 * into its own jar, target/hpcvirt-bench.jar.
 */
package org.hpcvirt.bench;
