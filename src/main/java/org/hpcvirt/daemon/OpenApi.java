package org.hpcvirt.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.TypeFactory;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationFields;
import org.hpcvirt.vm.Preconditions;

/**
 * The OpenAPI 3 document of the daemon's API, derived from the {@link RouteTable} and the
 * operation records (fields, defaults, ranges, required) and result types (records by reflection),
 * served at {@link RouteTable#OPENAPI}. Stateless; thread-safe.
 */
public final class OpenApi {
    private static final TypeFactory TYPES = TypeFactory.defaultInstance();

    private OpenApi() {
    }

    /** The document as JSON text. */
    public static String document() {
        try {
            return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(tree());
        } catch (JsonProcessingException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot write the API document", e);
        }
    }

    /** The document as a JSON tree. */
    public static ObjectNode tree() {
        ObjectNode doc = Json.mapper().createObjectNode();
        doc.put("openapi", "3.0.3");
        ObjectNode info = doc.putObject("info");
        info.put("title", "hpcvirt node daemon");
        info.put("version", org.hpcvirt.api.Version.current());
        info.put("description", "One route per operation. Over TCP (mutual TLS) a request is another node by its certificate of the "
                + "cluster CA, or carries 'Authorization: Bearer TOKEN' with a scoped token (read, operate, admin; an operation above the "
                + "token's scope is 403); over the node's Unix socket the kernel's peer credentials identify the caller. "
                + "Errors answer {code, message, details}.");
        ObjectNode schemas = Json.mapper().createObjectNode();
        ObjectNode paths = doc.putObject("paths");
        for (RouteTable.Route r : RouteTable.all()) {
            ObjectNode item = paths.has(r.path()) ? (ObjectNode) paths.get(r.path()) : paths.putObject(r.path());
            item.set(r.method().toLowerCase(java.util.Locale.ROOT), operation(r, schemas));
        }
        ObjectNode stream = paths.putObject(RouteTable.EVENT_STREAM).putObject("get");
        stream.put("operationId", "eventStream");
        stream.put("summary", "Server-sent events: persisted events after 'after', then live ones");
        ArrayNode sp = stream.putArray("parameters");
        sp.add(param("vm", "query", false, Json.mapper().createObjectNode().put("type", "string")));
        sp.add(param("after", "query", false, Json.mapper().createObjectNode().put("type", "integer").put("format", "int64")));
        stream.putObject("responses").putObject("200").put("description", "event stream")
                .putObject("content").putObject("text/event-stream").putObject("schema").put("type", "string");
        ObjectNode openapi = paths.putObject(RouteTable.OPENAPI).putObject("get");
        openapi.put("operationId", "openApi");
        openapi.put("summary", "This document");
        openapi.putObject("responses").putObject("200").put("description", "the OpenAPI document")
                .putObject("content").putObject("application/json").putObject("schema").put("type", "object");
        ObjectNode error = schemas.putObject("Error");
        error.put("type", "object");
        error.putArray("required").add("code").add("message");
        ObjectNode ep = error.putObject("properties");
        ArrayNode codes = ep.putObject("code").put("type", "string").putArray("enum");
        for (ErrorCode c : ErrorCode.values()) {
            codes.add(c.name());
        }
        ep.putObject("message").put("type", "string");
        ep.putObject("details").put("type", "object").put("additionalProperties", true);
        doc.putObject("components").set("schemas", schemas);
        return doc;
    }

    private static ObjectNode operation(RouteTable.Route r, ObjectNode schemas) {
        ObjectNode o = Json.mapper().createObjectNode();
        String verb = Preconditions.verb(r.op());
        o.put("operationId", Character.toLowerCase(r.op().getSimpleName().charAt(0)) + r.op().getSimpleName().substring(1));
        o.put("summary", r.summary());
        if (!Preconditions.allowed(r.op()).isEmpty()) {
            o.put("description", "'" + verb + "' is allowed in VM states " + Preconditions.allowed(r.op())
                    + "; in others it answers 409 WRONG_STATE.");
        }
        ArrayNode params = o.putArray("parameters");
        ObjectNode body = Json.mapper().createObjectNode().put("type", "object").put("additionalProperties", false);
        ObjectNode props = body.putObject("properties");
        ArrayNode required = Json.mapper().createArrayNode();
        for (RecordComponent c : r.op().getRecordComponents()) {
            ObjectNode schema = fieldSchema(r.op(), c, schemas);
            boolean req = c.isAnnotationPresent(Operation.Required.class);
            if (r.pathParams().contains(c.getName())) {
                params.add(param(c.getName(), "path", true, schema));
            } else if (r.queryFields()) {
                params.add(param(c.getName(), "query", req, schema));
            } else {
                props.set(c.getName(), schema);
                if (req) {
                    required.add(c.getName());
                }
            }
        }
        if (!required.isEmpty()) {
            body.set("required", required);
        }
        if (params.isEmpty()) {
            o.remove("parameters");
        }
        if (!r.queryFields() && !props.isEmpty()) {
            ObjectNode rb = o.putObject("requestBody");
            rb.put("required", !required.isEmpty());
            rb.putObject("content").putObject("application/json").set("schema", body);
        }
        ObjectNode responses = o.putObject("responses");
        ObjectNode ok = responses.putObject(Integer.toString(r.status()));
        switch (r.body()) {
            case NONE -> ok.put("description", "done, no content");
            case BYTES -> {
                ok.put("description", "the bytes; header X-Next-Offset says where to continue");
                ok.putObject("content").putObject("application/octet-stream").putObject("schema").put("type", "string")
                        .put("format", "binary");
            }
            case JSON -> {
                ok.put("description", "the result");
                ok.putObject("content").putObject("application/json").set("schema", schema(r.result(), schemas));
            }
        }
        ObjectNode err = responses.putObject("default");
        err.put("description", "an error: 400 INVALID_INPUT, 404 NOT_FOUND, 409 WRONG_STATE or ALREADY_EXISTS, …");
        err.putObject("content").putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/Error");
        return o;
    }

