package org.hpcvirt.ft;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.hpcvirt.api.HpcvirtException;

/**
 * Reads small YAML files into records with unknown fields rejected; every problem becomes an
 * {@link HpcvirtException} INVALID_INPUT naming the file, the field and the line. Thread-safe.
 */
public final class StrictYaml {
    private static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** As {@link #MAPPER}, and a fraction where a whole number belongs is an error, not truncated. */
    private static final ObjectMapper WHOLE = MAPPER.copy().disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private StrictYaml() {
    }

    /** Reads {@code file} as {@code type}; an empty file is an error. */
    public static <T> T read(Path file, Class<T> type) {
        return read(file, type, MAPPER);
    }

    /** As {@link #read(Path, Class)}, and a fraction written for a whole-number field ({@code cpus: 1.5}) is an error. */
    public static <T> T readWholeNumbers(Path file, Class<T> type) {
        return read(file, type, WHOLE);
    }

    private static <T> T read(Path file, Class<T> type, ObjectMapper mapper) {
        String text = null;
        try {
            text = Files.readString(file);
            T value = mapper.readValue(text, type);
            if (value == null) {
                throw HpcvirtException.invalid(file + ": file is empty");
            }
            return value;
        } catch (NoSuchFileException e) {
            throw HpcvirtException.notFound("file " + file);
        } catch (JsonProcessingException e) {
            throw HpcvirtException.invalid(file + ": " + describe(e, text));
        } catch (IOException e) {
            throw HpcvirtException.invalid(file + ": cannot read: " + e.getMessage());
        }
    }

    /** Reads {@code file} as a tree (for files of which only a part is ours). */
    public static JsonNode tree(Path file) {
        try {
            JsonNode n = MAPPER.readTree(Files.readString(file));
            if (n == null || n.isMissingNode() || n.isNull()) {
                throw HpcvirtException.invalid(file + ": file is empty");
            }
            return n;
        } catch (NoSuchFileException e) {
            throw HpcvirtException.notFound("file " + file);
        } catch (JsonProcessingException e) {
            throw HpcvirtException.invalid(file + ": " + describe(e));
        } catch (IOException e) {
            throw HpcvirtException.invalid(file + ": cannot read: " + e.getMessage());
        }
    }

    /** Binds {@code node} (from {@code file}) to {@code type}, strictly. */
    public static <T> T convert(Path file, JsonNode node, Class<T> type) {
        try {
            return MAPPER.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw HpcvirtException.invalid(file + ": " + describe(e));
        } catch (IllegalArgumentException e) {
            throw HpcvirtException.invalid(file + ": " + e.getMessage());
        }
    }

    /** The shared mapper (YAML, strict) for callers that write YAML or JSON. */
    static ObjectMapper mapper() {
        return MAPPER;
    }

    /** A one-line description: the field path, the problem and the line if known. */
    static String describe(JsonProcessingException e) {
        return describe(e, null);
    }

    /**
     * As {@link #describe(JsonProcessingException)}; with the file's {@code text}, the line is the
     * one where the offending key is written (Jackson reports where it stopped reading, which for
     * records is after the value).
     */
    static String describe(JsonProcessingException e, String text) {
        String key = null;
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m && !m.getPath().isEmpty()) {
            key = m.getPath().get(m.getPath().size() - 1).getFieldName();
        }
        int keyLine = key == null || text == null ? -1 : lineOf(text, key);
        String path = "";
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m && !m.getPath().isEmpty()) {
            path = m.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
        }
        String what;
        if (e instanceof UnrecognizedPropertyException u) {
            what = "unknown field '" + u.getPropertyName() + "' (known: "
                    + u.getKnownPropertyIds().stream().map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")";
            path = path.contains(".") ? path.substring(0, path.lastIndexOf('.')) : "";
        } else {
            what = e.getOriginalMessage();
            int cut = what.indexOf('\n');
            if (cut > 0) {
                what = what.substring(0, cut);
            }
        }
        JsonLocation loc = e.getLocation();
        String line = keyLine > 0 ? "line " + keyLine + ": "
                : loc != null && loc.getLineNr() > 0 ? "line " + loc.getLineNr() + ": " : "";
        return line + (path.isEmpty() ? "" : "field '" + path + "': ") + what;
    }

    /** 1-based line of the first {@code key:} in {@code text}, or -1. */
    /** The 1-based line where {@code key} is first written as a mapping key in {@code text}, or -1. */
    public static int lineOf(String text, String key) {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("^\\s*(- )?\"?" + java.util.regex.Pattern.quote(key) + "\"?\\s*:");
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (p.matcher(lines[i]).find()) {
                return i + 1;
            }
        }
        return -1;
    }
}
