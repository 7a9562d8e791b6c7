import Agora
import Foundation
import PostgresClient

/// What a claimed notice says at the moment it is sent: its payload completed with what the
/// database holds now (the forum's title, the session's current time and room, the agenda's
/// changes since the reader's last notice), the one-time codes an e-mail carries, or why it no
/// longer applies.
public enum NoticeContent: Sendable, Equatable {
    /// Send it with these values (instants as ISO 8601 strings; `timeZone` names the venue's zone).
    case send([String: JSONValue])
    /// Do not send it: it no longer applies.
    case irrelevant(String)
}

extension NoticeStore {
    /// The content of `notice` at `now`. Codes are minted here, as the e-mail is sent, and stored
    /// only as hashes: an invitation's delivery code, a subscription's confirmation code, the
    /// unsubscribe code every subscription e-mail carries, and the opt-out code of every other e-mail.
    /// `forums` holds what ``forums(_:)`` read for the round, so a burst of notices about one
    /// forum reads it once.
    public func content(of notice: ClaimedNotice, now: Date, forums: [UUID: [String: JSONValue]] = [:]) async throws -> NoticeContent {
        var values = notice.payload
        if case .subscription(let subscription, let live) = notice.recipient {
            if notice.kind == NoticeKind.subscriptionConfirm.rawValue {
                let lifetime = SubscriptionStore.confirmationLifetime
                guard let code = try await mintSubscriptionCode(subscription, purpose: "confirm", lifetime: lifetime, now: now, unconfirmedOnly: true) else {
                    return .irrelevant("the subscription is confirmed or ended")
                }
                values["code"] = .string(code)
                values["expiresAt"] = .string(now.addingTimeInterval(lifetime).isoInstant)
                values["subscription"] = .string(subscription.uuidString)
            } else {
                guard live else { return .irrelevant("the subscription is not confirmed or has ended") }
            }
            // A confirmation needs no unsubscribe code: its own code ends the subscription too.
            if notice.channel == "email", notice.kind != NoticeKind.subscriptionConfirm.rawValue,
               let code = try await mintSubscriptionCode(subscription, purpose: "unsubscribe", lifetime: nil, now: now, unconfirmedOnly: false) {
                values["unsubscribeCode"] = .string(code)
                values["subscription"] = .string(subscription.uuidString)
            }
        }
        if case .string(let forum)? = values["forum"], let id = UUID(uuidString: forum) {
            if let known = forums[id] { values.merge(known) { _, forum in forum } } else { try await addForum(id, to: &values) }
        }
        switch NoticeKind(rawValue: notice.kind) {
        case .accountInvited:
            guard case .string(let invitation)? = values["invitation"], let id = UUID(uuidString: invitation),
                  let issued = try await AccessStore(pool: pool).mintDeliveryCode(invitation: id, now: now) else {
                return .irrelevant("the invitation is no longer open")
            }
            values["code"] = .string(issued.code)
            values["expiresAt"] = .string(issued.expiresAt.isoInstant)
        case .confirmationRequested, .confirmationReminder, .confirmationDeadlineMoved:
            guard try await stillAwaitingAnswer(values) else { return .irrelevant("the speaker has answered, or the deadline moved or passed") }
        case .sessionReminder:
            guard case .person(let person) = notice.recipient, try await addSession(values, person: person, to: &values) else {
                return .irrelevant("the speaker no longer speaks in that session, or it was cancelled")
            }
        case .agendaChanged:
            let person: UUID? = if case .person(let id) = notice.recipient { id } else { nil }
            guard try await addChanges(person: person, to: &values) else { return .irrelevant("nothing changed for the reader") }
        default:
            break
        }
        // Every other e-mail (to a person or an account about their own business, and a
        // subscription's confirmation, which anyone may cause) carries a link that stops e-mails
        // to its address; minted last, only for an e-mail that goes. No code means the address
        // opted out: the e-mail is not sent (an invitation excepted). This is the one place
        // the rule is applied at sending, so a click just before is honoured too.
        if notice.channel == "email", let address = notice.address, Self.carriesOptOut(notice) {
            let exempt = notice.kind == NoticeKind.accountInvited.rawValue
            guard let code = try await MailOptOutStore(pool: pool).mintCode(for: address, exempt: exempt, now: now) else {
                return .irrelevant(MailOptOutStore.reason)
            }
            values["optOutCode"] = .string(code)
        }
        return .send(values)
    }

    /// Whether the notice's e-mail carries an opt-out link: every one but those of a confirmed
    /// subscription, which carry the subscription's own unsubscribe link.
    static func carriesOptOut(_ notice: ClaimedNotice) -> Bool {
        switch notice.recipient {
        case .person, .account: true
        case .subscription: notice.kind == NoticeKind.subscriptionConfirm.rawValue
        }
    }

    private func mintSubscriptionCode(_ subscription: UUID, purpose: String, lifetime: TimeInterval?, now: Date, unconfirmedOnly: Bool) async throws -> String? {
        let code = TokenSecret.generate(prefix: "agorasub_")
        let inserted = try await pool.execute("""
            INSERT INTO subscription_code (code_hash, subscription_id, purpose, expires_at)
            SELECT \(TokenSecret.hash(code)), s.id, \(purpose), \(lifetime.map { now.addingTimeInterval($0) })
            FROM subscription s
            WHERE s.id = \(subscription) AND s.ended_at IS NULL AND (NOT \(unconfirmedOnly) OR s.confirmed_at IS NULL)
            """)
        return inserted == 1 ? code : nil
    }

