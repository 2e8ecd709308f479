package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationFields;
import org.hpcvirt.api.Operations;
import org.junit.jupiter.api.Test;

/** The route table covers every operation once, and a request and its operation record translate both ways. */
class RouteTableTest {
    @Test
    void everyOperationHasExactlyOneRouteAndPathsAreUnique() {
        Set<Class<? extends Operation>> routed = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (RouteTable.Route r : RouteTable.all()) {
            assertThat(routed.add(r.op())).as(r.op().getSimpleName()).isTrue();
            assertThat(keys.add(r.method() + " " + r.path())).as(r.method() + " " + r.path()).isTrue();
            Set<String> fields = new HashSet<>(Arrays.stream(r.op().getRecordComponents()).map(RecordComponent::getName).toList());
            assertThat(fields).as(r.path()).containsAll(r.pathParams());
        }
        assertThat(routed).containsExactlyInAnyOrderElementsOf(Operations.all());
    }

    @Test
    void aRequestBuiltFromAnOperationBindsBackToTheSameOperation() {
        for (Class<? extends Operation> type : Operations.all()) {
            Operation op = OperationFields.complete(Operations.sample(type, "vm 1"), "");
            RouteTable.Route r = RouteTable.of(type);
            String path = r.pathOf(op);
            Map<String, String> params = matchPath(r.path(), path);
            Map<String, List<String>> query = new HashMap<>();
            String body = null;
            if (r.queryFields()) {
                String q = OperationBinder.query(r, op);
                for (String kv : q.isEmpty() ? new String[0] : q.substring(1).split("&")) {
                    String[] p = kv.split("=", 2);
                    query.put(p[0], List.of(java.net.URLDecoder.decode(p[1], java.nio.charset.StandardCharsets.UTF_8)));
                }
            } else {
                body = OperationBinder.body(r, op).toString();
            }
            assertThat(OperationBinder.bind(r, params, query, body)).as(type.getSimpleName()).isEqualTo(op);
        }
    }

    @Test
    void absentFieldsGetTheirDefaultsOnce() {
        Operation op = OperationBinder.bind(RouteTable.of(Operation.Start.class), Map.of("name", "a"), Map.of(), "");
        assertThat(op).isEqualTo(new Operation.Start("a", false, 120));
        Operation m = OperationBinder.bind(RouteTable.of(Operation.Migrate.class), Map.of("name", "a"), Map.of(),
                "{\"to\":\"http://10.200.0.2:7700\"}");
        assertThat(m).isEqualTo(new Operation.Migrate("a", "http://10.200.0.2:7700", 300L, 0L, 1, 600));
        assertThat(OperationFields.defaultText(Operation.Stop.class, "timeoutSeconds")).isEqualTo("30");
    }

    @Test
    void badRequestsAreRefusedNamingTheField() {
        RouteTable.Route start = RouteTable.of(Operation.Start.class);
        assertRefused(start, "{\"timeoutSeconds\": 0}", "request body: timeoutSeconds must be between 1 and 86400, not 0");
        assertRefused(start, "{\"bogus\": 1}", "request body: unknown field 'bogus' (known: waitForHeartbeat, timeoutSeconds)");
        assertRefused(start, "{\"timeoutSeconds\": \"soon\"}", "request body: field 'timeoutSeconds'");
        assertRefused(start, "[1]", "request body: must be a JSON object, not array");
        assertRefused(start, "{not json", "request body: not JSON");
        assertRefused(start, "{\"name\": \"b\"}", "request body: field 'name' belongs in the path");
        assertRefused(RouteTable.of(Operation.Migrate.class), "{}", "request body: field 'to' is required");
        assertRefused(RouteTable.of(Operation.Define.class), "{\"yaml\": \"  \"}", "request body: field 'yaml' is required");
        assertThatThrownBy(() -> OperationBinder.bind(RouteTable.of(Operation.Events.class), Map.of(), Map.of("after", List.of("x")), null))
                .hasMessage("query parameter after: 'x' is not a number");
    }

    private static void assertRefused(RouteTable.Route r, String body, String message) {
        assertThatThrownBy(() -> OperationBinder.bind(r, Map.of("name", "a"), Map.of(), body)).isInstanceOf(HpcvirtException.class)
                .hasMessageStartingWith(message)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT));
    }

    private static Map<String, String> matchPath(String template, String path) {
        String[] t = template.split("/");
        String[] p = path.split("/");
        assertThat(p).hasSameSizeAs(t);
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < t.length; i++) {
            if (t[i].startsWith("{")) {
                out.put(t[i].substring(1, t[i].length() - 1), java.net.URLDecoder.decode(p[i], java.nio.charset.StandardCharsets.UTF_8));
            } else {
                assertThat(p[i]).isEqualTo(t[i]);
            }
        }
        return out;
    }
}
