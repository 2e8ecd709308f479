package org.hpcvirt.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.javalin.http.Context;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The one place where exceptions become HTTP responses: {@code {"code": …, "message": …, "details":
 * {…}}}, never a stack trace. {@code details} carries what a client needs to rebuild the error
 * (a profile's problem list, QMP's error class); see {@link HpcvirtException#details()}.
 */
final class ApiErrors {
    private ApiErrors() {
    }

    static void handle(Exception e, Context ctx) {
        ErrorCode code;
        String message;
        Map<String, Object> details = HpcvirtException.detailsOf(e);
        if (e instanceof HpcvirtException h) {
            code = h.code();
            message = HpcvirtException.chain(h);
        } else if (e instanceof UnrecognizedPropertyException u) {
            code = ErrorCode.INVALID_INPUT;
            message = "request body: unknown field '" + u.getPropertyName() + "' (known: " + u.getKnownPropertyIds() + ")";
        } else if (e instanceof JsonProcessingException j) {
            code = ErrorCode.INVALID_INPUT;
            message = "request body: " + j.getOriginalMessage();
        } else if (e instanceof IllegalArgumentException) {
            code = ErrorCode.INVALID_INPUT;
            message = e.getMessage();
        } else {
            code = ErrorCode.INTERNAL;
            message = "internal error: " + e;
        }
        ctx.status(code.httpStatus()).json(details.isEmpty() ? Map.of("code", code.name(), "message", message)
                : Map.of("code", code.name(), "message", message, "details", details));
    }
}
