package org.hpcvirt.profile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects the problems of one profile so that all of them are reported at once. Not thread-safe. */
final class Problems {
    private final String source;
    private final List<ProfileException.Problem> list = new ArrayList<>();

    Problems(String source) {
        this.source = source;
    }

    void add(int line, String path, String detail) {
        list.add(new ProfileException.Problem(source, line, path, detail));
    }

    boolean any() {
        return !list.isEmpty();
    }

    /** The exception listing every problem by line (stable for problems on the same line). */
    ProfileException exception() {
        List<ProfileException.Problem> sorted = new ArrayList<>(list);
        sorted.sort(Comparator.comparingInt(ProfileException.Problem::line));
        return new ProfileException(sorted);
    }
}
