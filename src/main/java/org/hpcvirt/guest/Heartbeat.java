package org.hpcvirt.guest;
// TEMPORARY STUB
public record Heartbeat(long seq, long uptimeMs, double load, long counter, boolean memOk, java.time.Instant receivedAt) { }
