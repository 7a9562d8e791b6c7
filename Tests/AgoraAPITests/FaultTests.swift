import Agora
import AgoraAPI
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresClient
import Synchronization
import Testing
import TestSupport

/// The database going away under load: requests fail fast with 503 problem+json, and the
/// same server recovers on its own when the database is back.
@Suite("Faults")
struct FaultTests {
    /// One answer the load saw.
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var took: Duration
        var at: ContinuousClock.Instant
        var problemType: String?
        var retryAfter: String?
        /// For a 201: the name of the organisation it created.
        var created: String?
    }

    /// Workers reading and writing through their own connections until told to stop.
    final class Load: Sendable {
        private let answers = Mutex<[Answer]>([])
        private let failures = Mutex<[String]>([])
        private let stopped = Atomic<Bool>(false)

        var seen: [Answer] { answers.withLock { $0 } }
        var transportFailures: [String] { failures.withLock { $0 } }
        func stop() { stopped.store(true, ordering: .relaxed) }

        func successes(after instant: ContinuousClock.Instant) -> Int {
            answers.withLock { $0.filter { $0.at > instant && $0.status.kind == .successful }.count }
        }

        /// Runs `workers` loops of alternating reads and creating writes, at most `limit` requests each.
        func run(port: Int, workers: Int, authorization: HTTPFields, label: String, limit: Int = 5000) async {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        let client = TestClient(host: "127.0.0.1", port: port)
                        client.connect()
                        var index = 0
                        while !self.stopped.load(ordering: .relaxed), index < limit {
                            index += 1
                            let name = "\(label) \(worker)-\(index)"
                            let start = ContinuousClock.now
                            do {
                                let response: TestClient.Response
                                if index % 2 == 0 {
                                    response = try await client.get("/organisations?limit=5", headers: authorization)
                                } else {
                                    let body = #"{"name":"\#(name)","country":"KE","constituency":"ngo"}"#
                                    response = try await client.post("/organisations", headers: authorization, body: ByteBuffer(string: body))
                                }
                                var answer = Answer(status: response.status, took: ContinuousClock.now - start, at: .now,
                                                    retryAfter: response.headers[.retryAfter],
                                                    created: response.status == .created ? name : nil)
                                if response.status.kind != .successful, let body = response.body {
                                    answer.problemType = (try? JSONDecoder().decode(ProblemBody.self, from: Data(buffer: body)))?.type
                                }
                                self.answers.withLock { $0.append(answer) }
                            } catch {
                                self.failures.withLock { $0.append("\(error)") }
                                return
                            }
                        }
                        try? await client.shutdown()
                    }
                }
            }
        }
    }

    @Test func connectionsEndedByTheServerAreReplacedAndAMissedRevocationStillTakesEffect() async throws {
        try await withApp(configuration: AppConfiguration(port: 0, readinessTimeout: .seconds(1))) { client, pool, url in
            let port = try #require(client.port)
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let victim = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            // The victim's token is now in the server's cache.
            try await client.execute(uri: "/accounts/me", method: .get, headers: victim.authorization) { #expect($0.status == .ok) }

            // A session of the test's own, kept through what follows: the one the revocation
            // is made on while the server cannot connect.
            let side = PostgresConnectionPool(configuration: .init(connectionString: url, maximumConnections: 1), logger: TestDatabase.logger)
            try await side.query("SELECT 1")
            let database = String(url.split(separator: "/").last!)

            let load = Load()
            let running = Task { await load.run(port: port, workers: 4, authorization: secretariat.authorization, label: "Terminate") }
            try await waitUntil(timeout: .seconds(30), "the load to get going") { load.successes(after: .now - .seconds(60)) >= 40 }

            // Every connection of the server ends (its pool's and its LISTEN sessions), and it
            // cannot reconnect for a while: a revocation made meanwhile is not heard.
            let admin = PostgresConnectionPool(configuration: .init(connectionString: TestDatabase.serverURL, maximumConnections: 1), logger: TestDatabase.logger)
            try await admin.withConnection { try await $0.unsafeSimpleQuery("ALTER DATABASE \(database) ALLOW_CONNECTIONS false") }
            try await side.withConnection { connection in
                try await connection.execute("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """)
            }
            let cutAt = ContinuousClock.now
            _ = try await AccessStore(pool: side).revokeToken(victim.tokenID, account: victim.id, by: .commandLine)
            try await waitUntil(timeout: .seconds(10), "requests to be refused while the server cannot connect") {
                load.seen.filter { $0.at > cutAt && $0.status == .serviceUnavailable }.count >= 5
            }
            try await admin.withConnection { try await $0.unsafeSimpleQuery("ALTER DATABASE \(database) ALLOW_CONNECTIONS true") }
            await admin.close()
            let backAt = ContinuousClock.now

            // The listener's gap cleared the token cache: the revoked token is refused at once
            // the listener is back, not a minute later when its cache entry would expire.
            try await waitUntil(timeout: .seconds(15), "the revoked token to be refused") {
                try await client.execute(uri: "/accounts/me", method: .get, headers: victim.authorization) { $0.status == .unauthorized }
            }
            try await waitUntil(timeout: .seconds(30), "the load to succeed again") { load.successes(after: backAt) >= 40 }
            load.stop()
            await running.value
            await side.close()

            #expect(load.transportFailures.isEmpty)
            let statuses = Set(load.seen.map(\.status.code))
            #expect(statuses.isSubset(of: [200, 201, 503]), "only successes and 503s: \(statuses.sorted())")
            // The statement timeout and the wait for a connection are 5 s each: no answer waits for both twice.
            #expect(load.seen.map(\.took).max() ?? .zero < .seconds(11))
        }
    }
}
