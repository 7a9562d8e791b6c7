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

/// Directory rows and forums for tests, written straight to the database.
enum Fixture {
    static func organisation(_ pool: PostgresConnectionPool, _ name: String, country: String = "KE", constituency: String = "ngo") async throws -> UUID {
        try await pool.query("INSERT INTO organisation (name, country, constituency) VALUES (\(name), \(country), \(constituency)) RETURNING id")[0]
            .decode("id", as: UUID.self)
    }

    static func person(_ pool: PostgresConnectionPool, _ name: String, organisation: UUID?) async throws -> UUID {
        try await pool.query("INSERT INTO person (name, organisation_id, country) VALUES (\(name), \(organisation), 'KE') RETURNING id")[0]
            .decode("id", as: UUID.self)
    }

    static func issue(_ pool: PostgresConnectionPool, slug: String = "coastal-cities") async throws -> UUID {
        try await IssueStore(pool: pool).create(slug: slug, title: "Coastal cities and sea-level rise", summary: "",
                                                reportsTo: "Economic and Social Council", goals: [], by: .commandLine, requestID: nil).id
    }

    /// A forum of `kind` of `issue`, moved to `status` through its allowed statuses.
    static func forum(_ pool: PostgresConnectionPool, issue: UUID, kind: ForumKind, status: ForumStatus, cap: Int? = nil) async throws -> UUID {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let forum = Forum(id: UUID(), issue: issue, kind: kind, title: "A \(kind.rawValue)", venue: .init(name: "UN Office", city: "Nairobi", country: "KE", timeZone: "Africa/Nairobi"),
                          startsAt: start, endsAt: start.addingTimeInterval(8 * 3600), nominationsDeadline: nil, speakingSlots: nil, speakingMinutes: nil,
                          participantCap: cap ?? (kind == .roundTable ? Forum.defaultRoundTableCap : nil), chair: kind == .hearing ? "H.E. Amina Chair" : nil,
                          status: .draft, version: 1)
        let store = ForumStore(pool: pool)
        let id = try await store.create(forum, by: .commandLine, requestID: nil)!.id
        var current = ForumStatus.draft
        while current < status, current != .held || status != .concluded {
            guard let next = current.allowedNext(kind: kind).first, next != .concluded else { break }
            _ = try await store.changeStatus(id, to: next, by: .commandLine, requestID: nil)
            current = next
        }
        return id
    }
}

@Suite("Invitations and registrations over HTTP")
struct ParticipationAPITests {
    struct InvitationBody: Decodable { var id: UUID; var status: String; var person: UUID }
    struct ListBody<Item: Decodable>: Decodable { var items: [Item] }
    struct RegistrationBody: Decodable { var id: UUID; var status: String; var organisation: UUID }

