import Agora
import AgoraStore
import Foundation
import PostgresClient
import Testing
import TestSupport

@Suite("Mail opt-outs in the database")
struct MailOptOutStoreTests {
    /// Ten clicks on one link at once (a mail client and its reader, a scanner posting again):
    /// one opt-out, one audit entry, and every click answered with it.
    @Test func clicksAtOnceMakeOneOptOut() async throws {
        let url = try await TestDatabase.shared.createMigratedDatabase("optout")
        let pool = PostgresConnectionPool(configuration: .init(connectionString: url, maximumConnections: 10), logger: TestDatabase.logger)
        let store = MailOptOutStore(pool: pool)
        let code = try #require(try await store.mintCode(for: "Reader@Example.org"))
        let receipts = try await withThrowingTaskGroup(of: MailOptOutReceipt?.self) { group in
            for _ in 0..<10 { group.addTask { try await store.optOut(code: code, requestID: nil) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(receipts.count == 10 && receipts.allSatisfy { $0 != nil })
        #expect(Set(receipts.compactMap { $0?.optedOutAt }).count == 1)
        // An e-mail claimed before the click gets no code, so it is not sent; an invitation does.
        #expect(try await store.mintCode(for: "READER@example.org") == nil)
        #expect(try await store.mintCode(for: "reader@example.org", exempt: true) != nil)
        #expect(try await pool.query("SELECT address FROM mail_opt_out").map { try $0.decode("address", as: String.self) } == ["reader@example.org"])
        #expect(try await pool.query("SELECT 1 FROM audit_entry WHERE action = 'mail_opt_out.create'").count == 1)
        // The audit entry keeps no address.
        #expect(try await pool.query("SELECT 1 FROM audit_entry WHERE after::text ILIKE '%example.org%'").isEmpty)
        await pool.close()
    }

    /// Codes hold for their lifetime: an expired one opts nothing out, and the purge deletes
    /// only expired ones.
    @Test func expiredCodesHoldNothingAndArePurged() async throws {
        let url = try await TestDatabase.shared.createMigratedDatabase("optout-purge")
        let pool = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
        let store = MailOptOutStore(pool: pool)
        let longAgo = Date().addingTimeInterval(-MailOptOutStore.codeLifetime - 60)
        let old = try #require(try await store.mintCode(for: "old@example.org", now: longAgo))
        let fresh = try #require(try await store.mintCode(for: "fresh@example.org"))
        #expect(try await store.optOut(code: old, requestID: nil) == nil)
        #expect(try await store.optOut(code: "agoraout_unknown", requestID: nil) == nil)
        #expect(try await store.purgeExpiredCodes() == 1)
        #expect(try await pool.query("SELECT address FROM mail_opt_out_code").map { try $0.decode("address", as: String.self) } == ["fresh@example.org"])
        #expect(try await store.optOut(code: fresh, requestID: nil) != nil)
        await pool.close()
    }
}
