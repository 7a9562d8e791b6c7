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

    private func start(_ arguments: [String], database: String) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
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
        #expect(try await httpStatus("http://127.0.0.1:\(port)/readyz") == 200)
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("the server to stop") { !process.isRunning }
        _ = pipe
        #expect(process.terminationStatus == 0)
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

    /// A GET over a plain socket on loopback, enough to read the status line.
    private func httpStatus(_ url: String) async throws -> Int {
        let components = URLComponents(string: url)!
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(components.port!).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw CommandTestError("not listening yet") }
        let request = "GET \(components.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(socket, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(socket, &buffer, buffer.count, 0)
        let line = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
        guard line.hasPrefix("HTTP/1.1 "), let status = Int(line.dropFirst(9).prefix(3)) else {
            throw CommandTestError("no HTTP answer")
        }
        return status
    }
}

struct CommandTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
