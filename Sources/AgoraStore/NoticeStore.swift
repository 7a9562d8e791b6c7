import Agora
import Foundation
import PostgresClient

/// One notice claimed for delivery: what it says, where it goes, and the attempt that fences
/// every write about it (``NoticeStore/record(_:)``).
public struct ClaimedNotice: Sendable {
    /// The outbox row.
    public let id: Int64
    /// The webhook-id and e-mail Message-ID: the same for every attempt, so receivers can drop duplicates.
    public let publicID: UUID
    /// This claim's attempt number, which fences every write about it.
    public let attempt: Int
    /// Which try this is since the notice was written or an operator sent it again (1 for the
    /// first): what the retry policy counts.
    public let tries: Int
    public let kind: String
    public let channel: String
    public let language: String
    public let payload: [String: JSONValue]
    public let createdAt: Date
    public let runAt: Date
    /// Whom it is for.
    public let recipient: Recipient
    /// The e-mail address (a person's, an account's or a subscription's); nil when there is none.
    public let address: String?
    /// The recipient's name for the To: header (people and accounts; subscriptions have none).
    public let name: String?
    /// A webhook subscription's URL and signing secret.
    public let webhookURL: String?
    public let webhookSecret: String?

    /// Whom a notice is for.
    public enum Recipient: Sendable, Equatable {
        case person(UUID)
        case account(UUID)
        /// A forum subscription; `live` when confirmed and not ended.
        case subscription(UUID, live: Bool)
    }
}

/// The outcome of one claimed attempt, to be recorded.
public struct NoticeAttemptResult: Sendable {
    public let notice: Int64
    public let attempt: Int
    public let decision: NoticeDecision
    public init(notice: Int64, attempt: Int, decision: NoticeDecision) {
        self.notice = notice
        self.attempt = attempt
        self.decision = decision
    }
}

/// A notice as operators see it (`GET /notices`).
public struct NoticeSummary: Sendable, Codable, Equatable {
    public let id: UUID
    public let kind: String
    public let channel: String
    public let language: String
    public let state: String
    public let attempt: Int
    public let runAt: Date
    public let createdAt: Date
    public let doneAt: Date?
    public let lastError: String?
    /// The recipient's kind and id (`person`, `account` or `subscription`), never an address.
    public let recipientType: String
    public let recipientID: UUID
}

/// The outbox, from the scheduler's side: claiming due notices under a lease, recording each
/// attempt fenced by its number, and what operators read and retry.
public struct NoticeStore: Sendable {
    let pool: PostgresConnectionPool

    /// The store over `pool`.
    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    // MARK: Claiming and recording

    /// Claims up to `limit` notices due at `now` — waiting ones whose time has come, and running
    /// ones whose lease ran out (their scheduler died or stalled) — skipping rows another
    /// scheduler is claiming. Each gets its next attempt number and a lease until `now + lease`.
    /// A notice whose lease ran out on its last allowed attempt is parked as `dead` instead.
    public func claim(now: Date, lease: TimeInterval, limit: Int, maxAttempts: Int) async throws -> [ClaimedNotice] {
        try await pool.withTransaction { connection in
            try await connection.execute("""
                UPDATE notice SET state = 'dead', locked_until = NULL, updated_at = \(now),
                       last_error = 'the lease of the last attempt ran out (the scheduler stopped while sending)'
                WHERE id IN (SELECT id FROM notice WHERE state = 'running' AND locked_until <= \(now) AND attempt - attempt_base >= \(maxAttempts)
                             FOR UPDATE SKIP LOCKED)
                """)
            let rows = try await connection.query("""
                WITH due AS (
                    SELECT id FROM notice
                    WHERE (state IN ('pending', 'retry') AND run_at <= \(now)) OR (state = 'running' AND locked_until <= \(now))
                    ORDER BY run_at, id LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE notice n SET state = 'running', attempt = n.attempt + 1, locked_until = \(now.addingTimeInterval(lease)), updated_at = \(now)
                FROM due WHERE n.id = due.id
                RETURNING n.id, n.public_id, n.attempt, n.attempt - n.attempt_base AS tries, n.kind, n.channel, n.language, n.payload, n.created_at, n.run_at,
                          n.recipient_person, n.recipient_account, n.recipient_subscription
                """)
            return try await Self.addressed(rows, on: connection)
        }
    }

