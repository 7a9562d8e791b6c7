import Agora
import AgoraStore
import Foundation
import PostgresClient
import Testing
import TestSupport

/// The `agora` executable, run as a person or a deployment would run it.
@Suite("The agora command")
struct AgoraCommandTests {
    struct Outcome {
        var status: Int32
        var output: String
    }

    private var binary: String {
        get throws {
            guard let path = ProcessInfo.processInfo.environment["AGORA_BINARY"], FileManager.default.isExecutableFile(atPath: path) else {
                throw CommandTestError("AGORA_BINARY does not name the built agora binary: run the tests with `make test`")
            }
            return path
        }
    }

    private func start(_ arguments: [String], database: String, environment extra: [String: String] = [:]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["DATABASE_URL"] = database
        environment["AGORA_LOG_LEVEL"] = "warning"
        // The repository's SQL/, wherever the test runs from.
        environment["AGORA_SQL_DIR"] = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("SQL").path
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try launch(process)
        return (process, pipe)
    }

    /// Runs to completion; the commands here finish in seconds.
    private func run(_ arguments: [String], database: String) async throws -> Outcome {
        let (process, pipe) = try start(arguments, database: database)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    @Test func selectionSolveReadsAnInstanceFileAndPrintsTheResult() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("instance-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("""
            {"slots": 2, "speakingMinutes": 10,
             "rules": {"maxPerNetwork": 2, "minConstituencies": 1, "maxConstituencyShare": 1, "minDevelopingShare": 1, "genderBalance": false},
             "networks": [{"id": "A", "constituency": "ngo", "members": 1}, {"id": "B", "constituency": "women", "members": 1000}],
             "nominations": [{"id": "a1", "network": "A", "rank": 1, "developing": false, "gender": null, "submittedAt": "2026-11-01T09:00:00Z"},
                             {"id": "a2", "network": "A", "rank": 2, "developing": true, "gender": "man", "submittedAt": "2026-11-01T09:00:00Z"},
                             {"id": "b1", "network": "B", "rank": 1, "developing": true, "gender": "woman", "submittedAt": "2026-11-01T10:00:00Z"}]}
            """.utf8).write(to: file)
        let outcome = try await run(["selection", "solve", "--input", file.path], database: "unused")
        #expect(outcome.status == 0)
        let result = try JSONDecoder().decode(SelectionResult.self, from: Data(outcome.output.utf8))
        #expect(Set(result.selected.map(\.nomination)) == ["a2", "b1"])
        #expect(result.objective == 1.5)
        #expect(result.selected.map(\.minutes).reduce(0, +) == 10)

        let refused = try await run(["selection", "solve", "--input", "/nonexistent/instance.json"], database: "unused")
        #expect(refused.status != 0)
        #expect(refused.output.contains("cannot read"))
    }

    @Test func serveRefusesPendingMigrationsAndMigrateAppliesThemOnce() async throws {
        let database = try await TestDatabase.shared.createEmptyDatabase("command")
        let refused = try await run(["serve", "--port", "0"], database: database)
        #expect(refused.status != 0)
        #expect(refused.output.contains("pending migration"))

        let migrated = try await run(["migrate"], database: database)
        #expect(migrated.status == 0)
        #expect(migrated.output.contains("Applied"))
        let again = try await run(["migrate"], database: database)
        #expect(again.status == 0)
        #expect(again.output.contains("up to date"))
    }

    @Test func tokenCreatePrintsATokenThatAuthenticatesOnce() async throws {
        let database = try await TestDatabase.shared.createMigratedDatabase("command")
        let created = try await run(["token", "create", "--secretariat", "--name", "first"], database: database)
        #expect(created.status == 0)
        let secret = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("agora_"))
        let pool = PostgresConnectionPool(configuration: .init(connectionString: database), logger: TestDatabase.logger)
        let token = try await AccessStore(pool: pool).authenticate(tokenHash: TokenSecret.hash(secret))
        #expect(token?.actor.has(.secretariat) == true)
        await pool.close()

        let withoutRole = try await run(["token", "create", "--name", "nobody"], database: database)
        #expect(withoutRole.status != 0)
    }

    @Test func tokenCreateMakesFocalPointsContactsAndABodysBureau() async throws {
        let database = try await TestDatabase.shared.createMigratedDatabase("command")
        let pool = PostgresConnectionPool(configuration: .init(connectionString: database), logger: TestDatabase.logger)
        let network = try await pool.query("INSERT INTO network (name, constituency) VALUES ('Net', 'ngo') RETURNING id")[0].decode("id", as: UUID.self)
        let organisation = try await pool.query("INSERT INTO organisation (name, country, constituency) VALUES ('Org', 'KE', 'ngo') RETURNING id")[0]
            .decode("id", as: UUID.self)
        let created = try await run(["token", "create", "--network", network.uuidString, "--organisation", organisation.uuidString,
                                     "--bureau", "--body", "Economic and Social Council", "--name", "scoped", "--account", "Scoped"], database: database)
        #expect(created.status == 0)
        let secret = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try #require(try await AccessStore(pool: pool).authenticate(tokenHash: TokenSecret.hash(secret)))
        #expect(token.actor.networks == [network] && token.actor.organisations == [organisation])
        #expect(token.actor.bureauBodies == ["Economic and Social Council"])
        // A bureau without its body, and an unknown network, are refused without an account.
        #expect(try await run(["token", "create", "--bureau", "--name", "x"], database: database).status != 0)
        #expect(try await run(["token", "create", "--network", UUID().uuidString, "--name", "x", "--account", "Stranger"], database: database).status != 0)
        #expect(try await pool.query("SELECT 1 FROM account WHERE name = 'Stranger'").isEmpty)
        await pool.close()
    }

    @Test func serveAnswersAndStopsGracefullyOnSIGTERM() async throws {
        let database = try await TestDatabase.shared.createMigratedDatabase("command")
        let port = try freePort()
        let (process, pipe) = try start(["serve", "--port", "\(port)"], database: database)
        defer { if process.isRunning { process.terminate() } }
        try await waitUntil("the server to answer") {
            (try? await httpStatus("http://127.0.0.1:\(port)/healthz")) == 200
        }
        // Ready within a deadline: on a loaded machine one answer can outlast the 2 s readiness budget.
        try await waitUntil(timeout: .seconds(30), "/readyz to answer 200") {
            (try? await httpStatus("http://127.0.0.1:\(port)/readyz")) == 200
        }
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("the server to stop") { !process.isRunning }
        _ = pipe
        #expect(process.terminationStatus == 0)
    }

    /// A request that waits on the database (the test holds a lock on the table it reads)
    /// while the server is told to stop: the listener closes at once, the request still
    /// completes once the lock goes, and the process then exits 0.
    @Test func aSlowRequestCompletesAfterSIGTERMAndTheProcessExitsZero() async throws {
        try await withSlowRequestAfterSIGTERM { process, request, lock in
            try await lock.release()
            let answer = try await request.readUntilClosed(deadline: .seconds(20))
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(200))")
            try await waitUntil(timeout: .seconds(20), "the server to exit") { !process.isRunning }
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)
        }
    }

    /// The same, but a second SIGTERM while the request still waits ends the process at
    /// once, with 128 + SIGTERM, rather than after the graceful-stop timeout.
    @Test func aSecondSIGTERMEndsTheProcessAtOnce() async throws {
        try await withSlowRequestAfterSIGTERM { process, request, lock in
            let second = ContinuousClock.now
            kill(process.processIdentifier, SIGTERM)
            try await waitUntil(timeout: .seconds(10), "the server to exit") { !process.isRunning }
            #expect(ContinuousClock.now - second < .seconds(5))
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 128 + SIGTERM)
            let answer = try await request.readUntilClosed(deadline: .seconds(5))
            #expect(request.closedByServer)
            #expect(!answer.hasPrefix("HTTP/1.1 200"))
            try await lock.release()
        }
    }

    /// After SIGTERM the server drains before it stops accepting: `/readyz` is 503, and a
    /// keep-alive connection's next request is still answered, with `Connection: close`, and
    /// the connection then closed, so a load balancer never sends a request on a connection
    /// the server is closing. Then the process exits 0.
    @Test func SIGTERMDrainsKeepAliveConnectionsBeforeStopping() async throws {
        let database = try await TestDatabase.shared.createMigratedDatabase("drain")
        let port = try freePort()
        let (process, pipe) = try start(["serve", "--port", "\(port)"], database: database,
                                        environment: ["AGORA_SHUTDOWN_DRAIN": "8"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await waitUntil("the server to answer") {
            (try? await httpStatus("http://127.0.0.1:\(port)/healthz")) == 200
        }
        let kept = try RawConnection(port: port)
        try kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let before = try await kept.readResponse()
        #expect(before.hasPrefix("HTTP/1.1 200"))
        #expect(!before.lowercased().contains("connection: close"))
        let refused = try RawConnection(port: port)
        try refused.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        _ = try await refused.readResponse()
        // Idle through the whole drain, and never closed by this client.
        let idle = try RawConnection(port: port)
        try idle.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        _ = try await idle.readResponse()

        let signalled = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("/readyz to say the server is stopping") {
            (try? await httpStatus("http://127.0.0.1:\(port)/readyz")) == 503
        }
        try kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let during = try await kept.readUntilClosed(deadline: .seconds(5))
        #expect(during.hasPrefix("HTTP/1.1 200"), "\(during.prefix(200))")
        #expect(during.lowercased().contains("connection: close"))
        #expect(kept.closedByServer)
        // A POST refused before its body is read (no token) still gets its whole answer.
        let body = #"{"name": "Drained", "country": "KE", "constituency": "ngo"}"#
        try refused.send("POST /organisations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
        let refusal = try await refused.readUntilClosed(deadline: .seconds(5))
        #expect(refusal.hasPrefix("HTTP/1.1 401"), "\(refusal.prefix(200))")
        #expect(refusal.lowercased().contains("connection: close"))
        #expect(refusal.hasSuffix("}"), "the whole problem body: \(refusal)")
        // When the drain ends, the idle connection gets an end of stream (no request is lost on
        // it unanswered), and the server exits although this client never closes.
        let rest = try await idle.readUntilClosed(deadline: .seconds(20))
        #expect(idle.closedByServer)
        #expect(rest.isEmpty)
        try await waitUntil(timeout: .seconds(30), "the server to exit") { !process.isRunning }
        #expect(ContinuousClock.now - signalled >= .seconds(8), "the listener stayed open for the drain")
        #expect(process.terminationStatus == 0)
        _ = pipe
    }

    /// A graceful stop that outlasts `AGORA_SHUTDOWN_TIMEOUT` (the request still waits on the
    /// lock) is cut short: the work in flight is cancelled and the process ends on its own,
    /// with no second signal, while the lock is still held.
    @Test func aGracefulStopThatOutlastsItsTimeoutIsCutShort() async throws {
        try await withSlowRequestAfterSIGTERM(shutdownTimeout: 1) { process, request, lock in
            try await waitUntil(timeout: .seconds(15), "the server to give up waiting") { !process.isRunning }
            // It ends as a process that stopped itself, not a crash and not the second-signal exit:
            // the cancelled request ends in an answer, and then everything stops in order.
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus != 128 + SIGTERM, "it ended by its timeout, not by a second signal")
            let answer = try await request.readUntilClosed(deadline: .seconds(5))
            #expect(!answer.hasPrefix("HTTP/1.1 200"), "the request could not have finished: \(answer.prefix(100))")
            try await lock.release()
        }
    }

    /// A session holding `LOCK TABLE organisation`, so that reading organisations waits.
    private final class TableLock: Sendable {
        let pool: PostgresConnectionPool
        private let holder: Task<Void, any Error>
        private let release_ = AsyncStream<Void>.makeStream()

        init(database: String) async throws {
            pool = PostgresConnectionPool(configuration: .init(connectionString: database), logger: TestDatabase.logger)
            let (locked, lockedContinuation) = AsyncStream<Void>.makeStream()
            let releases = release_.stream
            holder = Task { [pool] in
                // Finished whatever happens, so a failure to lock cannot leave init waiting.
                defer { lockedContinuation.finish() }
                try await pool.withTransaction { connection in
                    try await connection.execute("LOCK TABLE organisation IN ACCESS EXCLUSIVE MODE")
                    lockedContinuation.yield()
                    for await _ in releases { break }
                }
            }
            var isLocked = false
            for await _ in locked {
                isLocked = true
                break
            }
            guard isLocked else {
                try await holder.value
                throw CommandTestError("the table could not be locked")
            }
        }

        /// Ends the locking transaction and waits until it is over.
        func release() async throws {
            release_.continuation.yield()
            release_.continuation.finish()
            try await holder.value
        }

        func close() async {
            release_.continuation.finish()
            _ = try? await holder.value
            await pool.close()
        }
    }

    /// Starts `agora serve` (`shutdownTimeout` seconds to stop gracefully), sends
    /// `GET /organisations` while the table is locked, waits until that request waits on the
    /// lock, sends SIGTERM and waits until the listener is closed (after the drain); then
    /// hands over.
    private func withSlowRequestAfterSIGTERM(
        shutdownTimeout: Int = 60,
        _ body: (Process, RawConnection, TableLock) async throws -> Void
    ) async throws {
        let database = try await TestDatabase.shared.createMigratedDatabase("sigterm")
        let port = try freePort()
        let (process, pipe) = try start(["serve", "--port", "\(port)"], database: database,
                                        environment: ["AGORA_SHUTDOWN_TIMEOUT": "\(shutdownTimeout)"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await waitUntil("the server to answer") {
            (try? await httpStatus("http://127.0.0.1:\(port)/healthz")) == 200
        }
        let lock = try await TableLock(database: database)
        do {
            let request = try RawConnection(port: port)
            try request.send("GET /organisations HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            try await waitUntil("the request to wait on the lock") {
                try await !lock.pool.query("""
                    SELECT 1 FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%organisation%'
                    """).isEmpty
            }
            kill(process.processIdentifier, SIGTERM)
            try await waitUntil("the listener to close") { (try? RawConnection(port: port)) == nil }
            #expect(process.isRunning, "the server waits for the request in flight")
            #expect(request.isOpen())
            try await body(process, request, lock)
        } catch {
            await lock.close()
            throw error
        }
        await lock.close()
        _ = pipe
    }

    private func freePort() throws -> Int {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A GET over a plain socket on loopback, enough to read the status line. It never blocks
    /// a thread: the suites share the concurrency pool with servers under test.
    private func httpStatus(_ url: String) async throws -> Int {
        let components = URLComponents(string: url)!
        let connection = try RawConnection(port: components.port!)
        try connection.send("GET \(components.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let answer = try await connection.readUntilClosed(deadline: .seconds(5))
        guard answer.hasPrefix("HTTP/1.1 "), let status = Int(answer.dropFirst(9).prefix(3)) else {
            throw CommandTestError("no HTTP answer")
        }
        return status
    }
}

struct CommandTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
