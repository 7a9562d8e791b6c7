import Agora
import Foundation
import PostgresClient

/// Policy issues and their history. The life cycle decides every move; this store only
/// persists its decisions.
public struct IssueStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    static let columns = "id, slug, title, summary, reports_to, goals, stage, version, created_at, updated_at"

    /// Creates an issue at the `emerging` stage.
    public func create(slug: String, title: String, summary: String, reportsTo: String, goals: [String],
                       by actor: Actor, requestID: String?) async throws -> PolicyIssue {
        try await mapViolations {
            try await pool.withTransaction { connection in
                let issue = try Self.issue(try await connection.query("""
                    INSERT INTO policy_issue (slug, title, summary, reports_to, goals)
                    VALUES (\(slug), \(title), \(summary), \(reportsTo), \(goals))
                    RETURNING \(unsafeRaw: Self.columns)
                    """)[0])
                try await AuditLog.record(
                    AuditChange(action: "issue.create", objectType: "issue", objectID: issue.id.uuidString,
                                after: ["slug": .string(slug), "title": .string(title), "reportsTo": .string(reportsTo), "stage": .string(issue.stage.rawValue)]),
                    by: actor, requestID: requestID, on: connection)
                try await IdempotentAnswer.offer(issue, on: connection)
                return issue
            }
        }
    }

    public func issue(_ id: UUID) async throws -> PolicyIssue? {
        try await pool.query("SELECT \(unsafeRaw: Self.columns) FROM policy_issue WHERE id = \(id)").first.map(Self.issue)
    }

    /// Issues by slug, at most `limit`, after the slug `after`.
    public func list(limit: Int, after: String?) async throws -> [PolicyIssue] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM policy_issue
            WHERE \(after)::text IS NULL OR slug > \(after)::text ORDER BY slug LIMIT \(limit)
            """).map(Self.issue)
    }

    /// Asks the life cycle to move issue `id` to `target`; records the move (stage, history,
    /// audit) in one transaction, or throws the life cycle's refusal. The issue row is locked, so two
    /// concurrent requests are decided one after the other.
    public func transition(_ id: UUID, to target: IssueStage, reason: String, by actor: Actor, requestID: String?) async throws -> PolicyIssue {
        try await mapViolations { try await pool.withTransaction { connection in
            guard let before = try await connection.query("""
                SELECT \(unsafeRaw: Self.columns) FROM policy_issue WHERE id = \(id) FOR UPDATE
                """).first.map(Self.issue) else { throw Refusal.notFound() }
            // A forum of this stage concluded since the issue last entered it: after a hearing sends
            // the issue back to implementation, the old partnership's conclusion does not count.
            let concluded = try await connection.query("""
                SELECT EXISTS (
                    SELECT 1 FROM forum f
                    WHERE f.issue_id = \(id) AND f.kind = \(before.stage.forumKind?.rawValue) AND f.status = 'concluded'
                      AND f.concluded_at >= coalesce(
                          (SELECT max(t.at) FROM issue_transition t WHERE t.issue_id = \(id) AND t.to_stage = \(before.stage.rawValue)),
                          \(before.createdAt))
                ) AS concluded
                """)[0].decode("concluded", as: Bool.self)
            switch IssueLifeCycle.decide(at: before.stage, .requestTransition(to: target, reason: reason, stageForumConcluded: concluded)) {
            case .refuse(let reason):
                throw reason.refusal
            case .transition(let from, let to, let kind, let reason):
                let after = try Self.issue(try await connection.query("""
                    UPDATE policy_issue SET stage = \(to.rawValue), version = version + 1, updated_at = now()
                    WHERE id = \(id) RETURNING \(unsafeRaw: Self.columns)
                    """)[0])
                try await connection.execute("""
                    INSERT INTO issue_transition (issue_id, from_stage, to_stage, kind, reason, account_id, token_name)
                    VALUES (\(id), \(from.rawValue), \(to.rawValue), \(kind.rawValue), \(reason), \(actor.accountID), \(actor.tokenName))
                    """)
                try await AuditLog.record(
                    AuditChange(action: "issue.transition", objectType: "issue", objectID: id.uuidString,
                                before: ["stage": .string(from.rawValue)],
                                after: ["stage": .string(to.rawValue), "kind": .string(kind.rawValue), "reason": .string(reason)]),
                    by: actor, requestID: requestID, on: connection)
                return after
            }
        } }
    }

    /// Changes an issue's title, summary, body or goals (not once it is closed: a `validation` ``Refusal``).
    /// A bureau's scope follows `reportsTo`, so a change of body moves the issue's slates to the new body's bureau.
    public func update(_ id: UUID, _ changes: PolicyIssue.Changes, expectedVersion: Int?, by actor: Actor, requestID: String?) async throws -> PolicyIssue {
        try await mapViolations { try await pool.withTransaction { connection in
            guard let before = try await connection.query("SELECT \(unsafeRaw: Self.columns) FROM policy_issue WHERE id = \(id) FOR UPDATE")
                .first.map(Self.issue) else { throw Refusal.notFound() }
            if let expectedVersion, expectedVersion != before.version { throw Refusal.stale(currentVersion: before.version) }
            // Nothing asked, or nothing different: no new version, no audit entry.
            guard !changes.names.isEmpty else { return before }
            let wanted = try before.applying(changes).get()
            guard wanted != before else { return before }
            let after = try Self.issue(try await connection.query("""
                UPDATE policy_issue SET title = \(wanted.title), summary = \(wanted.summary), reports_to = \(wanted.reportsTo),
                    goals = \(wanted.goals), version = version + 1, updated_at = now()
                WHERE id = \(id) RETURNING \(unsafeRaw: Self.columns)
                """)[0])
            try await AuditLog.record(
                AuditChange(action: "issue.update", objectType: "issue", objectID: id.uuidString,
                            before: before.snapshot(changes.names), after: after.snapshot(changes.names)),
                by: actor, requestID: requestID, on: connection)
            return after
        } }
    }

    /// The issue's transitions, oldest first.
    public func history(_ id: UUID) async throws -> [IssueTransition] {
        try await pool.query("""
            SELECT from_stage, to_stage, kind, reason, account_id, token_name, at FROM issue_transition
            WHERE issue_id = \(id) ORDER BY id
            """).map { row in
            IssueTransition(
                from: IssueStage(rawValue: try row.decode("from_stage"))!, to: IssueStage(rawValue: try row.decode("to_stage"))!,
                kind: IssueLifeCycle.TransitionKind(rawValue: try row.decode("kind"))!, reason: try row.decode("reason"),
                account: try row.decode("account_id"), tokenName: try row.decode("token_name"), at: try row.decode("at"))
        }
    }

    static func issue(_ row: PostgresRow) throws -> PolicyIssue {
        guard let stage = IssueStage(rawValue: try row.decode("stage")) else {
            throw Refusal.invalid("stage", "unknown stage in the database")
        }
        return PolicyIssue(id: try row.decode("id"), slug: try row.decode("slug"), title: try row.decode("title"),
                           summary: try row.decode("summary"), reportsTo: try row.decode("reports_to"), goals: try row.decode("goals"),
                           stage: stage, version: try row.decode("version"), createdAt: try row.decode("created_at"),
                           updatedAt: try row.decode("updated_at"))
    }
}
