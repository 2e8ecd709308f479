package org.hpcvirt.vm;

/**
 * A piece of a VM's serial console.
 *
 * @param data       the bytes, at most 1 MiB
 * @param nextOffset the offset to ask for next
 */
public record ConsoleChunk(byte[] data, long nextOffset) {
}
