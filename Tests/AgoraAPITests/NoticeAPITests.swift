import Agora
@testable import AgoraAPI
import AgoraScheduler
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresClient
import Testing
import TestSupport

/// Notices from the changes that cause them to the reader, over HTTP: subscriptions with
/// double opt-in and one-click unsubscribe, coalesced agenda changes, reminders that follow
/// their session, and the operators' view.
@Suite("Notices over HTTP")
struct NoticeAPITests {
    struct SubscriptionBody: Decodable { var id: UUID; var channel: String; var confirmed: Bool; var secret: String?; var url: String? }
    struct NoticePage: Decodable { var items: [NoticeSummary]; var next: String? }
    struct OptOutPage: Decodable { var items: [OptOut]; var next: String? }
    struct OptOut: Decodable { var id: UUID; var address: String }

    static func notices(_ pool: PostgresConnectionPool, kind: String) async throws -> [(state: String, runAt: Date, payload: String, key: String)] {
        try await pool.query("SELECT state, run_at, payload::text AS payload, dedupe_key FROM notice WHERE kind = \(kind) ORDER BY run_at, dedupe_key").map {
            (try $0.decode("state"), try $0.decode("run_at"), try $0.decode("payload"), try $0.decode("dedupe_key"))
        }
    }

    /// An anonymous caller's key is not kept, but a malformed one is still refused, as on every
    /// creating route, and nothing is sent.
    @Test func aMalformedIdempotencyKeyIsRefusedEvenWhereItWouldNotBeKept() async throws {
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            let subscribe = ByteBuffer(string: #"{"channel": "email", "address": "reader@example.org"}"#)
            for key in ["", String(repeating: "k", count: 201)] {
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                headers[HTTPField.Name("Idempotency-Key")!] = key
                try await client.execute(uri: "/forums/\(fixture.forum)/subscriptions", method: .post, headers: headers, body: subscribe) { response in
                    #expect(response.status == .badRequest, "key of \(key.count)")
                    #expect(String(buffer: response.body).contains("idempotency"))
                }
            }
            #expect(try await Self.notices(pool, kind: "subscription.confirm").isEmpty)
            var headers = HTTPFields()
            headers[HTTPField.Name("Idempotency-Key")!] = String(repeating: "k", count: 200)
            try await client.execute(uri: "/forums/\(fixture.forum)/subscriptions", method: .post, headers: headers, body: subscribe) {
                #expect($0.status == .accepted)
            }
        }
    }

