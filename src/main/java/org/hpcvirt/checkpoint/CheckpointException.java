package org.hpcvirt.checkpoint;

import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * A checkpoint that cannot be used: missing or changed file, unknown format. Code
 * {@link ErrorCode#REFUSED}: restoring it would start a guest from damaged state. The message
 * names the checkpoint and the file.
 */
public class CheckpointException extends HpcvirtException {
    public CheckpointException(String message) {
        super(ErrorCode.REFUSED, message);
    }
}
