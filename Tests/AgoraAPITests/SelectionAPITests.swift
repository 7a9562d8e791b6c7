import Agora
import AgoraAPI
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresClient
import Testing
import TestSupport

@Suite("Nominations and speaker selection over HTTP")
struct SelectionAPITests {
    struct NominationBody: Decodable { var id: UUID; var rank: Int; var network: UUID?; var statement: String?; var version: Int? }
    struct ListBody<Item: Decodable>: Decodable { var items: [Item] }
    struct SlateBody: Decodable {
        struct Speaker: Decodable { var nomination: UUID; var state: String; var constituency: String; var minutes: Int; var replaced: UUID?; var overrideJustification: String? }
        struct Balance: Decodable { var speakers: Int; var constituencies: [String: Int]; var women: Int; var men: Int }
        struct Override: Decodable { var justification: String }
        var id: UUID
        var status: String
        var speakers: [Speaker]
        var reserves: [UUID]
        var balance: Balance
        var rulesHold: Bool
        var overrides: [Override]
        var decisions: [SelectionResult.Decision]
    }

    /// A network of `constituency` with one member organisation, its focal point, and people.
    struct Nominator {
        var network: UUID
        var account: TestAccount
        var people: [UUID]
    }

    func nominator(_ pool: PostgresConnectionPool, _ name: String, constituency: String, people: [(String, String, String?)]) async throws -> Nominator {
        let network = try await pool.query("INSERT INTO network (name, constituency) VALUES (\(name), \(constituency)) RETURNING id")[0].decode("id", as: UUID.self)
        let organisation = try await Fixture.organisation(pool, "\(name) member", constituency: constituency)
        try await pool.query("INSERT INTO network_member (network_id, organisation_id, status, accepted_at) VALUES (\(network), \(organisation), 'accepted', now())")
        var ids: [UUID] = []
        for (person, country, gender) in people {
            ids.append(try await pool.query("""
                INSERT INTO person (name, organisation_id, country, gender) VALUES (\(person), \(organisation), \(country), \(gender)) RETURNING id
                """)[0].decode("id", as: UUID.self))
        }
        return Nominator(network: network, account: try await TestAccount.make(pool, name: "\(name) focal point", grants: [.network(network)]), people: ids)
    }

    /// A forum of `kind` taking nominations until a deadline an hour away, with `slots` places.
    func openForum(_ pool: PostgresConnectionPool, kind: ForumKind, slots: Int) async throws -> UUID {
        let issue = try await Fixture.issue(pool, slug: "selection-\(kind.rawValue.replacingOccurrences(of: "_", with: "-"))")
        let start = Date().addingTimeInterval(30 * 86_400)
        let forum = Forum(id: UUID(), issue: issue, kind: kind, title: "A \(kind.rawValue) with speakers",
                          venue: .init(name: "UN Office", city: "Nairobi", country: "KE", timeZone: "Africa/Nairobi"),
                          startsAt: start, endsAt: start.addingTimeInterval(3 * 3600), nominationsDeadline: Date().addingTimeInterval(3600),
                          speakingSlots: slots, speakingMinutes: slots * 5, participantCap: nil, chair: kind == .hearing ? "The Vice-President" : nil,
                          status: .draft, version: 1)
        let store = ForumStore(pool: pool)
        let id = try await store.create(forum, by: .commandLine, requestID: nil)!.id
        for status in [ForumStatus.announced, .nominationsOpen] { _ = try await store.changeStatus(id, to: status, by: .commandLine, requestID: nil) }
        return id
    }

    func nominate(_ client: any TestClientProtocol, _ forum: UUID, by nominator: Nominator, network: UUID? = nil, person: UUID, rank: Int,
                  statement: String = "Twenty years on water utilities.") async throws -> (HTTPResponse.Status, ByteBuffer) {
        try await client.execute(uri: "/forums/\(forum)/nominations", method: .post, headers: nominator.account.authorization, body: ByteBuffer(string: """
            {"network": "\((network ?? nominator.network).uuidString)", "person": "\(person.uuidString)", "rank": \(rank), "statement": "\(statement)"}
            """)) { ($0.status, $0.body) }
    }

