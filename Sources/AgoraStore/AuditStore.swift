import Agora
import Foundation
import PostgresClient

/// An audit entry as read back.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var account: UUID?
    public var tokenName: String?
    /// The actor's role (`secretariat`, `bureau`, …), what public readers see instead of the account.
    public var actorRole: String?
    public var action: String
    public var objectType: String
    public var objectID: String
    public var before: [String: JSONValue]?
    public var after: [String: JSONValue]?
    public var requestID: String?
    public var isPublic: Bool

    /// The entry as the public reads it: the actor's role, not the account, token or request.
    public var publicView: AuditEntry {
        var entry = self
        entry.account = nil
        entry.tokenName = nil
        entry.requestID = nil
        return entry
    }
}

/// What to look for in the audit log.
public struct AuditFilter: Sendable {
    public var objectType: String?
    public var objectID: String?
    public var account: UUID?
    public var since: Date?
    public var until: Date?
    /// Only entries marked public (what callers other than the secretariat see).
    public var onlyPublic: Bool
    public init(objectType: String? = nil, objectID: String? = nil, account: UUID? = nil, since: Date? = nil, until: Date? = nil, onlyPublic: Bool) {
        self.objectType = objectType
        self.objectID = objectID
        self.account = account
        self.since = since
        self.until = until
        self.onlyPublic = onlyPublic
    }
}

/// Reads the audit log, newest first.
public struct AuditStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// At most `limit` entries matching `filter`, older than entry `before` (a page's end).
    public func entries(_ filter: AuditFilter, limit: Int, before: Int64?) async throws -> [AuditEntry] {
        try await pool.query("""
            SELECT id, at, account_id, token_name, actor_role, action, object_type, object_id, before, after, request_id, public
            FROM audit_entry
            WHERE (\(filter.objectType)::text IS NULL OR object_type = \(filter.objectType)::text)
              AND (\(filter.objectID)::text IS NULL OR object_id = \(filter.objectID)::text)
              AND (\(filter.account)::uuid IS NULL OR account_id = \(filter.account)::uuid)
              AND (\(filter.since)::timestamptz IS NULL OR at >= \(filter.since)::timestamptz)
              AND (\(filter.until)::timestamptz IS NULL OR at < \(filter.until)::timestamptz)
              \(unsafeRaw: filter.onlyPublic ? "AND public" : "") -- literal, so a generic plan still uses the partial index
              AND (\(before)::bigint IS NULL OR id < \(before)::bigint)
            ORDER BY id DESC LIMIT \(limit)
            """).map { row in
            AuditEntry(
                id: try row.decode("id"), at: try row.decode("at"), account: try row.decode("account_id"),
                tokenName: try row.decode("token_name"), actorRole: try row.decode("actor_role"), action: try row.decode("action"),
                objectType: try row.decode("object_type"), objectID: try row.decode("object_id"),
                before: try row.decode("before", as: PostgresJSON<[String: JSONValue]>?.self)?.value,
                after: try row.decode("after", as: PostgresJSON<[String: JSONValue]>?.self)?.value,
                requestID: try row.decode("request_id"), isPublic: try row.decode("public"))
        }
    }
}
