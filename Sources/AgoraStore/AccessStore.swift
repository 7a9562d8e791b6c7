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
    /// The prefix of invitation codes, which are exchanged for a first token and are not tokens.
    public static let invitationPrefix = "agorainv_"

    /// A new secret: 32 random bytes from the system's cryptographic generator, base64url.
    public static func generate(prefix: String = Self.prefix) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + encoded
    }

    /// Whether `secret` has the shape of a token this server issues (`agora_` and 43 base64url
    /// characters), so a made-up token of another shape costs no database query.
    public static func isWellFormed(_ secret: String) -> Bool {
        guard secret.hasPrefix(prefix) else { return false }
        let body = secret.utf8.dropFirst(prefix.utf8.count)
        return body.count == 43 && body.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    /// The stored form of a secret.
    public static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }
}

/// An account as the secretariat administers it.
public struct Account: Codable, Sendable, Equatable {
    /// The account's id.
    public var id: UUID
    /// Who holds it (a person, an office).
    public var name: String
    /// Where invitations and notices go; personal data.
    public var email: String?
    /// The roles it holds, in display order.
    public var roles: [RoleGrant]
    /// When it was disabled; nil while its tokens work.
    public var disabledAt: Date?
    /// When it was created.
    public var createdAt: Date
    /// Counts changes, for `ETag` and `If-Match`.
    public var version: Int
}

/// The fields of an account the secretariat can change; nil leaves one as it is.
public struct AccountChanges: Sendable, Equatable {
    /// A new name.
    public var name: String?
    /// A new e-mail address, or `.some(nil)` to clear it.
    public var email: String??
    /// The roles to hold instead of the present ones.
    public var roles: Set<RoleGrant>?
    /// Disable (true) or enable (false) the account.
    public var disabled: Bool?
    /// No change.
    public init() {}
}

/// A one-time invitation code: the only moment it exists outside the account holder's hands
/// (and the notice that e-mails it, see ``AccessStore/issueInvitation(account:lifetime:now:by:requestID:)``).
public struct IssuedInvitation: Sendable, Equatable {
    /// The invitation.
    public var id: UUID
    /// The account it lets in.
    public var account: UUID
    /// `agorainv_…`: shown once.
    public var code: String
    /// After this instant the code no longer redeems.
    public var expiresAt: Date
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

    /// How long an invitation code can be redeemed, unless told otherwise.
    public static let invitationLifetime: TimeInterval = 7 * 24 * 3600

    /// Creates an account holding `grants`.
    public func createAccount(name: String, email: String? = nil, grants: Set<RoleGrant>, by actor: Actor, requestID: String? = nil) async throws -> UUID {
        try await createAccount(name: name, email: email, grants: grants, invitationLifetime: nil, by: actor, requestID: requestID).account.id
    }

    /// A new account and, when asked for, its first invitation (whose code is shown once).
    public struct CreatedAccount: Sendable {
        /// The account as stored.
        public var account: Account
        /// Its first invitation, when one was asked for.
        public var invitation: IssuedInvitation?
    }

    /// Creates an account holding `grants` and, with an `invitationLifetime`, its first
    /// invitation, in one transaction: an account never exists without the code that lets its
    /// holder in.
    public func createAccount(name: String, email: String?, grants: Set<RoleGrant>, invitationLifetime: TimeInterval?, now: Date = Date(),
                              by actor: Actor, requestID: String?) async throws -> CreatedAccount {
        guard grants.allSatisfy(\.isWellFormed) else {
            throw Refusal.invalid("roles", "a network role needs a network, an organisation role an organisation, a body only a bureau role")
        }
        return try await mapViolations { try await pool.withTransaction { connection in
            let id = try await connection.query("INSERT INTO account (name, email) VALUES (\(name), \(email)) RETURNING id")[0].decode("id", as: UUID.self)
            try await Self.insertRoles(grants, of: id, on: connection)
            try await AuditLog.record(
                AuditChange(action: "account.create", objectType: "account", objectID: id.uuidString,
                            after: ["name": .string(name), "email": email.map(JSONValue.string) ?? .null, "roles": Self.rolesJSON(grants)],
                            personalFields: ["email"]),
                by: actor, requestID: requestID, on: connection
            )
            let invitation = try await invitationLifetime.asyncMap {
                try await Self.invite(id, lifetime: $0, now: now, by: actor, requestID: requestID, on: connection)
            }
            let created = CreatedAccount(account: try await Self.account(id, on: connection)!, invitation: invitation)
            try await IdempotentAnswer.offer(created, on: connection)
            return created
        } }
    }