    @Test func theCapHoldsUnderFiftyParallelAcceptances() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let forum = try await Fixture.forum(pool, issue: try await Fixture.issue(pool), kind: .roundTable, status: .announced, cap: 20)
            let organisation = try await Fixture.organisation(pool, "Slum Dwellers International")
            let participation = ParticipationStore(pool: pool)
            var invitations: [UUID] = []
            for index in 0..<50 {
                let person = try await Fixture.person(pool, "Guest \(index)", organisation: organisation)
                let invitation = try await participation.invite(person, to: forum, by: .commandLine, requestID: nil)
                invitations.append(invitation.id)
            }
            // Fifty clients on their own connections accept at once.
            let port = try #require(client.port)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for invitation in invitations {
                    group.addTask {
                        let guest = TestClient(host: "127.0.0.1", port: port)
                        guest.connect()
                        defer { Task { try? await guest.shutdown() } }
                        // A 503 (no connection free in time on a loaded machine) changed nothing: ask again, as a client would.
                        for _ in 0..<10 {
                            let status = try await guest.post("/invitations/\(invitation)/answer", headers: secretariat.authorization,
                                                              body: ByteBuffer(string: #"{"answer": "accept"}"#)).status
                            if status != .serviceUnavailable { return status }
                        }
                        return .serviceUnavailable
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 20)
            #expect(statuses.filter { $0 == .conflict }.count == 30)
            let counted = try await pool.query("""
                SELECT (SELECT count(*)::int FROM invitation WHERE forum_id = \(forum) AND status = 'accepted') AS accepted,
                       (SELECT accepted_count FROM forum WHERE id = \(forum)) AS kept
                """)[0]
            let checked1 = try counted.decode("accepted", as: Int.self)
            #expect(checked1 == 20)
            let checked2 = try counted.decode("kept", as: Int.self)
            #expect(checked2 == 20)

            // A refused guest sees why; a place freed by a decline can be taken.
            let refused = try #require(try await participation.invitations(of: forum, within: nil).first { $0.status == .invited })
            try await client.execute(uri: "/invitations/\(refused.id)/answer", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"answer": "accept"}"#)) { response in
                #expect(response.status == .conflict)
                let checked3 = try problem(response.body).type
                #expect(checked3 == "/problems/participant-cap-reached")
            }
            let accepted = try #require(try await participation.invitations(of: forum, within: nil).first { $0.status == .accepted })
            try await client.execute(uri: "/invitations/\(accepted.id)/answer", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"answer": "decline"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/invitations/\(refused.id)/answer", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"answer": "accept"}"#)) { #expect($0.status == .ok) }
            let kept = try await pool.query("SELECT accepted_count FROM forum WHERE id = \(forum)")[0].decode("accepted_count", as: Int.self)
            #expect(kept == 20)
        }
    }

