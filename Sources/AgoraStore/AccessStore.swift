import Agora
import Crypto
import Foundation
import PostgresClient

/// An API token as listed: everything but the secret, which is never stored.
public struct TokenInfo: Codable, Sendable, Equatable {
    public var id: UUID
    public var accountID: UUID
    public var name: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    public var revokedAt: Date?
}

/// Where a page of tokens ends.
public struct TokenPosition: Codable, Sendable {
    public var createdAt: Date
    public var id: UUID
    public init(createdAt: Date, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }
}

/// A newly issued token: the only moment its secret exists outside the caller's hands.
public struct IssuedToken: Sendable {
    /// What is stored.
    public var info: TokenInfo
    /// `agora_…`: show it once, then forget it.
    public var secret: String
}

/// What a valid token stands for, as the authenticator caches it.
public struct AuthenticatedToken: Sendable, Equatable {
    public var tokenID: UUID
    public var actor: Actor
    public var expiresAt: Date?
}

/// Token secrets: random, prefixed, compared by SHA-256 hash.
public enum TokenSecret {
    /// The prefix every token starts with, so a leaked one is recognisable.
    public static let prefix = "agora_"

    /// A new secret: 32 random bytes from the system's cryptographic generator, base64url.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + encoded
    }

    /// The stored form of a secret.
    public static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }
}

/// Why an access change was refused.
public struct AccessStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}

/// Accounts, their roles, and their API tokens.
public struct AccessStore: Sendable {
    /// The channel on which revoked token hashes are announced, so every server drops them
    /// from its cache at once.
    public static let revocationChannel = "agora_token_revoked"

    private let pool: PostgresConnectionPool

    /// A store over `pool`.
    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// Creates an account holding `grants`.
    public func createAccount(name: String, email: String? = nil, grants: Set<RoleGrant>, by actor: Actor, requestID: String? = nil) async throws -> UUID {
        guard grants.allSatisfy(\.isWellFormed) else {
            throw AccessStoreError(description: "a network role needs a network, an organisation role an organisation, other roles neither")
        }
        return try await mapViolations { try await pool.withTransaction { connection in
            let id = try await connection.query("INSERT INTO account (name, email) VALUES (\(name), \(email)) RETURNING id")[0].decode("id", as: UUID.self)
            for grant in grants {
                try await connection.execute("""
                    INSERT INTO account_role (account_id, role, network_id, organisation_id)
                    VALUES (\(id), \(grant.role.rawValue), \(grant.network), \(grant.organisation))
                    """)
            }
            let roles = JSONValue.array(grants.map { .string($0.role.rawValue) }.sorted { "\($0)" < "\($1)" })
            try await AuditLog.record(
                AuditChange(action: "account.create", objectType: "account", objectID: id.uuidString,
                            after: ["name": .string(name), "email": email.map(JSONValue.string) ?? .null, "roles": roles],
                            personalFields: ["email"]),
                by: actor, requestID: requestID, on: connection
            )
            return id
        } }
    }

    /// Issues a token for `account`; the returned secret is never stored.
    public func issueToken(account: UUID, name: String, expiresAt: Date? = nil, by actor: Actor, requestID: String? = nil) async throws -> IssuedToken {
        let secret = TokenSecret.generate()
        let hash = TokenSecret.hash(secret)
        return try await pool.withTransaction { connection in
            let row = try await connection.query("""
                INSERT INTO api_token (account_id, name, token_hash, expires_at)
                VALUES (\(account), \(name), \(hash), \(expiresAt))
                RETURNING \(unsafeRaw: Self.tokenColumns)
                """)[0]
            let info = try Self.tokenInfo(row)
            try await AuditLog.record(
                AuditChange(action: "token.create", objectType: "token", objectID: info.id.uuidString,
                            after: ["account": .string(account.uuidString), "name": .string(name),
                                    "expiresAt": expiresAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null]),
                by: actor, requestID: requestID, on: connection
            )
            return IssuedToken(info: info, secret: secret)
        }
    }

    /// The account and roles behind a token hash, if the token is valid now (not revoked,
    /// not expired).
    public func authenticate(tokenHash: Data) async throws -> AuthenticatedToken? {
        let rows = try await pool.query("""
            SELECT t.id, t.account_id, t.name, t.expires_at, r.role, r.network_id, r.organisation_id
            FROM api_token t LEFT JOIN account_role r ON r.account_id = t.account_id
            WHERE t.token_hash = \(tokenHash) AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
            """)
        guard let first = rows.first else { return nil }
        var grants = Set<RoleGrant>()
        for row in rows {
            guard let roleName = try row.decode("role", as: String?.self), let role = Role(rawValue: roleName) else { continue }
            var grant = RoleGrant(role)
            grant.network = try row.decode("network_id")
            grant.organisation = try row.decode("organisation_id")
            grants.insert(grant)
        }
        return AuthenticatedToken(
            tokenID: try first.decode("id"),
            actor: Actor(accountID: try first.decode("account_id"), tokenName: try first.decode("name"), grants: grants),
            expiresAt: try first.decode("expires_at")
        )
    }

    /// The tokens of `account`, newest first: at most `limit`, after the token `after` (the
    /// last one of the previous page).
    public func tokens(account: UUID, limit: Int = 200, after: TokenPosition? = nil) async throws -> [TokenInfo] {
        if let after {
            return try await pool.query("""
                SELECT \(unsafeRaw: Self.tokenColumns) FROM api_token
                WHERE account_id = \(account) AND (created_at, id) < (\(after.createdAt), \(after.id))
                ORDER BY created_at DESC, id DESC LIMIT \(limit)
                """).map(Self.tokenInfo)
        }
        return try await pool.query("""
            SELECT \(unsafeRaw: Self.tokenColumns) FROM api_token WHERE account_id = \(account)
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """).map(Self.tokenInfo)
    }

    /// Revokes token `id` of `account` and returns its hash; every server drops it from its
    /// cache when the transaction commits (NOTIFY is delivered at commit). Returns nil if there
    /// is no such token of that account (or it was revoked already).
    @discardableResult
    public func revokeToken(_ id: UUID, account: UUID, by actor: Actor, requestID: String? = nil) async throws -> Data? {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                UPDATE api_token SET revoked_at = now()
                WHERE id = \(id) AND account_id = \(account) AND revoked_at IS NULL
                RETURNING token_hash, encode(token_hash, 'hex') AS hash_hex
                """)
            guard let row = rows.first else { return nil }
            try await connection.execute("SELECT pg_notify(\(Self.revocationChannel), \(try row.decode("hash_hex", as: String.self)))")
            try await AuditLog.record(
                AuditChange(action: "token.revoke", objectType: "token", objectID: id.uuidString,
                            before: ["revoked": .bool(false)], after: ["revoked": .bool(true)]),
                by: actor, requestID: requestID, on: connection
            )
            return try row.decode("token_hash", as: Data.self)
        }
    }

    /// Records that a token was used (called now and then, not on every request).
    public func touchToken(_ id: UUID) async throws {
        try await pool.execute("UPDATE api_token SET last_used_at = now() WHERE id = \(id)")
    }

    private static let tokenColumns = "id, account_id, name, created_at, expires_at, last_used_at, revoked_at"

    private static func tokenInfo(_ row: PostgresRow) throws -> TokenInfo {
        TokenInfo(id: try row.decode("id"), accountID: try row.decode("account_id"), name: try row.decode("name"),
                  createdAt: try row.decode("created_at"), expiresAt: try row.decode("expires_at"),
                  lastUsedAt: try row.decode("last_used_at"), revokedAt: try row.decode("revoked_at"))
    }
}
