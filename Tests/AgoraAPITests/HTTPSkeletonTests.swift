import Agora
import AgoraAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresClient
import Testing
import TestSupport

@Suite("HTTP skeleton: health, readiness, metrics and problem answers")
struct HTTPSkeletonTests {
    @Test func healthzAnswersWithoutTheDatabase() async throws {
        try await withApp { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"alive"}"#)
                #expect(response.headers[HTTPField.Name("X-Request-ID")!]?.isEmpty == false)
            }
        }
    }

    @Test func anUndeclaredMethodOnAKnownPathIs405WithAllow() async throws {
        try await withApp { client, _, _ in
            // A path with a capture: only GET and PATCH are served at /forums/{id}.
            try await client.execute(uri: "/forums/\(UUID())", method: .put, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, PATCH")
                let body = try problem(response.body)
                #expect(body.type == "/problems/method-not-allowed")
            }
            try await client.execute(uri: "/tokens", method: .init("TRACE")!) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, POST")
            }
            // A literal path wins over a pattern, as in the router: /accounts/me is GET only, though
            // /accounts/{id} also serves PATCH.
            try await client.execute(uri: "/accounts/me", method: .patch, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
                let allowed = try problem(response.body).allowed
                #expect(allowed == ["GET"])
            }
            // A path nobody serves stays 404.
            try await client.execute(uri: "/nowhere/at/all", method: .put) { #expect($0.status == .notFound) }
        }
    }

    @Test func aNULCharacterIsRefusedNamingItsFieldAndNothingIsCutShort() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            // libpq takes C strings: "a\u0000b" would be stored as "a" if it got that far.
            let body = #"{"name": "Water\u0000Network", "constituency": "ngo"}"#
            try await client.execute(uri: "/networks", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .unprocessableContent)
                let refusal = try problem(response.body)
                #expect(refusal.errors?.map(\.field) == ["name"])
            }
            let nested = #"{"name": "Amina", "country": "KE", "languages": ["en", "s\u0000w"]}"#
            try await client.execute(uri: "/people", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: nested)) { response in
                #expect(response.status == .unprocessableContent)
                let fields = try problem(response.body).errors?.map(\.field)
                #expect(fields == ["languages[1]"])
            }
            let kept = try await pool.query("SELECT count(*)::int AS n FROM network WHERE name LIKE 'Water%'")[0].decode("n", as: Int.self)
            #expect(kept == 0)
            // In a query or a path too: 400 naming the parameter, and no such resource.
            try await client.execute(uri: "/networks?constituency=ngo%00x", method: .get) { response in
                #expect(response.status == .badRequest)
                let refusal = try problem(response.body)
                #expect(refusal.type == "/problems/invalid-query")
                #expect(refusal.errors?.map(\.field) == ["constituency"])
            }
            try await client.execute(uri: "/countries/K%00E", method: .get) { #expect($0.status == .notFound) }
            // Below the API too: the client refuses such a parameter rather than truncating it.
            await #expect(performing: { try await pool.query("SELECT \("a\u{0}b")::text AS t") },
                          throws: { ($0 as? PostgresError)?.sqlState == "22021" })
        }
    }

    @Test func unknownRoutesAnswer404AsProblemJSON() async throws {
        try await withApp { client, _, _ in
            try await client.execute(uri: "/forums/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = try problem(response.body)
                #expect(body.type == "/problems/not-found")
                #expect(body.status == 404)
                #expect(body.instance?.hasPrefix("urn:agora:request:") == true)
            }
        }
    }

    @Test func readyzFollowsTheDatabaseWithoutARestart() async throws {
        try await withApp(configuration: AppConfiguration(port: 0, readinessTimeout: .seconds(2))) { client, pool, url in
            // Under a loaded CI machine the first answer can outlast the 2 s readiness budget, so wait
            // for readiness with a deadline rather than asserting the first answer.
            try await waitUntilReady(client)

            let database = String(url.split(separator: "/").last!)
            let admin = PostgresConnectionPool(configuration: .init(connectionString: TestDatabase.serverURL, maximumConnections: 1), logger: TestDatabase.logger)
            // Make the database unreachable: refuse new sessions and end the current ones.
            try await admin.execute("SELECT 1 FROM pg_database WHERE datname = \(database)")
            try await admin.withConnection { connection in
                try await connection.unsafeSimpleQuery("ALTER DATABASE \(database) ALLOW_CONNECTIONS false")
                try await connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(database)")
            }
            try await waitUntil("the sessions to end") {
                try await admin.query("SELECT 1 FROM pg_stat_activity WHERE datname = \(database)").isEmpty
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = try problem(response.body)
                #expect(body.type == "/problems/database-unavailable")
            }

            try await admin.withConnection { try await $0.unsafeSimpleQuery("ALTER DATABASE \(database) ALLOW_CONNECTIONS true") }
            await admin.close()
            // Ready again without a restart; fault-check.sh measures how soon (within 5 s) on an idle machine.
            try await waitUntilReady(client)
            _ = pool
        }
    }

    @Test func aBodyAboveTheLimitIsRefusedWith413() async throws {
        try await withApp(configuration: AppConfiguration(port: 0, maximumBodySize: 64)) { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let large = #"{"name":"\#(String(repeating: "x", count: 200))","country":"KE","constituency":"ngo"}"#
            try await client.execute(uri: "/organisations", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: large)) { response in
                #expect(response.status == .contentTooLarge)
                let body = try problem(response.body)
                #expect(body.type == "/problems/payload-too-large")
            }
            try await client.execute(uri: "/organisations", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"name":"Ama","country":"KE","constituency":"ngo"}"#)) { response in
                #expect(response.status == .created)
            }
        }
    }

    @Test func malformedJSONIsRefusedWith400NamingTheProblem() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            try await client.execute(uri: "/organisations", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"name": "Ama", "country": }"#)) { response in
                #expect(response.status == .badRequest)
                let body = try problem(response.body)
                #expect(body.type == "/problems/malformed-body")
                #expect(body.detail?.contains("JSON object") == true)
            }
            try await client.execute(uri: "/organisations", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"name": 7, "country": "KE", "constituency": "ngo"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(#""field":"name""#))
            }
        }
    }

    @Test func metricsExposeRequestsByRouteTemplateAndThePool() async throws {
        try await withApp { client, pool, _ in
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = String(buffer: response.body)
                #expect(text.contains(#"http_server_request_duration_bucket{http_route="/readyz""#))
                #expect(text.contains("hb_requests"))
                #expect(text.contains("postgres_pool_connections"))
                #expect(text.contains("postgres_queries_total"))
            }
            _ = pool
        }
    }
}

/// Waits until `/readyz` answers 200, asking again after each 503, failing after `timeout`.
private func waitUntilReady(_ client: some TestClientProtocol, timeout: Duration = .seconds(30)) async throws {
    try await waitUntil(timeout: timeout, "/readyz to answer 200") {
        try await client.execute(uri: "/readyz", method: .get) { $0.status == .ok }
    }
}
