import Agora
import Foundation
import PostgresClient

/// A forum subscription, as its owner sees it (never with its address's codes).
public struct Subscription: Sendable, Codable, Equatable {
    public let id: UUID
    public let forum: UUID
    public let channel: String
    /// The webhook URL (webhook subscriptions only: an e-mail address is never shown back).
    public let url: String?
    public let language: String
    public let confirmed: Bool
    public let createdAt: Date
    public let endedAt: Date?
    public let endedBecause: String?
}

/// A new webhook subscription with its signing secret, shown once.
public struct CreatedSubscription: Sendable {
    public let subscription: Subscription
    public let secret: String
}

/// Forum subscriptions: anyone by e-mail with double opt-in, systems by signed webhook.
public struct SubscriptionStore: Sendable {
    /// At most one confirmation e-mail per address in this time, whatever forum and however
    /// often someone subscribes it: the form cannot be used to flood a mailbox.
    public static let confirmationInterval: TimeInterval = 3600
    /// An address that ended a subscription it never confirmed ("not me") gets no confirmation
    /// for that forum again for this long.
    public static let declinedQuiet: TimeInterval = 30 * 86400
    /// How long a confirmation code holds.
    public static let confirmationLifetime: TimeInterval = 7 * 86400

    let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// Subscribes `address` to the forum's notices, or finds its live subscription; a
    /// confirmation e-mail goes out (at most one per ``confirmationInterval``) while it is not
    /// confirmed. Nil when there is no such public forum. The answer is the same whether the
    /// address was already subscribed or not, so nobody learns who is.
    public func subscribe(email address: String, to forum: UUID, language: String, now: Date = Date(), requestID: String?) async throws -> Bool? {
        try await mapViolations { try await pool.withTransaction { connection -> Bool? in
            guard !(try await connection.query("SELECT 1 FROM forum WHERE id = \(forum) AND status <> 'draft' FOR SHARE")).isEmpty else { return nil }
            // Subscribing one address twice at once: the second waits here for the first.
            try await connection.execute("SELECT pg_advisory_xact_lock(hashtext(\(forum.uuidString + "|" + address.lowercased())))")
            let existing = try await connection.query("""
                SELECT id, confirmed_at IS NOT NULL AS confirmed FROM subscription
                WHERE forum_id = \(forum) AND channel = 'email' AND lower(address) = lower(\(address)) AND ended_at IS NULL
                """).first
            let id: UUID
            if let existing {
                if try existing.decode("confirmed", as: Bool.self) { return true }
                id = try existing.decode("id")
                guard try await Self.mayAskToConfirm(address, forum: forum, now: now, on: connection) else { return true }
            } else {
                guard try await Self.mayAskToConfirm(address, forum: forum, now: now, on: connection) else { return true }
                id = try await connection.query("""
                    INSERT INTO subscription (forum_id, channel, address, language) VALUES (\(forum), 'email', \(address), \(language)) RETURNING id
                    """)[0].decode("id", as: UUID.self)
                try await AuditLog.record(
                    AuditChange(action: "subscription.create", objectType: "subscription", objectID: id.uuidString,
                                after: ["forum": .string(forum.uuidString), "channel": .string("email"), "language": .string(language)]),
                    by: Actor(accountID: nil, tokenName: nil, grants: []), requestID: requestID, on: connection)
            }
            try await Outbox.subscriptionConfirm(id, on: connection)
            return true
        } }
    }

    /// Subscribes a webhook owned by the caller's account; the answer carries its signing
    /// secret, shown this once. Nil when there is no such public forum.
    public func subscribe(webhook url: String, to forum: UUID, language: String, by actor: Actor, requestID: String?) async throws -> CreatedSubscription? {
        guard let owner = actor.accountID else { throw Refusal(.unauthenticated, "A webhook subscription belongs to an account: send a token.") }
        let secret = "whsec_" + Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()
        return try await mapViolations { try await pool.withTransaction { connection -> CreatedSubscription? in
            guard !(try await connection.query("SELECT 1 FROM forum WHERE id = \(forum) AND status <> 'draft' FOR SHARE")).isEmpty else { return nil }
            let row = try await connection.query("""
                INSERT INTO subscription (forum_id, channel, url, language, owner_account, secret, confirmed_at)
                VALUES (\(forum), 'webhook', \(url), \(language), \(owner), \(secret), now())
                RETURNING \(unsafeRaw: Self.columns)
                """)[0]
            let subscription = try Self.subscription(row)
            try await AuditLog.record(
                AuditChange(action: "subscription.create", objectType: "subscription", objectID: subscription.id.uuidString,
                            after: ["forum": .string(forum.uuidString), "channel": .string("webhook"), "url": .string(url), "language": .string(language)]),
                by: actor, requestID: requestID, on: connection)
            let created = CreatedSubscription(subscription: subscription, secret: secret)
            try await IdempotentAnswer.offer(Optional(created) as Any, on: connection)
            return created
        } }
    }

