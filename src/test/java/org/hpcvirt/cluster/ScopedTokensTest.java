package org.hpcvirt.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.hpcvirt.api.Access;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScopedTokensTest {
    @TempDir
    Path dir;

    @Test
    void onlyTheHashIsStoredAndEachTokenKeepsItsScope() throws Exception {
        Path f = dir.resolve("tokens");
        ScopedTokens.Issued r = ScopedTokens.issue(f, "ci", Access.READ);
        ScopedTokens.Issued o = ScopedTokens.issue(f, "ops", Access.OPERATE);
        assertThat(r.token()).startsWith(ScopedTokens.PREFIX).hasSizeGreaterThan(40);
        String text = Files.readString(f);
        assertThat(text).doesNotContain(r.token()).doesNotContain(r.token().substring(4)).contains("ci read ").contains("ops operate ");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        ScopedTokens t = ScopedTokens.load(f);
        assertThat(t.find(r.token())).get().satisfies(e -> {
            assertThat(e.name()).isEqualTo("ci");
            assertThat(e.scope()).isEqualTo(Access.READ);
        });
        assertThat(t.find(o.token())).get().extracting(ScopedTokens.Entry::scope).isEqualTo(Access.OPERATE);
        assertThat(t.find(r.token() + "x")).isEmpty();
        assertThat(t.find("")).isEmpty();
        assertThat(t.find(null)).isEmpty();
    }

    @Test
    void aTokenIssuedLaterIsSeenWithoutReloadingAndADeletedLineRevokes() throws Exception {
        Path f = dir.resolve("tokens");
        ScopedTokens.issue(f, "a", Access.ADMIN);
        ScopedTokens t = ScopedTokens.load(f);
        ScopedTokens.Issued b = ScopedTokens.issue(f, "b", Access.READ);
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        assertThat(t.find(b.token())).isPresent();
        Files.writeString(f, Files.readString(f).replaceAll("(?m)^b .*\\n", ""));
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        assertThat(t.find(b.token())).as("revoked").isEmpty();
    }

    @Test
    void duplicateNamesAndMalformedFilesAreRefused() throws Exception {
        Path f = dir.resolve("tokens");
        ScopedTokens.issue(f, "a", Access.ADMIN);
        assertThatThrownBy(() -> ScopedTokens.issue(f, "a", Access.READ)).isInstanceOf(HpcvirtException.class).hasMessageContaining("already");
        assertThatThrownBy(() -> ScopedTokens.issue(f, "bad name", Access.READ)).isInstanceOf(HpcvirtException.class);
        Path bad = Files.writeString(dir.resolve("bad"), "x admin 1234\n");
        assertThatThrownBy(() -> ScopedTokens.load(bad)).isInstanceOf(HpcvirtException.class).hasMessageContaining("bad:1");
        Path scope = Files.writeString(dir.resolve("scope"), "x root " + "0".repeat(64) + "\n");
        assertThatThrownBy(() -> ScopedTokens.load(scope)).isInstanceOf(HpcvirtException.class).hasMessageContaining("not a scope");
        assertThatThrownBy(() -> ScopedTokens.load(dir.resolve("none"))).isInstanceOf(HpcvirtException.class);
    }
}
