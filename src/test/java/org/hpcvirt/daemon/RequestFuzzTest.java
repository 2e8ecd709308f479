package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;

/**
 * Untrusted requests: generated bodies and query strings for every route, built from the routes'
 * own field names (so that many get past the unknown-field check) with values of every JSON type
 * and of extreme sizes, must become either a valid operation or an INVALID_INPUT error that says
 * what is wrong, never another exception (which the daemon would answer with a 500).
 */
class RequestFuzzTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final List<RouteTable.Route> ROUTES = RouteTable.all();

    @Property(tries = 10_000)
    void everyGeneratedRequestIsAnOperationOrAClearError(@ForAll("requests") Request r) {
        try {
            Operation op = OperationBinder.bind(r.route(), Map.of("name", "vm1", "id", "ck-1"), r.query(), r.body());
            assertThat(op).isInstanceOf(r.route().op());
            Statistics.collect("valid");
        } catch (HpcvirtException e) {
            Statistics.collect("refused");
            assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.INVALID_INPUT);
            assertThat(e.getMessage()).as("the error names where: %s", e.getMessage())
                    .containsAnyOf("request body", "query parameter", "exec:");
        }
        // both sides are exercised: the generator is not just producing garbage
        Statistics.coverage(c -> {
            c.check("valid").percentage(p -> p > 10);
            c.check("refused").percentage(p -> p > 10);
        });
    }

    record Request(RouteTable.Route route, String body, Map<String, List<String>> query) {
    }

    @Provide
    Arbitrary<Request> requests() {
        Arbitrary<RouteTable.Route> route = Arbitraries.of(ROUTES);
        return route.flatMap(r -> r.queryFields()
                ? queries(r).map(q -> new Request(r, null, q))
                : bodies(r).map(b -> new Request(r, b, Map.of())));
    }

    private static List<String> names(RouteTable.Route r) {
        List<String> out = new ArrayList<>();
        for (RecordComponent c : r.op().getRecordComponents()) {
            out.add(c.getName());
        }
        out.add("bogus");
        out.add("");
        return out;
    }

    private static Arbitrary<String> bodies(RouteTable.Route r) {
        Arbitrary<ObjectNode> object = Arbitraries.maps(Arbitraries.of(names(r)), values(2)).ofMaxSize(6).map(m -> {
            ObjectNode o = F.objectNode();
            m.forEach(o::set);
            return o;
        });
        Arbitrary<String> broken = Arbitraries.of("", " ", "{", "}", "[]", "null", "42", "\"x\"", "{\"a\":}", "{\"timeoutSeconds\":1e999}",
                "{\"argv\":[\"a\",null]}", "{\"argv\":[]}", "\u0000", "{\"to\":\"http://x:1\",\"to\":\"y\"}");
        return Arbitraries.frequencyOf(List.of(Tuple.of(8, object.map(JsonNode::toString)), Tuple.of(2, broken),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(40))));
    }

    private static Arbitrary<Map<String, List<String>>> queries(RouteTable.Route r) {
        Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(20),
                Arbitraries.of("-1", "0", "1", "9223372036854775808", "true", "false", "1.5", "NaN", " "));
        return Arbitraries.maps(Arbitraries.of(names(r)), value.list().ofMinSize(1).ofMaxSize(2)).ofMaxSize(4);
    }

    private static Arbitrary<JsonNode> values(int depth) {
        List<Arbitrary<? extends JsonNode>> leaves = List.of(
                Arbitraries.just(F.nullNode()),
                Arbitraries.of(true, false).map(F::booleanNode),
                Arbitraries.integers().map(F::numberNode),
                Arbitraries.longs().map(F::numberNode),
                Arbitraries.of(0L, -1L, 1L, 86_400L, 86_401L, Long.MAX_VALUE, Long.MIN_VALUE, (long) Integer.MAX_VALUE + 1).map(F::numberNode),
                Arbitraries.doubles().map(F::numberNode),
                Arbitraries.strings().ofMaxLength(30).map(F::textNode),
                Arbitraries.of("http://10.200.0.2:7700", "ftp://x", "", "  ", "name: a\nbackend: qemu\ncpus: 1\nmemory: 64M\n",
                        "x".repeat(5000)).map(F::textNode));
        Arbitrary<JsonNode> leaf = Arbitraries.oneOf(leaves);
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<JsonNode> array = values(depth - 1).list().ofMaxSize(4).map(l -> {
            var a = F.arrayNode();
            l.forEach(a::add);
            return (JsonNode) a;
        });
        Arbitrary<JsonNode> object = Arbitraries.maps(Arbitraries.strings().ofMaxLength(6), values(depth - 1)).ofMaxSize(3).map(m -> {
            ObjectNode o = F.objectNode();
            m.forEach(o::set);
            return (JsonNode) o;
        });
        return Arbitraries.frequencyOf(List.of(Tuple.of(6, leaf), Tuple.of(2, array), Tuple.of(1, object)));
    }

}
