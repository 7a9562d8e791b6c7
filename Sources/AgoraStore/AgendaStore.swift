import Agora
import Foundation
import PostgresClient

/// Something that runs statements: the pool, a connection in a transaction, or (in tests) a
/// wrapper that counts them.
protocol AgendaQuerying: Sendable {
    func query(_ query: PostgresQuery) async throws -> PostgresRows
}
extension PostgresConnectionPool: AgendaQuerying {}
extension PostgresConnection: AgendaQuerying {}

/// A forum's agenda: its sessions and speaker lists (the draft, which the secretariat edits)
/// and its published versions (which everyone reads, frozen as published).
public struct AgendaStore: Sendable {
    private let pool: PostgresConnectionPool
    /// How long after the last publish that concerns a reader their "agenda changed" notice
    /// waits, so that a run of publishes makes one notice (``Outbox/agendaChanged``).
    let noticeQuietPeriod: TimeInterval

    public init(pool: PostgresConnectionPool, noticeQuietPeriod: TimeInterval = NoticeTiming.defaultQuietPeriod) {
        self.pool = pool
        self.noticeQuietPeriod = noticeQuietPeriod
    }

    // MARK: Sessions

    /// Adds a session (every field but chair set) to forum `forum`; nil if there is no such forum.
    public func createSession(in forum: UUID, _ fields: AgendaSession.Fields, by actor: Actor, requestID: String?) async throws -> AgendaSession? {
        let range = (fields.startsAt!, fields.endsAt!)
        return try await refusingConflicts(room: fields.room, persons: [], range: range, excluding: nil) {
            try await pool.withTransaction { connection -> AgendaSession? in
                guard try await connection.query("SELECT 1 FROM forum WHERE id = \(forum)").first != nil else { return nil }
                let id = try await connection.query("""
                    INSERT INTO agenda_session (forum_id, title, format, starts_at, ends_at, room_id, chair_id, description, languages, interpretation)
                    VALUES (\(forum), \(fields.title), \(fields.format?.rawValue), \(fields.startsAt), \(fields.endsAt), \(fields.room),
                            \(fields.chair ?? nil), \(fields.description ?? ""), \(fields.languages ?? []), \(fields.interpretation ?? []))
                    RETURNING id
                    """)[0].decode("id", as: UUID.self)
                let session = try await Self.sessions(of: forum, only: id, on: connection)[0]
                try await AuditLog.record(
                    AuditChange(action: "session.create", objectType: "session", objectID: id.uuidString,
                                after: session.snapshot(["title", "format", "startsAt", "endsAt", "room", "chair"])),
                    by: actor, requestID: requestID, on: connection)
                try await IdempotentAnswer.offer(Optional(session) as Any, on: connection)
                return session
            }
        }
    }

    /// A session as drafted, with the forum it belongs to; nil if there is none.
    public func session(_ id: UUID) async throws -> (forum: UUID, session: AgendaSession)? {
        guard let forum = try await pool.query("SELECT forum_id FROM agenda_session WHERE id = \(id)").first?.decode("forum_id", as: UUID.self),
              let session = try await Self.sessions(of: forum, only: id, on: pool).first else { return nil }
        return (forum, session)
    }

    /// The time zone of a session's venue (local times given for it read there); nil if there is no such session.
    public func timeZone(ofSession id: UUID) async throws -> String? {
        try await pool.query("""
            SELECT v.time_zone FROM agenda_session s JOIN forum f ON f.id = s.forum_id JOIN venue v ON v.id = f.venue_id WHERE s.id = \(id)
            """).first?.decode("time_zone")
    }

