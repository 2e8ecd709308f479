package org.hpcvirt.cli;

import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import picocli.CommandLine;

/** The one place where exceptions become CLI exit codes and one-line messages (no stack traces). */
final class ExitCodes {
    private ExitCodes() {
    }

    static void install(CommandLine cl) {
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + message(ex));
            if (debug()) {
                ex.printStackTrace(commandLine.getErr());
            }
            return code(ex);
        });
        cl.setExitCodeExceptionMapper(ExitCodes::code);
    }

    private static boolean debug() {
        try {
            return org.hpcvirt.api.NodeConfig.current().debug();
        } catch (HpcvirtException e) {
            return false;
        }
    }

    static int code(Throwable ex) {
        if (ex instanceof HpcvirtException h) {
            return h.code().exitCode();
        }
        if (ex instanceof CommandLine.ParameterException) {
            return ErrorCode.INVALID_INPUT.exitCode();
        }
        return ErrorCode.INTERNAL.exitCode();
    }

    static String message(Throwable ex) {
        if (ex instanceof HpcvirtException) {
            return HpcvirtException.chain(ex);
        }
        return "internal error: " + ex + " (set HPCVIRT_DEBUG=1 for details)";
    }
}