    private static func insertRoles(_ grants: Set<RoleGrant>, of account: UUID, on connection: PostgresConnection) async throws {
        for grant in grants {
            try await connection.execute("""
                INSERT INTO account_role (account_id, role, network_id, organisation_id, body)
                VALUES (\(account), \(grant.role.rawValue), \(grant.network), \(grant.organisation), \(grant.body))
                """)
        }
    }

    private static func rolesJSON(_ grants: some Collection<RoleGrant>) -> JSONValue {
        .array(grants.sorted(by: RoleGrant.displayOrder).map { grant in
            var fields: [String: JSONValue] = ["role": .string(grant.role.rawValue)]
            if let network = grant.network { fields["network"] = .string(network.uuidString) }
            if let organisation = grant.organisation { fields["organisation"] = .string(organisation.uuidString) }
            if let body = grant.body { fields["body"] = .string(body) }
            return .object(fields)
        })
    }

    // MARK: Invitations

    /// Issues a new invitation code for `account`, voiding the open one; nil if there is no
    /// such account. An account with an e-mail address also gets an `account_invited` notice in
    /// the outbox, naming the invitation but holding no code: the scheduler mints its own code
    /// for the e-mail when it sends (``mintDeliveryCode(invitation:now:)``), so no code is
    /// ever stored but as a hash.
    public func issueInvitation(account: UUID, lifetime: TimeInterval = Self.invitationLifetime, now: Date = Date(),
                                by actor: Actor, requestID: String?) async throws -> IssuedInvitation? {
        try await pool.withTransaction { connection in
            guard !(try await connection.query("SELECT 1 FROM account WHERE id = \(account) FOR NO KEY UPDATE")).isEmpty else { return nil }
            return try await Self.invite(account, lifetime: lifetime, now: now, by: actor, requestID: requestID, on: connection)
        }
    }

    private static func invite(_ account: UUID, lifetime: TimeInterval, now: Date, by actor: Actor, requestID: String?,
                               on connection: PostgresConnection) async throws -> IssuedInvitation {
        let voided = try await connection.query("""
            UPDATE account_invitation SET voided_at = now()
            WHERE account_id = \(account) AND redeemed_at IS NULL AND voided_at IS NULL RETURNING id
            """).map { try $0.decode("id", as: UUID.self) }
        let code = TokenSecret.generate(prefix: TokenSecret.invitationPrefix)
        let expiresAt = now.addingTimeInterval(lifetime)
        let id = try await connection.query("""
            INSERT INTO account_invitation (account_id, code_hash, expires_at) VALUES (\(account), \(TokenSecret.hash(code)), \(expiresAt))
            RETURNING id
            """)[0].decode("id", as: UUID.self)
        try await connection.execute("""
            INSERT INTO notice (recipient_account, kind, payload, dedupe_key)
            SELECT a.id, 'account_invited',
                   jsonb_build_object('invitation', \(id.uuidString)::text, 'accountName', a.name, 'email', a.email,
                                      'expiresAt', \(expiresAt)::timestamptz),
                   \("account_invited:\(id.uuidString)")
            FROM account a WHERE a.id = \(account) AND a.email IS NOT NULL
            """)
        try await AuditLog.record(
            AuditChange(action: "account.invite", objectType: "account", objectID: account.uuidString,
                        after: ["invitation": .string(id.uuidString), "expiresAt": .string(ISO8601DateFormatter().string(from: expiresAt)),
                                "voided": .array(voided.map { .string($0.uuidString) })]),
            by: actor, requestID: requestID, on: connection)
        return IssuedInvitation(id: id, account: account, code: code, expiresAt: expiresAt)
    }

    /// A fresh code for e-mailing invitation `invitation`, stored as a hash beside the code the
    /// secretariat was shown; any of them redeems the invitation, once. Minting again (a retried
    /// send) adds a code and keeps the earlier ones, since the reader may keep either copy of
    /// the e-mail (they share a Message-ID). Nil when the invitation is no longer open
    /// (redeemed, voided or expired): there is nothing to send.
    public func mintDeliveryCode(invitation: UUID, now: Date = Date()) async throws -> IssuedInvitation? {
        let code = TokenSecret.generate(prefix: TokenSecret.invitationPrefix)
        guard let row = try await pool.query("""
            WITH open AS (
                SELECT id, account_id, expires_at FROM account_invitation
                WHERE id = \(invitation) AND redeemed_at IS NULL AND voided_at IS NULL AND expires_at > \(now)
            ), minted AS (
                INSERT INTO account_invitation_delivery (code_hash, invitation_id) SELECT \(TokenSecret.hash(code)), id FROM open
            )
            SELECT account_id, expires_at FROM open
            """).first else { return nil }
        return IssuedInvitation(id: invitation, account: try row.decode("account_id"), code: code, expiresAt: try row.decode("expires_at"))
    }

