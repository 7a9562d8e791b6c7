import Crypto
import Foundation
import Logging
import PostgresClient

/// One forward-only schema change: a file `SQL/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    /// The number before the underscore; files apply in this order.
    public var version: Int
    /// The rest of the file name, without `.sql`.
    public var name: String
    /// The file's SQL, run as one transaction.
    public var sql: String
    /// SHA-256 of the file, hex; a changed file is refused once applied.
    public var checksum: String

    /// Creates a migration from its parts; the checksum is computed from `sql`.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Why migrating failed.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, naming the file.
    public var description: String
}

/// Applies the files of `SQL/` in order, each once, each in its own transaction, recorded with
/// its checksum in `agora_migrations`.
///
/// Two processes migrating at once take turns on a PostgreSQL advisory lock, so no file is
/// applied twice; the second finds nothing left to do.
public struct Migrator: Sendable {
    /// The migrations known to this build, in order.
    public let migrations: [Migration]
    private let pool: PostgresConnectionPool
    private let logger: Logger

    /// An arbitrary constant naming Agora's migration lock among advisory locks.
    static let advisoryLockKey: Int64 = 0x4147_4F52_415F_4D49 // "AGORA_MI"

    /// Creates a migrator for `migrations` (see ``loadMigrations(from:)``).
    public init(pool: PostgresConnectionPool, migrations: [Migration], logger: Logger) {
        self.pool = pool
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Reads `NNNN_name.sql` files from `directory`.
    public static func loadMigrations(from directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
        var migrations = [Migration]()
        for file in files {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw MigrationError(description: "\(file): a migration file is named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        let versions = migrations.map(\.version)
        if Set(versions).count != versions.count {
            throw MigrationError(description: "two migration files share a version number")
        }
        return migrations.sorted { $0.version < $1.version }
    }

    /// Where the SQL files are: `AGORA_SQL_DIR`, else `SQL/` in the working directory, else
    /// the `SQL/` of the source checkout this binary was built from.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let configured = environment["AGORA_SQL_DIR"] { return URL(fileURLWithPath: configured) }
        let local = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("SQL")
        if FileManager.default.fileExists(atPath: local.path) { return local }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SQL")
    }

    /// The migrations not yet applied. Throws if an applied file has changed or the database
    /// has a migration this build does not know.
    public func pending() async throws -> [Migration] {
        try await pool.withConnection { connection in
            try await pendingMigrations(on: connection)
        }
    }

    /// Throws, naming them, when migrations are pending: a server must not run on a schema
    /// older than its code.
    public func requireUpToDate() async throws {
        let pending = try await pending()
        guard pending.isEmpty else {
            let names = pending.map { "\($0.version)_\($0.name)" }.joined(separator: ", ")
            throw MigrationError(description: "the database has \(pending.count) pending migration(s) (\(names)); run `agora migrate`, or start with --migrate")
        }
    }

    /// Applies every pending migration and returns those it applied.
    @discardableResult
    public func migrate() async throws -> [Migration] {
        try await pool.withConnection { connection in
            // A migration (or the wait for another migrator) may take longer than the pool's
            // statement timeout, which is meant for requests; back to it afterwards.
            try await connection.unsafeSimpleQuery("SET statement_timeout = 0")
            try await connection.execute("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
            do {
                let applied = try await applyPending(on: connection)
                try await connection.execute("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
                try await connection.unsafeSimpleQuery("RESET statement_timeout")
                return applied
            } catch {
                // If unlocking fails too, the lock ends with the session when the pool closes it.
                _ = try? await connection.execute("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
                _ = try? await connection.unsafeSimpleQuery("RESET statement_timeout")
                throw error
            }
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [Migration] {
        try await connection.unsafeSimpleQuery("""
            CREATE TABLE IF NOT EXISTS agora_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let pending = try await pendingMigrations(on: connection)
        for migration in pending {
            logger.info("applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            do {
                try await connection.withTransaction { connection in
                    try await connection.unsafeSimpleQuery(migration.sql)
                    try await connection.execute("""
                        INSERT INTO agora_migrations (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                        """)
                }
            } catch {
                throw MigrationError(description: "migration \(migration.version)_\(migration.name).sql failed: \(error)")
            }
        }
        return pending
    }

    private func pendingMigrations(on connection: PostgresConnection) async throws -> [Migration] {
        let exists = try await connection.query("SELECT to_regclass('agora_migrations') IS NOT NULL AS present")
        guard try exists[0].decode("present", as: Bool.self) else { return migrations }
        let rows = try await connection.query("SELECT version, name, checksum FROM agora_migrations ORDER BY version")
        var applied = [Int: String]()
        for row in rows {
            let version = try row.decode("version", as: Int.self)
            applied[version] = try row.decode("checksum", as: String.self)
            guard let known = migrations.first(where: { $0.version == version }) else {
                let name = try row.decode("name", as: String.self)
                throw MigrationError(description: "the database has migration \(version)_\(name), which this build does not know")
            }
            if known.checksum != applied[version] {
                throw MigrationError(description: "\(known.version)_\(known.name).sql changed after it was applied (checksum differs); add a new migration instead")
            }
        }
        return migrations.filter { applied[$0.version] == nil }
    }
}
