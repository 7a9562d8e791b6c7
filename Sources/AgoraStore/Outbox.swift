import Agora
import Foundation
import PostgresClient

/// Writers of the outbox: each is called inside the transaction of the change that causes the
/// notice, so no change commits without its notices and no notice exists without its change.
/// Dedupe keys make a retried change write nothing twice. Language and channel follow the
/// recipient (a trigger, `notice_defaults`), and a trigger wakes the schedulers on commit.
enum Outbox {
    /// The accounts that speak for `network` and have an e-mail address, as the recipients of
    /// network notices (a network has no address of its own).
    static let networkAccounts = """
        SELECT r.account_id, r.network_id FROM account_role r JOIN account a ON a.id = r.account_id
        WHERE r.role = 'network' AND a.email IS NOT NULL AND a.disabled_at IS NULL
        """

    /// "Nomination received", to the nominating network's accounts.
    static func nominationReceived(_ nomination: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute("""
            INSERT INTO notice (recipient_account, kind, payload, dedupe_key)
            SELECT r.account_id, 'nomination.received',
                   jsonb_build_object('forum', n.forum_id::text, 'nomination', n.id::text, 'personName', p.name, 'networkName', w.name),
                   'nomination:' || n.id || ':received:' || r.account_id
            FROM nomination n JOIN person p ON p.id = n.person_id JOIN network w ON w.id = n.network_id
            JOIN (\(unsafeRaw: networkAccounts)) r ON r.network_id = n.network_id
            WHERE n.id = \(nomination)
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
    }

    /// "Selection result", to each network that nominated for the forum of an approved slate:
    /// its own people, chosen, in reserve or not chosen (and only its own).
    static func selectionResult(slate: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute("""
            INSERT INTO notice (recipient_account, kind, payload, dedupe_key)
            SELECT r.account_id, 'selection.result',
                   jsonb_build_object('forum', s.forum_id::text, 'slate', s.id::text, 'networkName', w.name,
                       'selected', coalesce((SELECT jsonb_agg(jsonb_build_object('personName', p.name, 'minutes', sp.minutes) ORDER BY p.name)
                                             FROM slate_speaker sp JOIN nomination n ON n.id = sp.nomination_id JOIN person p ON p.id = n.person_id
                                             WHERE sp.slate_id = s.id AND n.network_id = w.id), '[]'),
                       'reserves', coalesce((SELECT jsonb_agg(jsonb_build_object('personName', p.name) ORDER BY p.name)
                                             FROM nomination n JOIN person p ON p.id = n.person_id
                                             WHERE n.id = ANY(s.reserves) AND n.network_id = w.id), '[]'),
                       'notSelected', coalesce((SELECT jsonb_agg(jsonb_build_object('personName', p.name) ORDER BY p.name)
                                                FROM nomination n JOIN person p ON p.id = n.person_id
                                                WHERE n.forum_id = s.forum_id AND n.network_id = w.id AND n.withdrawn_at IS NULL
                                                  AND n.id <> ALL(s.reserves)
                                                  AND NOT EXISTS (SELECT 1 FROM slate_speaker sp WHERE sp.slate_id = s.id AND sp.nomination_id = n.id)), '[]')),
                   'slate:' || s.id || ':result:' || r.account_id
            FROM slate s
            JOIN network w ON w.id IN (SELECT network_id FROM nomination WHERE forum_id = s.forum_id)
            JOIN (\(unsafeRaw: networkAccounts)) r ON r.network_id = w.id
            WHERE s.id = \(slate)
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
    }

    /// The confirmation reminder, two days before the deadline (none when that is already past).
    /// Whether it still applies is checked when it is sent.
    static func confirmationReminder(slate: UUID, forum: UUID, nomination: UUID, minutes: Int, confirmBy: Date,
                                     on connection: PostgresConnection) async throws {
        let runAt = confirmBy.addingTimeInterval(-NoticeTiming.confirmationReminderLead)
        try await connection.execute("""
            INSERT INTO notice (recipient_person, kind, payload, run_at, dedupe_key)
            SELECT n.person_id, 'speaker.confirmation_reminder',
                   jsonb_build_object('forum', \(forum.uuidString.lowercased())::text, 'slate', \(slate.uuidString.lowercased())::text, 'nomination', n.id::text,
                                      'minutes', \(minutes)::int, 'confirmBy', \(confirmBy)::timestamptz),
                   \(runAt), \("slate:\(slate.uuidString):confirm:\(nomination.uuidString):reminder:\(Int(confirmBy.timeIntervalSince1970))")
            FROM nomination n WHERE n.id = \(nomination) AND \(runAt) > now()
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
    }

    /// "Hearing scheduled", to every network's accounts, when a hearing is announced.
    static func hearingScheduled(_ forum: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute("""
            INSERT INTO notice (recipient_account, kind, payload, dedupe_key)
            SELECT DISTINCT ON (r.account_id) r.account_id, 'forum.hearing_scheduled', jsonb_build_object('forum', f.id::text),
                   'forum:' || f.id || ':hearing_scheduled:' || r.account_id
            FROM forum f, (\(unsafeRaw: networkAccounts)) r
            WHERE f.id = \(forum) AND f.kind = 'hearing'
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
    }

    /// "Proceedings transmitted", to the forum's subscribers.
    static func proceedingsTransmitted(_ forum: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute("""
            INSERT INTO notice (recipient_subscription, kind, payload, dedupe_key)
            SELECT s.id, 'proceedings.transmitted',
                   jsonb_build_object('forum', t.forum_id::text, 'body', t.body, 'documentReference', t.document_reference,
                                      'transmittedOn', t.transmitted_on::text),
                   'forum:' || t.forum_id || ':transmitted:' || s.id
            FROM transmission t JOIN subscription s ON s.forum_id = t.forum_id AND s.confirmed_at IS NOT NULL AND s.ended_at IS NULL
            WHERE t.forum_id = \(forum)
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
    }

    /// After version `number` of a forum's agenda is published: speaker reminders follow the
    /// sessions, and the people the changes affect, and the subscribers, get a coalesced notice.
    static func agendaPublished(_ forum: UUID, number: Int, changes: [AgendaChange], quietPeriod: TimeInterval,
                                on connection: PostgresConnection) async throws {
        try await sessionReminders(forum, number: number, on: connection)
        let people = Array(Set(changes.flatMap(\.people)))
        try await agendaChanged(forum, number: number, people: people, quietPeriod: quietPeriod, on: connection)
    }

    /// Speaker reminders, 7 days and 1 day before each scheduled session of version `number`,
    /// for every speaker with an address. A reminder of a session that moved moves with it; one
    /// whose session was cancelled, whose speaker left it, or whose time moved into the past is
    /// cancelled. Reminders already sent stay sent.
    static func sessionReminders(_ forum: UUID, number: Int, on connection: PostgresConnection) async throws {
        let leads = NoticeTiming.sessionReminderLeads
        let labels = leads.map(\.label), seconds = leads.map { Int($0.seconds) }
        try await connection.execute("""
            UPDATE notice n SET state = 'cancelled', last_error = 'the session moved or was cancelled, or the speaker left it', updated_at = now()
            WHERE n.kind = 'speaker.session_reminder' AND n.state IN ('pending', 'retry') AND (n.payload->>'forum')::uuid = \(forum)
              AND NOT EXISTS (
                SELECT 1 FROM agenda_version_session s
                JOIN agenda_version_speaker sp ON sp.forum_id = s.forum_id AND sp.version = s.version AND sp.session_id = s.id
                CROSS JOIN unnest(\(labels)::text[], \(seconds)::int[]) AS lead(label, seconds)
                WHERE s.forum_id = \(forum) AND s.version = \(number) AND s.status = 'scheduled'
                  AND s.starts_at - lead.seconds * interval '1 second' > now()
                  AND n.dedupe_key = 'session:' || s.id || ':speaker:' || sp.person_id || ':reminder:' || lead.label)
            """)
        try await connection.execute("""
            INSERT INTO notice (recipient_person, kind, payload, run_at, dedupe_key)
            SELECT sp.person_id, 'speaker.session_reminder',
                   jsonb_build_object('forum', s.forum_id::text, 'session', s.id::text, 'lead', lead.label,
                                      'sevenDays', lead.label = '7d', 'oneDay', lead.label = '1d'),
                   s.starts_at - lead.seconds * interval '1 second',
                   'session:' || s.id || ':speaker:' || sp.person_id || ':reminder:' || lead.label
            FROM agenda_version_session s
            JOIN agenda_version_speaker sp ON sp.forum_id = s.forum_id AND sp.version = s.version AND sp.session_id = s.id
            JOIN person p ON p.id = sp.person_id AND p.email IS NOT NULL
            CROSS JOIN unnest(\(labels)::text[], \(seconds)::int[]) AS lead(label, seconds)
            WHERE s.forum_id = \(forum) AND s.version = \(number) AND s.status = 'scheduled'
              AND s.starts_at - lead.seconds * interval '1 second' > now()
            ON CONFLICT (dedupe_key) DO UPDATE SET run_at = EXCLUDED.run_at, state = 'pending', last_error = NULL, updated_at = now()
            WHERE notice.state IN ('pending', 'retry', 'cancelled')
              AND (notice.run_at IS DISTINCT FROM EXCLUDED.run_at OR notice.state = 'cancelled')
            """)
    }

    /// Coalesced "agenda changed" notices: a reader who already has one waiting (not yet taken
    /// by a scheduler) gets it pushed back to a quiet period after this publish, covering this
    /// version too, but never later than ``NoticeTiming/longestCoalescing(quietPeriod:)`` after
    /// it was first written (a secretariat publishing all day long does not silence it); any
    /// other reader gets a new one, starting at this version.
    static func agendaChanged(_ forum: UUID, number: Int, people: [UUID], quietPeriod: TimeInterval,
                              on connection: PostgresConnection) async throws {
        let quiet = Int(quietPeriod.rounded())
        let longest = Int(NoticeTiming.longestCoalescing(quietPeriod: quietPeriod).rounded())
        try await connection.execute("""
            UPDATE notice n SET updated_at = now(),
                   run_at = least(now() + \(quiet) * interval '1 second', n.created_at + \(longest) * interval '1 second'),
                   payload = jsonb_set(n.payload, '{toVersion}', to_jsonb(\(number)::int))
            WHERE n.kind = 'agenda.changed' AND n.state = 'pending' AND (n.payload->>'forum')::uuid = \(forum)
              AND (n.recipient_person = ANY(\(people)::uuid[])
                   OR n.recipient_subscription IN (SELECT id FROM subscription WHERE forum_id = \(forum) AND confirmed_at IS NOT NULL AND ended_at IS NULL))
            """)
        try await connection.execute("""
            INSERT INTO notice (recipient_person, recipient_subscription, kind, payload, run_at, dedupe_key)
            SELECT r.person, r.subscription, 'agenda.changed',
                   jsonb_build_object('forum', \(forum.uuidString.lowercased())::text, 'fromVersion', \(number)::int, 'toVersion', \(number)::int),
                   now() + \(quiet) * interval '1 second',
                   'agenda:' || \(forum.uuidString.lowercased())::text || ':changed:' || coalesce(r.person, r.subscription) || ':' || \(number)::int
            FROM (SELECT p.id AS person, NULL::uuid AS subscription FROM person p WHERE p.id = ANY(\(people)::uuid[]) AND p.email IS NOT NULL
                  UNION ALL
                  SELECT NULL, s.id FROM subscription s WHERE s.forum_id = \(forum) AND s.confirmed_at IS NOT NULL AND s.ended_at IS NULL) r
            WHERE NOT EXISTS (SELECT 1 FROM notice n
                              WHERE n.kind = 'agenda.changed' AND n.state = 'pending' AND (n.payload->>'forum')::uuid = \(forum)
                                AND (n.recipient_person = r.person OR n.recipient_subscription = r.subscription))
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
    }

    /// Nomination deadline reminders due at `now`: to the accounts of every network that has no
    /// nomination standing for a forum whose nominations are open, 3 days and 1 day before the
    /// deadline (only the nearest one due, so a late first look sends one). Returns how many.
    static func nominationDeadlineReminders(now: Date, on connection: PostgresConnection) async throws -> Int {
        let forums = try await connection.query("""
            SELECT id, nominations_deadline FROM forum
            WHERE status = 'nominations_open' AND nominations_deadline > \(now)
              AND nominations_deadline <= \(now.addingTimeInterval(NoticeTiming.nominationReminderLeads.map(\.seconds).max() ?? 0))
            """)
        var written = 0
        for row in forums {
            let (forum, deadline) = (try row.decode("id", as: UUID.self), try row.decode("nominations_deadline", as: Date.self))
            guard let lead = NoticeTiming.nominationReminder(deadline: deadline, now: now) else { continue }
            written += try await connection.execute("""
                INSERT INTO notice (recipient_account, kind, payload, dedupe_key)
                SELECT r.account_id, 'nomination.deadline_reminder',
                       jsonb_build_object('forum', \(forum.uuidString.lowercased())::text, 'networkName', w.name, 'deadline', \(deadline)::timestamptz,
                                          'daysLeft', \(lead == "1d" ? "1" : "3")::text, 'oneDay', \(lead == "1d")::boolean, 'severalDays', \(lead != "1d")::boolean),
                       'forum:' || \(forum.uuidString.lowercased())::text || ':deadline:' || \(lead)::text || ':' || r.account_id
                FROM (\(unsafeRaw: networkAccounts)) r JOIN network w ON w.id = r.network_id
                WHERE NOT EXISTS (SELECT 1 FROM nomination n WHERE n.forum_id = \(forum) AND n.network_id = r.network_id AND n.withdrawn_at IS NULL)
                ON CONFLICT (dedupe_key) DO NOTHING
                """)
        }
        return written
    }

    /// The double opt-in e-mail of a new e-mail subscription.
    static func subscriptionConfirm(_ subscription: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute("""
            INSERT INTO notice (recipient_subscription, kind, payload, dedupe_key)
            SELECT s.id, 'subscription.confirm', jsonb_build_object('forum', s.forum_id::text),
                   'subscription:' || s.id || ':confirm:' || extract(epoch FROM now())::bigint
            FROM subscription s WHERE s.id = \(subscription)
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
    }

    /// The accounts that speak for `organisation` and have an e-mail address.
    static let organisationAccounts = """
        SELECT r.account_id, r.organisation_id FROM account_role r JOIN account a ON a.id = r.account_id
        WHERE r.role = 'organisation' AND a.email IS NOT NULL AND a.disabled_at IS NULL
        """

    /// "Booking confirmed", "cancelled" or "released", to the booking organisation's accounts.
    static func booking(_ booking: UUID, kind: NoticeKind, on connection: PostgresConnection) async throws {
        try await connection.execute("""
            INSERT INTO notice (recipient_account, kind, payload, dedupe_key)
            SELECT r.account_id, \(kind.rawValue),
                   jsonb_build_object('forum', b.forum_id::text, 'booking', b.id::text, 'roomName', rm.name, 'organisationName', o.name,
                                      'startsAt', lower(b.during), 'endsAt', upper(b.during), 'attendees', b.attendees),
                   'booking:' || b.id || ':' || \(kind.rawValue) || ':' || r.account_id
            FROM workspace_booking b JOIN room rm ON rm.id = b.room_id JOIN organisation o ON o.id = b.organisation_id
            JOIN (\(unsafeRaw: organisationAccounts)) r ON r.organisation_id = b.organisation_id
            WHERE b.id = \(booking)
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
    }
}
