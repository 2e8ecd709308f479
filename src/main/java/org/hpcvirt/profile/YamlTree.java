package org.hpcvirt.profile;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads one YAML document into a small tree whose every node knows its line, so that the
 * validator can say where a problem is. Jackson's own tree model forgets locations, hence this.
 * Duplicate keys, aliases, custom tags, several documents and YAML syntax errors are reported
 * here. Stateless; the factory is thread-safe.
 */
final class YamlTree {
    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            .build();
    private static final String STANDARD_TAGS = "tag:yaml.org,2002:";

    private YamlTree() {
    }

    /** A YAML node; {@link #line()} is the line of its key when it is a mapping value. */
    sealed interface Node permits MapNode, ListNode, ScalarNode {
        int line();
    }

    /** @param fields entries in document order */
    record MapNode(int line, Map<String, Field> fields) implements Node {
    }

    /** A mapping entry: the key's line and its value. */
    record Field(String key, int line, Node value) {
    }

    record ListNode(int line, List<Node> items) implements Node {
    }

    /**
     * @param token VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE,
     *              VALUE_NULL (also for a key without a value) or VALUE_EMBEDDED_OBJECT
     * @param text  the scalar as written (resolved for quoted and block scalars)
     * @param integer the value of a VALUE_NUMBER_INT (YAML also allows {@code 0x10}, {@code 1_000}), else null
     */
    record ScalarNode(int line, JsonToken token, String text, BigInteger integer) implements Node {
        boolean isNull() {
            return token == JsonToken.VALUE_NULL;
        }

        /** How the type is named in messages: "a number", "text", ... */
        String kind() {
            return switch (token) {
                case VALUE_STRING -> "text";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_NULL -> "no value";
                default -> "binary data";
            };
        }
    }

    static String kind(Node node) {
        if (node instanceof MapNode) {
            return "a mapping";
        }
        return node instanceof ListNode ? "a list" : ((ScalarNode) node).kind();
    }

    /**
     * The single document of {@code yaml}, or {@code null} when it could not be read as one
     * (then at least one problem was added).
     */
    static Node read(String yaml, Problems problems) {
        try (YAMLParser parser = (YAMLParser) FACTORY.createParser(yaml)) {
            Reader reader = new Reader(parser, problems);
            JsonToken first = parser.nextToken();
            if (first == null || first == JsonToken.VALUE_NULL) {
                problems.add(1, "", "the document is empty; a profile needs at least name, backend, cpus and memory");
                return null;
            }
            Node root = reader.node(first, "", line(parser.currentTokenLocation()));
            if (parser.nextToken() != null) {
                problems.add(line(parser.currentTokenLocation()), "",
                        "a second YAML document starts here; a profile file holds exactly one");
            }
            return problems.any() ? null : root;
        } catch (StreamReadException e) {
            syntax(e, problems);
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("reading YAML from a string", e);
        }
    }

    private static void syntax(StreamReadException e, Problems problems) {
        if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
            String context = m.getContext() == null ? "" : " (" + m.getContext().strip() + ")";
            problems.add(m.getProblemMark().getLine() + 1, "", "not valid YAML: " + m.getProblem().strip() + context);
            return;
        }
        String message = e.getOriginalMessage();
        int line = e.getLocation() == null ? 1 : line(e.getLocation());
        if (message != null && message.startsWith("Duplicate field '")) {
            String key = message.substring("Duplicate field '".length(), message.length() - 1);
            problems.add(line, key, key + ": duplicate key; each field may appear once");
            return;
        }
        problems.add(line, "", "not valid YAML: " + (message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse("")));
    }

    private static int line(JsonLocation location) {
        return Math.max(1, location.getLineNr());
    }

    /** Walks the token stream; one instance per document. */
    private static final class Reader {
        private final YAMLParser parser;
        private final Problems problems;

        Reader(YAMLParser parser, Problems problems) {
            this.parser = parser;
            this.problems = problems;
        }

        /** The node that starts at the current token {@code t}; {@code line} is where to report it. */
        Node node(JsonToken t, String path, int line) throws IOException {
            checkTag(path, line);
            switch (t) {
                case START_OBJECT -> {
                    Map<String, Field> fields = new LinkedHashMap<>();
                    JsonToken next;
                    while ((next = parser.nextToken()) == JsonToken.FIELD_NAME) {
                        String key = parser.currentName();
                        int keyLine = line(parser.currentTokenLocation());
                        String childPath = path.isEmpty() ? key : path + "." + key;
                        Node value = node(parser.nextToken(), childPath, keyLine);
                        fields.put(key, new Field(key, keyLine, value));
                    }
                    return new MapNode(line, Collections.unmodifiableMap(fields));
                }
                case START_ARRAY -> {
                    List<Node> items = new ArrayList<>();
                    JsonToken next;
                    while ((next = parser.nextToken()) != JsonToken.END_ARRAY) {
                        items.add(node(next, path + "[" + items.size() + "]", line(parser.currentTokenLocation())));
                    }
                    return new ListNode(line, List.copyOf(items));
                }
                default -> {
                    if (parser.isCurrentAlias()) {
                        problems.add(line, path, path + ": YAML aliases (*" + parser.getText() + ") are not supported; write the value out");
                    }
                    BigInteger integer = t == JsonToken.VALUE_NUMBER_INT ? parser.getBigIntegerValue() : null;
                    return new ScalarNode(line, t, t == JsonToken.VALUE_NULL ? "" : parser.getText(), integer);
                }
            }
        }

        private void checkTag(String path, int line) throws IOException {
            String tag = parser.getTypeId();
            if (tag != null && !tag.startsWith(STANDARD_TAGS)) {
                problems.add(line, path, (path.isEmpty() ? "" : path + ": ") + "YAML tag '!" + tag + "' is not supported");
            }
        }
    }
}