    /// The claimed rows with their addresses, read in one statement.
    private static func addressed(_ rows: PostgresRows, on connection: PostgresConnection) async throws -> [ClaimedNotice] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.decode("id", as: Int64.self) }
        let addresses = try await connection.query("""
            SELECT n.id, coalesce(p.email, a.email, s.address) AS address, coalesce(p.name, a.name) AS name,
                   s.url, s.secret, (s.confirmed_at IS NOT NULL AND s.ended_at IS NULL) AS live
            FROM notice n
            LEFT JOIN person p ON p.id = n.recipient_person
            LEFT JOIN account a ON a.id = n.recipient_account
            LEFT JOIN subscription s ON s.id = n.recipient_subscription
            WHERE n.id = ANY(\(ids))
            """)
        var byID: [Int64: PostgresRow] = [:]
        for row in addresses { byID[try row.decode("id", as: Int64.self)] = row }
        return try rows.map { row in
            let id = try row.decode("id", as: Int64.self)
            guard let address = byID[id] else { throw PostgresDecodingFailure("claimed notice \(id) vanished") }
            let recipient: ClaimedNotice.Recipient = switch try Self.recipient(row) {
            case ("person", let id): .person(id)
            case ("account", let id): .account(id)
            case (_, let id): .subscription(id, live: try address.decode("live", as: Bool?.self) ?? false)
            }
            return ClaimedNotice(
                id: id, publicID: try row.decode("public_id"), attempt: try row.decode("attempt"), tries: try row.decode("tries"), kind: try row.decode("kind"),
                channel: try row.decode("channel"), language: try row.decode("language"),
                payload: try row.decode("payload", as: PostgresJSON<[String: JSONValue]>.self).value,
                createdAt: try row.decode("created_at"), runAt: try row.decode("run_at"), recipient: recipient,
                address: try address.decode("address"), name: try address.decode("name"),
                webhookURL: try address.decode("url"), webhookSecret: try address.decode("secret"))
        }
    }

    /// Records the outcome of claimed attempts, each only if its attempt is still the current
    /// one and still running: a scheduler whose lease ran out, and whose notice another has
    /// claimed since, changes nothing. Returns how many outcomes were recorded.
    @discardableResult
    public func record(_ results: [NoticeAttemptResult], now: Date) async throws -> Int {
        guard !results.isEmpty else { return 0 }
        let done = results.filter { $0.decision == .done }
        var recorded = 0
        if !done.isEmpty {
            // Deliveries are most of the work: one statement for all of them.
            recorded += try await pool.execute("""
                UPDATE notice n SET state = 'done', done_at = \(now), locked_until = NULL, last_error = NULL, updated_at = \(now)
                FROM unnest(\(done.map(\.notice))::bigint[], \(done.map(\.attempt))::int[]) AS r(id, attempt)
                WHERE n.id = r.id AND n.attempt = r.attempt AND n.state = 'running'
                """)
        }
        for result in results where result.decision != .done {
            recorded += try await recordOne(result, now: now)
        }
        return recorded
    }

    private func recordOne(_ result: NoticeAttemptResult, now: Date) async throws -> Int {
        let (id, attempt) = (result.notice, result.attempt)
        switch result.decision {
        case .done:
            return 0
        case .retry(let at, let error):
            return try await pool.execute("""
                UPDATE notice SET state = 'retry', run_at = \(at), locked_until = NULL, last_error = \(Self.clipped(error)), updated_at = \(now)
                WHERE id = \(id) AND attempt = \(attempt) AND state = 'running'
                """)
        case .dead(let error):
            return try await pool.execute("""
                UPDATE notice SET state = 'dead', locked_until = NULL, last_error = \(Self.clipped(error)), updated_at = \(now)
                WHERE id = \(id) AND attempt = \(attempt) AND state = 'running'
                """)
        case .cancelled(let reason):
            return try await pool.execute("""
                UPDATE notice SET state = 'cancelled', locked_until = NULL, last_error = \(Self.clipped(reason)), updated_at = \(now)
                WHERE id = \(id) AND attempt = \(attempt) AND state = 'running'
                """)
        case .subscriptionGone(let error):
            // The receiver said 410 Gone: the subscription ends, and with it every notice still
            // waiting for it.
            return try await pool.withTransaction { connection in
                let count = try await connection.execute("""
                    UPDATE notice SET state = 'dead', locked_until = NULL, last_error = \(Self.clipped(error)), updated_at = \(now)
                    WHERE id = \(id) AND attempt = \(attempt) AND state = 'running'
                    """)
                guard count == 1 else { return 0 }
                try await connection.execute("""
                    UPDATE subscription SET ended_at = \(now), ended_because = 'gone'
                    WHERE id = (SELECT recipient_subscription FROM notice WHERE id = \(id)) AND ended_at IS NULL
                    """)
                try await connection.execute("""
                    UPDATE notice SET state = 'cancelled', last_error = 'the subscription ended (410 Gone)', updated_at = \(now)
                    WHERE recipient_subscription = (SELECT recipient_subscription FROM notice WHERE id = \(id))
                      AND state IN ('pending', 'retry')
                    """)
                return count
            }
        }
    }

    static func clipped(_ text: String) -> String {
        text.count <= 2000 ? text : String(text.prefix(1990)) + "…"
    }

    /// Writes the nomination deadline reminders due at `now` (see ``Outbox``); returns how many.
    public func nominationDeadlineReminders(now: Date) async throws -> Int {
        try await pool.withTransaction { try await Outbox.nominationDeadlineReminders(now: now, on: $0) }
    }

    // MARK: Operators

    /// Notices, newest first, filtered by state and kind; `before` is the keyset cursor (an
    /// outbox row id).
    public func list(state: NoticeState?, kind: String?, before: Int64?, limit: Int) async throws -> (notices: [NoticeSummary], next: Int64?) {
        let rows = try await pool.query("""
            SELECT \(unsafeRaw: Self.summaryColumns) FROM notice
            WHERE (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue)) AND (\(kind)::text IS NULL OR kind = \(kind))
              AND (\(before)::bigint IS NULL OR id < \(before))
            ORDER BY id DESC LIMIT \(limit + 1)
            """)
        let notices = try rows.prefix(limit).map(Self.summary)
        let next = rows.count > limit ? try rows[limit - 1].decode("id", as: Int64.self) : nil
        return (notices, next)
    }

    /// Sends a dead notice again: it waits for the next round with its tries counted afresh
    /// (its attempt number goes on growing, as fencing needs).
    /// Nil when there is no such notice; refused unless it is dead.
    public func retry(_ publicID: UUID, by actor: Actor, requestID: String?) async throws -> NoticeSummary? {
        try await pool.withTransaction { connection in
            guard let row = try await connection.query("SELECT id, state FROM notice WHERE public_id = \(publicID) FOR UPDATE").first else { return nil }
            let state: String = try row.decode("state")
            guard state == NoticeState.dead.rawValue else {
                throw Refusal.noticeNotDead(state: state)
            }
            let id = try row.decode("id", as: Int64.self)
            try await connection.execute("""
                UPDATE notice SET state = 'pending', attempt_base = attempt, run_at = now(), locked_until = NULL, updated_at = now() WHERE id = \(id)
                """)
            try await AuditLog.record(
                AuditChange(action: "notice.retry", objectType: "notice", objectID: publicID.uuidString,
                            before: ["state": .string(state)], after: ["state": .string(NoticeState.pending.rawValue)]),
                by: actor, requestID: requestID, on: connection)
            return try await Self.summary(publicID, on: connection)
        }
    }

    static func summary(_ publicID: UUID, on connection: PostgresConnection) async throws -> NoticeSummary? {
        try await connection.query("SELECT \(unsafeRaw: summaryColumns) FROM notice WHERE public_id = \(publicID)").first.map(summary)
    }

    static let summaryColumns = """
        id, public_id, kind, channel, language, state, attempt, run_at, created_at, done_at, last_error,
        recipient_person, recipient_account, recipient_subscription
        """

    /// Whom an outbox row is for: `person`, `account` or `subscription`, and its id (the
    /// table holds exactly one of the three).
    static func recipient(_ row: PostgresRow) throws -> (type: String, id: UUID) {
        if let person = try row.decode("recipient_person", as: UUID?.self) { return ("person", person) }
        if let account = try row.decode("recipient_account", as: UUID?.self) { return ("account", account) }
        return ("subscription", try row.decode("recipient_subscription", as: UUID.self))
    }

    static func summary(_ row: PostgresRow) throws -> NoticeSummary {
        let (type, recipient) = try Self.recipient(row)
        return NoticeSummary(id: try row.decode("public_id"), kind: try row.decode("kind"), channel: try row.decode("channel"),
                             language: try row.decode("language"), state: try row.decode("state"), attempt: try row.decode("attempt"),
                             runAt: try row.decode("run_at"), createdAt: try row.decode("created_at"), doneAt: try row.decode("done_at"),
                             lastError: try row.decode("last_error"), recipientType: type, recipientID: recipient)
    }

    /// The outbox's health for `/metrics`: notices per state and channel, the age of the oldest
    /// notice due and not delivered, in seconds (0 when none is due).
    public func health(now: Date) async throws -> (counts: [(state: String, channel: String, count: Int)], oldestDueAge: Double) {
        let counts = try await pool.query("SELECT state, channel, count(*)::bigint AS n FROM notice GROUP BY state, channel ORDER BY state, channel")
            .map { (state: try $0.decode("state", as: String.self), channel: try $0.decode("channel", as: String.self), count: try $0.decode("n", as: Int.self)) }
        let oldest = try await pool.query("""
            SELECT min(run_at) AS oldest FROM notice WHERE state IN ('pending', 'retry', 'running') AND run_at <= \(now)
            """)[0].decode("oldest", as: Date?.self)
        return (counts, oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
    }
}
