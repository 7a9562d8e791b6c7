import Agora
import AgoraDemo
import AgoraAPI
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresClient
import Testing
import TestSupport

private struct FieldErrors: Decodable {
    struct FieldError: Decodable { var field: String }
    var type: String
    var errors: [FieldError]?
    var fields: [String] { errors?.map(\.field) ?? [] }
}

private func fieldErrors(_ body: ByteBuffer) throws -> FieldErrors {
    try JSONDecoder().decode(FieldErrors.self, from: Data(buffer: body))
}

private struct PersonBody: Decodable { var email: String? }

extension SelectionAPITests {
    @Test func nominateReadWithdrawCannotHarvestTheDirectory() async throws {
        try await withApp { client, pool, _ in
            let forum = try await openForum(pool, kind: .conference, slots: 2)
            let water = try await nominator(pool, "Water Network", constituency: "ngo", people: [("Amina", "KE", "woman")])
            let elsewhere = try await Fixture.organisation(pool, "Not a member", constituency: "ngo")
            let stranger = try await Fixture.person(pool, "Stranger", organisation: elsewhere)
            try await pool.execute("UPDATE person SET email = name || '@example.org'")
            func email(_ person: UUID) async throws -> String? {
                try await client.execute(uri: "/people/\(person)", method: .get, headers: water.account.authorization) { response in
                    try JSONDecoder().decode(PersonBody.self, from: Data(buffer: response.body)).email
                }
            }
            // A stranger from the directory cannot be nominated, so their personal data stays closed.
            let (status, body) = try await nominate(client, forum, by: water, person: stranger, rank: 1)
            #expect(status == .unprocessableContent)
            let refused = try fieldErrors(body).fields
            #expect(refused == ["person"])
            let strangersEmail = try await email(stranger)
            #expect(strangersEmail == nil)
            #expect(try await pool.query("SELECT 1 FROM nomination").isEmpty)

            // A member's person: seen while nominated, closed again once withdrawn.
            let (created, nominationBody) = try await nominate(client, forum, by: water, person: water.people[0], rank: 1)
            #expect(created == .created)
            let nomination = try JSONDecoder().decode(NominationBody.self, from: Data(buffer: nominationBody))
            let nomineesEmail = try await email(water.people[0])
            #expect(nomineesEmail == "Amina@example.org")
            try await client.execute(uri: "/nominations/\(nomination.id)/withdrawal", method: .post, headers: water.account.authorization) {
                #expect($0.status == .ok)
            }
            let withdrawnEmail = try await email(water.people[0])
            #expect(withdrawnEmail == nil)
        }
    }

    @Test func aNominationOfAnOrganisationThatLeftTheNetworkIsNoLongerACandidate() async throws {
        try await withApp { client, pool, _ in
            let forum = try await openForum(pool, kind: .conference, slots: 2)
            let water = try await nominator(pool, "Water Network", constituency: "ngo", people: [("Amina", "KE", "woman"), ("Ben", "DE", "man")])
            var nominations: [UUID] = []
            for (index, person) in water.people.enumerated() {
                let (_, body) = try await nominate(client, forum, by: water, person: person, rank: index + 1)
                nominations.append(try JSONDecoder().decode(NominationBody.self, from: Data(buffer: body)).id)
            }
            // Amina's organisation leaves the network (both share one here: both leave).
            try await pool.execute("DELETE FROM network_member WHERE network_id = \(water.network)")
            _ = try await ForumStore(pool: pool).changeStatus(forum, to: .nominationsClosed, by: .commandLine, requestID: nil)
            let slate = try await SelectionStore(pool: pool).run(forum, rules: .defaults(for: .conference),
                                                                                  actor: .commandLine, requestID: nil)
            #expect(slate.speakers.isEmpty)
            #expect(Set(slate.decisions.filter { $0.reason.contains("no longer a member") }.map(\.nomination)) == Set(nominations.map(\.uuidString)))
        }
    }

