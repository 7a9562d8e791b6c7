import Agora
import Foundation
import PostgresClient

/// Partner organisations of partnership forums and their commitments; a hearing on the same
/// issue reads the commitments as evidence.
public struct PartnershipStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// Adds `organisation` to partnership `forum` with `role`.
    public func addPartner(_ organisation: UUID, role: String, to forum: UUID, by actor: Actor, requestID: String?) async throws -> Partner {
        try await mapViolations {
            try await pool.withTransaction { connection in
                guard let (kind, status) = try await ParticipationStore.forumState(forum, on: connection) else { throw Refusal.notFound() }
                guard kind == .partnership else { throw Refusal.notAPartnership(kind) }
                guard !(try await connection.query("SELECT 1 FROM organisation WHERE id = \(organisation)")).isEmpty else {
                    throw Refusal.invalid("organisation", "is not a known organisation")
                }
                let inserted = try await connection.query("""
                    INSERT INTO partner (forum_id, organisation_id, role) VALUES (\(forum), \(organisation), \(role))
                    ON CONFLICT DO NOTHING RETURNING forum_id
                    """)
                guard !inserted.isEmpty else { throw Refusal.alreadyAPartner }
                try await AuditLog.record(
                    AuditChange(action: "partner.add", objectType: "forum", objectID: forum.uuidString,
                                after: ["organisation": .string(organisation.uuidString), "role": .string(role)], isPublic: status.isPublic),
                    by: actor, requestID: requestID, on: connection)
                let outcome = try await Self.partners(of: forum, on: connection).first { $0.organisation == organisation }!
                try await IdempotentAnswer.offer(outcome, on: connection)
                return outcome
            }
        }
    }

    /// A partnership's partners by organisation name.
    public func partners(of forum: UUID) async throws -> [Partner] {
        try await pool.withConnection { try await Self.partners(of: forum, on: $0) }
    }

    static func partners(of forum: UUID, on connection: PostgresConnection) async throws -> [Partner] {
        try await connection.query("""
            SELECT pa.forum_id, pa.organisation_id, o.name, pa.role FROM partner pa JOIN organisation o ON o.id = pa.organisation_id
            WHERE pa.forum_id = \(forum) ORDER BY o.name, o.id
            """).map { row in
            Partner(forum: try row.decode("forum_id"), organisation: try row.decode("organisation_id"),
                    organisationName: try row.decode("name"), role: try row.decode("role"))
        }
    }

    /// The fields of a commitment a caller sets; nil leaves a field as it is.
    public struct CommitmentFields: Sendable {
        public var organisation: UUID?
        public var deliverable: String?
        public var due: String?
        public var status: CommitmentStatus?
        /// `.some(nil)` clears the evidence link.
        public var evidence: String??
        public init(organisation: UUID? = nil, deliverable: String? = nil, due: String? = nil, status: CommitmentStatus? = nil, evidence: String?? = nil) {
            self.organisation = organisation
            self.deliverable = deliverable
            self.due = due
            self.status = status
            self.evidence = evidence
        }
    }

    /// Records a partner's commitment in partnership `forum`.
    public func addCommitment(_ fields: CommitmentFields, to forum: UUID, by actor: Actor, requestID: String?) async throws -> Commitment {
        try await mapViolations {
            try await pool.withTransaction { connection in
                guard let (kind, status) = try await ParticipationStore.forumState(forum, on: connection) else { throw Refusal.notFound() }
                guard kind == .partnership else { throw Refusal.notAPartnership(kind) }
                guard let organisation = fields.organisation,
                      !(try await connection.query("SELECT 1 FROM partner WHERE forum_id = \(forum) AND organisation_id = \(organisation)")).isEmpty else {
                    throw Refusal.invalid("organisation", "is not a partner of this partnership")
                }
                let id = try await connection.query("""
                    INSERT INTO commitment (forum_id, organisation_id, deliverable, due_on, status, evidence)
                    VALUES (\(forum), \(organisation), \(fields.deliverable ?? ""), \(fields.due ?? "")::date,
                            \((fields.status ?? .planned).rawValue), \(fields.evidence ?? nil))
                    RETURNING id
                    """)[0].decode("id", as: UUID.self)
                let created = try await Self.commitment(id, on: connection)!
                try await AuditLog.record(
                    AuditChange(action: "commitment.create", objectType: "commitment", objectID: id.uuidString,
                                after: Self.snapshot(created), isPublic: status.isPublic),
                    by: actor, requestID: requestID, on: connection)
                try await IdempotentAnswer.offer(created, on: connection)
                return created
            }
        }
    }

    /// Changes a commitment's status, evidence, deliverable or due date, if still at `expectedVersion` (when given).
    public func updateCommitment(_ id: UUID, _ fields: CommitmentFields, expectedVersion: Int?, by actor: Actor, requestID: String?) async throws -> Commitment {
        try await mapViolations {
            try await pool.withTransaction { connection in
                guard let before = try await Self.commitment(id, on: connection, lock: true),
                      let (_, status) = try await ParticipationStore.forumState(before.forum, on: connection) else { throw Refusal.notFound() }
                if let expectedVersion, expectedVersion != before.version { throw Refusal.stale(currentVersion: before.version) }
                let unchanged = fields.deliverable.map { $0 == before.deliverable } ?? true && fields.due.map { $0 == before.due } ?? true
                    && fields.status.map { $0 == before.status } ?? true && fields.evidence.map { $0 == before.evidence } ?? true
                if unchanged { return before }
                try await connection.query("""
                    UPDATE commitment SET deliverable = COALESCE(\(fields.deliverable), deliverable),
                        due_on = COALESCE(\(fields.due)::date, due_on), status = COALESCE(\(fields.status?.rawValue), status),
                        evidence = CASE WHEN \(fields.evidence != nil) THEN \(fields.evidence ?? nil) ELSE evidence END,
                        version = version + 1, updated_at = now()
                    WHERE id = \(id)
                    """)
                let after = try await Self.commitment(id, on: connection)!
                try await AuditLog.record(
                    AuditChange(action: "commitment.update", objectType: "commitment", objectID: id.uuidString,
                                before: Self.snapshot(before), after: Self.snapshot(after), isPublic: status.isPublic),
                    by: actor, requestID: requestID, on: connection)
                return after
            }
        }
    }

    public func commitment(_ id: UUID) async throws -> Commitment? {
        try await pool.withConnection { try await Self.commitment(id, on: $0) }
    }

    /// A partnership's commitments by due date.
    public func commitments(of forum: UUID) async throws -> [Commitment] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM commitment c JOIN organisation o ON o.id = c.organisation_id
            WHERE c.forum_id = \(forum) ORDER BY c.due_on, c.created_at, c.id
            """).map(Self.commitment)
    }

    /// The commitments of every partnership forum of `issue` that is not a draft: a hearing's evidence.
    public func commitments(ofIssue issue: UUID) async throws -> [Commitment] {
        try await pool.withConnection { try await Self.commitments(ofIssue: issue, on: $0) }
    }

    static func commitments(ofIssue issue: UUID, on connection: PostgresConnection) async throws -> [Commitment] {
        try await connection.query("""
            SELECT \(unsafeRaw: columns) FROM commitment c JOIN organisation o ON o.id = c.organisation_id JOIN forum f ON f.id = c.forum_id
            WHERE f.issue_id = \(issue) AND f.kind = 'partnership' AND f.status <> 'draft'
            ORDER BY c.due_on, c.created_at, c.id
            """).map(commitment)
    }

    static let columns = """
        c.id, c.forum_id, c.organisation_id, o.name, c.deliverable, to_char(c.due_on, 'YYYY-MM-DD') AS due, c.status, c.evidence,
        c.updated_at, c.version
        """

    static func commitment(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Commitment? {
        try await connection.query("""
            SELECT \(unsafeRaw: columns) FROM commitment c JOIN organisation o ON o.id = c.organisation_id
            WHERE c.id = \(id) \(unsafeRaw: lock ? "FOR UPDATE OF c" : "")
            """).first.map(commitment)
    }

    static func commitment(_ row: PostgresRow) throws -> Commitment {
        Commitment(id: try row.decode("id"), forum: try row.decode("forum_id"), organisation: try row.decode("organisation_id"),
                   organisationName: try row.decode("name"), deliverable: try row.decode("deliverable"), due: try row.decode("due"),
                   status: CommitmentStatus(rawValue: try row.decode("status")) ?? .planned, evidence: try row.decode("evidence"),
                   updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }

    static func snapshot(_ commitment: Commitment) -> [String: JSONValue] {
        ["deliverable": .string(commitment.deliverable), "due": .string(commitment.due), "status": .string(commitment.status.rawValue),
         "evidence": commitment.evidence.map(JSONValue.string) ?? .null, "organisation": .string(commitment.organisation.uuidString)]
    }
}