    /// Changes the fields set in `fields`. A cancelled session no longer changes; a session is
    /// never shorter than its speakers' minutes.
    public func updateSession(_ id: UUID, _ fields: AgendaSession.Fields, expectedVersion: Int?, by actor: Actor,
                              requestID: String?) async throws -> AgendaSession {
        let (forum, current) = try await lockedSessionContext(id, expectedVersion: expectedVersion, on: nil)
        if fields.names.isEmpty { return current }
        // Read before the transaction only to name the sessions in the way if the database
        // refuses; what is written is worked out from the row locked inside.
        let guess = (fields.startsAt ?? current.startsAt, fields.endsAt ?? current.endsAt)
        return try await refusingConflicts(room: fields.room ?? current.room.id, persons: current.speakers.map(\.speaker.person),
                                           range: guess, excluding: id) {
            try await pool.withTransaction { connection in
                let (_, before) = try await lockedSessionContext(id, expectedVersion: expectedVersion, on: connection)
                let range = (fields.startsAt ?? before.startsAt, fields.endsAt ?? before.endsAt)
                guard range.1 > range.0 else { throw Refusal.invalid(fields.endsAt != nil ? "endsAt" : "startsAt", "the session must end after it starts") }
                let minutes = before.speakers.reduce(0) { $0 + $1.minutes }
                if minutes > Int(range.1.timeIntervalSince(range.0) / 60) {
                    throw Refusal.invalid(fields.endsAt != nil ? "endsAt" : "startsAt",
                                          "the session's speakers take \(minutes) minutes; make it at least that long, or shorten their minutes first")
                }
                try await connection.execute("""
                    UPDATE agenda_session SET
                        title = coalesce(\(fields.title), title), format = coalesce(\(fields.format?.rawValue), format),
                        starts_at = \(range.0), ends_at = \(range.1), room_id = coalesce(\(fields.room), room_id),
                        chair_id = CASE WHEN \(fields.chair != nil) THEN \(fields.chair ?? nil) ELSE chair_id END,
                        description = coalesce(\(fields.description), description),
                        languages = coalesce(\(fields.languages), languages), interpretation = coalesce(\(fields.interpretation), interpretation),
                        version = version + 1, updated_at = now()
                    WHERE id = \(id)
                    """)
                let after = try await Self.sessions(of: forum, only: id, on: connection)[0]
                try await AuditLog.record(
                    AuditChange(action: "session.update", objectType: "session", objectID: id.uuidString,
                                before: before.snapshot(fields.names), after: after.snapshot(fields.names)),
                    by: actor, requestID: requestID, on: connection)
                return after
            }
        }
    }

    /// Cancels a session: it stays in the agenda, marked, and frees its room and its speakers.
    public func cancelSession(_ id: UUID, by actor: Actor, requestID: String?) async throws -> AgendaSession {
        try await pool.withTransaction { connection in
            let (forum, _) = try await lockedSessionContext(id, expectedVersion: nil, on: connection)
            try await connection.execute("UPDATE agenda_session SET status = 'cancelled', version = version + 1, updated_at = now() WHERE id = \(id)")
            let after = try await Self.sessions(of: forum, only: id, on: connection)[0]
            try await AuditLog.record(
                AuditChange(action: "session.cancel", objectType: "session", objectID: id.uuidString,
                            before: ["status": .string("scheduled")], after: ["status": .string("cancelled")]),
                by: actor, requestID: requestID, on: connection)
            return after
        }
    }

