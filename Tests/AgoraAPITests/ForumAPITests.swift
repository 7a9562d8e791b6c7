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

@Suite("Forums over HTTP")
struct ForumAPITests {
    struct ForumBody: Decodable {
        var id: UUID
        var startsAt: String
        var nominationsDeadline: String?
        var participantCap: Int?
        var status: String
        var local: [String: String]
    }
    struct RefusalBody: Decodable { var type: String; var allowed: [String]? }

    private func issue(_ pool: PostgresConnectionPool) async throws -> UUID {
        try await IssueStore(pool: pool).create(slug: "coastal-cities", title: "Coastal cities and sea-level rise", summary: "",
                                                reportsTo: "Second Committee of the General Assembly", goals: [], by: .commandLine, requestID: nil).id
    }

    @Test func localTimesAreConvertedWithTheVenueTimeZoneAcrossADaylightSavingChange() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issue = try await issue(pool)
            // Paris clocks move forward in the night of 27-28 March 2027: the deadline the day
            // before is UTC+1, the forum itself UTC+2.
            let forum = try await client.execute(uri: "/issues/\(issue)/forums", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"kind": "round_table", "title": "Round table on coastal cities",
                 "venue": {"name": "UNESCO", "city": "Paris", "country": "FR", "timeZone": "Europe/Paris"},
                 "startsAt": "2027-03-28T09:00", "endsAt": "2027-03-28T17:00", "nominationsDeadline": "2027-03-27T17:00"}
                """)) { response in
                #expect(response.status == .created)
                return try JSONDecoder().decode(ForumBody.self, from: Data(buffer: response.body))
            }
            #expect(forum.startsAt == "2027-03-28T07:00:00Z")
            #expect(forum.nominationsDeadline == "2027-03-27T16:00:00Z")
            #expect(forum.local["startsAt"] == "2027-03-28T09:00:00+02:00")
            #expect(forum.local["nominationsDeadline"] == "2027-03-27T17:00:00+01:00")
            #expect(forum.participantCap == 40) // a round table's default
            #expect(forum.status == "draft")
        }
    }

    @Test func draftsAreForTheSecretariatAndTheBureauUntilAnnounced() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            // The bureau of the body the issue reports to sees its drafts; another body's does not.
            let bureau = try await TestAccount.make(pool, name: "Bureau", grants: [RoleGrant.bureau("Second Committee of the General Assembly")])
            let otherBureau = try await TestAccount.make(pool, name: "Other bureau", grants: [RoleGrant.bureau("Economic and Social Council")])
            let issue = try await issue(pool)
            let id = try await client.execute(uri: "/issues/\(issue)/forums", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"kind": "hearing", "title": "Hearing on coastal cities", "chair": "President of the General Assembly",
                 "venue": {"name": "UN Headquarters", "city": "New York", "country": "US", "timeZone": "America/New_York"},
                 "startsAt": "2027-06-01T14:00:00Z", "endsAt": "2027-06-01T20:00:00Z", "speakingSlots": 12, "speakingMinutes": 90}
                """)) { try JSONDecoder().decode(ForumBody.self, from: Data(buffer: $0.body)).id }

            try await client.execute(uri: "/forums/\(id)", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/forums/\(id)", method: .get, headers: bureau.authorization) { #expect($0.status == .ok) }
            try await client.execute(uri: "/forums/\(id)", method: .get, headers: otherBureau.authorization) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/forums/\(id)/status", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"to": "held"}"#)) { response in
                #expect(response.status == .conflict)
                let refusal = try JSONDecoder().decode(RefusalBody.self, from: Data(buffer: response.body))
                #expect(refusal.allowed == ["announced"])
            }
            try await client.execute(uri: "/forums/\(id)/status", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"to": "announced"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/forums/\(id)", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/forums/\(id)/status", method: .post, headers: bureau.authorization,
                                     body: ByteBuffer(string: #"{"to": "nominations_open"}"#)) { #expect($0.status == .forbidden) }
        }
    }

    @Test func aHearingNeedsItsChairAndTimesMustMakeSense() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issue = try await issue(pool)
            try await client.execute(uri: "/issues/\(issue)/forums", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"kind": "hearing", "title": "Unchaired",
                 "venue": {"name": "X", "city": "Geneva", "country": "CH", "timeZone": "Europe/Atlantis"},
                 "startsAt": "2027-06-01T14:00:00Z", "endsAt": "2027-06-01T10:00:00Z"}
                """)) { response in
                #expect(response.status == .unprocessableContent)
                let text = String(buffer: response.body)
                #expect(text.contains(#""field":"chair""#))
                #expect(text.contains(#""field":"venue.timeZone""#))
            }
            let count = try await pool.query("SELECT count(*)::int AS n FROM forum")[0].decode("n", as: Int.self)
            #expect(count == 0)
        }
    }
}
