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

@Suite("Networks and people over HTTP")
struct DirectoryAPITests {
    private func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    private func organisation(_ pool: PostgresConnectionPool, _ name: String) async throws -> UUID {
        var fields = Organisation.Fields()
        fields.name = name
        fields.country = "KE"
        fields.constituency = "ngo"
        return try await OrganisationStore(pool: pool).create(fields, by: .commandLine, requestID: nil).id
    }

    private func network(_ pool: PostgresConnectionPool, _ name: String) async throws -> UUID {
        var fields = Network.Fields()
        fields.name = name
        fields.constituency = "ngo"
        return try await NetworkStore(pool: pool).create(fields, by: .commandLine, requestID: nil).id
    }

    @Test func focalPointsManageTheirOwnNetworkOnly() async throws {
        try await withApp { client, pool, _ in
            let ours = try await network(pool, "Global Forest Network")
            let theirs = try await network(pool, "Ocean Alliance")
            let member = try await organisation(pool, "Forest Keepers")
            let focalPoint = try await TestAccount.make(pool, name: "Focal point", grants: [.network(ours)])

            try await client.execute(uri: "/networks/\(ours)", method: .patch, headers: focalPoint.authorization,
                                     body: body(#"{"description": "Forest peoples and their allies"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/networks/\(ours)", method: .patch, headers: focalPoint.authorization,
                                     body: body(#"{"name": "Renamed"}"#)) { #expect($0.status == .unprocessableContent) }
            try await client.execute(uri: "/networks/\(theirs)", method: .patch, headers: focalPoint.authorization,
                                     body: body(#"{"description": "Taken over"}"#)) { #expect($0.status == .notFound) }

            // Membership is by consent: the focal point's PUT is a request, which counts nowhere.
            for _ in 0..<2 {
                try await client.execute(uri: "/networks/\(ours)/members/\(member)", method: .put, headers: focalPoint.authorization) {
                    #expect($0.status == .accepted)
                }
            }
            try await client.execute(uri: "/networks/\(theirs)/members/\(member)", method: .put, headers: focalPoint.authorization) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/networks/\(ours)", method: .get) { response in
                let members = try JSONDecoder().decode(MembersBody.self, from: Data(buffer: response.body)).members
                #expect(members == 0)
            }
            let contact = try await TestAccount.make(pool, name: "Forest Keepers contact", grants: [.organisation(member)])
            try await client.execute(uri: "/networks/\(ours)/members/\(member)/acceptance", method: .post, headers: contact.authorization) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/networks/\(ours)", method: .get) { response in
                let network = try JSONDecoder().decode(MembersBody.self, from: Data(buffer: response.body))
                #expect(network.members == 1) // derived from accepted memberships, counted once
            }
            try await client.execute(uri: "/networks/\(ours)/members/\(member)", method: .delete, headers: focalPoint.authorization) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/networks/\(ours)", method: .get) { response in
                let network = try JSONDecoder().decode(MembersBody.self, from: Data(buffer: response.body))
                #expect(network.members == 0)
            }
        }
    }

    struct MembersBody: Decodable { var members: Int }

    @Test func personalDataIsShownOnlyToThoseWhoMaySeeIt() async throws {
        try await withApp { client, pool, _ in
            let home = try await organisation(pool, "Home")
            let other = try await organisation(pool, "Other")
            let contact = try await TestAccount.make(pool, name: "Contact", grants: [.organisation(home)])
            let otherContact = try await TestAccount.make(pool, name: "Other contact", grants: [.organisation(other)])
            let secretariat = try await TestAccount.make(pool, name: "Secretariat", grants: [RoleGrant(.secretariat)])

            let personID = try await client.execute(uri: "/people", method: .post, headers: contact.authorization, body: body("""
                {"name": "Wanjiru Kamau", "organisation": "\(home)", "country": "KE", "languages": ["en", "sw"],
                 "gender": "woman", "email": "wanjiru@example.org"}
                """)) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains("wanjiru@example.org"))
                return try JSONDecoder().decode(IDBody.self, from: Data(buffer: response.body)).id
            }

            for (headers, sees) in [(HTTPFields(), false), (otherContact.authorization, false), (contact.authorization, true), (secretariat.authorization, true)] {
                try await client.execute(uri: "/people/\(personID)", method: .get, headers: headers) { response in
                    let text = String(buffer: response.body)
                    #expect(response.status == .ok)
                    #expect(text.contains("Wanjiru Kamau"))
                    #expect(text.contains(#""constituency":"ngo""#))
                    #expect(text.contains("wanjiru@example.org") == sees)
                    #expect(text.contains("woman") == sees)
                }
            }

            try await client.execute(uri: "/people/\(personID)", method: .patch, headers: otherContact.authorization, body: body(#"{"name": "X"}"#)) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/people", method: .post, headers: otherContact.authorization,
                                     body: body(#"{"name": "Stranger", "organisation": "\#(home)", "country": "KE"}"#)) {
                #expect($0.status == .unprocessableContent)
            }
            // Gender is never required.
            try await client.execute(uri: "/people", method: .post, headers: contact.authorization,
                                     body: body(#"{"name": "Otieno", "organisation": "\#(home)", "country": "KE"}"#)) {
                #expect($0.status == .created)
            }
            let audit = try await pool.query("SELECT after::text AS after FROM audit_entry WHERE action = 'person.create' AND object_id = \(personID.uuidString)")[0]
                .decode("after", as: String.self)
            #expect(!audit.contains("wanjiru@example.org"))
            #expect(!audit.contains("woman"))
            #expect(audit.contains("Wanjiru Kamau"))
        }
    }

    struct IDBody: Decodable { var id: UUID }
}
