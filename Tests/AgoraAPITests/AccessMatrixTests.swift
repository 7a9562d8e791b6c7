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

/// Every role against every writing route, on objects that belong to someone else:
/// no token 401, a token without the role 403, a role scoped elsewhere 404.
@Suite("Roles × routes × someone else's object")
struct AccessMatrixTests {
    enum Caller: String, CaseIterable {
        case anonymous, participant, bureau, focalPoint, contact, secretariat
    }

    struct Case {
        var method: HTTPRequest.Method
        var uri: String
        var body: String?
        var expected: [Caller: HTTPResponse.Status]
    }

    @Test func everyRoleGetsTheRightAnswer() async throws {
        try await withApp { client, pool, _ in
            // Objects of "ours" (the scoped callers' own) and "theirs" (someone else's).
            var organisationFields = Organisation.Fields()
            organisationFields.country = "BR"
            organisationFields.constituency = "ngo"
            organisationFields.name = "Our organisation"
            let ourOrganisation = try await OrganisationStore(pool: pool).create(organisationFields, by: .commandLine, requestID: nil).id
            organisationFields.name = "Their organisation"
            let theirOrganisation = try await OrganisationStore(pool: pool).create(organisationFields, by: .commandLine, requestID: nil).id
            var networkFields = Network.Fields()
            networkFields.constituency = "ngo"
            networkFields.name = "Our network"
            let ourNetwork = try await NetworkStore(pool: pool).create(networkFields, by: .commandLine, requestID: nil).id
            networkFields.name = "Their network"
            let theirNetwork = try await NetworkStore(pool: pool).create(networkFields, by: .commandLine, requestID: nil).id
            var personFields = Person.Fields()
            personFields.name = "Their person"
            personFields.country = "BR"
            personFields.organisation = .some(theirOrganisation)
            let theirPerson = try await PersonStore(pool: pool).create(personFields, by: .commandLine, requestID: nil).id

            var tokens: [Caller: HTTPFields] = [.anonymous: [:]]
            let grants: [Caller: Set<RoleGrant>] = [
                .participant: [RoleGrant(.participant)], .bureau: [RoleGrant.bureau("Economic and Social Council")],
                .focalPoint: [.network(ourNetwork)], .contact: [.organisation(ourOrganisation)],
                .secretariat: [RoleGrant(.secretariat)],
            ]
            for (caller, grant) in grants {
                tokens[caller] = try await TestAccount.make(pool, name: caller.rawValue, grants: grant).authorization
            }

            func answers(secretariat: HTTPResponse.Status, focalPoint: HTTPResponse.Status = .forbidden, contact: HTTPResponse.Status = .forbidden) -> [Caller: HTTPResponse.Status] {
                [.anonymous: .unauthorized, .participant: .forbidden, .bureau: .forbidden,
                 .focalPoint: focalPoint, .contact: contact, .secretariat: secretariat]
            }
            let cases = [
                Case(method: .patch, uri: "/organisations/\(theirOrganisation)", body: #"{"name": "Renamed"}"#,
                     expected: answers(secretariat: .ok, contact: .notFound)),
                Case(method: .patch, uri: "/networks/\(theirNetwork)", body: #"{"description": "Changed"}"#,
                     expected: answers(secretariat: .ok, focalPoint: .notFound)),
                Case(method: .put, uri: "/networks/\(theirNetwork)/members/\(theirOrganisation)", body: nil,
                     expected: answers(secretariat: .noContent, focalPoint: .notFound)),
                Case(method: .delete, uri: "/networks/\(theirNetwork)/members/\(theirOrganisation)", body: nil,
                     expected: answers(secretariat: .noContent, focalPoint: .notFound)),
                Case(method: .patch, uri: "/people/\(theirPerson)", body: #"{"name": "Renamed"}"#,
                     expected: answers(secretariat: .ok, contact: .notFound)),
                Case(method: .post, uri: "/people", body: #"{"name": "New", "country": "BR", "organisation": "\#(theirOrganisation)"}"#,
                     expected: answers(secretariat: .created, contact: .unprocessableContent)),
                Case(method: .post, uri: "/organisations", body: #"{"name": "New", "country": "BR", "constituency": "ngo"}"#,
                     expected: answers(secretariat: .created)),
                Case(method: .post, uri: "/networks", body: #"{"name": "New network", "constituency": "ngo"}"#,
                     expected: answers(secretariat: .created)),
                Case(method: .post, uri: "/accounts", body: #"{"name": "New", "roles": [{"role": "bureau"}]}"#,
                     expected: answers(secretariat: .created)),
                Case(method: .post, uri: "/constituencies", body: #"{"code": "faith_groups", "name": "Faith-based organisations"}"#,
                     expected: answers(secretariat: .created)),
                Case(method: .patch, uri: "/countries/KE", body: #"{"developing": true}"#,
                     expected: answers(secretariat: .ok)),
                Case(method: .get, uri: "/tokens", body: nil,
                     expected: [.anonymous: .unauthorized, .participant: .ok, .bureau: .ok, .focalPoint: .ok, .contact: .ok, .secretariat: .ok]),
                Case(method: .get, uri: "/audit", body: nil,
                     expected: [.anonymous: .ok, .participant: .ok, .bureau: .ok, .focalPoint: .ok, .contact: .ok, .secretariat: .ok]),
            ]
            // The secretariat goes last, so the others meet the objects unchanged.
            for testCase in cases {
                for caller in Caller.allCases {
                    var headers = tokens[caller]!
                    headers[.contentType] = "application/json"
                    let status = try await client.execute(uri: testCase.uri, method: testCase.method, headers: headers,
                                                          body: testCase.body.map { ByteBuffer(string: $0) }) { $0.status }
                    #expect(status == testCase.expected[caller], "\(caller) \(testCase.method) \(testCase.uri)")
                }
            }
        }
    }

    @Test func theAuditLogShowsEverythingToTheSecretariatAndOnlyPublicEntriesToOthers() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            try await pool.withTransaction { connection in
                try await AuditLog.record(AuditChange(action: "selection.decide", objectType: "forum", objectID: "f1", isPublic: true),
                                          by: .commandLine, requestID: nil, on: connection)
            }
            struct Entries: Decodable { struct Entry: Decodable { var action: String }; var items: [Entry] }
            let everyone = try await client.execute(uri: "/audit", method: .get) { try JSONDecoder().decode(Entries.self, from: Data(buffer: $0.body)) }
            #expect(everyone.items.map(\.action) == ["selection.decide"])
            let all = try await client.execute(uri: "/audit?objectType=account", method: .get, headers: secretariat.authorization) {
                try JSONDecoder().decode(Entries.self, from: Data(buffer: $0.body))
            }
            #expect(all.items.map(\.action).contains("account.create"))
            #expect(!all.items.map(\.action).contains("selection.decide"))
            try await client.execute(uri: "/audit?since=yesterday", method: .get, headers: secretariat.authorization) { #expect($0.status == .badRequest) }
        }
    }
}
