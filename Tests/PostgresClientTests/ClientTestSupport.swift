import Foundation
import Logging
import PostgresClient
import Synchronization
import TestSupport

/// A suite's own database, created (cloned from the migrated template) on first use.
struct SuiteDatabase: Sendable {
    let url: Task<String, any Error>

    init(_ label: String) {
        url = Task { try await TestDatabase.shared.createMigratedDatabase(label) }
    }

    /// A new pool on the suite's database.
    func pool(
        maximumConnections: Int = 4,
        acquireTimeout: Duration = .seconds(5),
        statementTimeout: Duration? = nil,
        logger: Logger = TestDatabase.logger
    ) async throws -> PostgresConnectionPool {
        PostgresConnectionPool(
            configuration: PostgresConfiguration(
                connectionString: try await url.value,
                maximumConnections: maximumConnections,
                acquireTimeout: acquireTimeout,
                statementTimeout: statementTimeout
            ),
            logger: logger
        )
    }
}

/// Runs `body` with a fresh pool and closes the pool afterwards, whatever happens.
func withPool<Result>(
    _ database: SuiteDatabase,
    maximumConnections: Int = 4,
    acquireTimeout: Duration = .seconds(5),
    statementTimeout: Duration? = nil,
    logger: Logger = TestDatabase.logger,
    _ body: (PostgresConnectionPool) async throws -> Result
) async throws -> Result {
    let pool = try await database.pool(
        maximumConnections: maximumConnections, acquireTimeout: acquireTimeout,
        statementTimeout: statementTimeout, logger: logger
    )
    do {
        let result = try await body(pool)
        await pool.close()
        return result
    } catch {
        await pool.close()
        throw error
    }
}

