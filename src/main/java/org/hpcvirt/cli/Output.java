package org.hpcvirt.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.VmEvent;

/** Printing helpers shared by commands: JSON and one-line event format. */
final class Output {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    private Output() {
    }

    static void json(PrintWriter out, Object value) {
        try {
            out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot print JSON", e);
        }
    }

    static void jsonLine(PrintWriter out, Object value) {
        try {
            out.println(Json.mapper().writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot print JSON", e);
        }
    }

    static String event(VmEvent ev) {
        return String.format("%5d %s %-12s %-18s %-9s %s", ev.seq(), TIME.format(ev.time()), ev.vm() == null ? "(node)" : ev.vm(),
                ev.type(), ev.state() == null ? "" : ev.state(), ev.message());
    }
}
