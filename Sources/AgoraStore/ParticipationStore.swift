import Agora
import Foundation
import PostgresClient

/// Invitations to round tables and registrations for the other kinds of forum.
///
/// A round table's cap is held by the database: accepting updates the forum's
/// `accepted_count` (a trigger), whose CHECK refuses a count above the cap. Concurrent
/// acceptances queue on the forum row, so exactly `cap` of them succeed.
public struct ParticipationStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    // MARK: Invitations

    static let invitationColumns = """
        i.id, i.forum_id, i.person_id, p.name, p.organisation_id, i.status, i.invited_at, i.answered_at
        """

    /// Invites `person` to round table `forum`.
    public func invite(_ person: UUID, to forum: UUID, by actor: Actor, requestID: String?) async throws -> Invitation {
        try await pool.withTransaction { connection in
            guard let (kind, status) = try await Self.forumState(forum, on: connection) else { throw Refusal.notFound() }
            guard ParticipationMode(kind: kind) == .invitation else { throw Refusal.wrongParticipationMode(expected: .registration) }
            guard ParticipationMode.invitation.isOpen(at: status) else { throw Refusal.participationClosed(status) }
            guard !(try await connection.query("SELECT 1 FROM person WHERE id = \(person)")).isEmpty else { throw Refusal.invalid("person", "is not a known person of an organisation you act for") }
            let rows = try await connection.query("""
                INSERT INTO invitation (forum_id, person_id) VALUES (\(forum), \(person))
                ON CONFLICT (forum_id, person_id) DO NOTHING RETURNING id
                """)
            guard let id = try rows.first?.decode("id", as: UUID.self) else { throw Refusal.alreadyParticipating }
            try await AuditLog.record(
                AuditChange(action: "invitation.create", objectType: "invitation", objectID: id.uuidString,
                            after: ["forum": .string(forum.uuidString), "person": .string(person.uuidString)]),
                by: actor, requestID: requestID, on: connection)
            let outcome = try await Self.invitation(id, on: connection)!
            try await IdempotentAnswer.offer(outcome, on: connection)
            return outcome
        }
    }

    /// Records a person's answer. `organisations` (an organisation contact's) limits the
    /// invitations the caller may answer to those of its people; nil is the secretariat.
    public func answer(_ id: UUID, accept: Bool, within organisations: Set<UUID>?, by actor: Actor, requestID: String?) async throws -> Invitation {
        do {
            return try await pool.withTransaction { connection in
                guard let before = try await Self.invitation(id, on: connection, lock: true),
                      organisations.map({ scope in before.organisation.map(scope.contains) == true }) ?? true else { throw Refusal.notFound() }
                guard let (_, status) = try await Self.forumState(before.forum, on: connection, forUpdate: true),
                      organisations == nil || status.isPublic else { throw Refusal.notFound() }
                guard ParticipationMode.invitation.isOpen(at: status) else { throw Refusal.participationClosed(status) }
                let answer: InvitationStatus = accept ? .accepted : .declined
                guard before.status != answer else { return before }
                try await connection.query("UPDATE invitation SET status = \(answer.rawValue), answered_at = now(), version = version + 1 WHERE id = \(id)")
                try await AuditLog.record(
                    AuditChange(action: "invitation.answer", objectType: "invitation", objectID: id.uuidString,
                                before: ["status": .string(before.status.rawValue)], after: ["status": .string(answer.rawValue)]),
                    by: actor, requestID: requestID, on: connection)
                return try await Self.invitation(id, on: connection)!
            }
        } catch let error as PostgresError where error.code == .checkViolation && error.constraint == "forum_participant_cap" {
            let cap = try await pool.query("SELECT f.participant_cap FROM forum f JOIN invitation i ON i.forum_id = f.id WHERE i.id = \(id)")
                .first?.decode("participant_cap", as: Int?.self)
            throw Refusal.participantCapReached(cap ?? 0)
        }
    }

    /// A forum's invitations by name; only those of `organisations`' people when given.
    public func invitations(of forum: UUID, within organisations: Set<UUID>?) async throws -> [Invitation] {
        let scope = organisations.map { Array($0) }
        return try await pool.query("""
            SELECT \(unsafeRaw: Self.invitationColumns) FROM invitation i JOIN person p ON p.id = i.person_id
            WHERE i.forum_id = \(forum) AND (\(scope == nil) OR p.organisation_id = ANY(\(scope ?? [])))
            ORDER BY p.name, i.id
            """).map(Self.invitation)
    }

    static func invitation(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Invitation? {
        try await connection.query("""
            SELECT \(unsafeRaw: invitationColumns) FROM invitation i JOIN person p ON p.id = i.person_id
            WHERE i.id = \(id) \(unsafeRaw: lock ? "FOR UPDATE OF i" : "")
            """).first.map(invitation)
    }

    static func invitation(_ row: PostgresRow) throws -> Invitation {
        Invitation(id: try row.decode("id"), forum: try row.decode("forum_id"), person: try row.decode("person_id"),
                   name: try row.decode("name"), organisation: try row.decode("organisation_id"),
                   status: InvitationStatus(rawValue: try row.decode("status")) ?? .invited,
                   invitedAt: try row.decode("invited_at"), answeredAt: try row.decode("answered_at"))
    }

    // MARK: Registrations

    static let registrationColumns = """
        r.id, r.forum_id, r.person_id, p.name, r.organisation_id, r.status, r.registered_at, r.approved_at
        """

    /// Registers `person` for `forum` on behalf of their organisation. `organisations` (an
    /// organisation contact's) limits the people the caller may register; nil is the secretariat.
    public func register(_ person: UUID, for forum: UUID, within organisations: Set<UUID>?, by actor: Actor, requestID: String?) async throws -> Registration {
        try await pool.withTransaction { connection in
            guard let (kind, status) = try await Self.forumState(forum, on: connection),
                  organisations == nil || status.isPublic else { throw Refusal.notFound() }
            guard ParticipationMode(kind: kind) == .registration else { throw Refusal.wrongParticipationMode(expected: .invitation) }
            guard ParticipationMode.registration.isOpen(at: status) else { throw Refusal.participationClosed(status) }
            guard let organisation = try await connection.query("SELECT organisation_id FROM person WHERE id = \(person)")
                    .first?.decode("organisation_id", as: UUID?.self),
                  organisations.map({ $0.contains(organisation) }) ?? true else { throw Refusal.invalid("person", "is not a known person of an organisation you act for") }
            let rows = try await connection.query("""
                INSERT INTO registration (forum_id, person_id, organisation_id) VALUES (\(forum), \(person), \(organisation))
                ON CONFLICT (forum_id, person_id) DO NOTHING RETURNING id
                """)
            guard let id = try rows.first?.decode("id", as: UUID.self) else { throw Refusal.alreadyParticipating }
            try await AuditLog.record(
                AuditChange(action: "registration.create", objectType: "registration", objectID: id.uuidString,
                            after: ["forum": .string(forum.uuidString), "person": .string(person.uuidString),
                                    "organisation": .string(organisation.uuidString)]),
                by: actor, requestID: requestID, on: connection)
            let outcome = try await Self.registration(id, on: connection)!
            try await IdempotentAnswer.offer(outcome, on: connection)
            return outcome
        }
    }

    /// The secretariat approves a registration (approving twice changes nothing).
    public func approve(_ id: UUID, by actor: Actor, requestID: String?) async throws -> Registration {
        try await pool.withTransaction { connection in
            guard let before = try await Self.registration(id, on: connection, lock: true) else { throw Refusal.notFound() }
            guard before.status != .approved else { return before }
            guard let (_, status) = try await Self.forumState(before.forum, on: connection) else { throw Refusal.notFound() }
            guard ParticipationMode.registration.isOpen(at: status) else { throw Refusal.participationClosed(status) }
            try await connection.query("UPDATE registration SET status = 'approved', approved_at = now(), version = version + 1 WHERE id = \(id)")
            try await AuditLog.record(
                AuditChange(action: "registration.approve", objectType: "registration", objectID: id.uuidString,
                            before: ["status": .string("registered")], after: ["status": .string("approved")]),
                by: actor, requestID: requestID, on: connection)
            return try await Self.registration(id, on: connection)!
        }
    }

    /// A forum's registrations by name; only those of `organisations` when given.
    public func registrations(of forum: UUID, within organisations: Set<UUID>?) async throws -> [Registration] {
        let scope = organisations.map { Array($0) }
        return try await pool.query("""
            SELECT \(unsafeRaw: Self.registrationColumns) FROM registration r JOIN person p ON p.id = r.person_id
            WHERE r.forum_id = \(forum) AND (\(scope == nil) OR r.organisation_id = ANY(\(scope ?? [])))
            ORDER BY p.name, r.id
            """).map(Self.registration)
    }

    static func registration(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Registration? {
        try await connection.query("""
            SELECT \(unsafeRaw: registrationColumns) FROM registration r JOIN person p ON p.id = r.person_id
            WHERE r.id = \(id) \(unsafeRaw: lock ? "FOR UPDATE OF r" : "")
            """).first.map(registration)
    }

    static func registration(_ row: PostgresRow) throws -> Registration {
        Registration(id: try row.decode("id"), forum: try row.decode("forum_id"), person: try row.decode("person_id"),
                     name: try row.decode("name"), organisation: try row.decode("organisation_id"),
                     status: RegistrationStatus(rawValue: try row.decode("status")) ?? .registered,
                     registeredAt: try row.decode("registered_at"), approvedAt: try row.decode("approved_at"))
    }

    /// The forum's kind and status, read under a lock so a status change waits for the
    /// participation change that checked it (and the other way round). Answers, which may
    /// update the forum's count, take the stronger lock at once: two holders of a share lock
    /// that both went on to update the row would deadlock.
    static func forumState(_ forum: UUID, on connection: PostgresConnection, forUpdate: Bool = false) async throws -> (ForumKind, ForumStatus)? {
        guard let row = try await connection.query("""
                SELECT kind, status FROM forum WHERE id = \(forum) \(unsafeRaw: forUpdate ? "FOR NO KEY UPDATE" : "FOR SHARE")
                """).first,
              let kind = ForumKind(rawValue: try row.decode("kind")), let status = ForumStatus(rawValue: try row.decode("status")) else { return nil }
        return (kind, status)
    }
}