    @Test func twoSpeakersDecliningAtOnceAreEachReplacedByADifferentReserve() async throws {
        try await withApp { client, pool, url in
            let forum = try await openForum(pool, kind: .conference, slots: 2)
            let water = try await nominator(pool, "Water Network", constituency: "ngo",
                                            people: [("Amina", "KE", "woman"), ("Ben", "DE", "man"), ("Cy", "DE", "man"), ("Di", "KE", "woman")])
            for (index, person) in water.people.enumerated() { _ = try await nominate(client, forum, by: water, person: person, rank: index + 1) }
            _ = try await ForumStore(pool: pool).changeStatus(forum, to: .nominationsClosed, by: .commandLine, requestID: nil)
            let store = SelectionStore(pool: pool)
            var rules = SelectionInstance.Rules.defaults(for: .conference)
            rules.maxPerNetwork = 4
            let proposed = try await store.run(forum, rules: rules, actor: .commandLine, requestID: nil)
            let slate = try await store.review(proposed.id, approve: true, comment: nil,
                                                                 actor: Actor(accountID: nil, tokenName: "c", grants: [.bureau("Economic and Social Council")]),
                                                                 requestID: nil)
            #expect(slate.holding.count == 2 && slate.reserves.count == 2)
            let (first, second) = (slate.holding[0].nomination, slate.holding[1].nomination)
            // Both answers read the slate, then wait for the forum another session holds: the
            // second to get it finds the slate moved on and must read it again.
            let holder = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
            let (held, holding) = AsyncStream<Void>.makeStream()
            let (release, releasing) = AsyncStream<Void>.makeStream()
            let holderTask = Task {
                defer { holding.finish() }
                try await holder.withTransaction { connection in
                    try await connection.execute("SELECT 1 FROM forum WHERE id = \(forum) FOR UPDATE")
                    holding.yield()
                    for await _ in release { break }
                }
            }
            defer { releasing.finish() }
            for await _ in held { break }
            async let one = store.answer(slate.id, nomination: first, confirm: false, within: nil, actor: .commandLine, requestID: nil)
            async let two = store.answer(slate.id, nomination: second, confirm: false, within: nil, actor: .commandLine, requestID: nil)
            try await waitUntil(timeout: .seconds(10), "both answers to wait for the forum") {
                try await pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")[0]
                    .decode("n", as: Int.self) == 2
            }
            releasing.yield()
            try await holderTask.value
            await holder.close()
            let outcomes = try await [one, two]
            #expect(outcomes.allSatisfy { $0.id == slate.id })
            let after = try #require(try await store.slate(slate.id))
            // Both declined, each place went to its own reserve, and the slate moved on twice.
            #expect(Set(after.holding.map(\.nomination)) == Set(slate.reserves))
            #expect(after.speakers.filter { $0.state == .declined }.count == 2)
            #expect(after.reserves.isEmpty)
            #expect(after.revision == slate.revision + 2)
        }
    }