    @Test func networksNominateForThemselvesOnlyAndSeeOnlyTheirOwnUntilTheDeadline() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let forum = try await openForum(pool, kind: .conference, slots: 4)
            let a = try await nominator(pool, "Water Network", constituency: "ngo", people: [("Amina", "KE", "woman"), ("Ben", "DE", "man"), ("Chidi", "NE", "man")])
            let b = try await nominator(pool, "Farmers Network", constituency: "farmers", people: [("Dara", "IN", "woman")])

            var (status, body) = try await nominate(client, forum, by: a, person: a.people[0], rank: 1)
            #expect(status == .created)
            let first = try JSONDecoder().decode(NominationBody.self, from: Data(buffer: body))
            (status, body) = try await nominate(client, forum, by: a, network: b.network, person: a.people[1], rank: 1)
            #expect(status == .forbidden)
            let checked1 = try problem(body).type
            #expect(checked1 == "/problems/not-your-network")
            (status, body) = try await nominate(client, forum, by: a, person: a.people[1], rank: 1)
            let checked2 = try problem(body).type
            #expect(checked2 == "/problems/rank-taken")
            (status, body) = try await nominate(client, forum, by: a, person: a.people[0], rank: 2)
            let checked3 = try problem(body).type
            #expect(checked3 == "/problems/already-nominated")
            (status, body) = try await nominate(client, forum, by: a, person: a.people[1], rank: 2, statement: String(repeating: "x", count: 2_001))
            #expect(status == .unprocessableContent)
            (status, body) = try await nominate(client, forum, by: a, person: a.people[1], rank: 2)
            let second = try JSONDecoder().decode(NominationBody.self, from: Data(buffer: body))
            (status, _) = try await nominate(client, forum, by: b, person: b.people[0], rank: 1)
            #expect(status == .created)

