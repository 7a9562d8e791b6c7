import Agora
import AgoraAPI
import AgoraScheduler
import AgoraStore
import AsyncHTTPClient
import Foundation
import PostgresClient
import SMTPClient
import Testing
import TestSupport

/// Notice delivery against the real peers: an SMTP server (aiosmtpd) and a webhook receiver
/// that verifies signatures with the Standard Webhooks reference library. Rounds run with
/// fixed clocks, so retries and leases are tested without waiting for them.
@Suite("Notice delivery")
struct NoticeDeliveryTests {
    /// Loopback is allowed here the way an operator would allow it.
    static let loopback = try! WebhookAddressPolicy(allowList: "127.0.0.0/8,::1")
    /// The channels live as long as the test process: their HTTP clients are never shut down
    /// while a test may still use them.
    static let channels: [String: WebhookChannel] = [
        "loopback": WebhookChannel(policy: loopback, timeout: .seconds(15)),
        "loopback-1s": WebhookChannel(policy: loopback, timeout: .seconds(1)),
        "strict": WebhookChannel(policy: .strict, timeout: .seconds(15)),
    ]

    static func delivery(_ pool: PostgresConnectionPool, smtp: SMTPSink, policy: WebhookAddressPolicy = loopback,
                         settings: DeliverySettings = DeliverySettings(), webhookTimeout: Duration = .seconds(15)) throws -> NoticeDelivery {
        NoticeDelivery(store: NoticeStore(pool: pool), publicURL: "https://agora.example.org",
                       mail: SMTPTransport(configuration: try SMTPConfiguration(url: smtp.url)),
                       from: try MailAddress("agora@agora.example.org", name: "Agora"),
                       webhooks: channels[policy == .strict ? "strict" : webhookTimeout == .seconds(1) ? "loopback-1s" : "loopback"]!,
                       settings: settings, random: { 0.5 }, logger: TestDatabase.logger)
    }