    @Test func anEarlierStartBringsSpeakersDeadlinesWithItAndTellsThem() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let forum = try await openForum(pool, kind: .conference, slots: 1)
            let water = try await nominator(pool, "Water Network", constituency: "ngo", people: [("Amina", "KE", "woman")])
            _ = try await nominate(client, forum, by: water, person: water.people[0], rank: 1)
            _ = try await ForumStore(pool: pool).changeStatus(forum, to: .nominationsClosed, by: .commandLine, requestID: nil)
            let store = SelectionStore(pool: pool)
            let proposed = try await store.run(forum, rules: .defaults(for: .conference), actor: .commandLine, requestID: nil)
            let slate = try await store.review(proposed.id, approve: true, comment: nil,
                                                                 actor: Actor(accountID: nil, tokenName: "c", grants: [.bureau("Economic and Social Council")]),
                                                                 requestID: nil)
            // Asked to answer within a week; the forum now starts in three days.
            let start = Date().addingTimeInterval(3 * 86_400)
            let startText = ISO8601DateFormatter().string(from: start)
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"startsAt": "\(startText)", "endsAt": "\(ISO8601DateFormatter().string(from: start.addingTimeInterval(3600)))"}
                """)) { #expect($0.status == .ok) }
            let after = try #require(try await store.slate(slate.id))
            let confirmBy = try #require(after.speakers.first?.confirmBy)
            #expect(abs(confirmBy.timeIntervalSince(start)) < 1)
            #expect(after.revision == slate.revision + 1)
            let told = try await pool.query("SELECT count(*)::int AS n FROM notice WHERE kind = 'speaker.confirmation_deadline_moved'")[0]
            #expect(try told.decode("n", as: Int.self) == 1)
            // Never into the past.
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"startsAt": "2020-01-01T00:00:00Z"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let fields = try fieldErrors(response.body).fields
                #expect(fields.contains("startsAt"))
            }
        }
    }

    @Test func onlyTheBureauOfTheIssuesBodyReviewsAndNeverOnceTheForumHasStarted() async throws {
        try await withApp { client, pool, _ in
            let forum = try await openForum(pool, kind: .hearing, slots: 3)
            var nominators: [Nominator] = []
            for (name, constituency, country) in [("Water", "ngo", "KE"), ("Farmers", "farmers", "IN"), ("Women", "women", "NE")] {
                nominators.append(try await nominator(pool, name, constituency: constituency, people: [("\(name) speaker", country, nil)]))
            }
            for nominator in nominators { _ = try await nominate(client, forum, by: nominator, person: nominator.people[0], rank: 1) }
            _ = try await ForumStore(pool: pool).changeStatus(forum, to: .nominationsClosed, by: .commandLine, requestID: nil)
            let store = SelectionStore(pool: pool)
            let slate = try await store.run(forum, rules: .defaults(for: .hearing), actor: .commandLine, requestID: nil)
            let otherBureau = try await TestAccount.make(pool, name: "Other bureau", grants: [.bureau("Human Rights Council")])
            try await client.execute(uri: "/slates/\(slate.id)/review", method: .post, headers: otherBureau.authorization,
                                     body: ByteBuffer(string: #"{"decision": "approve"}"#)) { #expect($0.status == .notFound) }
            // The issue's own bureau, but after the start: no confirmation deadline may lie in the past.
            let council = Actor(accountID: nil, tokenName: "council", grants: [.bureau("Economic and Social Council")])
            let startsAt = try #require(try await ForumStore(pool: pool).forum(forum)).startsAt
            await #expect(performing: {
                try await store.review(slate.id, approve: true, comment: nil, now: startsAt.addingTimeInterval(60), actor: council, requestID: nil)
            }, throws: { ($0 as? Refusal)?.code == .forumStarted })
            let approved = try await store.review(slate.id, approve: true, comment: nil, actor: council, requestID: nil)
            #expect(approved.status == .approved)
        }
    }
}

@Suite("Membership by consent")
struct MembershipTests {
    struct MembersBody: Decodable { var members: Int }
    struct Requests: Decodable { struct Item: Decodable { var network: UUID; var organisation: UUID; var status: String }; var items: [Item] }

    @Test func aRequestedMembershipCountsNowhereUntilTheOrganisationAccepts() async throws {
        try await withApp { client, pool, _ in
            let network = try await pool.query("INSERT INTO network (name, constituency) VALUES ('Ngo network', 'ngo') RETURNING id")[0].decode("id", as: UUID.self)
            let organisation = try await Fixture.organisation(pool, "Asked", constituency: "ngo")
            let stranger = try await Fixture.organisation(pool, "Another one", constituency: "ngo")
            let focalPoint = try await TestAccount.make(pool, name: "Focal point", grants: [.network(network)])
            let contact = try await TestAccount.make(pool, name: "Contact", grants: [.organisation(organisation)])
            let strangersContact = try await TestAccount.make(pool, name: "Stranger's contact", grants: [.organisation(stranger)])
            try await client.execute(uri: "/networks/\(network)/members/\(organisation)", method: .put, headers: focalPoint.authorization) { response in
                #expect(response.status == .accepted)
                #expect(String(buffer: response.body).contains(#""status":"requested""#))
            }
            func members() async throws -> Int {
                try await client.execute(uri: "/networks/\(network)", method: .get) { try JSONDecoder().decode(MembersBody.self, from: Data(buffer: $0.body)).members }
            }
            let membersWhileRequested = try await members()
            #expect(membersWhileRequested == 0)
            try await client.execute(uri: "/networks/\(network)/members", method: .get) { #expect(String(buffer: $0.body).contains(#""items":[]"#)) }
            try await client.execute(uri: "/organisations/\(organisation)", method: .get) { #expect(!String(buffer: $0.body).contains(network.uuidString)) }
            // The speaking-time weight reads accepted members only.
            let weight = try await pool.query("SELECT count(*)::int AS n FROM network_member WHERE network_id = \(network) AND status = 'accepted'")
            let acceptedCount = try weight[0].decode("n", as: Int.self)
            #expect(acceptedCount == 0)

            // Both sides see the request; someone else's contact cannot accept it.
            for account in [focalPoint, contact] {
                let requests = try await client.execute(uri: "/membership-requests", method: .get, headers: account.authorization) {
                    try JSONDecoder().decode(Requests.self, from: Data(buffer: $0.body))
                }
                #expect(requests.items.map(\.organisation) == [organisation])
            }
            try await client.execute(uri: "/membership-requests", method: .get, headers: strangersContact.authorization) {
                #expect(String(buffer: $0.body).contains(#""items":[]"#))
            }
            // The secretariat pages through every request.
            let secretariat = try await TestAccount.make(pool, name: "Secretariat", grants: [RoleGrant(.secretariat)])
            _ = try await NetworkStore(pool: pool).addMember(stranger, to: network, by: Actor(accountID: nil, tokenName: "t", grants: [.network(network)]),
                                                             requestID: nil)
            struct Paged: Decodable { struct Item: Decodable { var organisation: UUID }; var items: [Item]; var next: String? }
            let first = try await client.execute(uri: "/membership-requests?limit=1", method: .get, headers: secretariat.authorization) {
                try JSONDecoder().decode(Paged.self, from: Data(buffer: $0.body))
            }
            let cursor = try #require(first.next)
            let second = try await client.execute(uri: "/membership-requests?limit=1&cursor=\(cursor)", method: .get, headers: secretariat.authorization) {
                try JSONDecoder().decode(Paged.self, from: Data(buffer: $0.body))
            }
            #expect(Set(first.items.map(\.organisation) + second.items.map(\.organisation)) == [organisation, stranger])
            try await client.execute(uri: "/networks/\(network)/members/\(stranger)", method: .delete, headers: secretariat.authorization) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/networks/\(network)/members/\(organisation)/acceptance", method: .post, headers: strangersContact.authorization) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/networks/\(network)/members/\(organisation)/acceptance", method: .post, headers: focalPoint.authorization) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/networks/\(network)/members/\(organisation)/acceptance", method: .post, headers: contact.authorization) {
                #expect($0.status == .ok)
            }
            let membersOnceAccepted = try await members()
            #expect(membersOnceAccepted == 1)
            try await client.execute(uri: "/organisations/\(organisation)", method: .get) { #expect(String(buffer: $0.body).contains(network.uuidString)) }

            // Either side ends it; the organisation here.
            try await client.execute(uri: "/networks/\(network)/members/\(organisation)", method: .delete, headers: contact.authorization) {
                #expect($0.status == .noContent)
            }
            let membersAfterLeaving = try await members()
            #expect(membersAfterLeaving == 0)
            let audited = try await pool.query("""
                SELECT action FROM audit_entry WHERE object_id = \(network.uuidString)
                  AND coalesce(after->>'member', before->>'member') = \(organisation.uuidString) ORDER BY id
                """).map { try $0.decode("action", as: String.self) }
            #expect(audited == ["network.member.request", "network.member.accept", "network.member.remove"])
        }
    }

    @Test func anOrganisationOfAnotherConstituencyOnlyTheSecretariatAdmits() async throws {
        try await withApp { client, pool, _ in
            let network = try await pool.query("INSERT INTO network (name, constituency) VALUES ('Ngo network', 'ngo') RETURNING id")[0].decode("id", as: UUID.self)
            let business = try await Fixture.organisation(pool, "A company", constituency: "business_industry")
            let focalPoint = try await TestAccount.make(pool, name: "Focal point", grants: [.network(network)])
            let secretariat = try await TestAccount.make(pool, name: "Secretariat", grants: [RoleGrant(.secretariat)])
            try await client.execute(uri: "/networks/\(network)/members/\(business)", method: .put, headers: focalPoint.authorization) { response in
                #expect(response.status == .unprocessableContent)
                let refusedFields = try fieldErrors(response.body).fields
                #expect(refusedFields == ["organisation"])
            }
            // An unknown organisation is the client's mistake too (it was a 500).
            try await client.execute(uri: "/networks/\(network)/members/\(UUID())", method: .put, headers: focalPoint.authorization) { response in
                #expect(response.status == .unprocessableContent)
                let unknownFields = try fieldErrors(response.body).fields
                #expect(unknownFields == ["organisation"])
            }
            #expect(try await pool.query("SELECT 1 FROM network_member").isEmpty)
            try await client.execute(uri: "/networks/\(network)/members/\(business)", method: .put, headers: secretariat.authorization) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""status":"accepted""#))
            }
        }
    }
}

@Suite("The life cycle holds")
struct LifeCycleTrustTests {
    @Test func aPartnershipConcludedBeforeTheCourseCorrectionDoesNotLetTheIssueBackToReview() async throws {
        try await withApp { client, pool, _ in
            // The demo issue went review → implementation after its hearing; its partnership was concluded before that.
            _ = try #require(try await DemoData.loadIfEmpty(pool: pool))
            let issue = try await pool.query("SELECT id FROM policy_issue WHERE slug = 'water-informal-settlements'")[0].decode("id", as: UUID.self)
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            try await client.execute(uri: "/issues/\(issue)/transitions", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"to": "review", "reason": "Again."}"#)) { response in
                #expect(response.status == .conflict)
                let type = try problem(response.body).type
                #expect(type == "/problems/forum-not-concluded")
            }
            // A new partnership concluded now opens the way.
            let partnership = try await Fixture.forum(pool, issue: issue, kind: .partnership, status: .held)
            _ = try await ForumStore(pool: pool).conclude(partnership, outcome: .partnership(progressReport: "Kiosk operators are paid again."),
                                                          by: .commandLine, requestID: nil)
            try await client.execute(uri: "/issues/\(issue)/transitions", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"to": "review", "reason": "The corrected partnership reported."}"#)) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test func aClosedIssueTakesNoForumAndAnOverlongReasonIsTheClientsMistake() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issue = try await Fixture.issue(pool)
            let reason = String(repeating: "r", count: 5_001)
            try await client.execute(uri: "/issues/\(issue)/transitions", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"to": "norm_setting", "reason": "\#(reason)"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let refusedFields = try fieldErrors(response.body).fields
                #expect(refusedFields == ["reason"])
            }
            try await pool.execute("UPDATE policy_issue SET stage = 'closed' WHERE id = \(issue)")
            try await client.execute(uri: "/issues/\(issue)/forums", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"kind": "round_table", "title": "Too late", "venue": {"name": "Hall", "city": "Nairobi", "country": "KE", "timeZone": "Africa/Nairobi"},
                 "startsAt": "2027-03-01T09:00", "endsAt": "2027-03-01T17:00"}
                """)) { response in
                #expect(response.status == .conflict)
                let type = try problem(response.body).type
                #expect(type == "/problems/issue-closed")
            }
            #expect(try await pool.query("SELECT 1 FROM forum").isEmpty)
            try await client.execute(uri: "/issues/\(issue)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"title": "Renamed"}"#)) { #expect($0.status == .unprocessableContent) }
        }
    }

    @Test func forumsAndIssuesAreEditedWithTheFieldsTheirStatusStillAllows() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issue = try await Fixture.issue(pool)
            let forum = try await Fixture.forum(pool, issue: issue, kind: .conference, status: .nominationsOpen)
            var headers = secretariat.authorization
            headers[.ifMatch] = "\"3\"" // created, announced, nominations open
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: headers,
                                     body: ByteBuffer(string: #"{"speakingSlots": 6, "speakingMinutes": 60, "endsAt": "2027-01-15T18:00"}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"4\"")
                let body = String(buffer: response.body)
                #expect(body.contains(#""speakingSlots":6"#))
                // Read in the venue's zone (Nairobi, UTC+3).
                #expect(body.contains(#""endsAt":"2027-01-15T15:00:00Z""#))
            }
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: headers, body: ByteBuffer(string: #"{"title": "Stale"}"#)) {
                #expect($0.status == .preconditionFailed)
            }
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"endsAt": "2020-01-01T00:00:00Z"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let refusedFields = try fieldErrors(response.body).fields
                #expect(refusedFields == ["endsAt"])
            }
            _ = try await ForumStore(pool: pool).changeStatus(forum, to: .nominationsClosed, by: .commandLine, requestID: nil)
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"speakingSlots": 8, "title": "Renamed"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let refusedFields = try fieldErrors(response.body).fields
                #expect(refusedFields == ["speakingSlots"])
            }
            // The refused PATCH wrote nothing, not even the title it also asked for.
            let slots = try await pool.query("SELECT speaking_slots, title FROM forum WHERE id = \(forum)")[0]
            let storedSlots = try slots.decode("speaking_slots", as: Int.self)
            #expect(storedSlots == 6)
            let storedTitle = try slots.decode("title", as: String.self)
            #expect(storedTitle == "A conference")
            // Repeating a value that can no longer change is no change (a full-object PATCH).
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"speakingSlots": 6, "title": "Renamed"}"#)) { #expect($0.status == .ok) }

            try await client.execute(uri: "/issues/\(issue)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"reportsTo": "Human Rights Council", "goals": ["SDG 13"]}"#)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Human Rights Council"))
            }
            try await client.execute(uri: "/issues/\(issue)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"stage": "closed"}"#)) { #expect($0.status == .badRequest) }
            // Repeating what is there makes no new version.
            let version = try await pool.query("SELECT version FROM policy_issue WHERE id = \(issue)")[0].decode("version", as: Int.self)
            try await client.execute(uri: "/issues/\(issue)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"reportsTo": "Human Rights Council"}"#)) { #expect($0.headers[.eTag] == "\"\(version)\"") }
        }
    }
}