    @Test func anEmailSubscriptionIsConfirmedBeforeAnythingElseIsSentAndEndsInOneClick() async throws {
        let smtp = try await SMTPSink.start()
        defer { smtp.stop() }
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            let delivery = try NoticeDeliveryTests.delivery(pool, smtp: smtp)
            let subscribe = ByteBuffer(string: #"{"channel": "email", "address": "reader@example.org", "language": "fr"}"#)
            try await client.execute(uri: "/forums/\(fixture.forum)/subscriptions", method: .post, body: subscribe) { response in
                #expect(response.status == .accepted)
                #expect(String(buffer: response.body).contains("confirmation-sent"))
            }
            // Asking again answers alike and sends no second e-mail within the hour.
            try await client.execute(uri: "/forums/\(fixture.forum)/subscriptions", method: .post, body: subscribe) { #expect($0.status == .accepted) }
            // Nor does the same address at another forum within the hour (one confirmation an hour, whatever the forum).
            let other = try await Fixture.forum(pool, issue: try await Fixture.issue(pool, slug: "second-forum"), kind: .conference, status: .announced)
            try await client.execute(uri: "/forums/\(other)/subscriptions", method: .post, body: subscribe) { #expect($0.status == .accepted) }
            #expect(try await Self.notices(pool, kind: "subscription.confirm").count == 1)
            #expect(try await delivery.deliverDue(now: Date()).delivered == 1)
            let confirmation = try #require(try smtp.mails().first)
            #expect(confirmation.contentLanguage == "fr")
            // The code's expiry is written out, a week ahead.
            #expect(confirmation.text.contains(Date().addingTimeInterval(7 * 86400).formatted(.dateTime.year())), "\(confirmation.text)")
            #expect(!confirmation.text.contains(" le .") && !confirmation.text.contains("le  "), "\(confirmation.text)")
            // Anyone may cause a confirmation, so it carries a link that stops every e-mail to the address.
            #expect(confirmation.listUnsubscribe?.contains("/mail-opt-outs/unsubscribe?code=agoraout_") == true)
            let subscription = try await pool.query("SELECT id FROM subscription WHERE address = 'reader@example.org'")[0].decode("id", as: UUID.self)
            let code = try #require(confirmation.text.split(whereSeparator: { $0.isWhitespace || $0 == "\"" }).first { $0.hasPrefix("agorasub_") }.map(String.init))
            #expect(confirmation.text.contains("/subscriptions/\(subscription.uuidString)/confirmation"))

            // Unconfirmed, the address gets nothing of the forum's.
            let session = try await fixture.session(client, "Opening", room: 0, from: 0, to: 60)
            #expect(try await fixture.publish(client).0 == .created)
            #expect(try await Self.notices(pool, kind: "agenda.changed").isEmpty)

            try await client.execute(uri: "/subscriptions/\(subscription)/confirmation", method: .post, body: ByteBuffer(string: #"{"code": "agorasub_wrong"}"#)) { response in
                #expect(response.status == .forbidden)
                let type = try problem(response.body).type
                #expect(type == "/problems/invalid-code")
            }
            try await client.execute(uri: "/subscriptions/\(subscription)/confirmation", method: .post, body: ByteBuffer(string: #"{"code": "\#(code)"}"#)) { response in
                #expect(response.status == .ok)
                let confirmed = try JSONDecoder().decode(SubscriptionBody.self, from: Data(buffer: response.body)).confirmed
                #expect(confirmed)
            }
            // The code works once.
            try await client.execute(uri: "/subscriptions/\(subscription)/confirmation", method: .post, body: ByteBuffer(string: #"{"code": "\#(code)"}"#)) {
                #expect($0.status == .forbidden)
            }

            try await client.execute(uri: "/sessions/\(session)", method: .patch, headers: fixture.secretariat.authorization,
                                     body: ByteBuffer(string: #"{"startsAt": "\#(fixture.at(60))", "endsAt": "\#(fixture.at(120))"}"#)) { #expect($0.status == .ok) }
            #expect(try await fixture.publish(client).0 == .created)
            #expect(try await Self.notices(pool, kind: "agenda.changed").count == 1)
            // Due after the quiet period: not before.
            #expect(try await delivery.deliverDue(now: Date()).claimed == 0)
            #expect(try await delivery.deliverDue(now: Date().addingTimeInterval(601)).delivered == 1)
            let changed = try #require(try smtp.mails().last)
            #expect(changed.subject.contains("A conference"))
            #expect(changed.text.contains("Opening") && changed.text.contains("déplacée"), "\(changed.text)")
            // RFC 8058: a one-click link and the header that says it takes a POST.
            #expect(changed.listUnsubscribePost == "List-Unsubscribe=One-Click")
            let link = try #require(changed.listUnsubscribe?.trimmingCharacters(in: CharacterSet(charactersIn: "<>")))
            let path = try #require(URLComponents(string: link)).path + "?" + (URLComponents(string: link)?.percentEncodedQuery ?? "")
            #expect(path.hasPrefix("/subscriptions/\(subscription)/unsubscribe?code=agorasub_"))
            try await client.execute(uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "List-Unsubscribe=One-Click")) { #expect($0.status == .ok) }
            let ended = try await pool.query("SELECT ended_because FROM subscription WHERE id = \(subscription)")[0].decode("ended_because", as: String?.self)
            #expect(ended == "unsubscribed")
            // The same link again finds nothing to end.
            try await client.execute(uri: path, method: .post) { #expect($0.status == .notFound) }
        }
    }

    /// Every e-mail to a person or an account carries a one-click link (RFC 8058) that stops
    /// e-mails to its address, whoever in the directory holds it and in whatever case: the answer
    /// shows no address, waiting e-mails are cancelled and later ones are not sent, only the
    /// secretariat sees and lifts an opt-out, and a lifted opt-out's old links no longer hold.
    @Test func everyPersonalEmailCarriesALinkThatStopsEmailsToItsAddress() async throws {
        let smtp = try await SMTPSink.start()
        defer { smtp.stop() }
        try await withApp { client, pool, _ in
            let forum = try await NoticeDeliveryTests.forum(pool)
            let delivery = try NoticeDeliveryTests.delivery(pool, smtp: smtp)
            let (grace, other) = (try await Fixture.person(pool, "Grace Reader", organisation: nil), try await Fixture.person(pool, "Other Reader", organisation: nil))
            try await pool.execute("UPDATE person SET email = 'grace@example.org' WHERE id = \(grace)")
            try await pool.execute("UPDATE person SET email = 'other@example.org' WHERE id = \(other)")
            // Her account has the same address in other letters: one address, one opt-out.
            let account = try await TestAccount.make(pool, name: "Grace's account")
            try await pool.execute("UPDATE account SET email = 'Grace@Example.org' WHERE id = \(account.id)")
            let secretariat = try await TestAccount.make(pool, name: "Secretariat", grants: [RoleGrant(.secretariat)])
            func remind(_ key: String, person: UUID? = nil, account: UUID? = nil, inDays days: Int = 0) async throws {
                try await pool.execute("""
                    INSERT INTO notice (recipient_person, recipient_account, kind, payload, dedupe_key, run_at)
                    VALUES (\(person), \(account), 'nomination.deadline_reminder',
                            jsonb_build_object('forum', \(forum.uuidString)::text, 'networkName', 'Water network', 'deadline', '2027-01-10T09:00:00Z',
                                               'daysLeft', '3', 'severalDays', true, 'oneDay', false), \(key), now() + make_interval(days => \(days)))
                    """)
            }
            func state(_ key: String) async throws -> (String, String?) {
                let row = try await pool.query("SELECT state, last_error FROM notice WHERE dedupe_key = \(key)")[0]
                return (try row.decode("state"), try row.decode("last_error"))
            }

            try await remind("first", person: grace)
            #expect(try await delivery.deliverDue(now: Date()).delivered == 1)
            let mail = try #require(try smtp.mails().last)
            #expect(mail.listUnsubscribePost == "List-Unsubscribe=One-Click")
            let link = try #require(mail.listUnsubscribe?.trimmingCharacters(in: CharacterSet(charactersIn: "<>")))
            #expect(mail.text.contains(link), "the text shows the link too: \(mail.text)")
            let components = try #require(URLComponents(string: link))
            let path = components.path + "?" + (components.percentEncodedQuery ?? "")
            #expect(path.hasPrefix("/mail-opt-outs/unsubscribe?code=agoraout_"), "\(path)")
            // Only its hash is kept.
            let code = String(path.dropFirst("/mail-opt-outs/unsubscribe?code=".count))
            #expect(try await pool.query("SELECT 1 FROM mail_opt_out_code WHERE code_hash = \(TokenSecret.hash(code)) AND address = 'grace@example.org'").count == 1)

            try await remind("waiting-person", person: grace, inDays: 1)
            try await remind("waiting-account", account: account.id, inDays: 1)
            try await remind("waiting-other", person: other, inDays: 1)

            try await client.execute(uri: "/mail-opt-outs/unsubscribe?code=agoraout_wrong", method: .post) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/mail-opt-outs/unsubscribe", method: .post) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(#""field":"code""#))
            }
            // Opening the link in a browser changes nothing: the link takes a POST.
            try await client.execute(uri: path, method: .get) { #expect($0.status == .methodNotAllowed) }
            #expect(try await pool.query("SELECT 1 FROM mail_opt_out").isEmpty)
            let optedOutAt = try await client.execute(uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                      body: ByteBuffer(string: "List-Unsubscribe=One-Click")) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(!text.lowercased().contains("grace") && !text.contains("cancel"), "the answer shows neither the address nor what waited: \(text)")
                return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String]
            }
            #expect(try await state("waiting-person") == ("cancelled", MailOptOutStore.reason))
            #expect(try await state("waiting-account") == ("cancelled", MailOptOutStore.reason))
            #expect(try await state("waiting-other").0 == "pending")
            // The link again: the same opt-out.
            let again = try await client.execute(uri: path, method: .post) { response in
                #expect(response.status == .ok)
                return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String]
            }
            #expect(again == optedOutAt && optedOutAt?["optedOutAt"] != nil)
            #expect(try await pool.query("SELECT 1 FROM mail_opt_out").count == 1)

            // A notice written afterwards is not sent.
            let sent = try smtp.mails().count
            try await remind("after", person: grace)
            let round = try await delivery.deliverDue(now: Date())
            #expect(round.claimed == 1 && round.cancelled == 1, "\(round)")
            #expect(try await state("after") == ("cancelled", MailOptOutStore.reason))
            #expect(try smtp.mails().count == sent)
            // Nor is a confirmation of a new subscription of the address (anyone may ask for one).
            try await client.execute(uri: "/forums/\(forum)/subscriptions", method: .post,
                                     body: ByteBuffer(string: #"{"channel": "email", "address": "GRACE@example.org"}"#)) { #expect($0.status == .accepted) }
            #expect(try await delivery.deliverDue(now: Date()).cancelled == 1)
            #expect(try await Self.notices(pool, kind: "subscription.confirm").map(\.state) == ["cancelled"])
            // An invitation the secretariat asks for still goes, with the link again.
            try await client.execute(uri: "/accounts/\(account.id)/invitations", method: .post, headers: secretariat.authorization) { #expect($0.status == .created) }
            #expect(try await delivery.deliverDue(now: Date()).delivered == 1)
            #expect(try smtp.mails().count == sent + 1)
            #expect(try smtp.mails().last?.listUnsubscribe?.contains("/mail-opt-outs/unsubscribe?code=agoraout_") == true)

            // Only the secretariat sees opt-outs (they hold addresses).
            try await client.execute(uri: "/mail-opt-outs", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/mail-opt-outs", method: .get, headers: account.authorization) { #expect($0.status == .forbidden) }
            let id = try await client.execute(uri: "/mail-opt-outs?address=GRACE@example.org", method: .get, headers: secretariat.authorization) { response in
                #expect(response.status == .ok)
                let page = try JSONDecoder().decode(OptOutPage.self, from: Data(buffer: response.body))
                #expect(page.items.map(\.address) == ["grace@example.org"])
                return page.items.first?.id
            }
            try await client.execute(uri: "/mail-opt-outs?address=other@example.org", method: .get, headers: secretariat.authorization) { response in
                #expect(String(buffer: response.body).contains(#""items":[]"#))
            }
            let optOut = try #require(id)
            try await client.execute(uri: "/mail-opt-outs/\(optOut)", method: .delete, headers: account.authorization) { #expect($0.status == .forbidden) }

            // Lifted: e-mails go again, and the old link no longer opts the address out.
            try await client.execute(uri: "/mail-opt-outs/\(optOut)", method: .delete, headers: secretariat.authorization) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/mail-opt-outs/\(optOut)", method: .delete, headers: secretariat.authorization) { #expect($0.status == .notFound) }
            try await client.execute(uri: path, method: .post) { #expect($0.status == .notFound) }
            try await remind("lifted", person: grace)
            #expect(try await delivery.deliverDue(now: Date()).delivered == 1)
            #expect(try smtp.mails().count == sent + 2)
            let actions = try await pool.query("SELECT action FROM audit_entry WHERE object_type = 'mail_opt_out' ORDER BY id").map { try $0.decode("action", as: String.self) }
            #expect(actions == ["mail_opt_out.create", "mail_opt_out.lift"])
        }
    }

    @Test func webhookSubscriptionsNeedAnAccountAPublicAddressAndShowTheirSecretOnce() async throws {
        let allowed = AppConfiguration(port: 0, webhookPolicy: NoticeDeliveryTests.loopback)
        try await withApp(configuration: allowed) { client, pool, _ in
            let forum = try await NoticeDeliveryTests.forum(pool)
            let (owner, other) = (try await TestAccount.make(pool, name: "Integrator"), try await TestAccount.make(pool, name: "Someone else"))
            let body = ByteBuffer(string: #"{"channel": "webhook", "url": "http://127.0.0.1:9/hooks"}"#)
            try await client.execute(uri: "/forums/\(forum)/subscriptions", method: .post, body: body) { #expect($0.status == .unauthorized) }
            let created = try await client.execute(uri: "/forums/\(forum)/subscriptions", method: .post, headers: owner.authorization, body: body) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                #expect(response.headers[.cacheControl] == "no-store")
                return try JSONDecoder().decode(SubscriptionBody.self, from: Data(buffer: response.body))
            }
            #expect(created.secret?.hasPrefix("whsec_") == true && created.confirmed)
            // Its owner reads it, without the secret; anybody else finds nothing.
            try await client.execute(uri: "/subscriptions/\(created.id)", method: .get, headers: owner.authorization) { response in
                #expect(response.status == .ok)
                #expect(!String(buffer: response.body).contains("whsec_"))
            }
            try await client.execute(uri: "/subscriptions/\(created.id)", method: .get, headers: other.authorization) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/subscriptions/\(created.id)", method: .delete, headers: other.authorization) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/subscriptions/\(created.id)?code=agorasub_guess", method: .delete) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/subscriptions/\(created.id)", method: .delete, headers: owner.authorization) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/subscriptions/\(created.id)", method: .delete, headers: owner.authorization) { #expect($0.status == .notFound) }
        }
        try await withApp { client, pool, _ in
            let forum = try await NoticeDeliveryTests.forum(pool)
            let owner = try await TestAccount.make(pool, name: "Integrator")
            for url in ["http://127.0.0.1:9/hooks", "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://localhost:9/x",
                        "http://10.0.0.8/x", "ftp://example.org/x", "http://user:pw@example.org/x"] {
                try await client.execute(uri: "/forums/\(forum)/subscriptions", method: .post, headers: owner.authorization,
                                         body: ByteBuffer(string: #"{"channel": "webhook", "url": "\#(url)"}"#)) { response in
                    #expect(response.status == .unprocessableContent, "\(url)")
                    let fields = try problem(response.body).errors?.map(\.field)
                    #expect(fields == ["url"], "\(url)")
                }
            }
            #expect(try await pool.query("SELECT 1 FROM subscription").isEmpty)
            // Client mistakes are named.
            for (body, field) in [(#"{"channel": "pigeon", "address": "a@example.org"}"#, "channel"), (#"{"channel": "email", "address": "nope"}"#, "address"),
                                  (#"{"channel": "email", "address": "a@example.org", "language": "French"}"#, "language"), (#"{"address": "a@example.org"}"#, "channel")] {
                try await client.execute(uri: "/forums/\(forum)/subscriptions", method: .post, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .unprocessableContent, "\(body)")
                    let fields = try problem(response.body).errors?.map(\.field) ?? []
                    #expect(fields.contains(field), "\(body)")
                }
            }
            try await client.execute(uri: "/forums/\(UUID())/subscriptions", method: .post,
                                     body: ByteBuffer(string: #"{"channel": "email", "address": "a@example.org"}"#)) { #expect($0.status == .notFound) }
        }
    }

    @Test func agendaChangesAreCoalescedPerReaderUntilAQuietPeriod() async throws {
        let smtp = try await SMTPSink.start()
        defer { smtp.stop() }
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            let (amina, bruno) = (try await Fixture.person(pool, "Amina", organisation: nil), try await Fixture.person(pool, "Bruno", organisation: nil))
            try await pool.execute("UPDATE person SET email = lower(name) || '@example.org', languages = '{en}' WHERE id IN (\(amina), \(bruno))")
            let opening = try await fixture.session(client, "Opening plenary", room: 0, from: 0, to: 60)
            let panel = try await fixture.session(client, "Finance panel", room: 1, from: 60, to: 120)
            #expect(try await fixture.speakers(client, opening, [(amina, 10)]) == .ok)
            #expect(try await fixture.speakers(client, panel, [(bruno, 10)]) == .ok)
            #expect(try await fixture.publish(client).0 == .created)
            // Three more versions in a row; only the opening (Amina's) changes in them.
            for minutes in [90, 120, 150] {
                try await client.execute(uri: "/sessions/\(opening)", method: .patch, headers: fixture.secretariat.authorization, body: ByteBuffer(string: """
                    {"startsAt": "\(fixture.at(minutes))", "endsAt": "\(fixture.at(minutes + 30))"}
                    """)) { #expect($0.status == .ok, "\(String(buffer: $0.body))") }
                #expect(try await fixture.publish(client).0 == .created)
            }
            let waiting = try await pool.query("""
                SELECT recipient_person, payload->>'fromVersion' AS from_version, payload->>'toVersion' AS to_version FROM notice
                WHERE kind = 'agenda.changed' ORDER BY recipient_person = \(amina) DESC
                """)
            #expect(waiting.count == 2)
            #expect(try waiting[0].decode("recipient_person", as: UUID.self) == amina)
            #expect(try waiting[0].decode("from_version", as: String.self) == "1" && waiting[0].decode("to_version", as: String.self) == "4")
            // Bruno was concerned by version 1 only: his notice covers it alone.
            #expect(try waiting[1].decode("to_version", as: String.self) == "1")
            let round = try await NoticeDeliveryTests.delivery(pool, smtp: smtp).deliverDue(now: Date().addingTimeInterval(601))
            #expect(round.delivered == 2, "\(round)")
            let mails = try smtp.mails()
            let aminas = mails.filter { $0.to.contains("amina@example.org") }
            #expect(aminas.count == 1)
            // One notice lists every change of the four versions that concerned her, and nobody else's.
            let text = try #require(aminas.first?.text)
            #expect(text.components(separatedBy: "Opening plenary").count - 1 >= 4, "\(text)")
            #expect(!text.contains("Finance panel"), "\(text)")
            // The next publish that concerns her starts a new notice.
            try await client.execute(uri: "/sessions/\(opening)/cancellation", method: .post, headers: fixture.secretariat.authorization) { #expect($0.status == .ok) }
            #expect(try await fixture.publish(client).0 == .created)
            let next = try await pool.query("""
                SELECT payload->>'fromVersion' AS v FROM notice WHERE kind = 'agenda.changed' AND state = 'pending' AND recipient_person = \(amina)
                """)
            #expect(try next.map { try $0.decode("v", as: String.self) } == ["5"])
        }
    }

    @Test func remindersFollowAMovedSessionAndACancelledOneCancelsThem() async throws {
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            let amina = try await Fixture.person(pool, "Amina", organisation: nil)
            let quiet = try await Fixture.person(pool, "No address", organisation: nil)
            try await pool.execute("UPDATE person SET email = 'amina@example.org' WHERE id = \(amina)")
            let session = try await fixture.session(client, "Opening plenary", room: 0, from: 0, to: 60)
            #expect(try await fixture.speakers(client, session, [(amina, 10), (quiet, 10)]) == .ok)
            // Drafts remind nobody: only published sessions do.
            #expect(try await Self.notices(pool, kind: "speaker.session_reminder").isEmpty)
            #expect(try await fixture.publish(client).0 == .created)
            var reminders = try await Self.notices(pool, kind: "speaker.session_reminder")
            #expect(reminders.map(\.runAt) == [fixture.start.addingTimeInterval(-7 * 86400), fixture.start.addingTimeInterval(-86400)])
            #expect(reminders.allSatisfy { $0.state == "pending" && $0.key.contains(amina.uuidString.lowercased()) })
            // Moved by two hours: both reminders move with it.
            try await client.execute(uri: "/sessions/\(session)", method: .patch, headers: fixture.secretariat.authorization, body: ByteBuffer(string: """
                {"startsAt": "\(fixture.at(120))", "endsAt": "\(fixture.at(180))"}
                """)) { #expect($0.status == .ok) }
            #expect(try await fixture.publish(client).0 == .created)
            reminders = try await Self.notices(pool, kind: "speaker.session_reminder")
            let moved = fixture.start.addingTimeInterval(7200)
            #expect(reminders.map(\.runAt) == [moved.addingTimeInterval(-7 * 86400), moved.addingTimeInterval(-86400)])
            #expect(reminders.allSatisfy { $0.state == "pending" })
            try await client.execute(uri: "/sessions/\(session)/cancellation", method: .post, headers: fixture.secretariat.authorization) { #expect($0.status == .ok) }
            #expect(try await fixture.publish(client).0 == .created)
            reminders = try await Self.notices(pool, kind: "speaker.session_reminder")
            #expect(reminders.count == 2 && reminders.allSatisfy { $0.state == "cancelled" })
        }
    }

    @Test func networksHearOfTheirNominationsOfDeadlinesAndOfHearings() async throws {
        try await withApp { client, pool, _ in
            let selection = SelectionAPITests()
            let water = try await selection.nominator(pool, "Water network", constituency: "ngo", people: [("Amina", "KE", "female")])
            let farmers = try await selection.nominator(pool, "Farmers network", constituency: "farmers", people: [("Bruno", "BR", "male")])
            try await pool.execute("UPDATE account SET email = 'focal-' || id || '@example.org' WHERE id IN (\(water.account.id), \(farmers.account.id))")
            let forum = try await selection.openForum(pool, kind: .conference, slots: 4)
            let deadline = try await pool.query("SELECT nominations_deadline FROM forum WHERE id = \(forum)")[0].decode("nominations_deadline", as: Date.self)
            #expect(try await selection.nominate(client, forum, by: water, person: water.people[0], rank: 1).0 == .created)
            // The nominating network's accounts hear of it; nobody else does.
            let received = try await pool.query("SELECT recipient_account FROM notice WHERE kind = 'nomination.received'").map { try $0.decode("recipient_account", as: UUID.self) }
            #expect(received == [water.account.id])

            let notices = NoticeStore(pool: pool)
            // Four days before the deadline nothing is due; within three days the 3-day reminder, once.
            #expect(try await notices.nominationDeadlineReminders(now: deadline.addingTimeInterval(-4 * 86400)) == 0)
            #expect(try await notices.nominationDeadlineReminders(now: deadline.addingTimeInterval(-2 * 86400)) == 1)
            #expect(try await notices.nominationDeadlineReminders(now: deadline.addingTimeInterval(-2 * 86400 + 60)) == 0)
            #expect(try await notices.nominationDeadlineReminders(now: deadline.addingTimeInterval(-3600)) == 1)
            let reminders = try await pool.query("""
                SELECT recipient_account, payload->>'daysLeft' AS days FROM notice WHERE kind = 'nomination.deadline_reminder' ORDER BY created_at, dedupe_key
                """).map { (try $0.decode("recipient_account", as: UUID.self), try $0.decode("days", as: String.self)) }
            // Only the network that has not nominated is reminded, 3 days and then 1 day before.
            #expect(reminders.map(\.0) == [farmers.account.id, farmers.account.id])
            #expect(reminders.map(\.1) == ["3", "1"])

            // A hearing announced: every network's accounts hear of it.
            let hearing = try await Fixture.forum(pool, issue: try await Fixture.issue(pool, slug: "hearing-notice"), kind: .hearing, status: .announced)
            let told = try await pool.query("SELECT recipient_account FROM notice WHERE kind = 'forum.hearing_scheduled' AND payload->>'forum' = \(hearing.uuidString.lowercased())")
                .map { try $0.decode("recipient_account", as: UUID.self) }
            #expect(Set(told) == [water.account.id, farmers.account.id])
        }
    }

    @Test func operatorsSeeAndRetryDeadNoticesAndTheMetricsCountThem() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, name: "Secretariat", grants: [RoleGrant(.secretariat)])
            let person = try await Fixture.person(pool, "Amina", organisation: nil)
            let ids = try await pool.query("""
                INSERT INTO notice (recipient_person, kind, payload, dedupe_key, state, attempt, last_error)
                VALUES (\(person), 'speaker.confirmation_requested', '{}', 'dead', 'dead', 8, 'the receiver answered 503'),
                       (\(person), 'speaker.confirmation_requested', '{}', 'done', 'done', 1, NULL)
                RETURNING public_id, state
                """).map { (try $0.decode("state", as: String.self), try $0.decode("public_id", as: UUID.self)) }
            let dead = try #require(ids.first { $0.0 == "dead" }?.1), done = try #require(ids.first { $0.0 == "done" }?.1)
            try await client.execute(uri: "/notices", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/notices", method: .get, headers: try await TestAccount.make(pool).authorization) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/notices?state=dead", method: .get, headers: secretariat.authorization) { response in
                #expect(response.status == .ok)
                let page = try APIJSONTest.decoder.decode(NoticePage.self, from: Data(buffer: response.body))
                #expect(page.items.map(\.id) == [dead])
                #expect(page.items.first?.lastError == "the receiver answered 503")
            }
            try await client.execute(uri: "/notices?state=lost", method: .get, headers: secretariat.authorization) { response in
                #expect(response.status == .badRequest)
                let type = try problem(response.body).type
                #expect(type == "/problems/invalid-query")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"agora_notices{state="dead",channel="email"} 1"#), "\(text.suffix(600))")
                #expect(text.contains("agora_notice_oldest_due_seconds"))
            }
            try await client.execute(uri: "/notices/\(done)/retry", method: .post, headers: secretariat.authorization) { response in
                #expect(response.status == .conflict)
                let type = try problem(response.body).type
                #expect(type == "/problems/notice-not-dead")
            }
            try await client.execute(uri: "/notices/\(dead)/retry", method: .post, headers: secretariat.authorization) { response in
                #expect(response.status == .ok)
            }
            // Sent again with its tries counted afresh; its attempt number, which fences, only grows.
            let row = try await pool.query("SELECT state, attempt, attempt_base FROM notice WHERE public_id = \(dead)")[0]
            #expect(try row.decode("state", as: String.self) == "pending" && row.decode("attempt", as: Int.self) == 8)
            #expect(try row.decode("attempt_base", as: Int.self) == 8)
            let audited = try await pool.query("SELECT 1 FROM audit_entry WHERE action = 'notice.retry' AND object_id = \(dead.uuidString)")
            #expect(audited.count == 1)
        }
    }
}

enum APIJSONTest {
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

@Suite("Request logs")
struct RequestLogTests {
    @Test func codesInQueriesAreRedacted() {
        #expect(RedactingRequestLogMiddleware<AgoraRequestContext>.redacted(path: "/subscriptions/x/unsubscribe", query: "code=agorasub_secret&x=1")
                == "/subscriptions/x/unsubscribe?code=[redacted]&x=1")
        #expect(RedactingRequestLogMiddleware<AgoraRequestContext>.redacted(path: "/mail-opt-outs", query: "Address=reader%40example.org&limit=5")
                == "/mail-opt-outs?Address=[redacted]&limit=5")
        #expect(RedactingRequestLogMiddleware<AgoraRequestContext>.redacted(path: "/forums", query: "limit=5") == "/forums?limit=5")
        #expect(RedactingRequestLogMiddleware<AgoraRequestContext>.redacted(path: "/forums", query: nil) == "/forums")
    }
}
