package org.hpcvirt.profile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Collects the problems of one input file (a profile, an enclave file) so that all of them are
 * reported at once, by line. Not thread-safe: one per file being read.
 */
public final class Problems {
    private final String source;
    private final List<ProfileException.Problem> list = new ArrayList<>();

    /** Problems of the file or text named {@code source} in every message. */
    public Problems(String source) {
        this.source = source;
    }

    /** Records a problem at 1-based {@code line} of field {@code path}. */
    public void add(int line, String path, String detail) {
        list.add(new ProfileException.Problem(source, line, path, detail));
    }

    /** Whether any problem was recorded. */
    public boolean any() {
        return !list.isEmpty();
    }

    /** How many problems were recorded. */
    public int count() {
        return list.size();
    }

    /** The exception listing every problem by line (stable for problems on the same line). */
    public ProfileException exception() {
        List<ProfileException.Problem> sorted = new ArrayList<>(list);
        sorted.sort(Comparator.comparingInt(ProfileException.Problem::line));
        return new ProfileException(sorted);
    }
}
