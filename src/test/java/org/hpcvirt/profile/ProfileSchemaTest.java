package org.hpcvirt.profile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Keeps profile.schema.json and the loader's rules the same: fields, required fields, patterns, enums. */
class ProfileSchemaTest {
    private static JsonNode schema;

    @BeforeAll
    static void readSchema() throws IOException {
        try (InputStream in = ProfileLoader.class.getResourceAsStream("profile.schema.json")) {
            assertThat(in).as("profile.schema.json next to ProfileLoader").isNotNull();
            schema = new ObjectMapper().readTree(in);
        }
    }

    @Test
    void isDraft2020_12() {
        assertThat(schema.path("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    }

    @Test
    void topLevelPropertiesAreExactlyTheLoadersFields() {
        assertThat(names(schema.path("properties"))).containsExactlyElementsOf(ProfileLoader.TOP_FIELDS);
        assertThat(texts(schema.path("required"))).containsExactlyElementsOf(ProfileLoader.REQUIRED);
        assertThat(schema.path("additionalProperties").asBoolean(true)).isFalse();
    }

    @Test
    void nestedPropertiesAreExactlyTheLoadersFields() {
        JsonNode props = schema.path("properties");
        assertThat(names(props.path("disk").path("properties"))).containsExactlyElementsOf(ProfileLoader.DISK_FIELDS);
        assertThat(props.path("disk").path("additionalProperties").asBoolean(true)).isFalse();
        assertThat(texts(props.path("disk").path("required"))).containsExactly("size");
        assertThat(names(props.path("heartbeat").path("properties"))).containsExactlyElementsOf(ProfileLoader.HEARTBEAT_FIELDS);
        assertThat(props.path("heartbeat").path("additionalProperties").asBoolean(true)).isFalse();
        assertThat(names(props.path("ft").path("properties"))).containsExactlyElementsOf(ProfileLoader.FT_FIELDS);
        assertThat(texts(props.path("ft").path("required"))).containsExactly("policy");
    }

    @Test
    void patternsAreTheLoadersPatterns() {
        JsonNode props = schema.path("properties");
        assertThat(props.path("name").path("pattern").asText()).isEqualTo(anchored(ProfileLoader.NAME));
        assertThat(props.path("backend").path("pattern").asText()).isEqualTo(anchored(ProfileLoader.BACKEND));
        assertThat(props.path("image").path("pattern").asText()).isEqualTo(anchored(ProfileLoader.IMAGE));
        assertThat(props.path("ft").path("propertyNames").path("pattern").asText()).isEqualTo(anchored(ProfileLoader.FT_EXTRA_KEY));
        assertThat(props.path("kernelArgs").path("maxLength").asInt()).isEqualTo(ProfileLoader.MAX_KERNEL_ARGS);
    }

    @Test
    void enumsAreTheLoadersValues() {
        JsonNode props = schema.path("properties");
        List<String> networks = new ArrayList<>();
        for (VmProfile.Network n : VmProfile.Network.values()) {
            networks.add(n.name().toLowerCase(Locale.ROOT));
        }
        assertThat(texts(props.path("network").path("enum"))).containsExactlyElementsOf(networks);
        assertThat(texts(props.path("ft").path("properties").path("policy").path("enum")))
                .containsExactlyElementsOf(ProfileLoader.FT_POLICIES);
        assertThat(texts(props.path("ft").path("properties").path("period").path("anyOf").get(0).path("enum")))
                .containsExactlyElementsOf(ProfileLoader.FT_PERIOD_WORDS);
    }

    @Test
    void sizeAndDurationPatternsAgreeWithTheParsers() {
        Pattern size = Pattern.compile(schema.path("$defs").path("size").path("pattern").asText());
        for (String ok : List.of("128M", "128MiB", "1G", "2GB", "512K", "4096B", "1.5G", "128m", "1T")) {
            assertThat(size.matcher(ok).find()).as(ok).isTrue();
            org.hpcvirt.api.DataSize.parse(ok, "test");
        }
        for (String bad : List.of("128", "12X", "M", "1 GBs")) {
            assertThat(size.matcher(bad).find()).as(bad).isFalse();
        }
        Pattern duration = Pattern.compile(schema.path("$defs").path("duration").path("pattern").asText());
        for (String ok : List.of("500ms", "5s", "10m", "1.5h", "7d", "2w", "1y")) {
            assertThat(duration.matcher(ok).find()).as(ok).isTrue();
            org.hpcvirt.api.Durations.parse(ok, "test");
        }
        for (String bad : List.of("500", "5 sec", "ms")) {
            assertThat(duration.matcher(bad).find()).as(bad).isFalse();
        }
    }

    private static String anchored(Pattern p) {
        return "^" + p.pattern() + "$";
    }

    private static List<String> names(JsonNode object) {
        assertThat(object.isObject()).as("expected an object in the schema").isTrue();
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> texts(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).filter(n -> !n.isNull()).map(JsonNode::asText).toList();
    }
}
