package org.hpcvirt.guest;
// TEMPORARY STUB
public record Hello(String agentVersion, String bootId, long intervalMs) { }
