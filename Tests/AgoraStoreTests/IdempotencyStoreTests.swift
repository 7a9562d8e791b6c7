import Agora
import AgoraStore
import Foundation
import PostgresClient
import Testing
import TestSupport

@Suite("Idempotency keys in the database")
struct IdempotencyStoreTests {
    /// A key its holder releases (its request was refused) between a claim's INSERT, which met
    /// it, and the claim's SELECT, which no longer finds it: the key is free, not a server error.
    /// A statement trigger makes that interleaving happen every time, once.
    @Test func aKeyReleasedBetweenTheInsertAndTheReadIsClaimedAfresh() async throws {
        let url = try await TestDatabase.shared.createMigratedDatabase("idempotency")
        let pool = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
        let account = try await AccessStore(pool: pool).createAccount(name: "Racer", grants: [RoleGrant(.secretariat)], by: .commandLine)
        let store = IdempotencyStore(pool: pool)
        let hash = IdempotencyStore.requestHash(method: "POST", path: "/organisations", body: Data("{}".utf8))
        guard case .claimed = try await store.claim(account: account, key: "vanishing", requestHash: hash) else {
            Issue.record("the first claim did not claim")
            return
        }
        try await pool.execute("CREATE TABLE vanished (at timestamptz)")
        try await pool.execute("""
            CREATE FUNCTION vanish() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM vanished) THEN
                    DELETE FROM idempotency_key WHERE key = 'vanishing';
                    INSERT INTO vanished VALUES (now());
                END IF;
                RETURN NULL;
            END $$
            """)
        try await pool.execute("CREATE TRIGGER vanish AFTER INSERT ON idempotency_key FOR EACH STATEMENT EXECUTE FUNCTION vanish()")
        // The INSERT meets the first claim and does nothing; the trigger then releases the key.
        let second = try await store.claim(account: account, key: "vanishing", requestHash: hash)
        guard case .claimed = second else {
            Issue.record("a released key was not claimed again: \(second)")
            return
        }
        let vanished = try await pool.query("SELECT count(*)::int AS n FROM vanished")[0].decode("n", as: Int.self)
        #expect(vanished == 1)
        await pool.close()
    }
}
