import Crypto
import Foundation
import PostgresClient

/// What a request with an `Idempotency-Key` finds.
public enum IdempotencyClaim: Sendable, Equatable {
    /// First use of the key (or a take-over of an abandoned claim): answer the request, writing
    /// the answer with this claim (``IdempotencyStore/complete(account:key:claim:status:headers:body:on:)``).
    case claimed(UUID)
    /// The key answered this same request before: send the stored answer again.
    case replay(status: Int, headers: [String: String], body: Data)
    /// The first request with this key is still being answered.
    case inProgress
    /// The key was used for a different request.
    case mismatch
}

/// The answer to a creating request with an `Idempotency-Key`, written in the transaction of
/// the change it answers: a crash can then neither keep the change without its answer (so a
/// retry would meet "in progress" forever, or create it twice once the claim looked abandoned)
/// nor the answer without its change.
///
/// The API sets ``writer`` around the request; each creating store method offers what it
/// created with ``offer(_:on:)`` at the end of its transaction, and the writer turns it into the
/// stored answer on that same connection.
public enum IdempotentAnswer {
    /// Writes the answer to `value` with `connection`, inside its transaction.
    public struct Writer: Sendable {
        let write: @Sendable (Any, PostgresConnection) async throws -> Void
        /// A writer.
        public init(_ write: @escaping @Sendable (Any, PostgresConnection) async throws -> Void) {
            self.write = write
        }
    }

    /// The writer of the request being answered, if it carries a key.
    @TaskLocal public static var writer: Writer?

    /// Called by a creating store method with what it returns, before its transaction commits.
    public static func offer(_ value: Any, on connection: PostgresConnection) async throws {
        guard let writer else { return }
        try await writer.write(value, connection)
    }
}

/// Idempotency keys of creating POSTs, per account, kept at least 24 hours.
public struct IdempotencyStore: Sendable {
    private let pool: PostgresConnectionPool

    /// How long keys are kept.
    public static let retention: Duration = .seconds(24 * 3600)
    /// A claim unanswered this long is taken as abandoned (its server stopped mid-request).
    /// Safe to claim again: an answer is written with its change, so an unanswered claim means
    /// the change never committed.
    public static let abandonedAfter: Duration = .seconds(60)

    /// A store over `pool`.
    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// What identifies a request for its key: SHA-256 of method, path and body.
    public static func requestHash(method: String, path: String, body: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: Data("\(method) \(path)\n".utf8))
        hasher.update(data: body)
        return Data(hasher.finalize())
    }

    /// Claims `key` for a request whose method, path and body hash to `requestHash`. The
    /// primary key makes two concurrent first uses impossible: one claims, the other sees it
    /// in progress.
    public func claim(account: UUID, key: String, requestHash: Data) async throws -> IdempotencyClaim {
        let retention = Self.retention.components.seconds
        let abandoned = Self.abandonedAfter.components.seconds
        return try await pool.withTransaction { connection in
            // Expired keys, and claims whose request never finished, may be claimed again.
            try await connection.execute("""
                DELETE FROM idempotency_key WHERE account_id = \(account) AND key = \(key)
                  AND (created_at < now() - make_interval(secs => \(Double(retention)))
                       OR (status IS NULL AND created_at < now() - make_interval(secs => \(Double(abandoned)))))
                """)
            // The key's holder may release it between our INSERT and our SELECT (it was refused):
            // then the key is free again, so try again; a key that keeps changing hands is in progress.
            for _ in 0..<3 {
                let inserted = try await connection.query("""
                    INSERT INTO idempotency_key (account_id, key, request_hash) VALUES (\(account), \(key), \(requestHash))
                    ON CONFLICT DO NOTHING RETURNING claim
                    """)
                if let claim = inserted.first { return .claimed(try claim.decode("claim", as: UUID.self)) }
                guard let row = try await connection.query("""
                    SELECT request_hash, status, headers, body FROM idempotency_key WHERE account_id = \(account) AND key = \(key)
                    """).first else { continue }
                return try Self.existing(row, requestHash: requestHash)
            }
            return .inProgress
        }
    }

    /// What a key already claimed means for a request with `requestHash`.
    private static func existing(_ row: PostgresRow, requestHash: Data) throws -> IdempotencyClaim {
        guard try row.decode("request_hash", as: Data.self) == requestHash else { return .mismatch }
        guard let status = try row.decode("status", as: Int?.self) else { return .inProgress }
        return .replay(status: status,
                       headers: try row.decode("headers", as: PostgresJSON<[String: String]>.self).value,
                       body: try row.decode("body", as: Data.self))
    }

    /// Stores the answer of a request that changed nothing (a refusal answered 2xx, or a store
    /// that offered no answer in its transaction), if the claim is still this request's.
    public func complete(account: UUID, key: String, claim: UUID, status: Int, headers: [String: String], body: Data) async throws {
        try await pool.withConnection { connection in
            _ = try await Self.complete(account: account, key: key, claim: claim, status: status, headers: headers, body: body, on: connection)
        }
    }

    /// Stores the answer of a claimed key with `connection`, in the transaction of the change.
    /// Returns false, writing nothing, when the claim is no longer this request's (it was taken
    /// over as abandoned, or already answered): the caller must then not commit its change.
    public static func complete(account: UUID, key: String, claim: UUID, status: Int, headers: [String: String], body: Data,
                                on connection: PostgresConnection) async throws -> Bool {
        try await connection.execute("""
            UPDATE idempotency_key SET status = \(status), headers = \(PostgresJSON(headers))::jsonb, body = \(body)
            WHERE account_id = \(account) AND key = \(key) AND claim = \(claim) AND status IS NULL
            """) == 1
    }

    /// Deletes keys past their retention (kept at least ``retention``); returns how many.
    @discardableResult
    public func purge(now: Date = Date()) async throws -> Int {
        try await pool.execute("""
            DELETE FROM idempotency_key WHERE created_at < \(now.addingTimeInterval(-Double(Self.retention.components.seconds)))
            """)
    }

    /// Gives up a claim whose request failed, so a retry can run it again (only this request's
    /// claim, and only while unanswered).
    public func release(account: UUID, key: String, claim: UUID) async throws {
        try await pool.execute("""
            DELETE FROM idempotency_key WHERE account_id = \(account) AND key = \(key) AND claim = \(claim) AND status IS NULL
            """)
    }
}
