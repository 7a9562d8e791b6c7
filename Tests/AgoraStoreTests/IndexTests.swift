import Foundation
import PostgresClient
import Testing
import TestSupport

/// The per-request queries that had no index have one the planner can use (issue 9). Tables
/// in a test database are tiny, so sequential scans are switched off: what is left is the
/// index the plan would use on a full table, and the test names it.
@Suite("Per-request queries have their index")
struct IndexTests {
    static let database = Task { try await TestDatabase.shared.createMigratedDatabase("indexes") }

    private func plan(_ query: PostgresQuery) async throws -> String {
        let pool = PostgresConnectionPool(configuration: .init(connectionString: try await Self.database.value), logger: TestDatabase.logger)
        do {
            let plan = try await pool.withTransaction { connection in
                try await connection.execute("SET LOCAL enable_seqscan = off")
                return try await connection.query(query).map { try $0.decode("QUERY PLAN", as: String.self) }.joined(separator: "\n")
            }
            await pool.close()
            return plan
        } catch {
            await pool.close()
            throw error
        }
    }

    @Test func nominationsOfAPersonByTheCallersNetworks() async throws {
        let plan = try await plan("""
            EXPLAIN SELECT 1 FROM nomination WHERE person_id = \(UUID()) AND network_id = ANY(\([UUID()])) AND withdrawn_at IS NULL LIMIT 1
            """)
        #expect(plan.contains("nomination_person"), "\(plan)")
    }

    @Test func publicAuditEntriesNewestFirst() async throws {
        let plan = try await plan("EXPLAIN SELECT id FROM audit_entry WHERE public AND id < \(Int64(1_000)) ORDER BY id DESC LIMIT 50")
        #expect(plan.contains("audit_entry_public"), "\(plan)")
    }

    @Test func organisationsByName() async throws {
        let plan = try await plan("EXPLAIN SELECT id FROM organisation WHERE (name, id) > (\("M"), \(UUID())) ORDER BY name, id LIMIT 50")
        #expect(plan.contains("organisation_name"), "\(plan)")
    }

    @Test func accountsOfAPerson() async throws {
        let plan = try await plan("EXPLAIN SELECT id FROM account WHERE person_id = \(UUID())")
        #expect(plan.contains("account_person"), "\(plan)")
    }
}