    private static ObjectNode param(String name, String in, boolean required, ObjectNode schema) {
        ObjectNode p = Json.mapper().createObjectNode();
        p.put("name", name);
        p.put("in", in);
        p.put("required", required);
        if (schema.has("description")) {
            p.put("description", schema.get("description").asText());
        }
        p.set("schema", schema);
        return p;
    }

    private static ObjectNode fieldSchema(Class<? extends Operation> op, RecordComponent c, ObjectNode schemas) {
        ObjectNode s = schema(TYPES.constructType(c.getGenericType()), schemas);
        Operation.Doc doc = c.getAnnotation(Operation.Doc.class);
        if (doc != null) {
            s.put("description", doc.value());
        }
        Object d = OperationFields.defaultValue(op, c);
        if (d != null) {
            s.set("default", Json.mapper().valueToTree(d));
        }
        Operation.Range range = c.getAnnotation(Operation.Range.class);
        if (range != null) {
            s.put("minimum", range.min());
            s.put("maximum", range.max());
        }
        return s;
    }

    /** The schema of a Java type; records become named component schemas. */
    static ObjectNode schema(JavaType t, ObjectNode schemas) {
        ObjectNode s = Json.mapper().createObjectNode();
        Class<?> c = t.getRawClass();
        if (c == String.class || c == Path.class || c == Duration.class || c == Character.class || c == char.class) {
            return s.put("type", "string");
        }
        if (c == Instant.class) {
            return s.put("type", "string").put("format", "date-time");
        }
        if (c == Integer.class || c == int.class || c == Short.class || c == short.class) {
            return s.put("type", "integer").put("format", "int32");
        }
        if (c == Long.class || c == long.class) {
            return s.put("type", "integer").put("format", "int64");
        }
        if (c == Double.class || c == double.class || c == Float.class || c == float.class) {
            return s.put("type", "number");
        }
        if (c == Boolean.class || c == boolean.class) {
            return s.put("type", "boolean");
        }
        if (c == byte[].class) {
            return s.put("type", "string").put("format", "byte");
        }
        if (c.isEnum()) {
            ArrayNode values = s.put("type", "string").putArray("enum");
            for (Object v : c.getEnumConstants()) {
                values.add(v.toString());
            }
            return s;
        }
        if (Collection.class.isAssignableFrom(c) || c.isArray()) {
            s.put("type", "array");
            s.set("items", schema(t.getContentType() == null ? TYPES.constructType(Object.class) : t.getContentType(), schemas));
            return s;
        }
        if (Map.class.isAssignableFrom(c)) {
            s.put("type", "object");
            JavaType v = t.getContentType();
            if (v == null || v.getRawClass() == Object.class) {
                s.put("additionalProperties", true);
            } else {
                s.set("additionalProperties", schema(v, schemas));
            }
            return s;
        }
        if (c.isRecord()) {
            String name = c.getName().substring(c.getPackageName().length() + 1).replace('$', '.').replace(".", "");
            if (!schemas.has(name)) {
                ObjectNode rs = schemas.putObject(name);
                rs.put("type", "object");
                ObjectNode props = rs.putObject("properties");
                for (RecordComponent rc : c.getRecordComponents()) {
                    props.set(rc.getName(), schema(TYPES.constructType(rc.getGenericType()), schemas));
                }
            }
            return s.put("$ref", "#/components/schemas/" + name);
        }
        if (c == Void.class || c == void.class) {
            return s;
        }
        if (JsonNode.class.isAssignableFrom(c) || c == Object.class) {
            return s;
        }
        return s.put("type", "object");
    }
}