            // A rank change swaps with the nomination that held it.
            try await client.execute(uri: "/nominations/\(second.id)", method: .patch, headers: a.account.authorization,
                                     body: ByteBuffer(string: #"{"rank": 1}"#)) { #expect($0.status == .ok) }
            let ranks = try await pool.query("SELECT id, rank FROM nomination WHERE network_id = \(a.network) ORDER BY rank").map { try $0.decode("id", as: UUID.self) }
            #expect(ranks == [second.id, first.id])
            try await client.execute(uri: "/nominations/\(second.id)", method: .patch, headers: b.account.authorization,
                                     body: ByteBuffer(string: #"{"rank": 3}"#)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/nominations/\(second.id)", method: .patch, headers: a.account.authorization,
                                     body: ByteBuffer(string: #"{"rank": 26}"#)) { #expect($0.status == .unprocessableContent) }

            // The nominating network may reach its nominee (personal data); another network may not.
            try await client.execute(uri: "/people/\(a.people[1])", method: .get, headers: a.account.authorization) { response in
                #expect(String(buffer: response.body).contains(#""gender":"man""#))
            }
            try await client.execute(uri: "/people/\(a.people[1])", method: .get, headers: b.account.authorization) { response in
                #expect(response.status == .ok)
                #expect(!String(buffer: response.body).contains("gender"))
            }

            // The selection committee cannot be nominated.
            let member = try await AccessStore(pool: pool).createAccount(name: "Committee member", grants: [RoleGrant.bureau("Economic and Social Council")], by: .commandLine)
            try await pool.query("UPDATE account SET person_id = \(a.people[2]) WHERE id = \(member)")
            try await client.execute(uri: "/forums/\(forum)/committee", method: .put, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"accounts": ["\#(member)"]}"#)) { #expect($0.status == .ok) }
            (status, body) = try await nominate(client, forum, by: a, person: a.people[2], rank: 3)
            let checked4 = try problem(body).type
            #expect(checked4 == "/problems/committee-member")

            // Before the deadline each network sees its own; the public sees nothing.
            let seenByB = try await client.execute(uri: "/forums/\(forum)/nominations", method: .get, headers: b.account.authorization) {
                try JSONDecoder().decode(ListBody<NominationBody>.self, from: Data(buffer: $0.body)).items
            }
            #expect(seenByB.map(\.network) == [b.network])
            let seenByPublic = try await client.execute(uri: "/forums/\(forum)/nominations", method: .get) {
                try JSONDecoder().decode(ListBody<NominationBody>.self, from: Data(buffer: $0.body)).items
            }
            #expect(seenByPublic.isEmpty)

            try await client.execute(uri: "/nominations/\(first.id)/withdrawal", method: .post, headers: a.account.authorization) { #expect($0.status == .ok) }
            try await client.execute(uri: "/forums/\(forum)/status", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"to": "nominations_closed"}"#)) { #expect($0.status == .ok) }
            (status, body) = try await nominate(client, forum, by: b, person: b.people[0], rank: 2)
            let checked5 = try problem(body).type
            #expect(checked5 == "/problems/nominations-closed")

            // After it, everyone reads the list: names and ranks, no statements.
            try await client.execute(uri: "/forums/\(forum)/nominations", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("Ben"))
                #expect(text.contains("Dara"))
                #expect(!text.contains("Amina")) // withdrawn
                #expect(!text.contains("statement"))
                #expect(!text.contains("Twenty years"))
            }
        }
    }

    @Test func theSlateIsRunOverriddenApprovedAndADeclinedPlaceReplaced() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let bureau = try await TestAccount.make(pool, name: "Bureau", grants: [RoleGrant.bureau("Economic and Social Council")])
            let forum = try await openForum(pool, kind: .hearing, slots: 4)
            let water = try await nominator(pool, "Water Network", constituency: "ngo", people: [("Amina", "KE", "woman"), ("Ben", "DE", "man"), ("Cy", "DE", "man")])
            let farmers = try await nominator(pool, "Farmers Network", constituency: "farmers", people: [("Dara", "IN", "woman"), ("Eli", "IN", "man")])
            let women = try await nominator(pool, "Women's Network", constituency: "women", people: [("Fatou", "NE", "woman"), ("Gita", "IN", "woman")])
            var nominations: [String: UUID] = [:]
            for (nominator, names) in [(water, ["Amina", "Ben", "Cy"]), (farmers, ["Dara", "Eli"]), (women, ["Fatou", "Gita"])] {
                for (index, person) in nominator.people.enumerated() {
                    let (_, body) = try await nominate(client, forum, by: nominator, person: person, rank: index + 1)
                    nominations[names[index]] = try JSONDecoder().decode(NominationBody.self, from: Data(buffer: body)).id
                }
            }
            try await client.execute(uri: "/forums/\(forum)/selection", method: .post, headers: secretariat.authorization) { response in
                #expect(response.status == .conflict)
                let type = try problem(response.body).type
                #expect(type == "/problems/nominations-not-closed")
            }
            try await client.execute(uri: "/forums/\(forum)/status", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"to": "nominations_closed"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/forums/\(forum)/selection/preview", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"rules": {"maxPerNetwork": 0}}"#)) { #expect($0.status == .unprocessableContent) }
            try await client.execute(uri: "/forums/\(forum)/selection/preview", method: .post, headers: secretariat.authorization) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("appliedRules"))
            }
            let saved = try await pool.query("SELECT count(*)::int AS n FROM slate")[0].decode("n", as: Int.self)
            #expect(saved == 0)

            let slate = try await client.execute(uri: "/forums/\(forum)/selection", method: .post, headers: secretariat.authorization) { response in
                #expect(response.status == .created)
                return try JSONDecoder().decode(SlateBody.self, from: Data(buffer: response.body))
            }
            #expect(slate.status == "proposed")
            #expect(slate.speakers.count == 4)
            #expect(slate.rulesHold)
            #expect(slate.balance.constituencies.count == 3)
            #expect(slate.balance.women == 2 && slate.balance.men == 2)
            #expect(slate.decisions.count == 7)
            try await client.execute(uri: "/forums/\(forum)/slate", method: .get) { #expect($0.status == .notFound) }

            // An override, justified in public.
            let outgoing = try #require(slate.speakers.first { $0.constituency == "ngo" }).nomination
            let incoming = try #require(slate.reserves.first)
            let swapped = try await client.execute(uri: "/slates/\(slate.id)/overrides", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"out": "\(outgoing)", "in": "\(incoming)", "justification": "The speaker chairs the drafting group on tariffs."}
                """)) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(SlateBody.self, from: Data(buffer: response.body))
            }
            #expect(swapped.overrides.map(\.justification) == ["The speaker chairs the drafting group on tariffs."])
            #expect(swapped.speakers.contains { $0.nomination == incoming })
            try await client.execute(uri: "/audit?objectId=\(slate.id.uuidString)", method: .get) { response in
                #expect(String(buffer: response.body).contains("drafting group on tariffs"))
            }

            // The bureau reviews; the secretariat cannot.
            try await client.execute(uri: "/slates/\(slate.id)/review", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"decision": "approve"}"#)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/slates/\(slate.id)/review", method: .post, headers: bureau.authorization,
                                     body: ByteBuffer(string: #"{"decision": "return"}"#)) { #expect($0.status == .unprocessableContent) }
            let approved = try await client.execute(uri: "/slates/\(slate.id)/review", method: .post, headers: bureau.authorization,
                                                    body: ByteBuffer(string: #"{"decision": "approve", "comment": "Balanced."}"#)) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(SlateBody.self, from: Data(buffer: response.body))
            }
            #expect(approved.status == "approved")
            // The approved slate is the forum's: another run would leave a proposal nobody may approve.
            try await client.execute(uri: "/forums/\(forum)/selection", method: .post, headers: secretariat.authorization) { response in
                #expect(response.status == .conflict)
                let type = try problem(response.body).type
                #expect(type == "/problems/slate-status")
            }
            var pending = try await pool.query("SELECT count(*)::int AS n FROM notice WHERE state = 'pending' AND kind = 'speaker.confirmation_requested'")[0]
                .decode("n", as: Int.self)
            #expect(pending == 4)

            // Everyone reads the approved slate.
            try await client.execute(uri: "/forums/\(forum)/slate", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("\"balance\""))
                #expect(text.contains("drafting group on tariffs"))
                #expect(!text.contains("\"gender\"")) // counted in the balance, not shown per speaker
                let seen = try JSONDecoder().decode(SlateBody.self, from: Data(buffer: response.body))
                #expect(seen.balance.women == approved.balance.women)
                #expect(seen.balance.men == approved.balance.men)
                #expect(seen.balance.women + seen.balance.men == 4)
            }

            // A decline gives the place to the first reserve that keeps the rules.
            let leaving = try #require(approved.speakers.first { $0.constituency == "farmers" })
            let wrongNetwork = leaving.constituency == "farmers" ? water : farmers
            try await client.execute(uri: "/slates/\(slate.id)/speakers/\(leaving.nomination)/answer", method: .post,
                                     headers: wrongNetwork.account.authorization, body: ByteBuffer(string: #"{"answer": "decline"}"#)) {
                #expect($0.status == .notFound) // another network's speaker is not revealed
            }
            let after = try await client.execute(uri: "/slates/\(slate.id)/speakers/\(leaving.nomination)/answer", method: .post,
                                                 headers: farmers.account.authorization, body: ByteBuffer(string: #"{"answer": "decline"}"#)) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(SlateBody.self, from: Data(buffer: response.body))
            }
            #expect(after.speakers.first { $0.nomination == leaving.nomination }?.state == "declined")
            let replacement = after.speakers.first { $0.replaced == leaving.nomination }
            #expect(replacement != nil)
            #expect(after.speakers.filter { $0.state != "declined" }.count == 4)
            #expect(after.rulesHold)
            pending = try await pool.query("SELECT count(*)::int AS n FROM notice WHERE state = 'pending' AND kind = 'speaker.confirmation_requested'")[0].decode("n", as: Int.self)
            #expect(pending == 5)

            // No answer by the deadline counts as a decline.
            let silent = try #require(after.speakers.first { $0.state == "chosen" && $0.replaced == nil })
            let selection = SelectionStore(pool: pool)
            let later = Date().addingTimeInterval(8 * 86_400)
            let released = try await selection.releaseUnanswered(now: later)
            #expect(released >= 1)
            // Replacements are asked afresh from that moment: a second pass at the same time releases nobody.
            #expect(try await selection.releaseUnanswered(now: later) == 0)
            // Once the forum has started, the slate no longer changes.
            await #expect(performing: {
                try await selection.answer(slate.id, nomination: silent.nomination, confirm: true, within: nil,
                                           now: Date().addingTimeInterval(40 * 86_400), actor: .commandLine, requestID: nil)
            }, throws: { ($0 as? Refusal)?.code == .forumStarted })
            let state = try await pool.query("SELECT state FROM slate_speaker WHERE slate_id = \(slate.id) AND nomination_id = \(silent.nomination)")[0]
                .decode("state", as: String.self)
            #expect(state == "declined")
            // Its replacement has its own week to answer: released places do not cascade through the reserves.
            let replacements = try await pool.query("""
                SELECT count(*)::int AS n FROM slate_speaker WHERE slate_id = \(slate.id) AND replaced_nomination IS NOT NULL AND confirm_by IS NOT NULL
                """)[0].decode("n", as: Int.self)
            #expect(replacements >= 1)
            let audited = try await pool.query("""
                SELECT count(*)::int AS n FROM audit_entry WHERE action = 'slate.answer' AND object_id = \(slate.id.uuidString) AND public
                """)[0].decode("n", as: Int.self)
            #expect(audited >= 2)
            _ = nominations
        }
    }

    @Test func aHearingSlateNeedsThreeConstituenciesToBeApproved() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let bureau = try await TestAccount.make(pool, name: "Bureau", grants: [RoleGrant.bureau("Economic and Social Council")])
            let forum = try await openForum(pool, kind: .hearing, slots: 2)
            let water = try await nominator(pool, "Water Network", constituency: "ngo", people: [("Amina", "KE", "woman")])
            let farmers = try await nominator(pool, "Farmers Network", constituency: "farmers", people: [("Dara", "IN", "man")])
            _ = try await nominate(client, forum, by: water, person: water.people[0], rank: 1)
            _ = try await nominate(client, forum, by: farmers, person: farmers.people[0], rank: 1)
            try await client.execute(uri: "/forums/\(forum)/status", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"to": "nominations_closed"}"#)) { #expect($0.status == .ok) }
            // Keeping a slate is a creating POST: a retry with the same Idempotency-Key replays it.
            var keyed = secretariat.authorization
            keyed[HTTPField.Name("Idempotency-Key")!] = "run-1"
            let slate = try await client.execute(uri: "/forums/\(forum)/selection", method: .post, headers: keyed) {
                try JSONDecoder().decode(SlateBody.self, from: Data(buffer: $0.body))
            }
            let replayed = try await client.execute(uri: "/forums/\(forum)/selection", method: .post, headers: keyed) {
                try JSONDecoder().decode(SlateBody.self, from: Data(buffer: $0.body))
            }
            #expect(replayed.id == slate.id)
            let kept = try await pool.query("SELECT count(*)::int AS n FROM slate WHERE forum_id = \(forum)")[0].decode("n", as: Int.self)
            #expect(kept == 1)
            try await client.execute(uri: "/slates/\(slate.id)/review", method: .post, headers: bureau.authorization,
                                     body: ByteBuffer(string: #"{"decision": "approve"}"#)) { response in
                #expect(response.status == .conflict)
                let type = try problem(response.body).type
                #expect(type == "/problems/too-few-constituencies")
            }
            let status = try await pool.query("SELECT status FROM slate WHERE id = \(slate.id)")[0].decode("status", as: String.self)
            #expect(status == "proposed")
        }
    }
}