    /// What notices say of each of `ids`' forums (title, kind, start, venue, zone, chair,
    /// nominations deadline), read in one statement.
    public func forums(_ ids: [UUID]) async throws -> [UUID: [String: JSONValue]] {
        guard !ids.isEmpty else { return [:] }
        var found: [UUID: [String: JSONValue]] = [:]
        for row in try await pool.query("""
            SELECT f.id, f.title, f.kind, f.starts_at, f.chair, f.nominations_deadline, v.name AS venue_name, v.city, v.time_zone
            FROM forum f JOIN venue v ON v.id = f.venue_id WHERE f.id = ANY(\(ids))
            """) {
            var values: [String: JSONValue] = [:]
            try Self.describeForum(row, into: &values)
            found[try row.decode("id", as: UUID.self)] = values
        }
        return found
    }

    private func addForum(_ forum: UUID, to values: inout [String: JSONValue]) async throws {
        guard let row = try await pool.query("""
            SELECT f.title, f.kind, f.starts_at, f.chair, f.nominations_deadline, v.name AS venue_name, v.city, v.time_zone
            FROM forum f JOIN venue v ON v.id = f.venue_id WHERE f.id = \(forum)
            """).first else { return }
        try Self.describeForum(row, into: &values)
    }

    private static func describeForum(_ row: PostgresRow, into values: inout [String: JSONValue]) throws {
        values["forumTitle"] = .string(try row.decode("title"))
        values["forumKind"] = .string(try row.decode("kind"))
        values["forumStartsAt"] = .string((try row.decode("starts_at") as Date).isoInstant)
        values["venueName"] = .string(try row.decode("venue_name"))
        values["city"] = .string(try row.decode("city"))
        values["timeZone"] = .string(try row.decode("time_zone"))
        if let chair = try row.decode("chair", as: String?.self) { values["chair"] = .string(chair) }
        if let deadline = try row.decode("nominations_deadline", as: Date?.self) { values["nominationsDeadline"] = .string(deadline.isoInstant) }
    }

    /// Whether the speaker of a confirmation reminder is still asked, with the same deadline.
    private func stillAwaitingAnswer(_ values: [String: JSONValue]) async throws -> Bool {
        guard case .string(let slate)? = values["slate"], case .string(let nomination)? = values["nomination"],
              case .string(let deadline)? = values["confirmBy"],
              let slateID = UUID(uuidString: slate), let nominationID = UUID(uuidString: nomination) else { return false }
        // A reminder of a deadline that moved is not sent: the new deadline has its own.
        return !(try await pool.query("""
            SELECT 1 FROM slate_speaker WHERE slate_id = \(slateID) AND nomination_id = \(nominationID)
              AND state = 'chosen' AND answered_at IS NULL AND confirm_by > now() AND confirm_by = \(deadline)::timestamptz
            """)).isEmpty
    }

    /// The session of a speaker reminder as the latest published version has it; false when the
    /// person no longer speaks there or the session is cancelled.
    private func addSession(_ payload: [String: JSONValue], person: UUID, to values: inout [String: JSONValue]) async throws -> Bool {
        guard case .string(let forum)? = payload["forum"], case .string(let session)? = payload["session"],
              let forumID = UUID(uuidString: forum), let sessionID = UUID(uuidString: session) else { return false }
        guard let row = try await pool.query("""
            SELECT s.title, s.starts_at, s.ends_at, s.room_name, sp.minutes, v.number
            FROM agenda_version v
            JOIN agenda_version_session s ON s.forum_id = v.forum_id AND s.version = v.number
            JOIN agenda_version_speaker sp ON sp.forum_id = v.forum_id AND sp.version = v.number AND sp.session_id = s.id
            WHERE v.forum_id = \(forumID) AND s.id = \(sessionID) AND sp.person_id = \(person) AND s.status = 'scheduled'
              AND v.number = (SELECT max(number) FROM agenda_version WHERE forum_id = \(forumID))
            """).first else { return false }
        values["sessionTitle"] = .string(try row.decode("title"))
        values["startsAt"] = .string((try row.decode("starts_at") as Date).isoInstant)
        values["endsAt"] = .string((try row.decode("ends_at") as Date).isoInstant)
        values["room"] = .string(try row.decode("room_name"))
        values["minutes"] = .number(Double(try row.decode("minutes", as: Int.self)))
        values["agendaVersion"] = .number(Double(try row.decode("number", as: Int.self)))
        return true
    }

    /// The changes of versions `fromVersion`…`toVersion` that concern `person` (all of them for a
    /// subscriber), oldest first; false when none does.
    private func addChanges(person: UUID?, to values: inout [String: JSONValue]) async throws -> Bool {
        guard case .string(let forum)? = values["forum"], let forumID = UUID(uuidString: forum),
              case .number(let from)? = values["fromVersion"], case .number(let to)? = values["toVersion"] else { return false }
        let rows = try await pool.query("""
            SELECT number, changes::text AS changes FROM agenda_version
            WHERE forum_id = \(forumID) AND number BETWEEN \(Int(from)) AND \(Int(to)) ORDER BY number
            """)
        var changes: [JSONValue] = []
        for row in rows {
            let number = try row.decode("number", as: Int.self)
            for change in try AgendaJSON.decode([AgendaChange].self, from: try row.decode("changes", as: String.self))
            where person.map(change.people.contains) ?? true {
                var entry = try AgendaJSON.decode([String: JSONValue].self, from: AgendaJSON.text(change))
                entry["version"] = .number(Double(number))
                changes.append(.object(entry))
            }
        }
        values["changes"] = .array(changes)
        return !changes.isEmpty
    }
}

extension Date {
    /// The instant as the outbox's values hold it (``ISOInstant``).
    var isoInstant: String { ISOInstant.string(self) }
}
