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

@Suite("Policy issues and their life cycle over HTTP")
struct IssueAPITests {
    struct IssueBody: Decodable { var id: UUID; var stage: String?; var version: Int }
    struct RefusalBody: Decodable { var type: String; var allowed: [String]? }
    struct HistoryBody: Decodable {
        struct Entry: Decodable { var from: String; var to: String; var kind: String; var reason: String; var tokenName: String? }
        var items: [Entry]
    }

    private func createIssue(_ client: any TestClientProtocol, _ secretariat: TestAccount) async throws -> UUID {
        try await client.execute(uri: "/issues", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
            {"slug": "urban-water-access", "title": "Access to water in informal settlements",
             "reportsTo": "Economic and Social Council", "goals": ["SDG 6.1"]}
            """)) { response in
            #expect(response.status == .created)
            let issue = try JSONDecoder().decode(IssueBody.self, from: Data(buffer: response.body))
            #expect(issue.stage == "emerging")
            return issue.id
        }
    }

    private func move(_ client: any TestClientProtocol, _ account: TestAccount, _ issue: UUID, to stage: String, reason: String) async throws -> (HTTPResponse.Status, ByteBuffer) {
        try await client.execute(uri: "/issues/\(issue)/transitions", method: .post, headers: account.authorization,
                                 body: ByteBuffer(string: #"{"to": "\#(stage)", "reason": "\#(reason)"}"#)) { ($0.status, $0.body) }
    }

    @Test func movesOutsideTheCycleAreRefusedNamingTheAllowedOnes() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issue = try await createIssue(client, secretariat)
            let (status, body) = try await move(client, secretariat, issue, to: "review", reason: "skip ahead")
            #expect(status == .conflict)
            let refusal = try JSONDecoder().decode(RefusalBody.self, from: Data(buffer: body))
            #expect(refusal.type == "/problems/transition-not-allowed")
            #expect(refusal.allowed == ["norm_setting"])
        }
    }

    @Test func leavingAStageNeedsAReasonAndItsForumConcluded() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issue = try await createIssue(client, secretariat)
            var (status, body) = try await move(client, secretariat, issue, to: "norm_setting", reason: " ")
            #expect(status == .unprocessableContent)
            (status, body) = try await move(client, secretariat, issue, to: "norm_setting", reason: "Round table surveyed the issue")
            #expect(status == .conflict)
            #expect(try JSONDecoder().decode(RefusalBody.self, from: Data(buffer: body)).type == "/problems/forum-not-concluded")

            // The round table is held and concluded with its summary.
            let forum = try await client.execute(uri: "/issues/\(issue)/forums", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"kind": "round_table", "title": "Round table on informal settlements",
                 "venue": {"name": "UN Office", "city": "Nairobi", "country": "KE", "timeZone": "Africa/Nairobi"},
                 "startsAt": "2027-02-01T09:00", "endsAt": "2027-02-01T17:00"}
                """)) { try JSONDecoder().decode(IssueBody.self, from: Data(buffer: $0.body)).id }
            try await client.execute(uri: "/forums/\(forum)/outcome", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"summary": "Too early"}"#)) { response in
                #expect(response.status == .conflict)
                let type = try JSONDecoder().decode(RefusalBody.self, from: Data(buffer: response.body)).type
                #expect(type == "/problems/forum-not-held")
            }
            for next in ["announced", "agenda_published", "held"] {
                try await client.execute(uri: "/forums/\(forum)/status", method: .post, headers: secretariat.authorization,
                                         body: ByteBuffer(string: #"{"to": "\#(next)"}"#)) { #expect($0.status == .ok, "\(next)") }
            }
            try await client.execute(uri: "/forums/\(forum)/outcome", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"targets": []}"#)) { #expect($0.status == .badRequest) } // not a round-table field
            try await client.execute(uri: "/forums/\(forum)/outcome", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{}"#)) { #expect($0.status == .unprocessableContent) }
            try await client.execute(uri: "/forums/\(forum)/outcome", method: .post, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"summary": "Mapped the gaps in water access"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/forums/\(forum)/outcome", method: .get) { response in
                #expect(String(buffer: response.body).contains("Mapped the gaps"))
            }
            (status, body) = try await move(client, secretariat, issue, to: "norm_setting", reason: "Round table surveyed the issue")
            #expect(status == .ok)
            let moved = try JSONDecoder().decode(IssueBody.self, from: Data(buffer: body))
            #expect(moved.stage == "norm_setting")
            #expect(moved.version == 2)

            let history = try await client.execute(uri: "/issues/\(issue)/history", method: .get) {
                try JSONDecoder().decode(HistoryBody.self, from: Data(buffer: $0.body))
            }
            #expect(history.items.count == 1)
            #expect(history.items.first?.from == "emerging")
            #expect(history.items.first?.to == "norm_setting")
            #expect(history.items.first?.kind == "forward")
            #expect(history.items.first?.reason == "Round table surveyed the issue")
            #expect(history.items.first?.tokenName == "test")
            let audited = try await pool.query("SELECT count(*)::int AS n FROM audit_entry WHERE action = 'issue.transition' AND object_id = \(issue.uuidString)")[0]
                .decode("n", as: Int.self)
            #expect(audited == 1)
        }
    }

    @Test func onlyTheSecretariatMovesIssuesButAnyoneReadsThem() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let bureau = try await TestAccount.make(pool, name: "Bureau", grants: [RoleGrant.bureau("Economic and Social Council")])
            let issue = try await createIssue(client, secretariat)
            let (status, _) = try await move(client, bureau, issue, to: "norm_setting", reason: "why not")
            #expect(status == .forbidden)
            try await client.execute(uri: "/issues/\(issue)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"1\"")
            }
            try await client.execute(uri: "/issues", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"slug": "urban-water-access", "title": "Duplicate", "reportsTo": "Second Committee of the General Assembly"}
                """)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(#""field":"slug""#))
            }
        }
    }
}
