package org.hpcvirt.bench.cli;

import org.hpcvirt.cli.CommandPlugin;

/** Makes {@code hpcvirt bench} available when hpcvirt-bench.jar is on the class path (see META-INF/services). */
public final class BenchPlugin implements CommandPlugin {
    @Override
    public String name() {
        return "bench";
    }

    @Override
    public Object command() {
        return new BenchCommand();
    }
}
