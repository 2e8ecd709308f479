package org.hpcvirt.guest;
// TEMPORARY STUB
public record ExecResult(int exitCode, String output, boolean truncated, long elapsedMs) { }
