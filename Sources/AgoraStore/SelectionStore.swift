import Agora
import Foundation
import PostgresClient

/// Why a selection step was refused, or what was done.
public enum SelectionOutcome: Sendable {
    case done(Slate)
    case notFound
    /// The forum has no speaking slots or minutes set.
    case notReady(String)
    /// Nominations are still open (saving a slate needs them closed), or the forum has been held.
    case wrongTime(String)
    /// The slate is not at the status the step needs.
    case wrongStatus(Slate.Status)
    /// An override names a nomination that cannot take or leave a place.
    case invalidOverride(String)
    /// A hearing's slate needs speakers from at least three constituencies.
    case tooFewConstituencies(Int)
    /// The caller may not answer for this speaker.
    case notYourSpeaker
    /// The forum has started: its speakers no longer change.
    case started
    /// The solver refused the instance (it names why).
    case unsolvable(String)
}

/// Speaker selection: running the solver on a forum's nominations, keeping slate versions,
/// overrides, the bureau's review, and the speakers' answers with replacements. Every step is
/// audited (publicly: selection is transparent), and what would be sent goes to `notice`.
public struct SelectionStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// How long chosen speakers have to answer once the slate is approved (never past the forum's start).
    public static let answerTime: TimeInterval = 7 * 86_400

    /// Runs the solver on the forum's active nominations without keeping the result.
    public func preview(_ forum: UUID, rules: SelectionInstance.Rules) async throws -> (SelectionResult, AppliedRules)? {
        try await pool.withConnection { connection in
            guard let row = try await connection.query("SELECT speaking_slots, speaking_minutes FROM forum WHERE id = \(forum)").first else { return nil }
            guard let slots: Int = try row.decode("speaking_slots"), let minutes: Int = try row.decode("speaking_minutes") else {
                throw SelectionInstanceError("Set the forum's speakingSlots and speakingMinutes first (PATCH /forums/{id}).")
            }
            let (_, result, applied) = try await Self.solve(forum, slots: slots, minutes: minutes, rules: rules, on: connection)
            return (result, applied)
        }
    }

    /// The instance of the forum's candidates, solved, with a decision for every active
    /// nomination the instance left out (a person's second nomination; a committee member's).
    static func solve(_ forum: UUID, slots: Int, minutes: Int, rules: SelectionInstance.Rules,
                      on connection: PostgresConnection) async throws -> (SelectionInstance, SelectionResult, AppliedRules) {
        let candidates = try await NominationStore.candidates(of: forum, on: connection)
        let instance = SelectionInstance(candidates: candidates, slots: slots, speakingMinutes: minutes, rules: rules, forum: forum)
        let solved = try SelectionSolver.solveWithRules(instance, forum: forum.uuidString)
        var result = solved.result
        for (leftOut, kept) in SelectionInstance.duplicates(among: candidates, forum: forum) {
            result.decisions.append(.init(nomination: leftOut.uuidString, outcome: .notSelected,
                                          reason: "Considered once: the same person's nomination \(kept.uuidString) by another network ranks them as high or higher."))
        }
        for committee in try await NominationStore.committeeNominations(of: forum, on: connection) {
            result.decisions.append(.init(nomination: committee.uuidString, outcome: .notSelected,
                                          reason: "Not considered: the person sits on the forum's selection committee."))
        }
        return (instance, result, solved.rules)
    }

    /// Runs the solver once nominations are closed and keeps the result as the forum's next slate version.
    public func run(_ forum: UUID, rules: SelectionInstance.Rules, now: Date = Date(), actor: Actor, requestID: String?) async throws -> SelectionOutcome {
        try await pool.withTransaction { connection in
            guard let row = try await connection.query("""
                SELECT status, nominations_deadline, speaking_slots, speaking_minutes FROM forum WHERE id = \(forum) FOR UPDATE
                """).first, let status = ForumStatus(rawValue: try row.decode("status")) else { return .notFound }
            guard NominationWindow.isPublic(status: status, deadline: try row.decode("nominations_deadline"), now: now), status < .held else {
                return .wrongTime("A slate is chosen once nominations have closed and before the forum is held (it is \(status.rawValue)).")
            }
            guard let slots: Int = try row.decode("speaking_slots"), let minutes: Int = try row.decode("speaking_minutes") else {
                return .notReady("Set the forum's speakingSlots and speakingMinutes first (PATCH /forums/{id}).")
            }
            let (instance, result, applied): (SelectionInstance, SelectionResult, AppliedRules)
            do {
                (instance, result, applied) = try await Self.solve(forum, slots: slots, minutes: minutes, rules: rules, on: connection)
            } catch let error as SelectionInstanceError {
                return .unsolvable(error.description)
            }
            let number = try await connection.query("SELECT COALESCE(max(number), 0) + 1 AS n FROM slate WHERE forum_id = \(forum)")[0].decode("n", as: Int.self)
            let reserves = result.reserves.compactMap(UUID.init(uuidString:))
            let id = try await connection.query("""
                INSERT INTO slate (forum_id, number, rules, applied, instance, result, reserves, created_by)
                VALUES (\(forum), \(number), \(PostgresJSON(rules))::jsonb, \(PostgresJSON(applied))::jsonb, \(PostgresJSON(instance))::jsonb,
                        \(PostgresJSON(result))::jsonb, \(reserves), \(actor.accountID))
                RETURNING id
                """)[0].decode("id", as: UUID.self)
            for (place, speaker) in result.selected.enumerated() {
                try await connection.query("""
                    INSERT INTO slate_speaker (slate_id, nomination_id, place, minutes)
                    VALUES (\(id), \(UUID(uuidString: speaker.nomination)!), \(place + 1), \(speaker.minutes))
                    """)
            }
            try await AuditLog.record(
                AuditChange(action: "selection.run", objectType: "slate", objectID: id.uuidString,
                            after: ["forum": .string(forum.uuidString), "number": .number(Double(number)), "objective": .number(result.objective),
                                    "relaxed": .array(result.relaxed.map { .string("\($0.rule): \($0.required) → \($0.applied)") })],
                            isPublic: true),
                by: actor, requestID: requestID, on: connection)
            return .done(try await Self.slate(id, on: connection)!)
        }
    }

    /// The secretariat puts `incoming` in the place of `outgoing`, with a public justification.
    public func override(_ slate: UUID, outgoing: UUID, incoming: UUID, justification: String, actor: Actor, requestID: String?) async throws -> SelectionOutcome {
        try await mapViolations { try await pool.withTransaction { connection in
            guard let before = try await Self.slate(slate, on: connection, lock: true) else { return .notFound }
            guard before.status != .approved else { return .wrongStatus(before.status) }
            guard let leaving = before.holding.first(where: { $0.nomination == outgoing }) else {
                return .invalidOverride("\(outgoing.uuidString) holds no place on this slate.")
            }
            guard !before.speakers.contains(where: { $0.nomination == incoming }) else {
                return .invalidOverride("\(incoming.uuidString) is already on this slate.")
            }
            guard let entering = try await NominationStore.nomination(incoming, on: connection), entering.forum == before.forum, !entering.withdrawn else {
                return .invalidOverride("\(incoming.uuidString) is not an active nomination for this forum.")
            }
            guard !(try await Self.personOnSlate(entering.person, slate: slate, on: connection)) else {
                return .invalidOverride("This person already holds a place.")
            }
            guard !(try await NominationStore.committeeNominations(of: before.forum, on: connection)).contains(incoming) else {
                return .invalidOverride("This person sits on the forum's selection committee.")
            }
            try await connection.query("DELETE FROM slate_speaker WHERE slate_id = \(slate) AND nomination_id = \(outgoing)")
            try await connection.query("""
                INSERT INTO slate_speaker (slate_id, nomination_id, place, minutes, override_justification)
                VALUES (\(slate), \(incoming), \(leaving.place), \(leaving.minutes), \(justification))
                """)
            try await connection.query("""
                UPDATE slate SET reserves = array_remove(reserves, \(incoming)), status = 'proposed', revision = revision + 1 WHERE id = \(slate)
                """)
            try await AuditLog.record(
                AuditChange(action: "selection.override", objectType: "slate", objectID: slate.uuidString,
                            before: ["place": .number(Double(leaving.place)), "nomination": .string(outgoing.uuidString)],
                            after: ["place": .number(Double(leaving.place)), "nomination": .string(incoming.uuidString),
                                    "justification": .string(justification)],
                            isPublic: true),
                by: actor, requestID: requestID, on: connection)
            return .done(try await Self.slate(slate, on: connection)!)
        } }
    }

    /// The bureau approves (asking the chosen speakers to confirm) or returns the slate with a comment.
    public func review(_ slate: UUID, approve: Bool, comment: String?, now: Date = Date(), actor: Actor, requestID: String?) async throws -> SelectionOutcome {
        try await mapViolations { try await pool.withTransaction { connection in
            guard let before = try await Self.slate(slate, on: connection, lock: true) else { return .notFound }
            guard before.status == .proposed else { return .wrongStatus(before.status) }
            let forum = try await connection.query("""
                SELECT f.kind, f.title, f.starts_at, i.reports_to FROM forum f JOIN policy_issue i ON i.id = f.issue_id
                WHERE f.id = \(before.forum) FOR UPDATE OF f
                """)[0]
            // A bureau reviews only slates of forums whose issue reports to the body it serves.
            guard Visibility.mayReviewSlate(issueReportsTo: try forum.decode("reports_to"), viewer: actor) else { return .notFound }
            let startsAt: Date = try forum.decode("starts_at")
            // Approving asks speakers to confirm before the start: too late once it has begun.
            if approve, now >= startsAt { return .started }
            if approve {
                let constituencies = Set(before.holding.map(\.constituency)).count
                if try forum.decode("kind", as: String.self) == ForumKind.hearing.rawValue && constituencies < Slate.hearingMinimumConstituencies {
                    return .tooFewConstituencies(constituencies)
                }
                guard (try await connection.query("SELECT 1 FROM slate WHERE forum_id = \(before.forum) AND status = 'approved'")).isEmpty else {
                    return .wrongStatus(.approved)
                }
            }
            let confirmBy = min(now.addingTimeInterval(Self.answerTime), startsAt)
            try await connection.query("""
                UPDATE slate SET status = \(approve ? "approved" : "returned"), review_comment = \(comment), reviewed_at = now(),
                    reviewed_by = \(actor.accountID), confirm_by = \(approve ? confirmBy : nil), revision = revision + 1
                WHERE id = \(slate)
                """)
            if approve {
                for speaker in before.holding {
                    try await Self.askToConfirm(speaker.nomination, slate: before, title: try forum.decode("title"), minutes: speaker.minutes,
                                                confirmBy: confirmBy, on: connection)
                }
            }
            try await AuditLog.record(
                AuditChange(action: approve ? "slate.approve" : "slate.return", objectType: "slate", objectID: slate.uuidString,
                            before: ["status": .string(before.status.rawValue)],
                            after: ["status": .string(approve ? "approved" : "returned"), "comment": comment.map(JSONValue.string) ?? .null],
                            isPublic: true),
                by: actor, requestID: requestID, on: connection)
            return .done(try await Self.slate(slate, on: connection)!)
        } }
    }

    /// A chosen speaker (through their network's focal point, or the secretariat) confirms or
    /// declines; a decline gives the place to the first reserve whose entry keeps the rules.
    public func answer(_ slate: UUID, nomination: UUID, confirm: Bool, within networks: Set<UUID>?, now: Date = Date(),
                       actor: Actor, requestID: String?) async throws -> SelectionOutcome {
        try await pool.withTransaction { connection in
            guard let stored = try await Self.stored(slate, on: connection, lock: true) else { return .notFound }
            let before = stored.slate
            guard before.status == .approved else { return .wrongStatus(before.status) }
            guard now < stored.startsAt else { return .started }
            guard let speaker = before.speakers.first(where: { $0.nomination == nomination }) else { return .notFound }
            guard networks.map({ $0.contains(speaker.network) }) ?? true else { return .notYourSpeaker }
            // A chosen speaker answers; a confirmed one may still withdraw (decline). Repeating an answer changes nothing.
            guard speaker.state == .chosen || (speaker.state == .confirmed && !confirm) else { return .done(before) }
            try await Self.record(confirm ? .confirmed : .declined, of: speaker, on: stored, now: now, actor: actor, requestID: requestID, on: connection)
            return .done(try await Self.slate(slate, on: connection)!)
        }
    }

    /// Treats chosen speakers of approved slates who did not answer by the deadline as declining.
    /// Returns how many places were released.
    public func releaseUnanswered(now: Date = Date()) async throws -> Int {
        let overdue = try await pool.query("""
            SELECT s.id, sp.nomination_id FROM slate s JOIN slate_speaker sp ON sp.slate_id = s.id
            WHERE s.status = 'approved' AND sp.confirm_by < \(now) AND sp.state = 'chosen'
            """).map { (try $0.decode("id", as: UUID.self), try $0.decode("nomination_id", as: UUID.self)) }
        var released = 0
        for (slate, nomination) in overdue {
            try await pool.withTransaction { connection in
                guard let current = try await Self.stored(slate, on: connection, lock: true),
                      let speaker = current.slate.speakers.first(where: { $0.nomination == nomination && $0.state == .chosen }) else { return }
                try await Self.record(.declined, of: speaker, on: current, now: now, actor: Actor(accountID: nil, tokenName: "scheduler", grants: []),
                                      requestID: nil, on: connection, reason: "no answer by the deadline")
                released += 1
            }
        }
        return released
    }

    /// Records a speaker's answer; a decline before the forum starts brings in a replacement,
    /// asked to answer within `answerTime` of `now` (never past the start).
    static func record(_ state: Slate.Speaker.State, of speaker: Slate.Speaker, on stored: Stored, now: Date, actor: Actor, requestID: String?,
                       on connection: PostgresConnection, reason: String? = nil) async throws {
        let slate = stored.slate
        try await connection.query("""
            UPDATE slate_speaker SET state = \(state.rawValue), answered_at = now() WHERE slate_id = \(slate.id) AND nomination_id = \(speaker.nomination)
            """)
        var after: [String: JSONValue] = ["nomination": .string(speaker.nomination.uuidString), "state": .string(state.rawValue)]
        if let reason { after["reason"] = .string(reason) }
        if state == .declined, now < stored.startsAt, let replacement = replacement(for: speaker, on: stored) {
            try await connection.query("""
                INSERT INTO slate_speaker (slate_id, nomination_id, place, minutes, replaced_nomination)
                VALUES (\(slate.id), \(replacement), \(speaker.place), \(speaker.minutes), \(speaker.nomination))
                """)
            try await connection.query("UPDATE slate SET reserves = array_remove(reserves, \(replacement)) WHERE id = \(slate.id)")
            try await askToConfirm(replacement, slate: slate, title: stored.forumTitle, minutes: speaker.minutes,
                                   confirmBy: min(now.addingTimeInterval(answerTime), stored.startsAt), on: connection)
            after["replacedBy"] = .string(replacement.uuidString)
        }
        try await connection.query("UPDATE slate SET revision = revision + 1 WHERE id = \(slate.id)")
        try await AuditLog.record(
            AuditChange(action: "slate.answer", objectType: "slate", objectID: slate.id.uuidString, after: after, isPublic: true),
            by: actor, requestID: requestID, on: connection)
    }

    /// The first reserve whose entry keeps the applied rules, by the solver's own replacement rule.
    static func replacement(for speaker: Slate.Speaker, on stored: Stored) -> UUID? {
        let (slate, instance) = (stored.slate, stored.instance)
        let current = SelectionResult(selected: slate.holding.map { .init(nomination: $0.nomination.uuidString, minutes: $0.minutes) },
                                      reserves: slate.reserves.map(\.uuidString), relaxed: slate.relaxed, objective: slate.objective, decisions: [])
        guard let replaced = try? SelectionSolver.replacing(speaker.nomination.uuidString, in: current, rules: slate.appliedRules,
                                                             instance: instance, forum: slate.forum.uuidString) else { return nil }
        let before = Set(current.selected.map(\.nomination))
        return replaced.selected.map(\.nomination).first { !before.contains($0) }.flatMap(UUID.init(uuidString:))
    }

    /// Writes the confirmation request for a chosen speaker to the outbox.
    static func askToConfirm(_ nomination: UUID, slate: Slate, title: String, minutes: Int, confirmBy: Date, on connection: PostgresConnection) async throws {
        try await connection.query("UPDATE slate_speaker SET confirm_by = \(confirmBy) WHERE slate_id = \(slate.id) AND nomination_id = \(nomination)")
        try await connection.query("""
            INSERT INTO notice (recipient_person, kind, payload, dedupe_key)
            SELECT n.person_id, 'speaker.confirmation_requested',
                   jsonb_build_object('forum', \(slate.forum.uuidString)::text, 'forumTitle', \(title)::text, 'slate', \(slate.id.uuidString)::text,
                                      'nomination', \(nomination.uuidString)::text, 'minutes', \(minutes)::int, 'confirmBy', \(confirmBy)::timestamptz),
                   \("slate:\(slate.id.uuidString):confirm:\(nomination.uuidString)")
            FROM nomination n WHERE n.id = \(nomination)
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
    }

    static func personOnSlate(_ person: UUID, slate: UUID, on connection: PostgresConnection) async throws -> Bool {
        !(try await connection.query("""
            SELECT 1 FROM slate_speaker sp JOIN nomination n ON n.id = sp.nomination_id
            WHERE sp.slate_id = \(slate) AND n.person_id = \(person) AND sp.state <> 'declined'
            """)).isEmpty
    }

    public func slate(_ id: UUID) async throws -> Slate? {
        try await pool.withConnection { try await Self.slate(id, on: $0) }
    }

    /// The forum's latest slate; only an approved one when `approvedOnly`.
    public func latest(of forum: UUID, approvedOnly: Bool) async throws -> Slate? {
        try await pool.withConnection { connection in
            guard let id = try await connection.query("""
                SELECT id FROM slate WHERE forum_id = \(forum) AND (NOT \(approvedOnly) OR status = 'approved') ORDER BY number DESC LIMIT 1
                """).first?.decode("id", as: UUID.self) else { return nil }
            return try await Self.slate(id, on: connection)
        }
    }

    /// A slate with what its steps need beside it: the solver's instance and the forum's title and start.
    struct Stored {
        var slate: Slate
        var instance: SelectionInstance
        var forumTitle: String
        var startsAt: Date
    }

    static func slate(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Slate? {
        try await stored(id, on: connection, lock: lock)?.slate
    }

    static func stored(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Stored? {
        guard let row = try await connection.query("""
            SELECT s.id, s.forum_id, s.number, s.status, s.rules, s.applied, s.instance, s.result, s.reserves, s.review_comment, s.reviewed_at,
                   s.confirm_by, s.created_at, s.revision, f.title, f.starts_at
            FROM slate s JOIN forum f ON f.id = s.forum_id WHERE s.id = \(id) \(unsafeRaw: lock ? "FOR UPDATE OF s" : "")
            """).first, let status = Slate.Status(rawValue: try row.decode("status")) else { return nil }
        let instance = try row.decode("instance", as: PostgresJSON<SelectionInstance>.self).value
        let developing = Dictionary(uniqueKeysWithValues: instance.nominations.map { ($0.id, $0.developing) })
        let speakers = try await connection.query("""
            SELECT sp.place, sp.nomination_id, p.name, o.name AS organisation_name, p.country, n.network_id, w.name AS network_name,
                   w.constituency, c.developing, p.gender, sp.minutes, sp.state, sp.override_justification, sp.replaced_nomination, sp.confirm_by
            FROM slate_speaker sp JOIN nomination n ON n.id = sp.nomination_id JOIN person p ON p.id = n.person_id
            JOIN network w ON w.id = n.network_id JOIN country c ON c.alpha2 = p.country LEFT JOIN organisation o ON o.id = p.organisation_id
            WHERE sp.slate_id = \(id) ORDER BY sp.place, sp.answered_at NULLS LAST
            """).map { row in
            let nomination: UUID = try row.decode("nomination_id")
            let directoryDeveloping: Bool = try row.decode("developing")
            return Slate.Speaker(
                place: try row.decode("place"), nomination: nomination, name: try row.decode("name"), organisationName: try row.decode("organisation_name"),
                country: try row.decode("country"), network: try row.decode("network_id"), networkName: try row.decode("network_name"),
                constituency: try row.decode("constituency"),
                // As the solver saw it (a country's flag may change later); overrides come from the directory.
                developing: developing[nomination.uuidString] ?? directoryDeveloping,
                gender: try row.decode("gender"), minutes: try row.decode("minutes"),
                state: Slate.Speaker.State(rawValue: try row.decode("state")) ?? .chosen,
                overrideJustification: try row.decode("override_justification"), replaced: try row.decode("replaced_nomination"),
                confirmBy: try row.decode("confirm_by"))
        }
        let result = try row.decode("result", as: PostgresJSON<SelectionResult>.self).value
        let slate = Slate(
            id: id, forum: try row.decode("forum_id"), number: try row.decode("number"), status: status,
            requestedRules: try row.decode("rules", as: PostgresJSON<SelectionInstance.Rules>.self).value,
            appliedRules: try row.decode("applied", as: PostgresJSON<AppliedRules>.self).value,
            relaxed: result.relaxed, objective: result.objective, speakers: speakers, reserves: try row.decode("reserves"),
            decisions: result.decisions, reviewComment: try row.decode("review_comment"), reviewedAt: try row.decode("reviewed_at"),
            confirmBy: try row.decode("confirm_by"), createdAt: try row.decode("created_at"), revision: try row.decode("revision"))
        return Stored(slate: slate, instance: instance, forumTitle: try row.decode("title"), startsAt: try row.decode("starts_at"))
    }
}
