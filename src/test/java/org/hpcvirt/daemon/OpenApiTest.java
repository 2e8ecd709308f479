package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.Test;

/** The API document derived from the route table is valid OpenAPI 3, as an independent parser reads it. */
class OpenApiTest {
    private static SwaggerParseResult parse() {
        ParseOptions o = new ParseOptions();
        o.setResolve(true);
        return new OpenAPIV3Parser().readContents(OpenApi.document(), null, o);
    }

    @Test
    void theDocumentIsValidOpenApi3() {
        SwaggerParseResult r = parse();
        assertThat(r.getMessages()).isEmpty();
        assertThat(r.getOpenAPI()).isNotNull();
        assertThat(r.getOpenAPI().getOpenapi()).isEqualTo("3.0.3");
    }

    @Test
    void everyRouteIsInTheDocumentWithItsMethod() {
        OpenAPI api = parse().getOpenAPI();
        for (RouteTable.Route route : RouteTable.all()) {
            PathItem item = api.getPaths().get(route.path());
            assertThat(item).as(route.path()).isNotNull();
            assertThat(item.readOperationsMap().keySet().stream().map(Enum::name)).as(route.path()).contains(route.method());
        }
        assertThat(api.getPaths()).containsKeys(RouteTable.EVENT_STREAM, RouteTable.OPENAPI);
    }

    @Test
    @SuppressWarnings("rawtypes")
    void defaultsRangesAndRequiredFieldsComeFromTheOperationRecords() {
        OpenAPI api = parse().getOpenAPI();
        Schema start = api.getPaths().get("/v1/vms/{name}/start").getPost().getRequestBody().getContent().get("application/json")
                .getSchema();
        Schema timeout = (Schema) start.getProperties().get("timeoutSeconds");
        assertThat(timeout.getDefault()).isEqualTo(120);
        assertThat(timeout.getMinimum().intValue()).isEqualTo(1);
        Schema migrate = api.getPaths().get("/v1/vms/{name}/migrate").getPost().getRequestBody().getContent().get("application/json")
                .getSchema();
        assertThat(migrate.getRequired()).containsExactly("to");
        assertThat(api.getPaths().get("/v1/vms/{name}/start").getPost().getDescription()).contains("DEFINED, STOPPED, CRASHED");
        assertThat(api.getComponents().getSchemas()).containsKeys("VmStatus", "CheckpointManifest", "Error");
    }
}
