import Agora
import AgoraStore
import Foundation
import PostgresClient
import Testing
import TestSupport

@Suite("Accounts, tokens and the audit log")
struct AccessStoreTests {
    static let database = Task { try await TestDatabase.shared.createMigratedDatabase("access") }

    private func withPool(_ body: (PostgresConnectionPool) async throws -> Void) async throws {
        let pool = PostgresConnectionPool(configuration: .init(connectionString: try await Self.database.value), logger: TestDatabase.logger)
        do { try await body(pool) } catch { await pool.close(); throw error }
        await pool.close()
    }

    @Test func aTokenIsStoredOnlyAsItsHashAndAuthenticatesItsAccount() async throws {
        try await withPool { pool in
            let store = AccessStore(pool: pool)
            let account = try await store.createAccount(name: "Secretariat desk", grants: [RoleGrant(.secretariat)], by: .commandLine)
            let issued = try await store.issueToken(account: account, name: "laptop", by: .commandLine)
            #expect(issued.secret.hasPrefix("agora_"))
            #expect(issued.secret.count >= 6 + 43) // 32 random bytes in base64url

            let stored = try await pool.query("SELECT token_hash FROM api_token WHERE id = \(issued.info.id)")[0].decode("token_hash", as: Data.self)
            #expect(stored == TokenSecret.hash(issued.secret))
            let leaked = try await pool.query("SELECT count(*)::int AS n FROM api_token WHERE position(\(issued.secret) IN name) > 0")[0].decode("n", as: Int.self)
            #expect(leaked == 0)

            let authenticated = try #require(try await store.authenticate(tokenHash: TokenSecret.hash(issued.secret)))
            #expect(authenticated.actor.accountID == account)
            #expect(authenticated.actor.tokenName == "laptop")
            #expect(authenticated.actor.grants == [RoleGrant(.secretariat)])
            #expect(try await store.authenticate(tokenHash: TokenSecret.hash(issued.secret + "x")) == nil)
        }
    }

    @Test func expiredAndRevokedTokensDoNotAuthenticate() async throws {
        try await withPool { pool in
            let store = AccessStore(pool: pool)
            let account = try await store.createAccount(name: "Bureau member", grants: [RoleGrant.bureau("Economic and Social Council")], by: .commandLine)
            let expired = try await store.issueToken(account: account, name: "old", expiresAt: Date(timeIntervalSinceNow: -1), by: .commandLine)
            #expect(try await store.authenticate(tokenHash: TokenSecret.hash(expired.secret)) == nil)

            let revoked = try await store.issueToken(account: account, name: "lost phone", by: .commandLine)
            #expect(try await store.revokeToken(revoked.info.id, account: account, by: .commandLine) == TokenSecret.hash(revoked.secret))
            #expect(try await store.authenticate(tokenHash: TokenSecret.hash(revoked.secret)) == nil)
            #expect(try await store.revokeToken(revoked.info.id, account: account, by: .commandLine) == nil)
            let listed = try await store.tokens(account: account)
            #expect(listed.map(\.name) == ["lost phone", "old"])
            #expect(listed.first?.revokedAt != nil)
        }
    }

    @Test func anotherAccountCannotRevokeAToken() async throws {
        try await withPool { pool in
            let store = AccessStore(pool: pool)
            let owner = try await store.createAccount(name: "Owner", grants: [RoleGrant(.participant)], by: .commandLine)
            let other = try await store.createAccount(name: "Other", grants: [RoleGrant(.participant)], by: .commandLine)
            let token = try await store.issueToken(account: owner, name: "mine", by: .commandLine)
            #expect(try await store.revokeToken(token.info.id, account: other, by: .commandLine) == nil)
            #expect(try await store.authenticate(tokenHash: TokenSecret.hash(token.secret)) != nil)
        }
    }

    @Test func scopedRolesNeedTheirScope() async throws {
        try await withPool { pool in
            await #expect(throws: Refusal.self) {
                _ = try await AccessStore(pool: pool).createAccount(name: "Focal point", grants: [RoleGrant(.network)], by: .commandLine)
            }
        }
    }

    @Test func everyChangeWritesAnAuditEntryWithPersonalDataRedacted() async throws {
        try await withPool { pool in
            let store = AccessStore(pool: pool)
            let account = try await store.createAccount(name: "Ama Mensah", email: "ama@example.org", grants: [RoleGrant(.participant)], by: .commandLine, requestID: "req-1")
            let token = try await store.issueToken(account: account, name: "phone", by: .commandLine, requestID: "req-2")
            _ = try await store.revokeToken(token.info.id, account: account, by: .commandLine, requestID: "req-3")

            let entries = try await pool.query("""
                SELECT action, object_id, token_name, request_id, after::text AS after FROM audit_entry
                WHERE request_id IN ('req-1', 'req-2', 'req-3') ORDER BY id
                """)
            #expect(try entries.map { try $0.decode("action", as: String.self) } == ["account.create", "token.create", "token.revoke"])
            #expect(try entries[0].decode("object_id", as: String.self) == account.uuidString)
            #expect(try entries[0].decode("token_name", as: String.self) == "command line")
            let after = try entries[0].decode("after", as: String.self)
            #expect(after.contains("[redacted]"))
            #expect(!after.contains("ama@example.org"))
            #expect(try entries[2].decode("object_id", as: String.self) == token.info.id.uuidString)
        }
    }

    @Test func anEntryCommitsOrRollsBackWithItsChange() async throws {
        struct Abort: Error {}
        try await withPool { pool in
            await #expect(throws: Abort.self) {
                try await pool.withTransaction { connection in
                    try await AuditLog.record(AuditChange(action: "probe.change", objectType: "probe", objectID: "1"),
                                              by: .commandLine, requestID: "req-rolled-back", on: connection)
                    throw Abort()
                }
            }
            let count = try await pool.query("SELECT count(*)::int AS n FROM audit_entry WHERE request_id = 'req-rolled-back'")[0].decode("n", as: Int.self)
            #expect(count == 0)
        }
    }
}