    /// Replaces a session's speaker list, in order. A person keeping a place keeps its slot id.
    /// Everyone named must be a known person who has not declined a place on the forum's
    /// slate; their minutes together fit the session.
    public func setSpeakers(of id: UUID, _ places: [SpeakerPlace], expectedVersion: Int?, by actor: Actor,
                            requestID: String?) async throws -> AgendaSession {
        let (forum, current) = try await lockedSessionContext(id, expectedVersion: expectedVersion, on: nil)
        return try await refusingConflicts(room: nil, persons: places.map(\.person), range: (current.startsAt, current.endsAt), excluding: id) {
            try await pool.withTransaction { connection in
                let (_, before) = try await lockedSessionContext(id, expectedVersion: expectedVersion, on: connection)
                try await checkSpeakers(places, forum: forum, session: before, on: connection)
                let persons = places.map(\.person)
                try await connection.execute("DELETE FROM session_speaker WHERE session_id = \(id) AND NOT (person_id = ANY(\(persons)))")
                for (offset, place) in places.enumerated() {
                    try await connection.execute("""
                        INSERT INTO session_speaker (session_id, person_id, position, minutes, during, active)
                        VALUES (\(id), \(place.person), \(offset + 1), \(place.minutes), 'empty', false)
                        ON CONFLICT (session_id, person_id) DO UPDATE SET position = EXCLUDED.position, minutes = EXCLUDED.minutes
                        """)
                }
                try await connection.execute("UPDATE agenda_session SET version = version + 1, updated_at = now() WHERE id = \(id)")
                let after = try await Self.sessions(of: forum, only: id, on: connection)[0]
                try await AuditLog.record(
                    AuditChange(action: "session.speakers", objectType: "session", objectID: id.uuidString,
                                before: before.snapshot(["speakers"]), after: after.snapshot(["speakers"])),
                    by: actor, requestID: requestID, on: connection)
                return after
            }
        }
    }

    /// Refuses unknown people, people named twice, people who declined the forum's slate,
    /// and minutes longer than the session.
    private func checkSpeakers(_ places: [SpeakerPlace], forum: UUID, session: AgendaSession, on connection: PostgresConnection) async throws {
        let persons = places.map(\.person)
        let known = Set(try await connection.query("SELECT id FROM person WHERE id = ANY(\(persons))").map { try $0.decode("id", as: UUID.self) })
        let declined = Set(try await connection.query("""
            SELECT n.person_id FROM slate_speaker ss JOIN slate s ON s.id = ss.slate_id JOIN nomination n ON n.id = ss.nomination_id
            WHERE s.forum_id = \(forum) AND s.status = 'approved' AND ss.state = 'declined' AND n.person_id = ANY(\(persons))
            """).map { try $0.decode("person_id", as: UUID.self) })
        var problems: [FieldProblem] = []
        var seen = Set<UUID>()
        for (offset, place) in places.enumerated() {
            if !known.contains(place.person) {
                problems.append(FieldProblem(field: "speakers[\(offset)].person", message: "is not a known person"))
            } else if !seen.insert(place.person).inserted {
                problems.append(FieldProblem(field: "speakers[\(offset)].person", message: "is already on the list"))
            } else if declined.contains(place.person) {
                problems.append(FieldProblem(field: "speakers[\(offset)].person", message: "declined a place on the forum's slate"))
            }
        }
        let minutes = places.reduce(0) { $0 + $1.minutes }
        if minutes > session.lengthInMinutes {
            problems.append(FieldProblem(field: "speakers", message: "take \(minutes) minutes; the session lasts \(session.lengthInMinutes)"))
        }
        if !problems.isEmpty { throw Refusal.invalid(problems) }
    }

    /// The session's forum and the session, locked when on a transaction's connection; refuses
    /// a missing session (404), a stale `expectedVersion` and a cancelled session.
    private func lockedSessionContext(_ id: UUID, expectedVersion: Int?, on connection: PostgresConnection?) async throws -> (UUID, AgendaSession) {
        let querying: any AgendaQuerying = connection ?? pool
        let lock = connection == nil ? "" : "FOR UPDATE"
        guard let row = try await querying.query("SELECT forum_id, version, status FROM agenda_session WHERE id = \(id) \(unsafeRaw: lock)").first else {
            throw Refusal.notFound()
        }
        let forum: UUID = try row.decode("forum_id")
        let version: Int = try row.decode("version")
        if let expectedVersion, expectedVersion != version { throw Refusal.stale(currentVersion: version) }
        if try row.decode("status", as: String.self) == SessionStatus.cancelled.rawValue { throw Refusal.sessionCancelled }
        return (forum, try await Self.sessions(of: forum, only: id, on: querying)[0])
    }