    @Test func organisationsAnswerForTheirOwnPeopleOnly() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let forum = try await Fixture.forum(pool, issue: try await Fixture.issue(pool), kind: .roundTable, status: .announced)
            let ours = try await Fixture.organisation(pool, "Ours")
            let theirs = try await Fixture.organisation(pool, "Theirs")
            let contact = try await TestAccount.make(pool, name: "Contact", grants: [.organisation(ours)])
            let ourPerson = try await Fixture.person(pool, "Wanjiru", organisation: ours)
            let theirPerson = try await Fixture.person(pool, "Kofi", organisation: theirs)
            var ids: [UUID] = []
            for person in [ourPerson, theirPerson] {
                ids.append(try await client.execute(uri: "/forums/\(forum)/invitations", method: .post, headers: secretariat.authorization,
                                                    body: ByteBuffer(string: #"{"person": "\#(person)"}"#)) { response in
                    #expect(response.status == .created)
                    return try JSONDecoder().decode(InvitationBody.self, from: Data(buffer: response.body)).id
                })
            }
            try await client.execute(uri: "/forums/\(forum)/invitations", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"person": "\#(ourPerson)"}"#)) { response in
                #expect(response.status == .conflict)
                let checked4 = try problem(response.body).type
                #expect(checked4 == "/problems/already-participating")
            }
            try await client.execute(uri: "/forums/\(forum)/invitations", method: .post, headers: contact.authorization,
                                     body: ByteBuffer(string: #"{"person": "\#(ourPerson)"}"#)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/invitations/\(ids[1])/answer", method: .post, headers: contact.authorization,
                                     body: ByteBuffer(string: #"{"answer": "accept"}"#)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/invitations/\(ids[0])/answer", method: .post, headers: contact.authorization,
                                     body: ByteBuffer(string: #"{"answer": "maybe"}"#)) { #expect($0.status == .unprocessableContent) }
            try await client.execute(uri: "/invitations/\(ids[0])/answer", method: .post, headers: contact.authorization,
                                     body: ByteBuffer(string: #"{"answer": "decline"}"#)) { response in
                #expect(response.status == .ok)
                let checked5 = try JSONDecoder().decode(InvitationBody.self, from: Data(buffer: response.body)).status
                #expect(checked5 == "declined")
            }
            let seen = try await client.execute(uri: "/forums/\(forum)/invitations", method: .get, headers: contact.authorization) {
                try JSONDecoder().decode(ListBody<InvitationBody>.self, from: Data(buffer: $0.body)).items.map(\.person)
            }
            #expect(seen == [ourPerson])
            try await client.execute(uri: "/forums/\(forum)/invitations", method: .get) { #expect($0.status == .unauthorized) }

            // A round table still in draft is not there for the organisation, though invitations are prepared.
            let draft = try await Fixture.forum(pool, issue: try await Fixture.issue(pool, slug: "draft-issue"), kind: .roundTable, status: .draft)
            let prepared = try await client.execute(uri: "/forums/\(draft)/invitations", method: .post, headers: secretariat.authorization,
                                                    body: ByteBuffer(string: #"{"person": "\#(ourPerson)"}"#)) { response in
                #expect(response.status == .created)
                return try JSONDecoder().decode(InvitationBody.self, from: Data(buffer: response.body)).id
            }
            try await client.execute(uri: "/forums/\(draft)/invitations", method: .get, headers: contact.authorization) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/invitations/\(prepared)/answer", method: .post, headers: contact.authorization,
                                     body: ByteBuffer(string: #"{"answer": "accept"}"#)) { #expect($0.status == .notFound) }
            let audited = try await pool.query("SELECT count(*)::int AS n FROM audit_entry WHERE action = 'invitation.answer' AND object_id = \(ids[0].uuidString)")[0]
                .decode("n", as: Int.self)
            #expect(audited == 1)
        }
    }

    @Test func organisationsRegisterTheirPeopleOnceAndTheSecretariatApproves() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issue = try await Fixture.issue(pool)
            let conference = try await Fixture.forum(pool, issue: issue, kind: .conference, status: .announced)
            let draft = try await Fixture.forum(pool, issue: issue, kind: .conference, status: .draft)
            let roundTable = try await Fixture.forum(pool, issue: issue, kind: .roundTable, status: .announced)
            let ours = try await Fixture.organisation(pool, "Ours")
            let theirs = try await Fixture.organisation(pool, "Theirs")
            let contact = try await TestAccount.make(pool, name: "Contact", grants: [.organisation(ours)])
            let ourPerson = try await Fixture.person(pool, "Wanjiru", organisation: ours)
            let theirPerson = try await Fixture.person(pool, "Kofi", organisation: theirs)

            func register(_ person: UUID, for forum: UUID) async throws -> (HTTPResponse.Status, ByteBuffer) {
                try await client.execute(uri: "/forums/\(forum)/registrations", method: .post, headers: contact.authorization,
                                         body: ByteBuffer(string: #"{"person": "\#(person)"}"#)) { ($0.status, $0.body) }
            }
            var (status, body) = try await register(ourPerson, for: conference)
            #expect(status == .created)
            let registration = try JSONDecoder().decode(RegistrationBody.self, from: Data(buffer: body))
            #expect(registration.status == "registered")
            #expect(registration.organisation == ours)
            (status, body) = try await register(ourPerson, for: conference)
            #expect(status == .conflict)
            let checked6 = try problem(body).type
            #expect(checked6 == "/problems/already-participating")
            (status, body) = try await register(theirPerson, for: conference)
            #expect(status == .unprocessableContent)
            (status, body) = try await register(ourPerson, for: roundTable)
            let checked7 = try problem(body).type
            #expect(checked7 == "/problems/wrong-participation-mode")
            (status, body) = try await register(ourPerson, for: draft)
            #expect(status == .notFound) // a draft is not there for organisations
            (status, body) = try await client.execute(uri: "/forums/\(draft)/registrations", method: .post, headers: secretariat.authorization,
                                                      body: ByteBuffer(string: #"{"person": "\#(ourPerson)"}"#)) { ($0.status, $0.body) }
            #expect(status == .conflict)
            let checked8 = try problem(body).type
            #expect(checked8 == "/problems/participation-closed")

            try await client.execute(uri: "/registrations/\(registration.id)/approval", method: .post, headers: contact.authorization) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/registrations/\(registration.id)/approval", method: .post, headers: secretariat.authorization) { response in
                #expect(response.status == .ok)
                let checked9 = try JSONDecoder().decode(RegistrationBody.self, from: Data(buffer: response.body)).status
                #expect(checked9 == "approved")
            }
            let rows = try await pool.query("SELECT count(*)::int AS n FROM registration WHERE forum_id = \(conference)")[0].decode("n", as: Int.self)
            #expect(rows == 1)
        }
    }
}
