import Agora
import Foundation
import PostgresClient

/// An address that asked for no more e-mails, as the secretariat sees it.
public struct MailOptOut: Sendable, Codable, Equatable {
    public let id: UUID
    /// The address, lower case: shown to the secretariat only.
    public let address: String
    public let optedOutAt: Date
}

/// What the reader who followed an e-mail's unsubscribe link is told: no address and nothing
/// of what was waiting for it, since the link may have been forwarded.
public struct MailOptOutReceipt: Sendable, Codable, Equatable {
    public let optedOutAt: Date
}

/// One-click opt-outs of e-mails to people and accounts, whose e-mails and subscription
/// confirmations carry the link (every e-mail has an unsubscribe link; confirmed forum
/// subscriptions end by their own codes, ``SubscriptionStore``). An opted-out address gets
/// no e-mail about anyone's business and no confirmation of a new subscription until the
/// secretariat lifts the opt-out; only an account invitation, which the secretariat asks for
/// and which carries the link again, still goes. Addresses are compared lower case, as
/// PostgreSQL's `lower()` writes them, everywhere.
public struct MailOptOutStore: Sendable {
    /// How long an e-mail's unsubscribe link holds.
    public static let codeLifetime: TimeInterval = 180 * 86400
    /// Why a notice to an opted-out address is not sent (the outbox's `last_error`).
    public static let reason = "the reader opted out of e-mails"

    let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// Mints the unsubscribe code of one e-mail to `address`, kept only as its hash; nil when the
    /// address has opted out, and the e-mail is then not sent (the check and the insert are one
    /// statement). `exempt` mints it anyway (an invitation).
    public func mintCode(for address: String, exempt: Bool = false, now: Date = Date()) async throws -> String? {
        let code = TokenSecret.generate(prefix: "agoraout_")
        let inserted = try await pool.execute("""
            INSERT INTO mail_opt_out_code (code_hash, address, expires_at)
            SELECT \(TokenSecret.hash(code)), lower(\(address)), \(now.addingTimeInterval(Self.codeLifetime))
            WHERE \(exempt) OR NOT EXISTS (SELECT 1 FROM mail_opt_out WHERE address = lower(\(address)))
            """)
        return inserted == 1 ? code : nil
    }

    /// Opts out the address of `code`'s e-mail and cancels the e-mails waiting for its people and
    /// accounts. Following the link again answers the same opt-out. Nil when the code does not
    /// hold (wrong, expired, or its opt-out was lifted): nobody learns whether an address is known.
    public func optOut(code: String, now: Date = Date(), requestID: String?) async throws -> MailOptOutReceipt? {
        try await pool.withTransaction { connection in
            // FOR SHARE: a lift deletes the codes before the opt-out, so it waits for this click
            // and then removes what it made, rather than this click opting out again after it.
            guard let address = try await connection.query("""
                SELECT address FROM mail_opt_out_code WHERE code_hash = \(TokenSecret.hash(code)) AND expires_at > \(now) FOR SHARE
                """).first.map({ try $0.decode("address", as: String.self) }) else { return nil }
            // Two clicks at once: the second waits on the first's row and returns it unchanged
            // (`xmax` is 0 only for a row this statement inserted). A row a lift deleted
            // meanwhile is inserted again: the statement always returns one row.
            let row = try await connection.query("""
                INSERT INTO mail_opt_out (address, opted_out_at) VALUES (\(address), \(now))
                ON CONFLICT (address) DO UPDATE SET address = EXCLUDED.address
                RETURNING id, opted_out_at, (xmax = 0) AS created
                """)[0]
            let optedOutAt = try row.decode("opted_out_at", as: Date.self)
            guard try row.decode("created", as: Bool.self) else { return MailOptOutReceipt(optedOutAt: optedOutAt) }
            let created = try row.decode("id", as: UUID.self)
            try await connection.execute("""
                UPDATE notice SET state = 'cancelled', locked_until = NULL, last_error = \(Self.reason), updated_at = \(now)
                WHERE channel = 'email' AND state IN ('pending', 'retry') AND kind <> \(NoticeKind.accountInvited.rawValue)
                  AND (recipient_person IN (SELECT id FROM person WHERE lower(email) = \(address))
                       OR recipient_account IN (SELECT id FROM account WHERE lower(email) = \(address))
                       OR (kind = \(NoticeKind.subscriptionConfirm.rawValue)
                           AND recipient_subscription IN (SELECT id FROM subscription WHERE lower(address) = \(address))))
                """)
            try await AuditLog.record(
                AuditChange(action: "mail_opt_out.create", objectType: "mail_opt_out", objectID: created.uuidString,
                            after: ["address": .string(address)], personalFields: ["address"]),
                by: .anonymous, requestID: requestID, on: connection)
            return MailOptOutReceipt(optedOutAt: optedOutAt)
        }
    }

    /// The opt-outs, newest first, a page at a time; `address` (any case) finds one address's.
    public func list(address: String?, before: Int64?, limit: Int) async throws -> (optOuts: [MailOptOut], next: Int64?) {
        let rows = try await pool.query("""
            SELECT id, address, opted_out_at, seq FROM mail_opt_out
            WHERE (\(address)::text IS NULL OR address = lower(\(address)))
              AND (\(before)::bigint IS NULL OR seq < \(before))
            ORDER BY seq DESC LIMIT \(limit + 1)
            """)
        let optOuts = try rows.prefix(limit).map(Self.optOut)
        let next = rows.count > limit ? try rows[limit - 1].decode("seq", as: Int64.self) : nil
        return (optOuts, next)
    }

    /// Lifts an opt-out (the reader asked the secretariat for e-mails again); its codes go with
    /// it, so an old link does not opt the address out again by mistake. False when there is none.
    public func lift(_ id: UUID, by actor: Actor, requestID: String?) async throws -> Bool {
        try await pool.withTransaction { connection in
            guard let address = try await connection.query("SELECT address FROM mail_opt_out WHERE id = \(id)").first
                .map({ try $0.decode("address", as: String.self) }) else { return false }
            // The codes first: this waits for a click holding one (``optOut(code:now:requestID:)``).
            try await connection.execute("DELETE FROM mail_opt_out_code WHERE address = \(address)")
            guard try await connection.execute("DELETE FROM mail_opt_out WHERE id = \(id)") == 1 else { return false }
            try await AuditLog.record(
                AuditChange(action: "mail_opt_out.lift", objectType: "mail_opt_out", objectID: id.uuidString,
                            before: ["address": .string(address)], personalFields: ["address"]),
                by: actor, requestID: requestID, on: connection)
            return true
        }
    }

    /// Deletes codes past their lifetime; returns how many.
    public func purgeExpiredCodes(now: Date = Date()) async throws -> Int {
        try await pool.execute("DELETE FROM mail_opt_out_code WHERE expires_at <= \(now)")
    }

    private static func optOut(_ row: PostgresRow) throws -> MailOptOut {
        MailOptOut(id: try row.decode("id"), address: try row.decode("address"), optedOutAt: try row.decode("opted_out_at"))
    }
}
