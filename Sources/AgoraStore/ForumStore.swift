import Agora
import Foundation
import PostgresClient

/// Forums of policy issues.
public struct ForumStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    static let columns = """
        id, issue_id, kind, title, venue_id, starts_at, ends_at,
        (SELECT jsonb_build_object('name', v.name, 'city', v.city, 'country', v.country, 'timeZone', v.time_zone)
         FROM venue v WHERE v.id = forum.venue_id) AS venue,
        nominations_deadline, speaking_slots, speaking_minutes, participant_cap, chair, status, accepted_count, version,
        (SELECT i.reports_to FROM policy_issue i WHERE i.id = forum.issue_id) AS issue_reports_to
        """

    /// Creates a draft forum of issue `issue`; nil if there is no such issue. A closed issue
    /// takes no more forums (an `issue-closed` ``Refusal``).
    public func create(_ forum: Forum, by actor: Actor, requestID: String?) async throws -> Forum? {
        try await mapViolations {
            try await pool.withTransaction { connection in
                // FOR SHARE: a concurrent closing of the issue waits for this forum, or this waits for it.
                guard let stage = try await connection.query("SELECT stage FROM policy_issue WHERE id = \(forum.issue) FOR SHARE").first else { return nil }
                guard try stage.decode("stage", as: String.self) != IssueStage.closed.rawValue else { throw Refusal(.issueClosed, "The issue is closed; its cycle takes no more forums.") }
                let venue = try await Self.resolve(forum.venue, on: connection)
                let created = try Self.forum(try await connection.query("""
                    INSERT INTO forum (issue_id, kind, title, venue_id, starts_at, ends_at,
                                       nominations_deadline, speaking_slots, speaking_minutes, participant_cap, chair)
                    VALUES (\(forum.issue), \(forum.kind.rawValue), \(forum.title), \(venue), \(forum.startsAt), \(forum.endsAt),
                            \(forum.nominationsDeadline), \(forum.speakingSlots), \(forum.speakingMinutes), \(forum.participantCap), \(forum.chair))
                    RETURNING \(unsafeRaw: Self.columns)
                    """)[0])
                try await AuditLog.record(
                    AuditChange(action: "forum.create", objectType: "forum", objectID: created.id.uuidString,
                                after: ["issue": .string(forum.issue.uuidString), "kind": .string(forum.kind.rawValue), "title": .string(forum.title)]),
                    by: actor, requestID: requestID, on: connection)
                try await IdempotentAnswer.offer(Optional(created) as Any, on: connection)
                return created
            }
        }
    }

    public func forum(_ id: UUID) async throws -> Forum? {
        try await pool.query("SELECT \(unsafeRaw: Self.columns) FROM forum WHERE id = \(id)").first.map(Self.forum)
    }

    /// The forums of an issue by start; drafts only when `includeDrafts`.
    public func forums(of issue: UUID, includeDrafts: Bool) async throws -> [Forum] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM forum WHERE issue_id = \(issue) AND (\(includeDrafts) OR status <> 'draft')
            ORDER BY starts_at, id
            """).map(Self.forum)
    }

    /// Changes a forum's fields that still make sense for its status (checked under the row
    /// lock, so a concurrent status change cannot slip between check and write). Throws
    /// a `validation` ``Refusal`` for fields that can no longer change or values that do not fit.
    public func update(_ id: UUID, _ changes: Forum.Changes, expectedVersion: Int?, now: Date = Date(),
                       by actor: Actor, requestID: String?) async throws -> Forum {
        try await mapViolations { try await pool.withTransaction { connection in
            guard let before = try await connection.query("SELECT \(unsafeRaw: Self.columns) FROM forum WHERE id = \(id) FOR UPDATE")
                .first.map(Self.forum) else { throw Refusal.notFound() }
            if let expectedVersion, expectedVersion != before.version { throw Refusal.stale(currentVersion: before.version) }
            var changes = changes
            if let venue = changes.venue { changes.venue = try await Self.venue(Self.resolve(venue, on: connection), on: connection) }
            let wanted = try before.applying(changes, now: now).get()
            guard wanted != before else { return before }
            if wanted.startsAt != before.startsAt {
                try await Self.moveSpeakerDeadlines(of: id, start: wanted.startsAt, on: connection)
            }
            let after = try Self.forum(try await connection.query("""
                UPDATE forum SET title = \(wanted.title), venue_id = \(wanted.venue.id),
                    starts_at = \(wanted.startsAt), ends_at = \(wanted.endsAt), nominations_deadline = \(wanted.nominationsDeadline),
                    speaking_slots = \(wanted.speakingSlots), speaking_minutes = \(wanted.speakingMinutes),
                    participant_cap = \(wanted.participantCap), chair = \(wanted.chair), version = version + 1, updated_at = now()
                WHERE id = \(id) RETURNING \(unsafeRaw: Self.columns)
                """)[0])
            try await AuditLog.record(
                AuditChange(action: "forum.update", objectType: "forum", objectID: id.uuidString,
                            before: Self.snapshot(before, changes.names), after: Self.snapshot(after, changes.names)),
                by: actor, requestID: requestID, on: connection)
            return after
        } }
    }

    /// A moved start: the forum's slates move on (a new revision, so a step prepared against the
    /// old start is prepared again), and speakers still asked to answer after an earlier start
    /// get the start as their deadline, with a notice saying so. The forum row is locked by the
    /// caller; slates are locked before their speakers, the order every slate step keeps.
    static func moveSpeakerDeadlines(of forum: UUID, start: Date, on connection: PostgresConnection) async throws {
        let slates = try await connection.query("""
            UPDATE slate SET confirm_by = least(confirm_by, \(start)), revision = revision + 1 WHERE forum_id = \(forum) RETURNING id
            """).map { try $0.decode("id", as: UUID.self) }
        guard !slates.isEmpty else { return }
        let moved = try await connection.query("""
            UPDATE slate_speaker SET confirm_by = \(start)
            WHERE slate_id = ANY(\(slates)) AND state = 'chosen' AND confirm_by > \(start)
            RETURNING slate_id, nomination_id, minutes
            """)
        for row in moved {
            let (slate, nomination) = (try row.decode("slate_id", as: UUID.self), try row.decode("nomination_id", as: UUID.self))
            try await Outbox.confirmationReminder(slate: slate, forum: forum, nomination: nomination, minutes: try row.decode("minutes"),
                                                  confirmBy: start, on: connection)
            try await connection.execute("""
                INSERT INTO notice (recipient_person, kind, payload, dedupe_key)
                SELECT n.person_id, 'speaker.confirmation_deadline_moved',
                       jsonb_build_object('forum', \(forum.uuidString.lowercased())::text, 'slate', \(slate.uuidString.lowercased())::text,
                                          'nomination', \(nomination.uuidString.lowercased())::text, 'confirmBy', \(start)::timestamptz),
                       \("slate:\(slate.uuidString):confirm:\(nomination.uuidString):moved:\(Int(start.timeIntervalSince1970))")
                FROM nomination n WHERE n.id = \(nomination)
                ON CONFLICT (dedupe_key) DO NOTHING
                """)
        }
    }

    static func snapshot(_ forum: Forum, _ fields: Set<String>) -> [String: JSONValue] {
        let iso = ISO8601DateFormatter()
        func time(_ date: Date?) -> JSONValue { date.map { .string(iso.string(from: $0)) } ?? .null }
        func number(_ value: Int?) -> JSONValue { value.map { .number(Double($0)) } ?? .null }
        var result: [String: JSONValue] = [:]
        for field in fields {
            switch field {
            case "title": result[field] = .string(forum.title)
            case "venue": result[field] = .object(["id": forum.venue.id.map { .string($0.uuidString) } ?? .null, "name": .string(forum.venue.name), "city": .string(forum.venue.city),
                                                   "country": .string(forum.venue.country), "timeZone": .string(forum.venue.timeZone)])
            case "startsAt": result[field] = time(forum.startsAt)
            case "endsAt": result[field] = time(forum.endsAt)
            case "nominationsDeadline": result[field] = time(forum.nominationsDeadline)
            case "speakingSlots": result[field] = number(forum.speakingSlots)
            case "speakingMinutes": result[field] = number(forum.speakingMinutes)
            case "participantCap": result[field] = number(forum.participantCap)
            case "chair": result[field] = forum.chair.map(JSONValue.string) ?? .null
            default: break
            }
        }
        return result
    }

    /// Moves a forum to its next status (not to `concluded`, which needs an outcome).
    public func changeStatus(_ id: UUID, to target: ForumStatus, now: Date = Date(), by actor: Actor, requestID: String?) async throws -> Forum {
        try await pool.withTransaction { connection in
            guard let before = try await connection.query("SELECT \(unsafeRaw: Self.columns) FROM forum WHERE id = \(id) FOR UPDATE")
                .first.map(Self.forum) else { throw Refusal.notFound() }
            let allowed = before.status.allowedNext(kind: before.kind).filter { $0 != .concluded }
            guard allowed.contains(target) else { throw Refusal.statusNotAllowed(allowed: allowed) }
            // Opened after its deadline, a forum could never take a nomination (nor move the
            // deadline, which is final once passed while open).
            if target == .nominationsOpen, let deadline = before.nominationsDeadline, deadline <= now { throw Refusal.nominationsDeadlinePassed(deadline) }
            let after = try Self.forum(try await connection.query("""
                UPDATE forum SET status = \(target.rawValue), version = version + 1, updated_at = now() WHERE id = \(id)
                RETURNING \(unsafeRaw: Self.columns)
                """)[0])
            try await AuditLog.record(
                AuditChange(action: "forum.status", objectType: "forum", objectID: id.uuidString,
                            before: ["status": .string(before.status.rawValue)], after: ["status": .string(target.rawValue)]),
                by: actor, requestID: requestID, on: connection)
            if target == .announced, after.kind == .hearing { try await Outbox.hearingScheduled(id, on: connection) }
            return after
        }
    }

    /// Records the outcome of a forum that has been held and concludes it. The outcome must be
    /// of the forum's kind; a hearing's statements must name known constituencies.
    public func conclude(_ id: UUID, outcome: ForumOutcome, by actor: Actor, requestID: String?) async throws -> Forum {
        try await pool.withTransaction { connection in
            guard let before = try await connection.query("SELECT \(unsafeRaw: Self.columns) FROM forum WHERE id = \(id) FOR UPDATE")
                .first.map(Self.forum) else { throw Refusal.notFound() }
            guard before.status.allowedNext(kind: before.kind).contains(.concluded) else {
                throw Refusal.forumNotHeld(status: before.status)
            }
            let named = outcome.constituencies.sorted()
            let known = Set(try await connection.query("SELECT code FROM constituency WHERE code = ANY(\(named))").map { try $0.decode("code", as: String.self) })
            if case .hearing(_, let statements, _) = outcome, !known.isSuperset(of: named) {
                throw Refusal.invalid(statements.enumerated().filter { !known.contains($0.element.constituency) }.map {
                    FieldProblem(field: "statements[\($0.offset)].constituency", message: "is not a known constituency code")
                })
            }
            let after = try Self.forum(try await connection.query("""
                UPDATE forum SET status = 'concluded', outcome = \(PostgresJSON(outcome.json))::jsonb, concluded_at = now(), version = version + 1, updated_at = now()
                WHERE id = \(id) RETURNING \(unsafeRaw: Self.columns)
                """)[0])
            try await AuditLog.record(
                AuditChange(action: "forum.conclude", objectType: "forum", objectID: id.uuidString,
                            before: ["status": .string(before.status.rawValue)],
                            after: ["status": .string("concluded"), "outcome": .object(outcome.json)]),
                by: actor, requestID: requestID, on: connection)
            return after
        }
    }

    /// A concluded forum and its recorded outcome.
    public func outcome(_ id: UUID) async throws -> (forum: Forum, outcome: ForumOutcome)? {
        guard let row = try await pool.query("SELECT \(unsafeRaw: Self.columns), outcome FROM forum WHERE id = \(id)").first,
              let json = try row.decode("outcome", as: PostgresJSON<[String: JSONValue]>?.self)?.value else { return nil }
        let forum = try Self.forum(row)
        return (forum, try Self.outcome(json, kind: forum.kind))
    }

    /// Reads a stored outcome; it was checked when recorded, so a failure means the database was edited by hand.
    static func outcome(_ json: [String: JSONValue], kind: ForumKind) throws -> ForumOutcome {
        do {
            return try ForumOutcome(kind: kind, json: json)
        } catch {
            throw Refusal.invalid("outcome", "the stored outcome no longer reads: " + (error.errors ?? []).map(\.description).joined(separator: "; "))
        }
    }

    /// The id of the venue a forum names: the one given by id, or the venue of that name in that
    /// city (made if there is none). A venue found by name and city must agree on country and
    /// zone, so a forum never silently takes another venue's zone.
    static func resolve(_ venue: Forum.Venue, on connection: PostgresConnection) async throws -> UUID {
        if let id = venue.id { return id }
        try await connection.execute("""
            INSERT INTO venue (name, city, country, time_zone)
            VALUES (\(venue.name), \(venue.city), \(venue.country.uppercased()), \(venue.timeZone))
            ON CONFLICT (name, city) DO NOTHING
            """)
        let row = try await connection.query("SELECT id, country, time_zone FROM venue WHERE name = \(venue.name) AND city = \(venue.city)")[0]
        let (country, zone): (String, String) = (try row.decode("country"), try row.decode("time_zone"))
        guard country == venue.country.uppercased(), zone == venue.timeZone else {
            throw Refusal.invalid("venue", "\(venue.name) in \(venue.city) is a venue in \(country), time zone \(zone); name it by its id or give those values")
        }
        return try row.decode("id")
    }

    /// The venue `id` as a forum shows it.
    static func venue(_ id: UUID, on connection: PostgresConnection) async throws -> Forum.Venue {
        guard let row = try await connection.query("SELECT name, city, country, time_zone FROM venue WHERE id = \(id)").first else {
            throw Refusal.invalid("venue.id", "is not a known venue")
        }
        return Forum.Venue(id: id, name: try row.decode("name"), city: try row.decode("city"),
                           country: try row.decode("country"), timeZone: try row.decode("time_zone"))
    }

    static func venue(_ row: PostgresRow) throws -> Forum.Venue {
        let fields = try row.decode("venue", as: PostgresJSON<[String: String]>.self).value
        guard let name = fields["name"], let city = fields["city"], let country = fields["country"], let zone = fields["timeZone"] else {
            throw Refusal.invalid("venue", "the forum's venue does not read")
        }
        return Forum.Venue(id: try row.decode("venue_id"), name: name, city: city, country: country, timeZone: zone)
    }

    static func forum(_ row: PostgresRow) throws -> Forum {
        guard let kind = ForumKind(rawValue: try row.decode("kind")), let status = ForumStatus(rawValue: try row.decode("status")) else {
            throw Refusal.invalid("kind", "unknown kind or status in the database")
        }
        return Forum(
            id: try row.decode("id"), issue: try row.decode("issue_id"), kind: kind, title: try row.decode("title"),
            venue: try venue(row),
            startsAt: try row.decode("starts_at"), endsAt: try row.decode("ends_at"),
            nominationsDeadline: try row.decode("nominations_deadline"), speakingSlots: try row.decode("speaking_slots"),
            speakingMinutes: try row.decode("speaking_minutes"), participantCap: try row.decode("participant_cap"),
            chair: try row.decode("chair"), status: status, version: try row.decode("version"),
            acceptedCount: try row.decode("accepted_count"), issueReportsTo: try row.decode("issue_reports_to"))
    }
}
