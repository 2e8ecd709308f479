/**
 * The {@code hpcvirt bench …} commands (picocli), registered with the product's command line at
 * run time through {@link org.hpcvirt.cli.CommandPlugin} when hpcvirt-bench.jar is on the class
 * path. They parse, run a benchmark of {@link org.hpcvirt.bench} and print.
 */
package org.hpcvirt.bench.cli;
