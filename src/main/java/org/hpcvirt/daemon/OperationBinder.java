package org.hpcvirt.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.RecordComponent;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationFields;

/**
 * Turns an HTTP request into its operation record and back: path parameters, then the JSON body
 * (POST, DELETE) or the query string (GET), then the field rules of {@link OperationFields}. Request bodies are untrusted:
 * unknown fields, wrong types and out-of-range values are INVALID_INPUT errors that name the
 * field. Stateless; thread-safe.
 */
public final class OperationBinder {
    private OperationBinder() {
    }

    /** The operation a request to {@code route} asks for. */
    public static Operation bind(RouteTable.Route route, Map<String, String> pathParams, Map<String, List<String>> query, String body) {
        ObjectNode node;
        String where = route.queryFields() ? "query parameter " : "request body: ";
        if (route.queryFields()) {
            node = Json.mapper().createObjectNode();
            for (RecordComponent c : route.op().getRecordComponents()) {
                List<String> v = query.get(c.getName());
                if (v != null && !v.isEmpty() && !v.get(0).isBlank() && !route.pathParams().contains(c.getName())) {
                    node.set(c.getName(), queryValue(c, v.get(0)));
                }
            }
        } else {
            node = parseBody(body);
        }
        for (String p : route.pathParams()) {
            if (node.has(p)) {
                throw HpcvirtException.invalid(where + "field '" + p + "' belongs in the path (" + route.path() + ")");
            }
            node.put(p, pathParams.get(p));
        }
        Operation op;
        try {
            op = Json.strict().treeToValue(node, route.op());
        } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
            throw HpcvirtException.invalid(where + "unknown field '" + e.getPropertyName() + "' (known: " + known(route) + ")");
        } catch (JsonProcessingException e) {
            String field = e instanceof com.fasterxml.jackson.databind.JsonMappingException m && !m.getPath().isEmpty()
                    ? "field '" + m.getPath().get(0).getFieldName() + "': " : "";
            throw HpcvirtException.invalid(where + field + e.getOriginalMessage());
        }
        return OperationFields.complete(op, where);
    }

    private static ObjectNode parseBody(String body) {
        if (body == null || body.isBlank()) {
            return Json.mapper().createObjectNode();
        }
        JsonNode n;
        try {
            n = Json.strict().readTree(body);
        } catch (JsonProcessingException e) {
            throw HpcvirtException.invalid("request body: not JSON: " + e.getOriginalMessage());
        }
        if (!(n instanceof ObjectNode o)) {
            throw HpcvirtException.invalid("request body: must be a JSON object, not " + n.getNodeType().name().toLowerCase());
        }
        return o;
    }

    private static JsonNode queryValue(RecordComponent c, String text) {
        Class<?> t = c.getType();
        try {
            if (t == Long.class || t == Integer.class) {
                return Json.mapper().getNodeFactory().numberNode(Long.parseLong(text.trim()));
            }
            if (t == Double.class) {
                return Json.mapper().getNodeFactory().numberNode(Double.parseDouble(text.trim()));
            }
        } catch (NumberFormatException e) {
            throw HpcvirtException.invalid("query parameter " + c.getName() + ": '" + text + "' is not a number");
        }
        if (t == Boolean.class) {
            if (!text.equals("true") && !text.equals("false")) {
                throw HpcvirtException.invalid("query parameter " + c.getName() + ": '" + text + "' is not true or false");
            }
            return Json.mapper().getNodeFactory().booleanNode(Boolean.parseBoolean(text));
        }
        return Json.mapper().getNodeFactory().textNode(text);
    }

    private static String known(RouteTable.Route route) {
        StringJoiner j = new StringJoiner(", ");
        for (RecordComponent c : route.op().getRecordComponents()) {
            if (!route.pathParams().contains(c.getName())) {
                j.add(c.getName());
            }
        }
        return j.toString();
    }

    /** The JSON body of {@code op} for its route: every component that is not in the path and not null. */
    public static ObjectNode body(RouteTable.Route route, Operation op) {
        ObjectNode n = Json.mapper().createObjectNode();
        for (RecordComponent c : route.op().getRecordComponents()) {
            Object v = OperationFields.value(op, c);
            if (v != null && !route.pathParams().contains(c.getName())) {
                n.set(c.getName(), Json.mapper().valueToTree(v));
            }
        }
        return n;
    }

    /** The query string ({@code ?a=1&b=x}, or "") of {@code op} for a GET route. */
    public static String query(RouteTable.Route route, Operation op) {
        StringJoiner j = new StringJoiner("&", "?", "");
        j.setEmptyValue("");
        for (RecordComponent c : route.op().getRecordComponents()) {
            Object v = OperationFields.value(op, c);
            if (v != null && !route.pathParams().contains(c.getName())) {
                j.add(c.getName() + "=" + URLEncoder.encode(v.toString(), StandardCharsets.UTF_8));
            }
        }
        return j.toString();
    }
}
