package org.hpcvirt.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * An asynchronous QMP event.
 *
 * @param name      event name, e.g. {@code GUEST_PANICKED}
 * @param data      the event's {@code data} member (an empty object if absent)
 * @param timestamp QEMU's timestamp of the event
 */
public record QmpEvent(String name, JsonNode data, Instant timestamp) {
}
