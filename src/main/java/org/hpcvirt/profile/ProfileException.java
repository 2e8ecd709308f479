package org.hpcvirt.profile;

import java.util.List;
import java.util.stream.Collectors;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * A profile could not be loaded: it is not YAML, not one mapping, or some field is unknown,
 * missing, of the wrong type or out of range. The message has one line per problem, each of the
 * form {@code file:line: field: what is wrong}; {@link #problems()} holds the same facts for code
 * that wants them separately. Code {@link ErrorCode#INVALID_INPUT}. Immutable.
 */
public final class ProfileException extends HpcvirtException {
    private static final long serialVersionUID = 1L;

    private final transient List<Problem> problems;

    /** @param problems at least one problem; the message lists them in the given order */
    public ProfileException(List<Problem> problems) {
        super(ErrorCode.INVALID_INPUT, problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ProfileException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** {@code problems}: each problem's source, line, path and detail, for clients. */
    @Override
    public java.util.Map<String, Object> details() {
        return java.util.Map.of("problems", problems.stream().map(p -> java.util.Map.of("source", p.source(), "line", p.line(),
                "path", p.path(), "detail", p.detail())).toList());
    }

    /** Every problem found, ordered by line; never empty. */
    public List<Problem> problems() {
        return problems;
    }

    /**
     * One thing wrong with a profile.
     *
     * @param source where the text came from (file path or a caller-chosen name)
     * @param line   1-based line the problem is on
     * @param path   dotted path of the offending field, e.g. {@code heartbeat.timeout} or
     *               {@code pinning[1]}; empty for problems with the document as a whole
     * @param detail the human explanation, already prefixed with the field where that helps
     */
    public record Problem(String source, int line, String path, String detail) {
        /** {@code source:line: detail}, the form compilers use so editors can jump to it. */
        @Override
        public String toString() {
            return source + ":" + line + ": " + detail;
        }
    }
}
