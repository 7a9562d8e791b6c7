import PostgresClient

/// Whether the database answers, for readiness checks.
public struct HealthStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// Runs a trivial statement; throws if the database does not answer within `timeout`.
    public func ping(timeout: Duration) async throws {
        try await pool.query(PostgresQuery("SELECT 1").timeout(timeout))
    }
}
