package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/daemon.md documents every route of the route table. */
class ApiDocsTest {
    @Test
    void everyRouteIsDocumented() throws Exception {
        String doc = Files.readString(Path.of(System.getProperty("hpcvirt.repo", ".")).resolve("docs/daemon.md"));
        for (RouteTable.Route r : RouteTable.all()) {
            assertThat(doc).as(r.method() + " " + r.path()).contains("`" + r.method() + " " + r.path() + "`");
        }
        assertThat(doc).contains("`GET " + RouteTable.EVENT_STREAM + "`").contains("`GET " + RouteTable.OPENAPI + "`");
    }
}
