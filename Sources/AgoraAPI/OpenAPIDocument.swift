import Hummingbird

/// The OpenAPI 3.1 description of the API, served at `GET /openapi.yaml`.
///
/// The document is `Resources/openapi.yaml`, compiled into the binary. `OpenAPIDocumentTests`
/// fails when a route, its method or its access rule and the document disagree;
/// `make check-api` validates it and holds the running server to it with schemathesis.
public enum OpenAPIDocument {
    /// The document, YAML.
    public static let yaml = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
}

struct OpenAPIController {
    func addRoutes(to routes: AccessControlledRoutes) {
        routes.get("/openapi.yaml", rule: .everyone) { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml))
            )
        }
    }
}
