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
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }

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
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            _ = pool
        }
    }

    struct Nomination: Codable { var person: String; var rank: Int }

    private func probeRoutes(_ router: Router<AgoraRequestContext>) {
        router.post("/probe/nominations") { request, context in
            let nomination = try await request.decodeJSON(as: Nomination.self, context: context)
            return "\(nomination.person):\(nomination.rank)"
        }
    }

    @Test func aBodyAboveTheLimitIsRefusedWith413() async throws {
        try await withApp(configuration: AppConfiguration(port: 0, maximumBodySize: 64), extraRoutes: probeRoutes) { client, _, _ in
            let large = #"{"person":"\#(String(repeating: "x", count: 200))","rank":1}"#
            try await client.execute(uri: "/probe/nominations", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: large)) { response in
                #expect(response.status == .contentTooLarge)
                let body = try problem(response.body)
                #expect(body.type == "/problems/payload-too-large")
            }
            try await client.execute(uri: "/probe/nominations", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"person":"Ama","rank":1}"#)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "Ama:1")
            }
        }
    }

    @Test func malformedJSONIsRefusedWith400NamingTheProblem() async throws {
        try await withApp(extraRoutes: probeRoutes) { client, _, _ in
            try await client.execute(uri: "/probe/nominations", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"person": "Ama", "rank": }"#)) { response in
                #expect(response.status == .badRequest)
                let body = try problem(response.body)
                #expect(body.type == "/problems/malformed-body")
                #expect(body.detail?.contains("not valid") == true)
            }
            try await client.execute(uri: "/probe/nominations", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"person": "Ama", "rank": "first"}"#)) { response in
                #expect(response.status == .badRequest)
                let body = try problem(response.body)
                #expect(body.detail?.contains("rank") == true)
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
