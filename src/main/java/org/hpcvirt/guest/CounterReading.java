package org.hpcvirt.guest;
// TEMPORARY STUB
public record CounterReading(long value, long seq, String bootId) { }
