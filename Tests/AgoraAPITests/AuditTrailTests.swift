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

@Suite("Every change leaves an audit entry")
struct AuditTrailTests {
    @Test func eachKindOfChangeIsAuditedWithActorAndRequestID() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, name: "Secretariat", grants: [RoleGrant(.secretariat)])
            var requestIDs: [String: String] = [:]
            func send(_ action: String, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil) async throws -> [String: JSONValue] {
                try await client.execute(uri: uri, method: method, headers: secretariat.authorization, body: body.map { ByteBuffer(string: $0) }) { response in
                    #expect(response.status.code < 300, "\(action): \(response.status)")
                    requestIDs[action] = response.headers[HTTPField.Name("X-Request-ID")!]
                    return (try? JSONDecoder().decode([String: JSONValue].self, from: Data(buffer: response.body))) ?? [:]
                }
            }
            func id(_ object: [String: JSONValue]) -> String {
                if case .string(let id)? = object["id"] { return id }
                return ""
            }
            let organisation = id(try await send("organisation.create", .post, "/organisations", #"{"name": "Audited", "country": "KE", "constituency": "ngo"}"#))
            _ = try await send("organisation.update", .patch, "/organisations/\(organisation)", #"{"name": "Audited again"}"#)
            let network = id(try await send("network.create", .post, "/networks", #"{"name": "Audited network", "constituency": "ngo"}"#))
            _ = try await send("network.update", .patch, "/networks/\(network)", #"{"description": "Described"}"#)
            _ = try await send("network.member.add", .put, "/networks/\(network)/members/\(organisation)")
            _ = try await send("network.member.remove", .delete, "/networks/\(network)/members/\(organisation)")
            let person = id(try await send("person.create", .post, "/people", #"{"name": "Audited person", "country": "KE", "email": "p@example.org"}"#))
            _ = try await send("person.update", .patch, "/people/\(person)", #"{"email": "q@example.org"}"#)
            _ = try await send("country.update", .patch, "/countries/KE", #"{"developing": true}"#)
            _ = try await send("constituency.create", .post, "/constituencies", #"{"code": "audited", "name": "Audited constituency"}"#)
            _ = try await send("account.create", .post, "/accounts", #"{"name": "Audited account", "roles": [{"role": "bureau", "body": "Economic and Social Council"}]}"#)
            let token = id(try await send("token.create", .post, "/tokens", #"{"name": "audited token"}"#))
            _ = try await send("token.revoke", .delete, "/tokens/\(token)")

            for (action, requestID) in requestIDs {
                let rows = try await pool.query("""
                    SELECT account_id, token_name, after::text AS after, before::text AS before FROM audit_entry
                    WHERE action = \(action) AND request_id = \(requestID)
                    """)
                #expect(rows.count == 1, "\(action)")
                guard let row = rows.first else { continue }
                #expect(try row.decode("account_id", as: UUID?.self) == secretariat.id, "\(action)")
                #expect(try row.decode("token_name", as: String?.self) == "test", "\(action)")
                let snapshots = (try row.decode("after", as: String?.self) ?? "") + (try row.decode("before", as: String?.self) ?? "")
                #expect(!snapshots.contains("example.org"), "\(action) leaks personal data")
            }
            #expect(requestIDs.count == 13)
        }
    }
}
