import AgoraStore
import Foundation
import Logging
import PostgresClient

/// Databases for tests on the PostgreSQL server that `make test` starts
/// (`AGORA_TEST_DATABASE_URL`). Every suite gets its own database, so suites run in parallel
/// without sharing state; migrated ones are cloned from a template migrated once per process.
public actor TestDatabase {
    /// The process-wide instance.
    public static let shared = TestDatabase()

    /// The template's creation, started once; later callers await the same task (an actor is
    /// reentrant across `await`, so a flag would let two callers create it).
    private var template: Task<String, any Error>?
    private var counter = 0

    /// The server's connection string, from `AGORA_TEST_DATABASE_URL`.
    public nonisolated static var serverURL: String {
        guard let url = ProcessInfo.processInfo.environment["AGORA_TEST_DATABASE_URL"] else {
            fatalError("AGORA_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL")
        }
        return url
    }

    /// A logger for tests: warnings and above.
    public nonisolated static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    /// The connection string of `database` on the test server.
    public nonisolated static func url(of database: String) -> String {
        var components = URLComponents(string: serverURL)!
        components.path = "/" + database
        return components.string!
    }

    /// Creates an empty database and returns its connection string.
    public func createEmptyDatabase(_ label: String) async throws -> String {
        let name = nextName(label)
        try await Self.adminCommand("CREATE DATABASE \(name)")
        return Self.url(of: name)
    }

    /// Creates a database with every migration applied and returns its connection string.
    public func createMigratedDatabase(_ label: String) async throws -> String {
        let template = try await migratedTemplate()
        let name = nextName(label)
        try await Self.adminCommand("CREATE DATABASE \(name) TEMPLATE \(template)")
        return Self.url(of: name)
    }

    private func migratedTemplate() async throws -> String {
        if let template { return try await template.value }
        let task = Task { try await Self.createTemplate() }
        template = task
        return try await task.value
    }

    private static func createTemplate() async throws -> String {
        let name = "agora_template_\(getpid())"
        try await adminCommand("CREATE DATABASE \(name)")
        let pool = PostgresConnectionPool(configuration: .init(connectionString: Self.url(of: name), maximumConnections: 1), logger: Self.logger)
        do {
            let migrations = try Migrator.loadMigrations(from: Migrator.defaultDirectory())
            try await Migrator(pool: pool, migrations: migrations, logger: Self.logger).migrate()
        } catch {
            await pool.close()
            throw error
        }
        // A template must have no open sessions when it is cloned.
        await pool.close()
        return name
    }

    private func nextName(_ label: String) -> String {
        counter += 1
        let safe = label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(30)
        return "t_\(safe)_\(getpid())_\(counter)"
    }

    private static func adminCommand(_ sql: String) async throws {
        let pool = PostgresConnectionPool(configuration: .init(connectionString: serverURL, maximumConnections: 1), logger: logger)
        do {
            try await pool.withConnection { try await $0.unsafeSimpleQuery(sql) }
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}

/// Waits for `condition` to hold, checking every few milliseconds, failing after `timeout`.
/// Tests wait for events this way instead of sleeping a fixed time.
public func waitUntil(
    timeout: Duration = .seconds(10),
    _ description: String = "condition",
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TimeoutError(description: "timed out waiting for \(description)")
}

/// A wait in a test ran out of time.
public struct TimeoutError: Error, CustomStringConvertible {
    public var description: String
}
