package org.hpcvirt.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** The JSON mapping used on the wire (REST, SSE, {@code --json} output): ISO-8601 times, records as objects. */
public final class Json {
    private static final ObjectMapper LENIENT = base().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final ObjectMapper STRICT = base().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private Json() {
    }

    private static ObjectMapper base() {
        return new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);
    }

    /** For data we wrote ourselves and may read back from an older or newer version. Thread-safe. */
    public static ObjectMapper mapper() {
        return LENIENT;
    }

    /** For untrusted input (request bodies): unknown fields are errors. Thread-safe. */
    public static ObjectMapper strict() {
        return STRICT;
    }
}
