import Foundation
import PostgresClient
import Testing
import TestSupport

@Suite("Connection pool, cancellation and timeouts")
struct PoolTests {
    static let database = SuiteDatabase("pool")

    @Test func waitingForAFullPoolTimesOutWithAClearError() async throws {
        try await withPool(Self.database, maximumConnections: 1, acquireTimeout: .milliseconds(200)) { (pool: PostgresConnectionPool) async throws in
            let (held, holding) = AsyncStream.makeStream(of: Void.self)
            let (release, releasing) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await pool.withConnection { _ in
                    holding.yield()
                    for await _ in release { break }
                }
            }
            for await _ in held { break }
            let started = ContinuousClock.now
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(error?.code == .poolTimeout)
            #expect(ContinuousClock.now - started >= .milliseconds(200))
            releasing.finish()
            try await holder.value
            // Once released, the connection serves the next caller.
            #expect(try await pool.query("SELECT 1 AS one")[0].decode("one", as: Int.self) == 1)
        }
    }

    @Test func neverMoreConnectionsThanTheMaximum() async throws {
        let applicationName = "pool-maximum-probe"
        let pool = PostgresConnectionPool(
            // 30 statements queue for 3 connections: on a loaded CI machine that outlasted the
            // default 5 s wait once; the test is about the maximum, not the wait.
            configuration: .init(connectionString: try await Self.database.url.value, maximumConnections: 3, acquireTimeout: .seconds(60),
                                 applicationName: applicationName),
            logger: TestDatabase.logger
        )
        let peak = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    // Each statement counts the pool's sessions while the others are running.
                    try await pool.query("""
                        SELECT count(*)::int AS n FROM pg_stat_activity, pg_sleep(0.01) WHERE application_name = \(applicationName)
                        """)[0].decode("n", as: Int.self)
                }
            }
            return try await group.reduce(0) { max($0, $1) }
        }
        #expect(peak == 3)
        #expect(pool.statistics.connections == 3)
        await pool.close()
    }

    @Test func aConnectionKilledByTheServerIsReplacedOnNextUse() async throws {
        try await withPool(Self.database, maximumConnections: 1) { (pool: PostgresConnectionPool) async throws in
            let firstPID = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)
            try await withPool(Self.database, maximumConnections: 1) { (admin: PostgresConnectionPool) async throws in
                _ = try await admin.query("SELECT pg_terminate_backend(\(firstPID))")
                try await waitUntil("the backend to exit") {
                    try await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = \(firstPID)").isEmpty
                }
            }
            let secondPID = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)
            #expect(secondPID != firstPID)
            #expect(pool.statistics.connections == 1)
        }
    }

    @Test func aStatementMeetingASessionTheServerJustEndedStillRuns() async throws {
        try await withPool(Self.database, maximumConnections: 1) { (pool: PostgresConnectionPool) async throws in
            try await withPool(Self.database, maximumConnections: 1) { (admin: PostgresConnectionPool) async throws in
                for round in 0..<5 {
                    let pid = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)
                    _ = try await admin.query("SELECT pg_terminate_backend(\(pid))")
                    // No waiting: the statement may meet the session before, while or after it ends.
                    let answer = try await pool.query("SELECT \(round)::int AS round")[0].decode("round", as: Int.self)
                    #expect(answer == round)
                }
            }
        }
    }

    @Test func cancellingTheTaskCancelsTheRunningStatement() async throws {
        try await withPool(Self.database, maximumConnections: 2) { (pool: PostgresConnectionPool) async throws in
            let sleeper = Task { try await pool.query("SELECT pg_sleep(30) AS sleeping_probe") }
            try await waitUntil("the statement to run") {
                !(try await pool.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE '%sleeping_probe%' AND state = 'active' AND pid <> pg_backend_pid()").isEmpty)
            }
            let started = ContinuousClock.now
            sleeper.cancel()
            let result = await sleeper.result
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(throws: PostgresError.self) { try result.get() }
            #expect((try? result.get()) == nil)
            if case .failure(let error as PostgresError) = result { #expect(error.code == .queryCancelled) }
            // The connection is still in step with the server.
            #expect(try await pool.query("SELECT 2 AS two")[0].decode("two", as: Int.self) == 2)
        }
    }

    @Test func aQueryTimeoutCancelsTheStatement() async throws {
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            let error = await #expect(throws: PostgresError.self) {
                try await pool.query(PostgresQuery("SELECT pg_sleep(30)").timeout(.milliseconds(100)))
            }
            #expect(error?.code == .statementTimeout)
            #expect(try await pool.query("SELECT 3 AS three")[0].decode("three", as: Int.self) == 3)
        }
    }

    /// The timeout covers preparing too: a statement whose prepare waits (on a table another
    /// session holds locked) times out as a statement timeout, and the pool works on.
    @Test func aQueryTimeoutCoversItsPrepare() async throws {
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            let table = "prepare_lock_" + UUID().uuidString.prefix(8).lowercased()
            try await pool.withConnection { try await $0.unsafeSimpleQuery("CREATE TABLE \(table) (id int)") }
            try await pool.withTransaction { holder in
                try await holder.unsafeSimpleQuery("LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE")
                let error = await #expect(throws: PostgresError.self) {
                    try await pool.query(PostgresQuery(stringLiteral: "SELECT count(*) AS n FROM \(table)").timeout(.milliseconds(100)))
                }
                #expect(error?.code == .statementTimeout)
            }
            #expect(try await pool.query(PostgresQuery(stringLiteral: "SELECT count(*) AS n FROM \(table)"))[0].decode("n", as: Int.self) == 0)
            try await pool.withConnection { try await $0.unsafeSimpleQuery("DROP TABLE \(table)") }
        }
    }

    @Test func aStatementACancelWasAskedForGivesItsConnectionUpSoALateCancelCannotHitTheNext() async throws {
        try await withPool(Self.database, maximumConnections: 1) { (pool: PostgresConnectionPool) async throws in
            let before = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int32.self)
            _ = await #expect(throws: PostgresError.self) {
                try await pool.query(PostgresQuery("SELECT pg_sleep(30)").timeout(.milliseconds(100)))
            }
            let after = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int32.self)
            #expect(after != before)
        }
    }

    @Test func aPoolStatementTimeoutAppliesToEveryStatement() async throws {
        try await withPool(Self.database, statementTimeout: .milliseconds(100)) { (pool: PostgresConnectionPool) async throws in
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT pg_sleep(30)") }
            #expect(error?.code == .statementTimeout)
        }
    }

    @Test func aClosedPoolRefusesWork() async throws {
        let pool = try await Self.database.pool()
        _ = try await pool.query("SELECT 1")
        await pool.close()
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.code == .poolClosed)
    }

    @Test func anUnreachableServerIsAConnectionFailure() async throws {
        let pool = PostgresConnectionPool(
            configuration: .init(connectionString: "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"),
            logger: TestDatabase.logger
        )
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.code == .connectionFailed)
        #expect(pool.statistics.connections == 0)
        await pool.close()
    }
}
