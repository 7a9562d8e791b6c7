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

@Suite("Partnerships, hearing proceedings and their transmission over HTTP")
struct ProceedingsAPITests {
    struct CommitmentBody: Decodable { var id: UUID; var status: String; var evidence: String?; var version: Int }
    struct ProceedingsBody: Decodable {
        struct Count: Decodable { var constituency: String; var name: String?; var speakers: Int }
        struct Evidence: Decodable { var deliverable: String; var status: String; var organisationName: String }
        struct Sent: Decodable { var body: String; var documentReference: String; var acknowledgedOn: String? }
        var title: String
        var chair: String
        var constituencyBreakdown: [Count]
        var evidence: [Evidence]
        var transmission: Sent?
    }

    private func post(_ client: any TestClientProtocol, _ uri: String, _ account: TestAccount?, _ body: String,
                      headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, ByteBuffer, HTTPFields) {
        var fields = account?.authorization ?? [:]
        fields.append(contentsOf: headers)
        return try await client.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: body)) { ($0.status, $0.body, $0.headers) }
    }

    @Test func partnersCommitAndTheSecretariatKeepsTheirStatus() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issue = try await Fixture.issue(pool)
            let partnership = try await Fixture.forum(pool, issue: issue, kind: .partnership, status: .announced)
            let conference = try await Fixture.forum(pool, issue: issue, kind: .conference, status: .announced)
            let utility = try await Fixture.organisation(pool, "Nairobi Water Utility")
            let outsider = try await Fixture.organisation(pool, "Outsider")

            var (status, body, _) = try await post(client, "/forums/\(partnership)/partners", secretariat, #"{"organisation": "\#(utility)", "role": "lead implementer"}"#)
            #expect(status == .created)
            (status, body, _) = try await post(client, "/forums/\(partnership)/partners", secretariat, #"{"organisation": "\#(utility)", "role": "funder"}"#)
            #expect(status == .conflict)
            (status, body, _) = try await post(client, "/forums/\(conference)/partners", secretariat, #"{"organisation": "\#(utility)", "role": "funder"}"#)
            let checked1 = try problem(body).type
            #expect(checked1 == "/problems/not-a-partnership")

            (status, body, _) = try await post(client, "/forums/\(partnership)/commitments", secretariat,
                                               #"{"organisation": "\#(outsider)", "deliverable": "Kiosks", "due": "2028-06-30"}"#)
            #expect(status == .unprocessableContent)
            #expect(String(buffer: body).contains(#""field":"organisation""#))
            (status, body, _) = try await post(client, "/forums/\(partnership)/commitments", secretariat,
                                               #"{"organisation": "\#(utility)", "deliverable": "Kiosks", "due": "2028-06-31", "status": "soon"}"#)
            #expect(status == .unprocessableContent)
            #expect(String(buffer: body).contains(#""field":"due""#))
            #expect(String(buffer: body).contains(#""field":"status""#))
            let stored = try await pool.query("SELECT count(*)::int AS n FROM commitment")[0].decode("n", as: Int.self)
            #expect(stored == 0)

            (status, body, _) = try await post(client, "/forums/\(partnership)/commitments", secretariat,
                                               #"{"organisation": "\#(utility)", "deliverable": "200 water kiosks", "due": "2028-06-30"}"#)
            #expect(status == .created)
            let commitment = try JSONDecoder().decode(CommitmentBody.self, from: Data(buffer: body))
            #expect(commitment.status == "planned")

            let update = ByteBuffer(string: #"{"status": "delayed", "evidence": "https://example.org/kiosks/q3"}"#)
            try await client.execute(uri: "/commitments/\(commitment.id)", method: .patch,
                                     headers: secretariat.authorization + [.ifMatch: "\"\(commitment.version)\""], body: update) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"2\"")
            }
            try await client.execute(uri: "/commitments/\(commitment.id)", method: .patch,
                                     headers: secretariat.authorization + [.ifMatch: "\"1\""], body: update) { #expect($0.status == .preconditionFailed) }
            try await client.execute(uri: "/forums/\(partnership)/commitments", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""status":"delayed""#))
            }
            try await client.execute(uri: "/commitments/\(commitment.id)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"status": null}"#)) { #expect($0.status == .unprocessableContent) }
            try await client.execute(uri: "/commitments/\(commitment.id)", method: .patch, headers: secretariat.authorization,
                                     body: ByteBuffer(string: #"{"status": "delayed"}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"2\"") // nothing changed, nothing written
            }

            // A draft partnership's partners are not announced in the public audit log.
            let draft = try await Fixture.forum(pool, issue: issue, kind: .partnership, status: .draft)
            (status, body, _) = try await post(client, "/forums/\(draft)/partners", secretariat, #"{"organisation": "\#(utility)", "role": "funder"}"#)
            #expect(status == .created)
            try await client.execute(uri: "/audit?objectId=\(draft.uuidString)", method: .get) { response in
                #expect(!String(buffer: response.body).contains("partner.add"))
            }
            try await client.execute(uri: "/forums/\(draft)/partners", method: .get) { #expect($0.status == .notFound) }
            let audited = try await pool.query("""
                SELECT count(*)::int AS n FROM audit_entry WHERE action = 'commitment.update' AND object_id = \(commitment.id.uuidString) AND public
                """)[0].decode("n", as: Int.self)
            #expect(audited == 1)
        }
    }

    @Test func hearingProceedingsAreTransmittedOnceAuditedAndThenPublic() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let bureau = try await TestAccount.make(pool, name: "Bureau", grants: [RoleGrant.bureau("Economic and Social Council")])
            let issue = try await Fixture.issue(pool)
            let partnership = try await Fixture.forum(pool, issue: issue, kind: .partnership, status: .announced)
            let utility = try await Fixture.organisation(pool, "Nairobi Water Utility")
            let partners = PartnershipStore(pool: pool)
            _ = try await partners.addPartner(utility, role: "lead implementer", to: partnership, by: .commandLine, requestID: nil)
            _ = try await partners.addCommitment(.init(organisation: utility, deliverable: "200 water kiosks", due: "2028-06-30", status: .delayed),
                                                 to: partnership, by: .commandLine, requestID: nil)
            let hearing = try await Fixture.forum(pool, issue: issue, kind: .hearing, status: .held)

            let statements = """
                [{"speaker": "Amina Odhiambo", "organisation": "Women's Water Network", "constituency": "women", "text": "Kiosks close at <night>."},
                 {"speaker": "Kofi Mensah", "constituency": "workers_trade_unions", "text": "Operators are unpaid."},
                 {"speaker": "Ravi Iyer", "constituency": "ngo", "text": "Tariffs doubled."}]
                """
            var (status, body, _) = try await post(client, "/forums/\(hearing)/outcome", secretariat, """
                {"summary": "Three constituencies heard.", "statements": [{"speaker": "X", "constituency": "martians", "text": "t"}],
                 "recommendations": [{"kind": "recommendation", "text": "r"}]}
                """)
            #expect(status == .unprocessableContent)
            #expect(String(buffer: body).contains(#""field":"statements[0].constituency""#))
            let stillHeld = try await pool.query("SELECT status FROM forum WHERE id = \(hearing)")[0].decode("status", as: String.self)
            #expect(stillHeld == "held")

            (status, body, _) = try await post(client, "/forums/\(hearing)/outcome", secretariat, """
                {"summary": "Three constituencies heard.", "statements": \(statements),
                 "recommendations": [{"kind": "course_correction", "text": "Pay kiosk operators from the tariff."}]}
                """)
            #expect(status == .ok)

            // Before transmission: the secretariat and the bureau read the proceedings; the public does not.
            try await client.execute(uri: "/forums/\(hearing)/proceedings", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/forums/\(hearing)/proceedings.html", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/forums/\(hearing)/outcome", method: .get) { #expect($0.status == .notFound) }
            let draft = try await client.execute(uri: "/forums/\(hearing)/proceedings", method: .get, headers: bureau.authorization) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(ProceedingsBody.self, from: Data(buffer: response.body))
            }
            #expect(draft.transmission == nil)
            #expect(draft.constituencyBreakdown.map(\.constituency) == ["ngo", "women", "workers_trade_unions"])
            #expect(draft.constituencyBreakdown.first?.name == "Non-governmental organisations")
            #expect(draft.evidence.map(\.status) == ["delayed"])
            #expect(draft.evidence.first?.organisationName == "Nairobi Water Utility")

            (status, body, _) = try await post(client, "/forums/\(partnership)/transmission", secretariat, #"{"documentReference": "E/2028/L.3", "transmittedOn": "2028-07-01"}"#)
            let checked2 = try problem(body).type
            #expect(checked2 == "/problems/not-concluded-hearing")
            (status, body, _) = try await post(client, "/forums/\(hearing)/transmission", bureau, #"{"documentReference": "E/2028/L.3", "transmittedOn": "2028-07-01"}"#)
            #expect(status == .forbidden)
            (status, body, _) = try await post(client, "/forums/\(hearing)/transmission", secretariat, #"{"documentReference": "E/2028/L.3", "transmittedOn": "2028-07-32"}"#)
            #expect(status == .unprocessableContent)
            (status, body, _) = try await post(client, "/forums/\(hearing)/transmission", secretariat, #"{"documentReference": "E/2028/L.3", "transmittedOn": null}"#)
            #expect(status == .unprocessableContent)
            (status, body, _) = try await post(client, "/forums/\(hearing)/transmission", secretariat, #"{"documentReference": "\#(String(repeating: "e\u{301}", count: 150))", "transmittedOn": "2028-07-01"}"#)
            #expect(status == .unprocessableContent)
            let (sentStatus, _, sentHeaders) = try await post(client, "/forums/\(hearing)/transmission", secretariat,
                                                              #"{"documentReference": "E/2028/L.3", "transmittedOn": "2028-07-01"}"#)
            #expect(sentStatus == .created)
            (status, body, _) = try await post(client, "/forums/\(hearing)/transmission", secretariat, #"{"documentReference": "E/2028/L.4", "transmittedOn": "2028-07-02"}"#)
            #expect(status == .conflict)
            let checked3 = try problem(body).type
            #expect(checked3 == "/problems/already-transmitted")

            // Audited with who and which request, and public.
            let requestID = try #require(sentHeaders[HTTPField.Name("X-Request-ID")!])
            let entry = try await pool.query("""
                SELECT account_id, public, after->>'documentReference' AS reference FROM audit_entry
                WHERE action = 'proceedings.transmit' AND object_id = \(hearing.uuidString) AND request_id = \(requestID)
                """)
            #expect(entry.count == 1)
            let checked4 = try entry.first?.decode("account_id", as: UUID?.self)
            #expect(checked4 == secretariat.id)
            let checked5 = try entry.first?.decode("public", as: Bool.self)
            #expect(checked5 == true)
            let checked6 = try entry.first?.decode("reference", as: String.self)
            #expect(checked6 == "E/2028/L.3")
            try await client.execute(uri: "/audit?objectId=\(hearing.uuidString)", method: .get) { response in
                #expect(String(buffer: response.body).contains("proceedings.transmit"))
            }

            // Now public, as JSON and as a page; values are escaped on the page.
            let published = try await client.execute(uri: "/forums/\(hearing)/proceedings", method: .get) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(ProceedingsBody.self, from: Data(buffer: response.body))
            }
            #expect(published.transmission?.body == "Economic and Social Council")
            // The document as sent stays as sent when a commitment moves on.
            let commitment = try #require(try await partners.commitments(of: partnership).first)
            _ = try await partners.updateCommitment(commitment.id, .init(status: .done), expectedVersion: nil, by: .commandLine, requestID: nil)
            let reread = try await client.execute(uri: "/forums/\(hearing)/proceedings", method: .get) {
                try JSONDecoder().decode(ProceedingsBody.self, from: Data(buffer: $0.body))
            }
            #expect(reread.evidence.map(\.status) == ["delayed"])
            #expect(published.transmission?.documentReference == "E/2028/L.3")
            try await client.execute(uri: "/forums/\(hearing)/outcome", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/forums/\(hearing)/proceedings.html", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let page = String(buffer: response.body)
                #expect(page.contains("<h1>A hearing</h1>"))
                #expect(page.contains("Kiosks close at &lt;night&gt;."))
                #expect(!page.contains("<night>"))
                #expect(page.contains("Transmitted to the Economic and Social Council on 2028-07-01 as document E/2028/L.3."))
                #expect(page.contains("200 water kiosks"))
                #expect(page.contains("Pay kiosk operators from the tariff."))
                #expect(page.contains("Receipt not yet acknowledged."))
            }

            (status, body, _) = try await post(client, "/forums/\(hearing)/transmission/acknowledgement", secretariat,
                                               #"{"acknowledgedOn": "2028-06-30", "acknowledgement": "Received"}"#)
            #expect(status == .unprocessableContent)
            (status, body, _) = try await post(client, "/forums/\(hearing)/transmission/acknowledgement", secretariat,
                                               #"{"acknowledgedOn": "2028-07-08", "acknowledgement": "Circulated as E/2028/L.3/Add.1"}"#)
            #expect(status == .ok)
            (status, body, _) = try await post(client, "/forums/\(hearing)/transmission/acknowledgement", secretariat,
                                               #"{"acknowledgedOn": "2028-07-09", "acknowledgement": "Again"}"#)
            let checked7 = try problem(body).type
            #expect(checked7 == "/problems/already-acknowledged")
            try await client.execute(uri: "/forums/\(hearing)/transmission", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""acknowledgedOn":"2028-07-08""#))
            }
        }
    }
}