    /// Exchanges an invitation code for the account's first token; nil when the code is
    /// unknown, used, voided or expired, or the account is disabled (the caller cannot tell
    /// which). The code is marked redeemed by the same statement that checks it, so of two
    /// concurrent redemptions exactly one gets a token.
    public func redeemInvitation(code: String, tokenName: String, now: Date = Date()) async throws -> IssuedToken? {
        try await mapViolations { try await pool.withTransaction { connection in
            guard let row = try await connection.query("""
                UPDATE account_invitation i SET redeemed_at = now()
                FROM account a
                WHERE (i.code_hash = \(TokenSecret.hash(code))
                       OR i.id = (SELECT invitation_id FROM account_invitation_delivery WHERE code_hash = \(TokenSecret.hash(code))))
                  AND a.id = i.account_id AND a.disabled_at IS NULL
                  AND i.redeemed_at IS NULL AND i.voided_at IS NULL AND i.expires_at > \(now)
                RETURNING i.id, i.account_id
                """).first else { return nil }
            let invitation = try row.decode("id", as: UUID.self)
            let account = try row.decode("account_id", as: UUID.self)
            let holder = Actor(accountID: account, tokenName: tokenName, grants: try await Self.grants(of: account, on: connection))
            try await AuditLog.record(
                AuditChange(action: "account.invitation.redeem", objectType: "account", objectID: account.uuidString,
                            after: ["invitation": .string(invitation.uuidString)]),
                by: holder, requestID: nil, on: connection)
            return try await Self.issueToken(account: account, name: tokenName, expiresAt: nil, by: holder, requestID: nil, on: connection)
        } }
    }

    // MARK: Administration

    /// Every account with its roles, by name, after `after` (a page's end).
    public func accounts(limit: Int, after: NamePosition?) async throws -> [Account] {
        try await pool.withConnection { connection in
            let rows = try await connection.query("""
                SELECT \(unsafeRaw: Self.accountColumns) FROM account
                WHERE \(after?.name)::text IS NULL OR (name, id) > (\(after?.name)::text, \(after?.id)::uuid)
                ORDER BY name, id LIMIT \(limit)
                """)
            return try await Self.accounts(rows, on: connection)
        }
    }

    /// One account with its roles.
    public func account(_ id: UUID) async throws -> Account? {
        try await pool.withConnection { try await Self.account(id, on: $0) }
    }

    /// Changes an account's name, e-mail, roles or whether it is disabled. A change of roles or
    /// of the disabled state is announced on ``revocationChannel`` at commit, so every server
    /// forgets the account's cached tokens within about a second.
    public func updateAccount(_ id: UUID, _ changes: AccountChanges, expectedVersion: Int?, now: Date = Date(),
                              by actor: Actor, requestID: String?) async throws -> Account {
        if let roles = changes.roles, !roles.allSatisfy(\.isWellFormed) {
            throw Refusal.invalid("roles", "a network role names its network, an organisation role its organisation, only a bureau role a body")
        }
        return try await mapViolations { try await pool.withTransaction { connection in
            guard !(try await connection.query("SELECT 1 FROM account WHERE id = \(id) FOR NO KEY UPDATE")).isEmpty,
                  let before = try await Self.account(id, on: connection) else { throw Refusal.notFound() }
            if let expectedVersion, expectedVersion != before.version { throw Refusal.stale(currentVersion: before.version) }
            var changed = Set<String>()
            if let name = changes.name, name != before.name { changed.insert("name") }
            if let email = changes.email, email != before.email { changed.insert("email") }
            if let roles = changes.roles, roles != Set(before.roles) { changed.insert("roles") }
            if let disabled = changes.disabled, disabled != (before.disabledAt != nil) { changed.insert("disabled") }
            guard !changed.isEmpty else { return before }
            try await connection.execute("""
                UPDATE account SET name = coalesce(\(changes.name), name),
                    email = CASE WHEN \(changed.contains("email")) THEN \(changes.email ?? nil) ELSE email END,
                    disabled_at = CASE WHEN \(changed.contains("disabled")) THEN \(changes.disabled == true ? now : nil)::timestamptz ELSE disabled_at END,
                    version = version + 1, updated_at = now()
                WHERE id = \(id)
                """)
            if let roles = changes.roles, changed.contains("roles") {
                try await connection.execute("DELETE FROM account_role WHERE account_id = \(id)")
                try await Self.insertRoles(roles, of: id, on: connection)
            }
            if changed.contains("roles") || changed.contains("disabled") {
                // Cached tokens carry the old roles or a no longer valid account.
                try await connection.execute("SELECT pg_notify(\(Self.revocationChannel), \(Self.accountNotice(id)))")
            }
            let after = try await Self.account(id, on: connection)!
            try await AuditLog.record(
                AuditChange(action: "account.update", objectType: "account", objectID: id.uuidString,
                            before: Self.snapshot(before, changed), after: Self.snapshot(after, changed), personalFields: ["email"]),
                by: actor, requestID: requestID, on: connection)
            return after
        } }
    }

