import Agora
import Foundation
import PostgresClient

/// Hearing proceedings: the document assembled from the hearing's outcome and the issue's
/// partnership commitments, and its transmission to the intergovernmental body.
public struct ProceedingsStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// The proceedings of concluded hearing `forum`; nil for any other forum. Once transmitted,
    /// they are the document as sent (with the acknowledgement, when it came).
    public func proceedings(_ forum: UUID) async throws -> Proceedings? {
        try await pool.withConnection { connection in
            if let sent = try await connection.query("SELECT document FROM transmission WHERE forum_id = \(forum)").first {
                var document = try sent.decode("document", as: PostgresJSON<Proceedings>.self).value
                document.transmission = try await Self.transmission(forum, on: connection)
                return document
            }
            return try await Self.assemble(forum, on: connection)
        }
    }

    /// The proceedings from the hearing's outcome, the issue, and its partnerships' commitments as they stand.
    static func assemble(_ forum: UUID, on connection: PostgresConnection) async throws -> Proceedings? {
        guard let row = try await connection.query("""
                SELECT \(unsafeRaw: ForumStore.columns), outcome FROM forum WHERE id = \(forum) AND kind = 'hearing' AND status = 'concluded'
                """).first,
              let json = try row.decode("outcome", as: PostgresJSON<[String: JSONValue]>?.self)?.value else { return nil }
        let hearing = try ForumStore.forum(row)
        let issueRow = try await connection.query("SELECT id, slug, title, reports_to FROM policy_issue WHERE id = \(hearing.issue)")[0]
        let issue = Proceedings.IssueSummary(id: try issueRow.decode("id"), slug: try issueRow.decode("slug"),
                                             title: try issueRow.decode("title"), reportsTo: try issueRow.decode("reports_to"))
        var proceedings = Proceedings(issue: issue, forum: hearing, outcome: try ForumStore.outcome(json, kind: .hearing),
                                      evidence: try await PartnershipStore.commitments(ofIssue: hearing.issue, on: connection),
                                      transmission: nil)
        let names = try await connection.query("SELECT code, name FROM constituency").reduce(into: [String: String]()) {
            $0[try $1.decode("code", as: String.self)] = try $1.decode("name", as: String.self)
        }
        for index in proceedings.constituencyBreakdown.indices {
            proceedings.constituencyBreakdown[index].name = names[proceedings.constituencyBreakdown[index].constituency]
        }
        return proceedings
    }

    /// Records that the proceedings of concluded hearing `forum` were sent to its issue's body.
    public func transmit(_ forum: UUID, documentReference: String, on date: String, by actor: Actor, requestID: String?) async throws -> Transmission {
        try await mapViolations { try await pool.withTransaction { connection in
            guard let row = try await connection.query("""
                SELECT f.kind, f.status, i.reports_to FROM forum f JOIN policy_issue i ON i.id = f.issue_id WHERE f.id = \(forum) FOR UPDATE OF f
                """).first,
                  let kind = ForumKind(rawValue: try row.decode("kind")), let status = ForumStatus(rawValue: try row.decode("status")) else { throw Refusal.notFound() }
            guard kind == .hearing, status == .concluded else { throw Refusal.notConcludedHearing(kind: kind, status: status) }
            if let existing = try await Self.transmission(forum, on: connection) { throw Refusal.alreadyTransmitted(existing) }
            let body: String = try row.decode("reports_to")
            guard let document = try await Self.assemble(forum, on: connection) else { throw Refusal.notFound() }
            try await connection.query("""
                INSERT INTO transmission (forum_id, body, document_reference, transmitted_on, document, transmitted_by, transmitted_by_token)
                VALUES (\(forum), \(body), \(documentReference), \(date)::date, \(PostgresJSON(document))::jsonb, \(actor.accountID), \(actor.tokenName))
                """)
            try await Outbox.proceedingsTransmitted(forum, on: connection)
            try await AuditLog.record(
                AuditChange(action: "proceedings.transmit", objectType: "forum", objectID: forum.uuidString,
                            after: ["body": .string(body), "documentReference": .string(documentReference), "transmittedOn": .string(date)],
                            isPublic: true),
                by: actor, requestID: requestID, on: connection)
            return (try await Self.transmission(forum, on: connection)!)
        } }
    }

    /// Records the body's acknowledgement of receipt.
    public func acknowledge(_ forum: UUID, on date: String, acknowledgement: String, by actor: Actor, requestID: String?) async throws -> Transmission {
        try await mapViolations {
            try await pool.withTransaction { connection in
                guard !(try await connection.query("SELECT 1 FROM forum WHERE id = \(forum)")).isEmpty else { throw Refusal.notFound() }
                guard let before = try await Self.transmission(forum, on: connection, lock: true) else { throw Refusal.notTransmitted }
                guard before.acknowledgedOn == nil else { throw Refusal.alreadyAcknowledged(before) }
                guard let day = CalendarDate(date), let sent = CalendarDate(before.transmittedOn), day >= sent else {
                    throw Refusal.invalid("acknowledgedOn", "must not be before the transmission (\(before.transmittedOn))")
                }
                try await connection.query("""
                    UPDATE transmission SET acknowledged_on = \(date)::date, acknowledgement = \(acknowledgement) WHERE forum_id = \(forum)
                    """)
                try await AuditLog.record(
                    AuditChange(action: "proceedings.acknowledge", objectType: "forum", objectID: forum.uuidString,
                                after: ["acknowledgedOn": .string(date), "acknowledgement": .string(acknowledgement)], isPublic: true),
                    by: actor, requestID: requestID, on: connection)
                return (try await Self.transmission(forum, on: connection)!)
            }
        }
    }

    /// The transmission of `forum`'s proceedings, if they were sent.
    public func transmission(_ forum: UUID) async throws -> Transmission? {
        try await pool.withConnection { try await Self.transmission(forum, on: $0) }
    }

    static func transmission(_ forum: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Transmission? {
        try await connection.query("""
            SELECT forum_id, body, document_reference, to_char(transmitted_on, 'YYYY-MM-DD') AS transmitted_on, transmitted_by, recorded_at,
                   to_char(acknowledged_on, 'YYYY-MM-DD') AS acknowledged_on, acknowledgement
            FROM transmission WHERE forum_id = \(forum) \(unsafeRaw: lock ? "FOR UPDATE" : "")
            """).first.map { row in
            Transmission(forum: try row.decode("forum_id"), body: try row.decode("body"), documentReference: try row.decode("document_reference"),
                         transmittedOn: try row.decode("transmitted_on"), transmittedBy: try row.decode("transmitted_by"),
                         recordedAt: try row.decode("recorded_at"), acknowledgedOn: try row.decode("acknowledged_on"),
                         acknowledgement: try row.decode("acknowledgement"))
        }
    }
}