    /// A webhook subscription of `forum` pointing at `path` of the receiver, its secret registered there.
    static func hook(_ pool: PostgresConnectionPool, forum: UUID, receiver: WebhookReceiver, path: String, behaviour: String = "ok") async throws -> UUID {
        let owner = try await TestAccount.make(pool, name: "Integrator \(path)")
        let actor = Actor(accountID: owner.id, tokenName: "test", grants: [RoleGrant(.participant)])
        let created = try #require(try await SubscriptionStore(pool: pool).subscribe(webhook: receiver.base + path, to: forum, language: "en",
                                                                                   by: actor, requestID: nil))
        try await receiver.register(path: path, secret: created.secret, behaviour: behaviour)
        return created.subscription.id
    }

    static func notice(_ pool: PostgresConnectionPool, subscription: UUID, forum: UUID, key: String = UUID().uuidString) async throws -> UUID {
        try await pool.query("""
            INSERT INTO notice (recipient_subscription, kind, payload, dedupe_key)
            VALUES (\(subscription), 'proceedings.transmitted',
                    jsonb_build_object('forum', \(forum.uuidString)::text, 'body', 'General Assembly', 'documentReference', 'A/81/1',
                                       'transmittedOn', '2027-02-01'), \(key))
            RETURNING public_id
            """)[0].decode("public_id", as: UUID.self)
    }

    static func state(_ pool: PostgresConnectionPool, _ id: UUID) async throws -> (state: String, attempt: Int, runAt: Date, error: String?) {
        let row = try await pool.query("SELECT state, attempt, run_at, last_error FROM notice WHERE public_id = \(id)")[0]
        return (try row.decode("state"), try row.decode("attempt"), try row.decode("run_at"), try row.decode("last_error"))
    }

    static func forum(_ pool: PostgresConnectionPool) async throws -> UUID {
        try await Fixture.forum(pool, issue: try await Fixture.issue(pool), kind: .conference, status: .announced)
    }

    @Test func eachReaderGetsTheirLanguageByEmailWithTheNoticeIdAsMessageID() async throws {
        let smtp = try await SMTPSink.start()
        defer { smtp.stop() }
        try await withApp { _, pool, _ in
            let forum = try await Self.forum(pool)
            var people: [String: UUID] = [:]
            for (name, languages) in [("Amélie Français", ["fr", "en"]), ("Grace English", ["en", "sw"]), ("Ana Otra", ["pt"])] {
                let person = try await Fixture.person(pool, name, organisation: nil)
                let local = name.split(separator: " ")[0].lowercased().replacingOccurrences(of: "é", with: "e")
                try await pool.execute("UPDATE person SET email = \(local + "@example.org"), languages = \(languages) WHERE id = \(person)")
                people[name] = person
            }
            var ids: [String: UUID] = [:]
            for (name, person) in people {
                ids[name] = try await pool.query("""
                    INSERT INTO notice (recipient_person, kind, payload, dedupe_key)
                    VALUES (\(person), 'nomination.deadline_reminder',
                            jsonb_build_object('forum', \(forum.uuidString)::text, 'networkName', 'Water network', 'deadline', '2027-01-10T09:00:00Z',
                                               'daysLeft', '3', 'severalDays', true, 'oneDay', false), \(name))
                    RETURNING public_id
                    """)[0].decode("public_id", as: UUID.self)
            }
            let round = try await Self.delivery(pool, smtp: smtp).deliverDue(now: Date())
            #expect(round.claimed == 3 && round.delivered == 3, "\(round)")
            let mails = try smtp.mails()
            #expect(mails.count == 3)
            let french = try #require(mails.first { $0.to.contains("amelie@example.org") })
            // The display name went out as an RFC 2047 word and reads back as written.
            #expect(french.to.contains("Amélie Français"))
            #expect(french.contentLanguage == "fr")
            #expect(french.subject.contains("A conference"), "\(french.subject)")
            #expect(french.text.contains("janvier 2027"), "\(french.text)")
            #expect(french.html?.contains("lang=\"fr\"") == true)
            #expect(french.messageID == "<\(ids["Amélie Français"]!.uuidString.lowercased())@agora.example.org>")
            let english = try #require(mails.first { $0.to.contains("grace@example.org") })
            #expect(english.contentLanguage == "en" && english.text.contains("January 2027"), "\(english.text)")
            // Portuguese has no templates: English.
            let other = try #require(mails.first { $0.to.contains("ana@example.org") })
            #expect(other.contentLanguage == "en")
            let states = try await pool.query("SELECT state FROM notice WHERE kind = 'nomination.deadline_reminder'").map { try $0.decode("state", as: String.self) }
            #expect(states == ["done", "done", "done"])
        }
    }

    @Test func webhooksAreSignedAsStandardWebhooksAndCarryNoCodes() async throws {
        let (smtp, receiver) = (try await SMTPSink.start(), try await WebhookReceiver.start())
        defer { smtp.stop(); receiver.stop() }
        try await withApp { _, pool, _ in
            let forum = try await Self.forum(pool)
            let subscription = try await Self.hook(pool, forum: forum, receiver: receiver, path: "/hooks/signed")
            let id = try await Self.notice(pool, subscription: subscription, forum: forum)
            let round = try await Self.delivery(pool, smtp: smtp).deliverDue(now: Date())
            #expect(round.delivered == 1, "\(round)")
            let received = try await receiver.received()
            #expect(received.count == 1)
            let delivery = try #require(received.first)
            #expect(delivery.verified && delivery.accepted)
            #expect(delivery.id == id.uuidString.lowercased())
            #expect(delivery.type == "proceedings.transmitted")
            #expect(delivery.data?["forumTitle"]?.string == "A conference")
            #expect(delivery.data?["documentReference"]?.string == "A/81/1")
            #expect(delivery.data?["unsubscribeCode"] == nil && delivery.data?["code"] == nil)
            #expect(try await Self.state(pool, id).state == "done")
        }
    }

    @Test func failuresAreRetriedWithBackoffAndTheLastAttemptParksTheNotice() async throws {
        let (smtp, receiver) = (try await SMTPSink.start(), try await WebhookReceiver.start())
        defer { smtp.stop(); receiver.stop() }
        try await withApp { _, pool, _ in
            let forum = try await Self.forum(pool)
            let subscription = try await Self.hook(pool, forum: forum, receiver: receiver, path: "/hooks/down", behaviour: "status:502")
            let id = try await Self.notice(pool, subscription: subscription, forum: forum)
            var settings = DeliverySettings()
            settings.retry = RetryPolicy(maxAttempts: 3, base: 30, cap: 3600)
            let delivery = try Self.delivery(pool, smtp: smtp, settings: settings)
            let t0 = Date()
            #expect(try await delivery.deliverDue(now: t0).retried == 1)
            var seen = try await Self.state(pool, id)
            // Step 30 s, half of it for sure and the fixed random half of the rest: 22.5 s.
            #expect(seen.state == "retry" && seen.attempt == 1 && abs(seen.runAt.timeIntervalSince(t0) - 22.5) < 0.01)
            #expect(seen.error?.contains("502") == true)
            // Not due yet: nothing is claimed.
            #expect(try await delivery.deliverDue(now: t0.addingTimeInterval(20)).claimed == 0)
            let t1 = t0.addingTimeInterval(23)
            #expect(try await delivery.deliverDue(now: t1).retried == 1)
            seen = try await Self.state(pool, id)
            #expect(seen.attempt == 2 && abs(seen.runAt.timeIntervalSince(t1) - 45) < 0.01)
            #expect(try await delivery.deliverDue(now: t1.addingTimeInterval(46)).dead == 1)
            seen = try await Self.state(pool, id)
            #expect(seen.state == "dead" && seen.attempt == 3 && seen.error?.contains("3 attempts") == true)
            // Three tries, one id: a receiver could drop repeats.
            let received = try await receiver.received()
            #expect(received.count == 3 && Set(received.map(\.id)) == [id.uuidString.lowercased()])
        }
    }

    @Test func aTimeoutIsRetriedAndRetryAfterIsHonoured() async throws {
        let (smtp, receiver) = (try await SMTPSink.start(), try await WebhookReceiver.start())
        defer { smtp.stop(); receiver.stop() }
        try await withApp { _, pool, _ in
            let forum = try await Self.forum(pool)
            let slow = try await Self.notice(pool, subscription: try await Self.hook(pool, forum: forum, receiver: receiver, path: "/hooks/slow", behaviour: "slow:3"), forum: forum)
            let busy = try await Self.notice(pool, subscription: try await Self.hook(pool, forum: forum, receiver: receiver, path: "/hooks/busy", behaviour: "status:429:120"), forum: forum)
            let t0 = Date()
            let round = try await Self.delivery(pool, smtp: smtp, webhookTimeout: .seconds(1)).deliverDue(now: t0)
            #expect(round.retried == 2, "\(round)")
            let timedOut = try await Self.state(pool, slow)
            #expect(timedOut.state == "retry" && timedOut.runAt > t0)
            let throttled = try await Self.state(pool, busy)
            #expect(throttled.state == "retry" && abs(throttled.runAt.timeIntervalSince(t0) - 120) < 0.01)
        }
    }

    @Test func goneEndsTheSubscriptionAndWhatWaitsForIt() async throws {
        let (smtp, receiver) = (try await SMTPSink.start(), try await WebhookReceiver.start())
        defer { smtp.stop(); receiver.stop() }
        try await withApp { _, pool, _ in
            let forum = try await Self.forum(pool)
            let subscription = try await Self.hook(pool, forum: forum, receiver: receiver, path: "/hooks/gone", behaviour: "status:410")
            let first = try await Self.notice(pool, subscription: subscription, forum: forum)
            var settings = DeliverySettings()
            settings.batchSize = 1
            #expect(try await Self.delivery(pool, smtp: smtp, settings: settings).deliverDue(now: Date()).dead == 1)
            #expect(try await Self.state(pool, first).state == "dead")
            let ended = try await pool.query("SELECT ended_because FROM subscription WHERE id = \(subscription)")[0].decode("ended_because", as: String?.self)
            #expect(ended == "gone")
            // A notice written later for the ended subscription is not sent.
            let later = try await Self.notice(pool, subscription: subscription, forum: forum)
            #expect(try await Self.delivery(pool, smtp: smtp).deliverDue(now: Date()).cancelled == 1)
            #expect(try await Self.state(pool, later).state == "cancelled")
            #expect(try await receiver.received().count == 1)
        }
    }

    @Test func aStaleSchedulerCannotCompleteANoticeAnotherReclaimed() async throws {
        try await withApp { _, pool, _ in
            let forum = try await Self.forum(pool)
            let receiverless = try await pool.query("""
                INSERT INTO subscription (forum_id, channel, url, owner_account, secret, confirmed_at)
                VALUES (\(forum), 'webhook', 'https://hooks.example.org/x', \(try await TestAccount.make(pool).id), 'whsec_AAAA', now()) RETURNING id
                """)[0].decode("id", as: UUID.self)
            let id = try await Self.notice(pool, subscription: receiverless, forum: forum)
            let store = NoticeStore(pool: pool)
            let t0 = Date()
            let a = try await store.claim(now: t0, lease: 5, limit: 10, maxAttempts: 8)
            #expect(a.count == 1 && a[0].attempt == 1)
            // Within A's lease nobody else takes it.
            #expect(try await store.claim(now: t0.addingTimeInterval(4), lease: 5, limit: 10, maxAttempts: 8).isEmpty)
            // A stalls past its lease; B takes the notice.
            let b = try await store.claim(now: t0.addingTimeInterval(6), lease: 5, limit: 10, maxAttempts: 8)
            #expect(b.count == 1 && b[0].attempt == 2 && b[0].publicID == id)
            // A wakes up and reports: neither success nor failure of the old attempt is recorded.
            #expect(try await store.record([NoticeAttemptResult(notice: a[0].id, attempt: 1, decision: .done)], now: t0.addingTimeInterval(7)) == 0)
            #expect(try await store.record([NoticeAttemptResult(notice: a[0].id, attempt: 1, decision: .dead(error: "stale"))], now: t0.addingTimeInterval(7)) == 0)
            #expect(try await Self.state(pool, id).state == "running")
            #expect(try await store.record([NoticeAttemptResult(notice: b[0].id, attempt: 2, decision: .done)], now: t0.addingTimeInterval(8)) == 1)
            #expect(try await Self.state(pool, id).state == "done")
        }
    }

    @Test func twoSchedulersSideBySideDeliverEachNoticeOnce() async throws {
        let (smtp, receiver) = (try await SMTPSink.start(), try await WebhookReceiver.start())
        defer { smtp.stop(); receiver.stop() }
        try await withApp { _, pool, _ in
            let forum = try await Self.forum(pool)
            let subscription = try await Self.hook(pool, forum: forum, receiver: receiver, path: "/hooks/many")
            try await pool.execute("""
                INSERT INTO notice (recipient_subscription, kind, payload, dedupe_key)
                SELECT \(subscription), 'proceedings.transmitted', jsonb_build_object('n', i), 'many:' || i FROM generate_series(1, 300) AS i
                """)
            var settings = DeliverySettings()
            settings.batchSize = 20
            let schedulers = [try Self.delivery(pool, smtp: smtp, settings: settings), try Self.delivery(pool, smtp: smtp, settings: settings)]
            let rounds = try await withThrowingTaskGroup(of: Int.self) { group in
                for scheduler in schedulers {
                    group.addTask {
                        var delivered = 0
                        // Bounded: 300 notices in batches of 20 need at most 16 full rounds each.
                        for _ in 0..<40 {
                            let round = try await scheduler.deliverDue(now: Date())
                            delivered += round.delivered
                            if round.claimed == 0 { break }
                        }
                        return delivered
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(rounds.reduce(0, +) == 300)
            let received = try await receiver.received()
            #expect(received.count == 300)
            #expect(Set(received.map(\.id)).count == 300)
            #expect(received.allSatisfy { $0.verified && !$0.duplicate })
            let left = try await pool.query("SELECT count(*)::int AS n FROM notice WHERE state <> 'done'")[0].decode("n", as: Int.self)
            #expect(left == 0)
        }
    }

    @Test func aWebhookToAPrivateAddressIsNotCalled() async throws {
        let (smtp, receiver) = (try await SMTPSink.start(), try await WebhookReceiver.start())
        defer { smtp.stop(); receiver.stop() }
        try await withApp { _, pool, _ in
            let forum = try await Self.forum(pool)
            // Subscribed while the operator allowed loopback; the allowance was withdrawn since.
            let subscription = try await Self.hook(pool, forum: forum, receiver: receiver, path: "/hooks/internal")
            let id = try await Self.notice(pool, subscription: subscription, forum: forum)
            #expect(try await Self.delivery(pool, smtp: smtp, policy: .strict).deliverDue(now: Date()).dead == 1)
            let seen = try await Self.state(pool, id)
            #expect(seen.state == "dead" && seen.error?.contains("private, loopback") == true, "\(seen)")
            #expect(try await receiver.received().isEmpty)
        }
    }

    @Test func aRejectedRecipientIsPermanentAndANoticeWithoutAddressIsCancelled() async throws {
        let smtp = try await SMTPSink.start(["--reject-rcpt", "nobody@example.org"])
        defer { smtp.stop() }
        try await withApp { _, pool, _ in
            let rejected = try await Fixture.person(pool, "Rejected", organisation: nil)
            try await pool.execute("UPDATE person SET email = 'nobody@example.org' WHERE id = \(rejected)")
            let silent = try await Fixture.person(pool, "No address", organisation: nil)
            for (person, key) in [(rejected, "a"), (silent, "b")] {
                try await pool.execute("""
                    INSERT INTO notice (recipient_person, kind, payload, dedupe_key)
                    VALUES (\(person), 'nomination.deadline_reminder', '{"deadline": "2027-01-10T09:00:00Z", "daysLeft": "1", "oneDay": true}', \(key))
                    """)
            }
            let round = try await Self.delivery(pool, smtp: smtp).deliverDue(now: Date())
            #expect(round.dead == 1 && round.cancelled == 1, "\(round)")
            let rows = try await pool.query("SELECT dedupe_key, state, last_error FROM notice ORDER BY dedupe_key")
            #expect(try rows[0].decode("state", as: String.self) == "dead")
            #expect(try rows[0].decode("last_error", as: String.self).contains("550"))
            #expect(try rows[1].decode("state", as: String.self) == "cancelled")
            #expect(smtp.count() == 0)
        }
    }
}