@Suite("Forum edits never reopen a closed list")
struct ForumEditTests {
    @Test func nominationsDoNotOpenPastTheirDeadline() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issue = try await Fixture.issue(pool)
            let forum = try await Fixture.forum(pool, issue: issue, kind: .conference, status: .announced)
            try await pool.execute("UPDATE forum SET nominations_deadline = now() - interval '1 day' WHERE id = \(forum)")
            try await client.execute(uri: "/forums/\(forum)/status", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"to": "nominations_open"}"#)) { response in
                #expect(response.status == .conflict)
                let type = try problem(response.body).type
                #expect(type == "/problems/nominations-deadline-passed")
            }
            // Still announced, so the deadline may be moved, and then nominations open.
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"nominationsDeadline": "2031-01-01T00:00:00Z"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/forums/\(forum)/status", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"to": "nominations_open"}"#)) { #expect($0.status == .ok) }
        }
    }

    @Test func aPassedDeadlineIsFinalButSlotsNeverSetMayStillBeSet() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issue = try await Fixture.issue(pool)
            let forum = try await Fixture.forum(pool, issue: issue, kind: .conference, status: .nominationsOpen)
            // Nominations are open by status, but the deadline has passed: the list is public now.
            try await pool.execute("UPDATE forum SET nominations_deadline = now() - interval '1 hour' WHERE id = \(forum)")
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"nominationsDeadline": "2030-01-01T00:00:00Z"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let fields = try fieldErrors(response.body).fields
                #expect(fields == ["nominationsDeadline"])
            }
            // Slots and minutes were never set: no slate could be chosen without them, so they still may be.
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"speakingSlots": 4, "speakingMinutes": 40}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/forums/\(forum)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"speakingSlots": 5}"#)) { #expect($0.status == .unprocessableContent) }
        }
    }
}