    /// Runs `body`; a room or a speaker taken by an overlapping session, refused by the
    /// database's exclusion constraints, becomes a refusal naming the sessions in the way
    /// (looked up after the failed transaction, which can no longer run statements).
    private func refusingConflicts<Result>(room: UUID?, persons: [UUID], range: (Date, Date), excluding: UUID?,
                                           _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await mapViolations(body)
        } catch let error as PostgresError where error.constraint == "agenda_session_room_free" {
            let sessions = try await pool.query("""
                SELECT id FROM agenda_session WHERE room_id = \(room) AND status = 'scheduled'
                AND during && tstzrange(\(range.0), \(range.1), '[)') AND id IS DISTINCT FROM \(excluding) ORDER BY starts_at
                """).map { try $0.decode("id", as: UUID.self) }
            throw sessions.isEmpty ? Refusal.databaseBusy : Refusal.roomTaken(by: sessions)
        } catch let error as PostgresError where error.constraint == "session_speaker_not_double_booked" {
            let rows = try await pool.query("""
                SELECT person_id, session_id FROM session_speaker WHERE person_id = ANY(\(persons)) AND active
                AND during && tstzrange(\(range.0), \(range.1), '[)') AND session_id IS DISTINCT FROM \(excluding) ORDER BY person_id
                """)
            guard let first = rows.first else { throw Refusal.databaseBusy }
            let person: UUID = try first.decode("person_id")
            let sessions = try rows.filter { try $0.decode("person_id", as: UUID.self) == person }.map { try $0.decode("session_id", as: UUID.self) }
            throw Refusal.speakerDoubleBooked(person: person, in: sessions)
        }
    }

    // MARK: Building the agenda

    /// The draft agenda of a forum: every session as it stands; nil if there is no such forum.
    public func draft(_ forum: UUID) async throws -> Agenda? {
        try await Self.draft(forum, on: pool)
    }

    /// Builds the draft in three statements whatever its size: the forum with its venue, the
    /// sessions with their rooms and chairs, and every speaker of the forum.
    static func draft(_ forum: UUID, on querying: any AgendaQuerying) async throws -> Agenda? {
        guard let row = try await querying.query("""
            SELECT f.id, f.title, f.starts_at, f.ends_at, v.id AS venue_id, v.name, v.city, v.country, v.time_zone
            FROM forum f JOIN venue v ON v.id = f.venue_id WHERE f.id = \(forum)
            """).first else { return nil }
        let venue = Forum.Venue(id: try row.decode("venue_id"), name: try row.decode("name"), city: try row.decode("city"),
                                country: try row.decode("country"), timeZone: try row.decode("time_zone"))
        return Agenda(forum: forum, title: try row.decode("title"), venue: venue, startsAt: try row.decode("starts_at"),
                      endsAt: try row.decode("ends_at"), version: nil, name: nil, comment: nil, publishedAt: nil,
                      sessions: try await sessions(of: forum, only: nil, on: querying))
    }

    static let personColumns = """
        p.id AS person_id, p.name AS person_name, p.country AS person_country,
        o.id AS organisation_id, o.name AS organisation_name, o.constituency
        """

    /// The sessions of a forum (or the one session `only`), in agenda order, in two statements.
    static func sessions(of forum: UUID, only: UUID?, on querying: any AgendaQuerying) async throws -> [AgendaSession] {
        let sessionRows = try await querying.query("""
            SELECT s.id, s.forum_id, 0 AS agenda_version, s.number, s.title, s.format, s.status, s.starts_at, s.ends_at, s.description,
                   s.languages, s.interpretation, s.version, 0 AS sequence, r.id AS room_id, r.name AS room_name, \(unsafeRaw: personColumns)
            FROM agenda_session s JOIN room r ON r.id = s.room_id
            LEFT JOIN person p ON p.id = s.chair_id LEFT JOIN organisation o ON o.id = p.organisation_id
            WHERE s.forum_id = \(forum) AND (\(only)::uuid IS NULL OR s.id = \(only))
            """)
        let speakerRows = try await querying.query("""
            SELECT ss.id, ss.session_id, s.forum_id, 0 AS agenda_version, ss.position, ss.minutes, \(unsafeRaw: personColumns)
            FROM session_speaker ss JOIN agenda_session s ON s.id = ss.session_id
            JOIN person p ON p.id = ss.person_id LEFT JOIN organisation o ON o.id = p.organisation_id
            WHERE s.forum_id = \(forum) AND (\(only)::uuid IS NULL OR s.id = \(only))
            ORDER BY ss.session_id, ss.position
            """)
        return try assemble(sessionRows, speakerRows)[AgendaKey(forum: forum, version: 0)] ?? []
    }

    /// A forum's version (0: the draft), to group rows read for several agendas at once.
    struct AgendaKey: Hashable {
        var forum: UUID
        var version: Int
    }

    /// Sessions with their speakers, from rows of the draft's or of published versions' tables
    /// (which name their columns alike), grouped by forum and version, in agenda order.
    static func assemble(_ sessionRows: PostgresRows, _ speakerRows: PostgresRows) throws -> [AgendaKey: [AgendaSession]] {
        // A session's id repeats across versions, so its speakers are grouped by version too.
        struct SessionOfVersion: Hashable { var session: UUID; var key: AgendaKey }
        var speakers: [SessionOfVersion: [AgendaSpeaker]] = [:]
        for row in speakerRows {
            let key = try AgendaKey(forum: row.decode("forum_id"), version: row.decode("agenda_version"))
            let session = try row.decode("session_id", as: UUID.self)
            speakers[SessionOfVersion(session: session, key: key), default: []].append(
                AgendaSpeaker(id: try row.decode("id"), position: try row.decode("position"), minutes: try row.decode("minutes"),
                              speaker: try person(row)!))
        }
        var sessions: [AgendaKey: [AgendaSession]] = [:]
        for row in sessionRows {
            let key = try AgendaKey(forum: row.decode("forum_id"), version: row.decode("agenda_version"))
            let id: UUID = try row.decode("id")
            guard let format = SessionFormat(rawValue: try row.decode("format")),
                  let status = SessionStatus(rawValue: try row.decode("status")) else {
                throw Refusal.invalid("format", "unknown session format or status in the database")
            }
            sessions[key, default: []].append(AgendaSession(
                id: id, number: try row.decode("number"), title: try row.decode("title"), format: format, status: status,
                startsAt: try row.decode("starts_at"), endsAt: try row.decode("ends_at"),
                room: AgendaRoom(id: try row.decode("room_id"), name: try row.decode("room_name")), chair: try person(row),
                description: try row.decode("description"), languages: try row.decode("languages"),
                interpretation: try row.decode("interpretation"), speakers: speakers[SessionOfVersion(session: id, key: key)] ?? [],
                sequence: try row.decode("sequence"), version: try row.decode("version")))
        }
        return sessions.mapValues(Agenda.ordered)
    }

    static func person(_ row: PostgresRow) throws -> AgendaPerson? {
        guard let id = try row.decode("person_id", as: UUID?.self) else { return nil }
        let organisation = try row.decode("organisation_id", as: UUID?.self).map {
            AgendaOrganisation(id: $0, name: try row.decode("organisation_name"))
        }
        return AgendaPerson(person: id, name: try row.decode("person_name"), organisation: organisation,
                            constituency: try row.decode("constituency"), country: try row.decode("person_country"))
    }

    // MARK: Publishing

    /// Publishes the draft as the next version, with its change log computed against the last
    /// version. Refused for a draft forum and when nothing changed. The first version makes the
    /// agenda public and moves the forum to `agenda_published` where that is its next status.
    public func publish(_ forum: UUID, name: String?, comment: String?, by actor: Actor, requestID: String?) async throws -> AgendaVersion? {
        // REPEATABLE READ: the three statements that read the draft see one moment, so a
        // speaker list or a cancellation committed meanwhile is in the copy whole or not at all.
        // Retried on a serialization failure: a scheduler may claim one of the forum's waiting
        // notices (which the outbox writers update) after this transaction's snapshot.
        try await mapViolations { try await pool.withRetryingTransaction(isolation: .repeatableRead) { connection -> AgendaVersion? in
            // Publishes of one forum take turns, so two cannot both become version n.
            guard let row = try await connection.query("SELECT status, kind FROM forum WHERE id = \(forum) FOR UPDATE").first else { return nil }
            guard let status = ForumStatus(rawValue: try row.decode("status")), let kind = ForumKind(rawValue: try row.decode("kind")) else { return nil }
            if status == .draft { throw Refusal.forumNotAnnounced }
            guard var agenda = try await Self.draft(forum, on: connection) else { return nil }
            let previous = try await Self.published(forum, version: nil, on: connection)
            let changes = AgendaChange.between(previous?.sessions ?? [], agenda.sessions)
            if changes.isEmpty { throw Refusal.agendaUnchanged(version: previous?.version ?? 0) }
            let number = (previous?.version ?? 0) + 1
            agenda.sessions = AgendaChange.sequenced(previous?.sessions ?? [], agenda.sessions)
            agenda.version = number
            agenda.name = name
            agenda.comment = comment
            let venue = agenda.venue
            let publishedAt = try await connection.query("""
                INSERT INTO agenda_version (forum_id, number, name, comment, title, starts_at, ends_at, venue_id, venue_name, venue_city,
                                            venue_country, time_zone, changes, people)
                VALUES (\(forum), \(number), \(name), \(comment), \(agenda.title), \(agenda.startsAt), \(agenda.endsAt), \(venue.id),
                        \(venue.name), \(venue.city), \(venue.country), \(venue.timeZone), \(try AgendaJSON.text(changes))::jsonb, \(agenda.people))
                RETURNING published_at
                """)[0].decode("published_at", as: Date.self)
            agenda.publishedAt = publishedAt
            try await Self.copy(agenda, number: number, on: connection)
            try await Outbox.agendaPublished(forum, number: number, changes: changes, quietPeriod: noticeQuietPeriod, on: connection)
            if status.allowedNext(kind: kind).contains(.agendaPublished) {
                try await connection.execute("UPDATE forum SET status = 'agenda_published', version = version + 1, updated_at = now() WHERE id = \(forum)")
                try await AuditLog.record(
                    AuditChange(action: "forum.status", objectType: "forum", objectID: forum.uuidString,
                                before: ["status": .string(status.rawValue)], after: ["status": .string(ForumStatus.agendaPublished.rawValue)]),
                    by: actor, requestID: requestID, on: connection)
            }
            try await AuditLog.record(
                AuditChange(action: "agenda.publish", objectType: "forum", objectID: forum.uuidString,
                            after: ["version": .number(Double(number)), "changes": .number(Double(changes.count))]),
                by: actor, requestID: requestID, on: connection)
            let version = AgendaVersion(version: number, name: name, comment: comment, publishedAt: publishedAt, changes: changes)
            try await IdempotentAnswer.offer(Optional(version) as Any, on: connection)
            return version
        } }
    }

    /// Copies the sessions and speakers of `agenda`, as published, into version `number`'s
    /// tables: two statements, each reading the rows from one JSON array.
    static func copy(_ agenda: Agenda, number: Int, on connection: PostgresConnection) async throws {
        struct SessionRow: Encodable {
            var id: UUID, number: Int, title: String, format: String, status: String, starts_at: Date, ends_at: Date
            var room_id: UUID, room_name: String, chair_id: UUID?, chair_name: String?, chair_country: String?
            var chair_organisation_id: UUID?, chair_organisation_name: String?, chair_constituency: String?
            var description: String, languages: [String], interpretation: [String], sequence: Int, session_version: Int
        }
        struct SpeakerRow: Encodable {
            var session_id: UUID, id: UUID, position: Int, minutes: Int, person_id: UUID, person_name: String, person_country: String
            var organisation_id: UUID?, organisation_name: String?, constituency: String?
        }
        let sessions = agenda.sessions.map { session in
            SessionRow(id: session.id, number: session.number, title: session.title, format: session.format.rawValue, status: session.status.rawValue,
                       starts_at: session.startsAt, ends_at: session.endsAt, room_id: session.room.id, room_name: session.room.name,
                       chair_id: session.chair?.person, chair_name: session.chair?.name, chair_country: session.chair?.country,
                       chair_organisation_id: session.chair?.organisation?.id, chair_organisation_name: session.chair?.organisation?.name,
                       chair_constituency: session.chair?.constituency, description: session.description, languages: session.languages,
                       interpretation: session.interpretation, sequence: session.sequence, session_version: session.version)
        }
        let speakers = agenda.sessions.flatMap { session in
            session.speakers.map { slot in
                SpeakerRow(session_id: session.id, id: slot.id, position: slot.position, minutes: slot.minutes, person_id: slot.speaker.person,
                           person_name: slot.speaker.name, person_country: slot.speaker.country, organisation_id: slot.speaker.organisation?.id,
                           organisation_name: slot.speaker.organisation?.name, constituency: slot.speaker.constituency)
            }
        }
        try await connection.execute("""
            INSERT INTO agenda_version_session
            SELECT \(agenda.forum), \(number), x.* FROM jsonb_to_recordset(\(try AgendaJSON.text(sessions))::jsonb) AS x(
                id uuid, number bigint, title text, format text, status text, starts_at timestamptz, ends_at timestamptz,
                room_id uuid, room_name text, chair_id uuid, chair_name text, chair_country char(2), chair_organisation_id uuid,
                chair_organisation_name text, chair_constituency text, description text, languages text[], interpretation text[],
                sequence integer, session_version integer)
            """)
        try await connection.execute("""
            INSERT INTO agenda_version_speaker
            SELECT \(agenda.forum), \(number), x.* FROM jsonb_to_recordset(\(try AgendaJSON.text(speakers))::jsonb) AS x(
                session_id uuid, id uuid, position integer, minutes integer, person_id uuid, person_name text, person_country char(2),
                organisation_id uuid, organisation_name text, constituency text)
            """)
    }

    // MARK: Reading published versions

    /// Version `version` of a forum's agenda (the latest when nil) as published; nil if none.
    public func published(_ forum: UUID, version: Int?) async throws -> Agenda? {
        try await Self.published(forum, version: version, on: pool)
    }

    static let versionColumns = """
        v.forum_id, v.number, v.name, v.comment, v.published_at, v.title, v.starts_at, v.ends_at,
        v.venue_id, v.venue_name, v.venue_city, v.venue_country, v.time_zone
        """

    /// Reads a published version in three statements whatever its size: the version, its
    /// sessions, its speakers (the latest version's number is found in the first).
    static func published(_ forum: UUID, version: Int?, on querying: any AgendaQuerying) async throws -> Agenda? {
        guard let row = try await querying.query("""
            SELECT \(unsafeRaw: versionColumns) FROM agenda_version v
            WHERE v.forum_id = \(forum) AND (\(version)::int IS NULL OR v.number = \(version))
            ORDER BY v.number DESC LIMIT 1
            """).first else { return nil }
        return try await agendas([row], on: querying).first
    }

    /// The published versions of `versionRows`, with their sessions and speakers read in two statements.
    static func agendas(_ versionRows: [PostgresRow], on querying: any AgendaQuerying) async throws -> [Agenda] {
        guard !versionRows.isEmpty else { return [] }
        let forums = try versionRows.map { try $0.decode("forum_id", as: UUID.self) }
        let numbers = try versionRows.map { try $0.decode("number", as: Int.self) }
        let sessionRows = try await querying.query("""
            SELECT s.id, s.forum_id, s.version AS agenda_version, s.number, s.title, s.format, s.status, s.starts_at, s.ends_at,
                   s.description, s.languages, s.interpretation, s.session_version AS version, s.sequence, s.room_id, s.room_name,
                   s.chair_id AS person_id, s.chair_name AS person_name, s.chair_country AS person_country,
                   s.chair_organisation_id AS organisation_id, s.chair_organisation_name AS organisation_name, s.chair_constituency AS constituency
            FROM agenda_version_session s JOIN unnest(\(forums)::uuid[], \(numbers)::int[]) AS w(forum_id, number)
              ON s.forum_id = w.forum_id AND s.version = w.number
            """)
        let speakerRows = try await querying.query("""
            SELECT s.id, s.session_id, s.forum_id, s.version AS agenda_version, s.position, s.minutes, s.person_id, s.person_name,
                   s.person_country, s.organisation_id, s.organisation_name, s.constituency
            FROM agenda_version_speaker s JOIN unnest(\(forums)::uuid[], \(numbers)::int[]) AS w(forum_id, number)
              ON s.forum_id = w.forum_id AND s.version = w.number
            ORDER BY s.session_id, s.position
            """)
        let sessions = try assemble(sessionRows, speakerRows)
        return try versionRows.map { row in
            let key = try AgendaKey(forum: row.decode("forum_id"), version: row.decode("number"))
            let venue = Forum.Venue(id: try row.decode("venue_id"), name: try row.decode("venue_name"), city: try row.decode("venue_city"),
                                    country: try row.decode("venue_country"), timeZone: try row.decode("time_zone"))
            return Agenda(forum: key.forum, title: try row.decode("title"), venue: venue, startsAt: try row.decode("starts_at"),
                          endsAt: try row.decode("ends_at"), version: key.version, name: try row.decode("name"),
                          comment: try row.decode("comment"), publishedAt: try row.decode("published_at"), sessions: sessions[key] ?? [])
        }
    }

    /// The number of the forum's latest published version; nil if none.
    public func latestVersion(of forum: UUID) async throws -> Int? {
        try await pool.query("SELECT max(number) AS latest FROM agenda_version WHERE forum_id = \(forum)")[0].decode("latest")
    }

    /// The versions published after version `since`, oldest first, with their change logs.
    public func versions(of forum: UUID, since: Int) async throws -> [AgendaVersion] {
        try await pool.query("""
            SELECT number, name, comment, published_at, changes FROM agenda_version
            WHERE forum_id = \(forum) AND number > \(since) ORDER BY number
            """).map { row in
            AgendaVersion(version: try row.decode("number"), name: try row.decode("name"), comment: try row.decode("comment"),
                          publishedAt: try row.decode("published_at"),
                          changes: try AgendaJSON.decode([AgendaChange].self, from: try row.decode("changes")))
        }
    }

    /// The latest published agenda of every forum where `person` speaks or chairs, by start.
    public func agendas(of person: UUID) async throws -> [Agenda] {
        let versions = try await pool.query("""
            SELECT DISTINCT ON (v.forum_id) \(unsafeRaw: Self.versionColumns) FROM agenda_version v
            WHERE v.forum_id IN (SELECT forum_id FROM agenda_version WHERE people @> ARRAY[\(person)]::uuid[])
            ORDER BY v.forum_id, v.number DESC
            """)
        return try await Self.agendas(Array(versions), on: pool).sorted { $0.startsAt < $1.startsAt }
    }
}

/// How change logs and copied rows are written as JSON: dates as ISO 8601, so they read
/// plainly in the database too.
enum AgendaJSON {
    static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from text: String) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(text.utf8))
    }
}