    /// Confirms an e-mail subscription with the code its confirmation e-mail carried.
    public func confirm(_ id: UUID, code: String, now: Date = Date(), requestID: String?) async throws -> Subscription {
        try await pool.withTransaction { connection in
            guard try await Self.holds(code, purposes: ["confirm"], for: id, now: now, on: connection) else { throw Refusal.invalidCode }
            let row = try await connection.query("""
                UPDATE subscription SET confirmed_at = coalesce(confirmed_at, \(now)) WHERE id = \(id) AND ended_at IS NULL
                RETURNING \(unsafeRaw: Self.columns)
                """)
            guard let row = row.first else { throw Refusal.invalidCode }
            try await connection.execute("DELETE FROM subscription_code WHERE subscription_id = \(id) AND purpose = 'confirm'")
            try await AuditLog.record(
                AuditChange(action: "subscription.confirm", objectType: "subscription", objectID: id.uuidString, after: ["confirmed": .bool(true)]),
                by: Actor(accountID: nil, tokenName: nil, grants: []), requestID: requestID, on: connection)
            return try Self.subscription(row)
        }
    }

    /// Ends a subscription, by one of its codes (an unsubscribe link, or the confirmation code
    /// of someone who never asked for it) or by its owner (or the secretariat). Nil when there
    /// is no live subscription the caller may end: a wrong code and an unknown id look alike.
    public func end(_ id: UUID, code: String?, by actor: Actor, now: Date = Date(), requestID: String?) async throws -> Subscription? {
        try await pool.withTransaction { connection in
            guard let row = try await connection.query("SELECT owner_account FROM subscription WHERE id = \(id) AND ended_at IS NULL FOR UPDATE").first else {
                return nil
            }
            let owner = try row.decode("owner_account", as: UUID?.self)
            let mayEnd: Bool
            if let code {
                mayEnd = try await Self.holds(code, purposes: ["unsubscribe", "confirm"], for: id, now: now, on: connection)
            } else {
                mayEnd = (owner != nil && owner == actor.accountID) || actor.grants.contains { $0.role == .secretariat }
            }
            guard mayEnd else { return nil }
            let ended = try await connection.query("""
                UPDATE subscription SET ended_at = \(now), ended_because = 'unsubscribed' WHERE id = \(id) RETURNING \(unsafeRaw: Self.columns)
                """)[0]
            try await connection.execute("DELETE FROM subscription_code WHERE subscription_id = \(id)")
            try await connection.execute("""
                UPDATE notice SET state = 'cancelled', last_error = 'unsubscribed', updated_at = \(now)
                WHERE recipient_subscription = \(id) AND state IN ('pending', 'retry')
                """)
            try await AuditLog.record(
                AuditChange(action: "subscription.end", objectType: "subscription", objectID: id.uuidString, after: ["endedBecause": .string("unsubscribed")]),
                by: actor, requestID: requestID, on: connection)
            return try Self.subscription(ended)
        }
    }

    /// A subscription its owner (or the secretariat) may read; nil otherwise.
    public func subscription(_ id: UUID, by actor: Actor) async throws -> Subscription? {
        guard let row = try await pool.query("""
            SELECT \(unsafeRaw: Self.columns), owner_account FROM subscription WHERE id = \(id)
            """).first else { return nil }
        let owner = try row.decode("owner_account", as: UUID?.self)
        guard (owner != nil && owner == actor.accountID) || actor.grants.contains(where: { $0.role == .secretariat }) else { return nil }
        return try Self.subscription(row)
    }

    /// Whether a confirmation e-mail may go to `address` now: none went to it in the last
    /// ``confirmationInterval`` (any forum), and it did not decline this forum lately.
    static func mayAskToConfirm(_ address: String, forum: UUID, now: Date, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("""
            SELECT 1 FROM notice n JOIN subscription s ON s.id = n.recipient_subscription
            WHERE lower(s.address) = lower(\(address)) AND n.kind = 'subscription.confirm'
              AND n.created_at > \(now.addingTimeInterval(-confirmationInterval))
            UNION ALL
            SELECT 1 FROM subscription
            WHERE lower(address) = lower(\(address)) AND forum_id = \(forum) AND confirmed_at IS NULL
              AND ended_because = 'unsubscribed' AND ended_at > \(now.addingTimeInterval(-declinedQuiet))
            LIMIT 1
            """).isEmpty
    }

    static func holds(_ code: String, purposes: [String], for id: UUID, now: Date, on connection: PostgresConnection) async throws -> Bool {
        !(try await connection.query("""
            SELECT 1 FROM subscription_code
            WHERE code_hash = \(TokenSecret.hash(code)) AND subscription_id = \(id) AND purpose = ANY(\(purposes))
              AND (expires_at IS NULL OR expires_at > \(now))
            """)).isEmpty
    }

    static let columns = "id, forum_id, channel, url, language, confirmed_at, created_at, ended_at, ended_because"

    static func subscription(_ row: PostgresRow) throws -> Subscription {
        Subscription(id: try row.decode("id"), forum: try row.decode("forum_id"), channel: try row.decode("channel"), url: try row.decode("url"),
                     language: try row.decode("language"), confirmed: try row.decode("confirmed_at", as: Date?.self) != nil,
                     createdAt: try row.decode("created_at"), endedAt: try row.decode("ended_at"), endedBecause: try row.decode("ended_because"))
    }
}
