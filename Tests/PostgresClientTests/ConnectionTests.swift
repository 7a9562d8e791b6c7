import Foundation
import Logging
import PostgresClient
import Synchronization
import Testing
import TestSupport

@Suite("Statements, errors and transactions")
struct ConnectionTests {
    static let database = SuiteDatabase("statements")

    @Test func serverErrorsCarryAStableCodeAndLeakNoValues() async throws {
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            try await pool.execute("CREATE TABLE IF NOT EXISTS unique_probe (email text PRIMARY KEY)")
            let secret = "person-\(UUID())@example.org"
            try await pool.execute("INSERT INTO unique_probe VALUES (\(secret))")
            let error = await #expect(throws: PostgresError.self) {
                try await pool.execute("INSERT INTO unique_probe VALUES (\(secret))")
            }
            #expect(error?.code == .uniqueViolation)
            #expect(error?.sqlState == "23505")
            #expect(error?.constraint == "unique_probe_pkey")
            #expect(error?.description.contains(secret) == false)
            #expect(error?.debugDescription.contains(secret) == true) // the server's detail, for debugging only
        }
    }

    @Test func checkAndForeignKeyViolationsHaveTheirCodes() async throws {
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            let check = await #expect(throws: PostgresError.self) { try await pool.execute("SELECT 1/0") }
            #expect(check?.code == .invalidData)
            let syntax = await #expect(throws: PostgresError.self) { try await pool.execute("SELEC 1") }
            #expect(syntax?.code == .syntaxOrAccess)
            // The connection stays usable after errors.
            #expect(try await pool.query("SELECT 1 AS one")[0].decode("one", as: Int.self) == 1)
        }
    }

    @Test func aRepeatedStatementIsPreparedOnce() async throws {
        try await withPool(Self.database, maximumConnections: 1) { (pool: PostgresConnectionPool) async throws in
            for value in 0..<5 {
                _ = try await pool.query("SELECT \(value)::int + 1 AS next")
            }
            let count = try await pool.query("""
                SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = 'SELECT $1::int + 1 AS next'
                """)[0].decode("n", as: Int.self)
            #expect(count == 1)
        }
    }

    @Test func aTransactionThatThrowsIsRolledBack() async throws {
        struct Abort: Error {}
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            try await pool.execute("CREATE TABLE IF NOT EXISTS rollback_probe (id uuid PRIMARY KEY)")
            let kept = UUID()
            let discarded = UUID()
            try await pool.withTransaction { try await $0.execute("INSERT INTO rollback_probe VALUES (\(kept))") }
            await #expect(throws: Abort.self) {
                try await pool.withTransaction { connection in
                    try await connection.execute("INSERT INTO rollback_probe VALUES (\(discarded))")
                    throw Abort()
                }
            }
            let ids = try await pool.query("SELECT id FROM rollback_probe WHERE id IN (\(kept), \(discarded))").map { try $0.decode("id", as: UUID.self) }
            #expect(ids == [kept])
            #expect(pool.statistics.leased == 0)
        }
    }

    @Test func aSerializationFailureRetriesTheWholeTransaction() async throws {
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            try await pool.execute("CREATE TABLE IF NOT EXISTS counter_probe (id int PRIMARY KEY, value int NOT NULL)")
            try await pool.execute("INSERT INTO counter_probe VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET value = 0")
            let attempts = Mutex(0)
            try await pool.withRetryingTransaction(isolation: .repeatableRead) { connection in
                let attempt = attempts.withLock { $0 += 1; return $0 }
                // Take the snapshot, then let a concurrent transaction change the row (first attempt only).
                _ = try await connection.query("SELECT value FROM counter_probe WHERE id = 1")
                if attempt == 1 {
                    try await pool.execute("UPDATE counter_probe SET value = value + 1 WHERE id = 1")
                }
                try await connection.execute("UPDATE counter_probe SET value = value + 10 WHERE id = 1")
            }
            #expect(attempts.withLock { $0 } == 2)
            #expect(try await pool.query("SELECT value FROM counter_probe WHERE id = 1")[0].decode("value", as: Int.self) == 11)
        }
    }

    final class Attempts: Sendable {
        let count = Mutex(0)
    }

    /// Locks row `first`, waits until the other transaction has locked the other row, then asks
    /// for it: PostgreSQL breaks the cycle by failing one of the two with 40P01.
    private static func transfer(_ pool: PostgresConnectionPool, first: Int, second: Int, attempts: Attempts,
                                 locked: AsyncStream<Void>.Continuation, otherLocked: AsyncStream<Void>) async throws {
        var round = 0
        try await pool.withRetryingTransaction(isolation: .readCommitted) { connection in
            round += 1
            attempts.count.withLock { $0 += 1 }
            try await connection.execute("SET LOCAL deadlock_timeout = '50ms'")
            try await connection.execute("UPDATE deadlock_probe SET value = value + 1 WHERE id = \(first)")
            if round == 1 {
                locked.yield()
                for await _ in otherLocked { break }
            }
            try await connection.execute("UPDATE deadlock_probe SET value = value + 1 WHERE id = \(second)")
        }
    }

    @Test func aDeadlockRetriesTheTransactionThatLost() async throws {
        try await withPool(Self.database, maximumConnections: 3) { (pool: PostgresConnectionPool) async throws in
            try await pool.execute("CREATE TABLE IF NOT EXISTS deadlock_probe (id int PRIMARY KEY, value int NOT NULL)")
            try await pool.execute("INSERT INTO deadlock_probe VALUES (1, 0), (2, 0) ON CONFLICT (id) DO UPDATE SET value = 0")
            let attempts = Attempts()
            let (firstLocked, firstLocks) = AsyncStream.makeStream(of: Void.self)
            let (secondLocked, secondLocks) = AsyncStream.makeStream(of: Void.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await Self.transfer(pool, first: 1, second: 2, attempts: attempts, locked: firstLocks, otherLocked: secondLocked) }
                group.addTask { try await Self.transfer(pool, first: 2, second: 1, attempts: attempts, locked: secondLocks, otherLocked: firstLocked) }
                try await group.waitForAll()
            }
            #expect(attempts.count.withLock { $0 } == 3) // one of the two ran twice
            let total = try await pool.query("SELECT sum(value)::int AS total FROM deadlock_probe")[0].decode("total", as: Int.self)
            #expect(total == 4) // both committed exactly once
        }
    }

    @Test func notRetryableErrorsAreNotRetried() async throws {
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            let attempts = Mutex(0)
            await #expect(throws: PostgresError.self) {
                try await pool.withRetryingTransaction { connection in
                    attempts.withLock { $0 += 1 }
                    try await connection.execute("SELECT 1/0")
                }
            }
            #expect(attempts.withLock { $0 } == 1)
        }
    }

    @Test func serverNoticesGoToTheLogger() async throws {
        let store = RecordingLogHandler.Store()
        let logger = RecordingLogHandler.logger(into: store)
        try await withPool(Self.database, logger: logger) { (pool: PostgresConnectionPool) async throws in
            try await pool.unsafeSimpleQueryOnce("DO $$ BEGIN RAISE NOTICE 'agenda draft saved'; END $$")
        }
        #expect(store.all.contains { $0.1.contains("agenda draft saved") })
    }
}

extension PostgresConnectionPool {
    func unsafeSimpleQueryOnce(_ sql: String) async throws {
        try await withConnection { try await $0.unsafeSimpleQuery(sql) }
    }
}