@Suite("Public audit entries name roles")
struct PublicAuditTests {
    @Test func thePublicSeesTheActorsRoleNotTheAccountOrToken() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            try await pool.withTransaction { connection in
                try await AuditLog.record(AuditChange(action: "selection.decide", objectType: "forum", objectID: "f1", isPublic: true),
                                          by: Actor(accountID: secretariat.id, tokenName: "laptop of J. Doe", grants: [RoleGrant(.secretariat)]),
                                          requestID: "r1", on: connection)
            }
            let body = try await client.execute(uri: "/audit", method: .get) { String(buffer: $0.body) }
            #expect(body.contains(#""actorRole":"secretariat""#))
            #expect(!body.contains(secretariat.id.uuidString) && !body.contains("J. Doe"))
            try await client.execute(uri: "/audit?account=\(secretariat.id)", method: .get) { #expect($0.status == .badRequest) }
            let full = try await client.execute(uri: "/audit", method: .get, headers: secretariat.authorization) { String(buffer: $0.body) }
            #expect(full.contains("J. Doe"))
        }
    }
}

@Suite("Contention is 503, never 500")
struct ContentionTests {
    @Test func aStatementThatOutwaitsItsTimeoutIs503WithRetryAfterAndChangesNothing() async throws {
                // Long enough for the setup's statements on a loaded machine, short for a test.
        try await withApp(statementTimeout: .seconds(1)) { client, pool, url in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let organisation = try await Fixture.organisation(pool, "Locked", constituency: "ngo")
            // Another session holds the row until told to let go.
            let holder = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
            let release = AsyncStream<Void>.makeStream()
            let held = AsyncStream<Void>.makeStream()
            let holding = Task {
                // Ends the wait below whatever happens here (a failure before holding included).
                defer { held.continuation.finish() }
                try await holder.withTransaction { connection in
                    try await connection.execute("SELECT 1 FROM organisation WHERE id = \(organisation) FOR UPDATE")
                    held.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            // Lets the row go even if an expectation below throws, so the database can be dropped.
            defer { release.continuation.finish() }
            for await _ in held.stream { break }
            try await client.execute(uri: "/organisations/\(organisation)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"name": "Renamed"}"#)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                let type = try problem(response.body).type
                #expect(type == "/problems/database-busy")
            }
            release.continuation.yield()
            try await holding.value
            await holder.close()
            let name = try await pool.query("SELECT name FROM organisation WHERE id = \(organisation)")[0].decode("name", as: String.self)
            #expect(name == "Locked")
        }
    }
}