    /// The payload announcing that an account's cached tokens must be dropped.
    static func accountNotice(_ account: UUID) -> String { "account:" + account.uuidString }

    /// Reads a revocation notification: a token hash or an account.
    public static func revocation(from payload: String) -> Revocation? {
        if payload.hasPrefix("account:") { return UUID(uuidString: String(payload.dropFirst(8))).map(Revocation.account) }
        return Data(hexString: payload).map(Revocation.token)
    }

    /// What a revocation notification names.
    public enum Revocation: Sendable, Equatable {
        /// One token, by hash.
        case token(Data)
        /// Every token of an account (disabled, or its roles changed).
        case account(UUID)
    }

    private static func snapshot(_ account: Account, _ fields: Set<String>) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        if fields.contains("name") { result["name"] = .string(account.name) }
        if fields.contains("email") { result["email"] = account.email.map(JSONValue.string) ?? .null }
        if fields.contains("roles") { result["roles"] = rolesJSON(account.roles) }
        if fields.contains("disabled") { result["disabled"] = .bool(account.disabledAt != nil) }
        return result
    }

    private static let accountColumns = "id, name, email, disabled_at, created_at, version"

    private static func account(_ id: UUID, on connection: PostgresConnection) async throws -> Account? {
        try await accounts(try await connection.query("SELECT \(unsafeRaw: accountColumns) FROM account WHERE id = \(id)"), on: connection).first
    }

    private static func accounts(_ rows: PostgresRows, on connection: PostgresConnection) async throws -> [Account] {
        var accounts = try rows.map { row in
            Account(id: try row.decode("id"), name: try row.decode("name"), email: try row.decode("email"), roles: [],
                    disabledAt: try row.decode("disabled_at"), createdAt: try row.decode("created_at"), version: try row.decode("version"))
        }
        let ids = accounts.map(\.id)
        var grants: [UUID: [RoleGrant]] = [:]
        for row in try await connection.query("""
            SELECT account_id, role, network_id, organisation_id, body FROM account_role WHERE account_id = ANY(\(ids))
            """) {
            guard let grant = try grant(row) else { continue }
            grants[try row.decode("account_id"), default: []].append(grant)
        }
        for index in accounts.indices { accounts[index].roles = (grants[accounts[index].id] ?? []).sorted(by: RoleGrant.displayOrder) }
        return accounts
    }

    private static func grants(of account: UUID, on connection: PostgresConnection) async throws -> Set<RoleGrant> {
        Set(try await connection.query("""
            SELECT role, network_id, organisation_id, body FROM account_role WHERE account_id = \(account)
            """).compactMap(grant))
    }

    private static func grant(_ row: PostgresRow) throws -> RoleGrant? {
        guard let roleName = try row.decode("role", as: String?.self), let role = Role(rawValue: roleName) else { return nil }
        var grant = RoleGrant(role)
        grant.network = try row.decode("network_id")
        grant.organisation = try row.decode("organisation_id")
        grant.body = try row.decode("body")
        return grant
    }

    /// Issues a token for `account`; the returned secret is never stored.
    public func issueToken(account: UUID, name: String, expiresAt: Date? = nil, by actor: Actor, requestID: String? = nil) async throws -> IssuedToken {
        try await pool.withTransaction { connection in
            try await Self.issueToken(account: account, name: name, expiresAt: expiresAt, by: actor, requestID: requestID, on: connection)
        }
    }

    private static func issueToken(account: UUID, name: String, expiresAt: Date?, by actor: Actor, requestID: String?,
                                   on connection: PostgresConnection) async throws -> IssuedToken {
        let secret = TokenSecret.generate()
        let hash = TokenSecret.hash(secret)
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

    /// The account and roles behind a token hash, if the token is valid now (not revoked,
    /// not expired).
    public func authenticate(tokenHash: Data) async throws -> AuthenticatedToken? {
        let rows = try await pool.query("""
            SELECT t.id, t.account_id, t.name, t.expires_at, r.role, r.network_id, r.organisation_id, r.body
            FROM api_token t JOIN account a ON a.id = t.account_id LEFT JOIN account_role r ON r.account_id = t.account_id
            WHERE t.token_hash = \(tokenHash) AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
              AND a.disabled_at IS NULL
            """)
        guard let first = rows.first else { return nil }
        let grants = Set(try rows.compactMap(Self.grant))
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

extension Data {
    init?(hexString: String) {
        guard hexString.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(hexString.count / 2)
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2)
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}

extension Optional {
    /// `map` with an asynchronous transform.
    func asyncMap<Other>(_ transform: (Wrapped) async throws -> Other) async rethrows -> Other? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
