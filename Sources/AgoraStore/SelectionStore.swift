import Agora
import Foundation
import PostgresClient

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
        guard let row = try await pool.query("SELECT speaking_slots, speaking_minutes FROM forum WHERE id = \(forum)").first else { return nil }
        guard let slots: Int = try row.decode("speaking_slots"), let minutes: Int = try row.decode("speaking_minutes") else {
            throw SelectionInstanceError("Set the forum's speakingSlots and speakingMinutes first (PATCH /forums/{id}).")
        }
        let pool = try await pool.withConnection { try await Self.pool(of: forum, on: $0) }
        let (_, result, applied) = try await Self.solve(pool, forum: forum, slots: slots, minutes: minutes, rules: rules)
        return (result, applied)
    }

    /// What the solver reads of a forum: its candidates and the nominations of committee members.
    struct CandidatePool: Equatable, Sendable {
        var candidates: [Candidate]
        var committee: [UUID]
        var formerMembers: [UUID]
    }

    static func pool(of forum: UUID, on connection: PostgresConnection) async throws -> CandidatePool {
        CandidatePool(candidates: try await NominationStore.candidates(of: forum, on: connection),
                      committee: try await NominationStore.committeeNominations(of: forum, on: connection),
                      formerMembers: try await NominationStore.formerMemberNominations(of: forum, on: connection))
    }

    /// The instance of the forum's candidates, solved off the event loop and outside any
    /// transaction, with a decision for every active nomination the instance left out (a
    /// person's second nomination; a committee member's).
    static func solve(_ pool: CandidatePool, forum: UUID, slots: Int, minutes: Int,
                      rules: SelectionInstance.Rules) async throws -> (SelectionInstance, SelectionResult, AppliedRules) {
        try await solving {
            let instance = SelectionInstance(candidates: pool.candidates, slots: slots, speakingMinutes: minutes, rules: rules, forum: forum)
            let solved = try SelectionSolver.solveWithRules(instance, forum: forum.uuidString)
            var result = solved.result
            for (leftOut, kept) in SelectionInstance.duplicates(among: pool.candidates, forum: forum) {
                result.decisions.append(.init(nomination: leftOut.uuidString, outcome: .notSelected,
                                              reason: "Considered once: the same person's nomination \(kept.uuidString) by another network ranks them as high or higher."))
            }
            for committee in pool.committee {
                result.decisions.append(.init(nomination: committee.uuidString, outcome: .notSelected,
                                              reason: "Not considered: the person sits on the forum's selection committee."))
            }
            for former in pool.formerMembers where !pool.committee.contains(former) {
                result.decisions.append(.init(nomination: former.uuidString, outcome: .notSelected,
                                              reason: "Not considered: the person's organisation is no longer a member of the nominating network."))
            }
            return (instance, result, solved.rules)
        }
    }

    /// Runs the solver once nominations are closed and keeps the result as the forum's next
    /// slate version. The solver runs with no lock held; the slate is written only if the
    /// candidates are still those it solved for (else it solves again, at most a few times).
    public func run(_ forum: UUID, rules: SelectionInstance.Rules, now: Date = Date(), actor: Actor, requestID: String?) async throws -> Slate {
        for _ in 0..<Self.optimisticAttempts {
            let read = try await pool.withConnection { connection -> (slots: Int, minutes: Int, CandidatePool) in
                guard let row = try await connection.query("""
                    SELECT status, nominations_deadline, speaking_slots, speaking_minutes FROM forum WHERE id = \(forum)
                    """).first, let status = ForumStatus(rawValue: try row.decode("status")) else { throw Refusal.notFound() }
                try Self.checkTimeToRun(status: status, deadline: try row.decode("nominations_deadline"), now: now)
                guard let slots: Int = try row.decode("speaking_slots"), let minutes: Int = try row.decode("speaking_minutes") else {
                    throw Refusal(.forumNotReady, "Set the forum's speakingSlots and speakingMinutes first (PATCH /forums/{id}).")
                }
                return (slots, minutes, try await Self.pool(of: forum, on: connection))
            }
            let candidates = read.2
            let (instance, result, applied): (SelectionInstance, SelectionResult, AppliedRules)
            do {
                (instance, result, applied) = try await Self.solve(candidates, forum: forum, slots: read.slots, minutes: read.minutes, rules: rules)
            } catch let error as SelectionInstanceError {
                throw Refusal(.cannotSelect, error.description)
            }
            let encoded = try await EncodedSlate.encoding(instance, result)
            // nil: solved for other candidates or places than there are now, so solve again.
            let written: Slate? = try await pool.withTransaction { connection in
                guard let row = try await connection.query("""
                    SELECT status, nominations_deadline, speaking_slots, speaking_minutes FROM forum WHERE id = \(forum) FOR UPDATE
                    """).first, let status = ForumStatus(rawValue: try row.decode("status")) else { throw Refusal.notFound() }
                try Self.checkTimeToRun(status: status, deadline: try row.decode("nominations_deadline"), now: now)
                // An approved slate is the forum's: a new run would leave a proposal nobody may approve.
                guard try await connection.query("SELECT 1 FROM slate WHERE forum_id = \(forum) AND status = 'approved'").isEmpty else {
                    throw Refusal.slateStatus(.approved)
                }
                guard try row.decode("speaking_slots", as: Int?.self) == read.slots, try row.decode("speaking_minutes", as: Int?.self) == read.minutes,
                      try await Self.pool(of: forum, on: connection) == candidates else { return nil }
                let id = try await Self.keep(instance, result: result, encoded: encoded, rules: rules, applied: applied, forum: forum,
                                             actor: actor, requestID: requestID, on: connection)
                let slate = try await Self.stored(id, on: connection, known: (instance, result))!.slate
                try await IdempotentAnswer.offer(slate, on: connection)
                return slate
            }
            if let written { return written }
        }
        throw PostgresError(code: .serializationFailure, message: "the nominations kept changing while the slate was being chosen")
    }

    /// A solved instance and result as JSON text, encoded off the event loop before any lock is
    /// taken (at a large conference they run to thousands of entries).
    struct EncodedSlate: Sendable {
        var instance: String
        var result: String

        static func encoding(_ instance: SelectionInstance, _ result: SelectionResult) async throws -> EncodedSlate {
            try await offLoop {
                EncodedSlate(instance: String(decoding: try JSONEncoder().encode(instance), as: UTF8.self),
                             result: String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
            }
        }
    }

    /// Refuses choosing a slate when it is not the time: nominations still open, or the forum held.
    static func checkTimeToRun(status: ForumStatus, deadline: Date?, now: Date) throws(Refusal) {
        guard NominationWindow.isPublic(status: status, deadline: deadline, now: now), status < .held else {
            throw Refusal(.nominationsNotClosed, "A slate is chosen once nominations have closed and before the forum is held (it is \(status.rawValue)).")
        }
    }

    /// Writes a solved slate as the forum's next version, with its places and a public audit entry.
    static func keep(_ instance: SelectionInstance, result: SelectionResult, encoded: EncodedSlate, rules: SelectionInstance.Rules, applied: AppliedRules,
                     forum: UUID, actor: Actor, requestID: String?, on connection: PostgresConnection) async throws -> UUID {
        let number = try await connection.query("SELECT COALESCE(max(number), 0) + 1 AS n FROM slate WHERE forum_id = \(forum)")[0].decode("n", as: Int.self)
        let reserves = result.reserves.compactMap(UUID.init(uuidString:))
        let id = try await connection.query("""
            INSERT INTO slate (forum_id, number, rules, applied, instance, result, reserves, created_by)
            VALUES (\(forum), \(number), \(PostgresJSON(rules))::jsonb, \(PostgresJSON(applied))::jsonb, \(encoded.instance)::jsonb,
                    \(encoded.result)::jsonb, \(reserves), \(actor.accountID))
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
        return id
    }

    /// The secretariat puts `incoming` in the place of `outgoing`, with a public justification.
    public func override(_ slate: UUID, outgoing: UUID, incoming: UUID, justification: String, actor: Actor, requestID: String?) async throws -> Slate {
        try await step(slate, prepare: { _ in }) { stored, _, connection in
            let before = stored.slate
            guard before.status != .approved else { throw Refusal.slateStatus(before.status) }
            guard let leaving = before.holding.first(where: { $0.nomination == outgoing }) else {
                throw Refusal.invalid("in", "\(outgoing.uuidString) holds no place on this slate.")
            }
            guard !before.speakers.contains(where: { $0.nomination == incoming }) else {
                throw Refusal.invalid("in", "\(incoming.uuidString) is already on this slate.")
            }
            guard let entering = try await NominationStore.nomination(incoming, on: connection), entering.forum == before.forum, !entering.withdrawn else {
                throw Refusal.invalid("in", "\(incoming.uuidString) is not an active nomination for this forum.")
            }
            guard !(try await Self.personOnSlate(entering.person, slate: slate, on: connection)) else {
                throw Refusal.invalid("in", "This person already holds a place.")
            }
            guard !(try await NominationStore.committeeNominations(of: before.forum, on: connection)).contains(incoming) else {
                throw Refusal.invalid("in", "This person sits on the forum's selection committee.")
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
            return .changed
        }
    }

    /// The bureau approves (asking the chosen speakers to confirm) or returns the slate with a comment.
    public func review(_ slate: UUID, approve: Bool, comment: String?, now: Date = Date(), actor: Actor, requestID: String?) async throws -> Slate {
        try await step(slate, prepare: { _ in }) { stored, _, connection in
            let before = stored.slate
            // The forum is locked already (by `step`); its issue's body read now, under that lock.
            let forum = try await connection.query("""
                SELECT f.kind, f.title, f.starts_at, i.reports_to FROM forum f JOIN policy_issue i ON i.id = f.issue_id
                WHERE f.id = \(before.forum)
                """)[0]
            // A bureau reviews only slates of forums whose issue reports to the body it serves;
            // another body's bureau learns nothing of this slate, not even its status.
            guard Visibility.mayReviewSlate(issueReportsTo: try forum.decode("reports_to"), viewer: actor) else { throw Refusal.notFound() }
            guard before.status == .proposed else { throw Refusal.slateStatus(before.status) }
            let startsAt: Date = try forum.decode("starts_at")
            // Approving asks speakers to confirm before the start: too late once it has begun.
            if approve, now >= startsAt { throw Refusal.forumStarted }
            if approve {
                let constituencies = Set(before.holding.map(\.constituency)).count
                if try forum.decode("kind", as: String.self) == ForumKind.hearing.rawValue && constituencies < Slate.hearingMinimumConstituencies {
                    throw Refusal.tooFewConstituencies(constituencies)
                }
                guard (try await connection.query("SELECT 1 FROM slate WHERE forum_id = \(before.forum) AND status = 'approved'")).isEmpty else {
                    throw Refusal.slateStatus(.approved)
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
                try await Outbox.selectionResult(slate: slate, on: connection)
            }
            try await AuditLog.record(
                AuditChange(action: approve ? "slate.approve" : "slate.return", objectType: "slate", objectID: slate.uuidString,
                            before: ["status": .string(before.status.rawValue)],
                            after: ["status": .string(approve ? "approved" : "returned"), "comment": comment.map(JSONValue.string) ?? .null],
                            isPublic: true),
                by: actor, requestID: requestID, on: connection)
            return .changed
        }
    }

    /// A chosen speaker (through their network's focal point, or the secretariat) confirms or
    /// declines; a decline gives the place to the first reserve whose entry keeps the rules.
    public func answer(_ slate: UUID, nomination: UUID, confirm: Bool, within networks: Set<UUID>?, now: Date = Date(),
                       actor: Actor, requestID: String?) async throws -> Slate {
        try await step(slate, prepare: { stored -> UUID? in
            // Who would take a declined place: the solver's work, done before the lock.
            guard !confirm, let speaker = stored.slate.speakers.first(where: { $0.nomination == nomination }) else { return nil }
            return try await Self.replacement(for: speaker, on: stored, now: now)
        }) { stored, replacement, connection in
            let before = stored.slate
            // Whose speaker first: a stranger learns nothing of the slate's status.
            guard let speaker = before.speakers.first(where: { $0.nomination == nomination }) else { throw Refusal.notFound() }
            guard networks.map({ $0.contains(speaker.network) }) ?? true else { throw Refusal.notFound() }
            guard before.status == .approved else { throw Refusal.slateStatus(before.status) }
            guard now < stored.startsAt else { throw Refusal.forumStarted }
            // A chosen speaker answers; a confirmed one may still withdraw (decline). Repeating an answer changes nothing.
            guard speaker.state == .chosen || (speaker.state == .confirmed && !confirm) else { return .unchanged(before) }
            try await Self.record(confirm ? .confirmed : .declined, of: speaker, on: stored, replacement: replacement, now: now,
                                  actor: actor, requestID: requestID, on: connection)
            return .changed
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
        var failure: (any Error)?
        let scheduler = Actor(accountID: nil, tokenName: "scheduler", grants: [])
        for (slate, nomination) in overdue {
            do {
                _ = try await step(slate, prepare: { stored -> UUID? in
                    guard let speaker = stored.slate.speakers.first(where: { $0.nomination == nomination }) else { return nil }
                    return try await Self.replacement(for: speaker, on: stored, now: now)
                }) { stored, replacement, connection in
                    guard let speaker = stored.slate.speakers.first(where: { $0.nomination == nomination && $0.state == .chosen }) else {
                        throw Refusal.notFound()
                    }
                    try await Self.record(.declined, of: speaker, on: stored, replacement: replacement, now: now, actor: scheduler,
                                          requestID: nil, on: connection, reason: "no answer by the deadline")
                    return .changed
                }
                released += 1
            } catch let refusal as Refusal where refusal.code == .notFound {
                // Answered or gone meanwhile: nothing to release.
            } catch {
                // One slate's trouble (a deadlock, a lost connection) must not hold back the others;
                // it is reported once all were tried, and the next run tries it again.
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return released
    }

    /// Records a speaker's answer; a decline before the forum starts brings in a replacement,
    /// asked to answer within `answerTime` of `now` (never past the start).
    static func record(_ state: Slate.Speaker.State, of speaker: Slate.Speaker, on stored: Stored, replacement: UUID?, now: Date, actor: Actor,
                       requestID: String?, on connection: PostgresConnection, reason: String? = nil) async throws {
        let slate = stored.slate
        try await connection.query("""
            UPDATE slate_speaker SET state = \(state.rawValue), answered_at = now() WHERE slate_id = \(slate.id) AND nomination_id = \(speaker.nomination)
            """)
        var after: [String: JSONValue] = ["nomination": .string(speaker.nomination.uuidString), "state": .string(state.rawValue)]
        if let reason { after["reason"] = .string(reason) }
        if state == .declined, now < stored.startsAt, let replacement {
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

    /// The first reserve whose entry keeps the applied rules, by the solver's own replacement
    /// rule, worked out off the event loop; none once the forum has started.
    static func replacement(for speaker: Slate.Speaker, on stored: Stored, now: Date) async throws -> UUID? {
        guard now < stored.startsAt else { return nil }
        return try await solving { replacement(for: speaker, on: stored) }
    }

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
                   jsonb_build_object('forum', \(slate.forum.uuidString.lowercased())::text, 'forumTitle', \(title)::text, 'slate', \(slate.id.uuidString.lowercased())::text,
                                      'nomination', \(nomination.uuidString.lowercased())::text, 'minutes', \(minutes)::int, 'confirmBy', \(confirmBy)::timestamptz),
                   \("slate:\(slate.id.uuidString):confirm:\(nomination.uuidString)")
            FROM nomination n WHERE n.id = \(nomination)
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
        try await Outbox.confirmationReminder(slate: slate.id, forum: slate.forum, nomination: nomination, minutes: minutes,
                                              confirmBy: confirmBy, on: connection)
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

    /// How often a step reads the slate again when it changed between the read and the lock.
    static let optimisticAttempts = 4

    /// What a step decided under the lock.
    enum Step {
        /// Written: the answer is the slate as committed.
        case changed
        /// Nothing written: the answer is the slate as it was (refusals are thrown).
        case unchanged(Slate)
    }

    /// A step on slate `id`, optimistically, so no CPU-heavy work runs while a row lock is
    /// held: read and decode the slate with no lock, let `prepare` do the heavy part (the
    /// solver) outside any transaction, then lock the slate row and `apply` only if its revision
    /// is still the one read — otherwise read again. After a few rounds of losing it answers 503
    /// (a serialization failure). The answer is the slate as committed, read after the commit.
    private func step<Prepared>(_ id: UUID, prepare: (Stored) async throws -> Prepared,
                                apply: (Stored, Prepared, PostgresConnection) async throws -> Step) async throws -> Slate {
        for _ in 0..<Self.optimisticAttempts {
            guard let snapshot = try await pool.withConnection({ try await Self.stored(id, on: $0) }) else { throw Refusal.notFound() }
            let prepared = try await prepare(snapshot)
            let step: Step? = try await mapViolations { try await pool.withTransaction { connection in
                // The forum first, then the slate, as every path takes them (a forum edit moves
                // its slates' deadlines): no deadlock between the two.
                try await connection.execute("SELECT 1 FROM forum WHERE id = \(snapshot.slate.forum) FOR UPDATE")
                guard let revision = try await connection.query("SELECT revision FROM slate WHERE id = \(id) FOR UPDATE").first?
                    .decode("revision", as: Int.self) else { throw Refusal.notFound() }
                guard revision == snapshot.slate.revision else { return nil }
                return try await apply(snapshot, prepared, connection)
            } }
            switch step {
            case nil: continue
            case .unchanged(let slate)?: return slate
            case .changed?:
                guard let slate = try await slate(id) else { throw Refusal.notFound() }
                return slate
            }
        }
        throw PostgresError(code: .serializationFailure, message: "the slate kept changing while a step on it was prepared")
    }

    /// A slate with what its steps need beside it: the solver's instance and the forum's title and start.
    struct Stored {
        var slate: Slate
        var instance: SelectionInstance
        var forumTitle: String
        var startsAt: Date
    }

    static func slate(_ id: UUID, on connection: PostgresConnection) async throws -> Slate? {
        try await stored(id, on: connection)?.slate
    }

    /// A slate with its instance, as committed; read with no lock (steps that change it lock its
    /// row afterwards and check its revision, see ``step(_:prepare:apply:)``).
    /// `known`: the instance and result when the caller has them (it just wrote them), so they
    /// are neither read nor decoded again.
    static func stored(_ id: UUID, on connection: PostgresConnection, known: (SelectionInstance, SelectionResult)? = nil) async throws -> Stored? {
        guard let row = try await connection.query("""
            SELECT s.id, s.forum_id, s.number, s.status, s.rules, s.applied,
                   CASE WHEN \(known == nil) THEN s.instance::text END AS instance_json, CASE WHEN \(known == nil) THEN s.result::text END AS result_json,
                   s.reserves, s.review_comment, s.reviewed_at, s.confirm_by, s.created_at, s.revision, f.title, f.starts_at,
                   (SELECT i.reports_to FROM policy_issue i WHERE i.id = f.issue_id) AS issue_reports_to
            FROM slate s JOIN forum f ON f.id = s.forum_id WHERE s.id = \(id)
            """).first, let status = Slate.Status(rawValue: try row.decode("status")) else { return nil }
        // The instance and the decisions run to thousands of entries at a large conference:
        // decoded off the connection's event loop, whose other connections would wait.
        let (instanceJSON, resultJSON) = (try row.decode("instance_json", as: String?.self), try row.decode("result_json", as: String?.self))
        var decoded = known
        if decoded == nil {
            decoded = try await offLoop {
                (try JSONDecoder().decode(SelectionInstance.self, from: Data((instanceJSON ?? "").utf8)),
                 try JSONDecoder().decode(SelectionResult.self, from: Data((resultJSON ?? "").utf8)))
            }
        }
        guard let (instance, result) = decoded else { return nil }
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
        let slate = Slate(
            id: id, forum: try row.decode("forum_id"), number: try row.decode("number"), status: status,
            requestedRules: try row.decode("rules", as: PostgresJSON<SelectionInstance.Rules>.self).value,
            appliedRules: try row.decode("applied", as: PostgresJSON<AppliedRules>.self).value,
            relaxed: result.relaxed, objective: result.objective, speakers: speakers, reserves: try row.decode("reserves"),
            decisions: result.decisions, reviewComment: try row.decode("review_comment"), reviewedAt: try row.decode("reviewed_at"),
            confirmBy: try row.decode("confirm_by"), createdAt: try row.decode("created_at"), revision: try row.decode("revision"),
            issueReportsTo: try row.decode("issue_reports_to"))
        return Stored(slate: slate, instance: instance, forumTitle: try row.decode("title"), startsAt: try row.decode("starts_at"))
    }
}
