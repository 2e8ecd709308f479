package org.hpcvirt.backend.qemu;

import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/** A QMP command answered with an error; keeps QMP's {@code class} and {@code desc}. */
public final class QmpException extends HpcvirtException {
    private final String errorClass;
    private final String desc;

    public QmpException(String command, String errorClass, String desc) {
        super(ErrorCode.OPERATION_FAILED, "QMP " + command + " failed: " + errorClass + ": " + desc);
        this.errorClass = errorClass;
        this.desc = desc;
    }

    /** {@code qmpClass} and {@code qmpDesc}, as QMP sent them. */
    @Override
    public java.util.Map<String, Object> details() {
        return java.util.Map.of("qmpClass", String.valueOf(errorClass), "qmpDesc", String.valueOf(desc));
    }

    /** QMP's error class, e.g. {@code GenericError}, {@code CommandNotFound}. */
    public String errorClass() {
        return errorClass;
    }

    /** QMP's human-readable description. */
    public String desc() {
        return desc;
    }
}
