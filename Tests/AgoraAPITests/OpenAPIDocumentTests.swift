import Agora
import AgoraAPI
import AgoraStore
import PostgresClient
import Testing
import TestSupport

@Suite("The OpenAPI document matches the server")
struct OpenAPIDocumentTests {
    /// `"GET /tokens/{id}"` → the `x-agora-access` text, read from the document's `paths`.
    private func documentedOperations() -> [String: String] {
        var operations: [String: String] = [:]
        var inPaths = false
        var path: String?
        var method: String?
        for line in OpenAPIDocument.yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            let indent = line.prefix { $0 == " " }.count
            let text = line.trimmingCharacters(in: .whitespaces)
            if indent == 2, text.hasSuffix(":") {
                path = String(text.dropLast())
            } else if indent == 4, ["get:", "post:", "put:", "patch:", "delete:"].contains(text) {
                method = text.dropLast().uppercased()
                operations["\(method!) \(path!)"] = "undeclared"
            } else if indent == 6, text.hasPrefix("x-agora-access:"), let method, let path {
                operations["\(method) \(path)"] = text.dropFirst("x-agora-access:".count).trimmingCharacters(in: .whitespaces)
            }
        }
        return operations
    }

    private func describe(_ rule: AccessRule) -> String {
        switch rule {
        case .everyone: "everyone"
        case .authenticated: "authenticated"
        case .roles(let roles): roles.map(\.rawValue).sorted().joined(separator: ", ")
        }
    }

    @Test func everyRouteIsDocumentedWithItsAccessRuleAndNothingElseIs() async throws {
        let pool = PostgresConnectionPool(configuration: .init(connectionString: TestDatabase.serverURL), logger: TestDatabase.logger)
        let routes = buildRoutes(configuration: AppConfiguration(port: 0), stores: Stores(pool: pool), tokenCache: TokenCache())
        await pool.close()
        let documented = documentedOperations()
        let served = routes.rules.mapValues(describe)
        #expect(Set(documented.keys) == Set(served.keys), "undocumented: \(Set(served.keys).subtracting(documented.keys)); not served: \(Set(documented.keys).subtracting(served.keys))")
        for (operation, rule) in served {
            #expect(documented[operation].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.sorted().joined(separator: ", ") } == rule, "\(operation)")
        }
    }

    @Test func theDocumentIsServed() async throws {
        try await withApp { client, _, _ in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/yaml") == true)
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1.0"))
            }
        }
    }
}
