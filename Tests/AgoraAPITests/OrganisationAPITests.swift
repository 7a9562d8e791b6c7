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

@Suite("Organisations over HTTP, and the API conventions")
struct OrganisationAPITests {
    struct OrganisationBody: Decodable {
        var id: UUID
        var name: String
        var country: String
        var constituency: String
        var accreditation: String?
        var version: Int
    }

    private func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    private func create(_ client: any TestClientProtocol, _ account: TestAccount, _ body: String, key: String? = nil) async throws -> (HTTPResponse.Status, OrganisationBody?, HTTPFields) {
        var headers = account.authorization
        headers[.contentType] = "application/json"
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        return try await client.execute(uri: "/organisations", method: .post, headers: headers, body: json(body)) { response in
            (response.status, try? JSONDecoder().decode(OrganisationBody.self, from: Data(buffer: response.body)), response.headers)
        }
    }

    @Test func theSecretariatCreatesAndAnyoneReads() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let (status, created, headers) = try await create(client, secretariat,
                #"{"name": "Réseau des femmes du Sahel", "country": "ne", "constituency": "women", "accreditation": "ECOSOC special", "accreditedOn": "2019-07-01"}"#)
            #expect(status == .created)
            let organisation = try #require(created)
            #expect(organisation.country == "NE")
            #expect(headers[.eTag] == "\"1\"")
            #expect(headers[.location] == "/organisations/\(organisation.id.uuidString)")

            try await client.execute(uri: "/organisations/\(organisation.id)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"1\"")
                #expect(String(buffer: response.body).contains("Sahel"))
            }
            let audited = try await pool.query("SELECT count(*)::int AS n FROM audit_entry WHERE action = 'organisation.create' AND object_id = \(organisation.id.uuidString)")[0].decode("n", as: Int.self)
            #expect(audited == 1)
        }
    }

    @Test func onlyTheSecretariatMayCreate() async throws {
        try await withApp { client, pool, _ in
            let participant = try await TestAccount.make(pool)
            let (status, _, _) = try await create(client, participant, #"{"name": "X", "country": "KE", "constituency": "ngo"}"#)
            #expect(status == .forbidden)
            try await client.execute(uri: "/organisations", method: .post, headers: [.contentType: "application/json"],
                                     body: json(#"{"name": "X", "country": "KE", "constituency": "ngo"}"#)) { #expect($0.status == .unauthorized) }
            let count = try await pool.query("SELECT count(*)::int AS n FROM organisation")[0].decode("n", as: Int.self)
            #expect(count == 0)
        }
    }

    @Test func badInputIsRefusedNamingTheFieldsAndNothingIsWritten() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            var (status, _, _) = try await create(client, secretariat, #"{"name": "X", "country": "KE", "constituency": "ngo", "members": 400}"#)
            #expect(status == .badRequest)
            (status, _, _) = try await create(client, secretariat, #"{"name": "", "country": "QQ", "constituency": "astrologers"}"#)
            #expect(status == .unprocessableContent)
            try await client.execute(uri: "/organisations", method: .post, headers: secretariat.authorization,
                                     body: json(#"{"name": "X", "country": "QQ", "constituency": "ngo"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(#""field":"country""#))
            }
            (status, _, _) = try await create(client, secretariat, #"{"name": "X", "country": "KE", "constituency": "ngo", "accreditation": "x", "accreditedOn": "2024-02-30"}"#)
            #expect(status == .unprocessableContent) // not a calendar date
            (status, _, _) = try await create(client, secretariat, #"{"name": "X", "country": "KE", "constituency": "ngo", "accreditedOn": "2024-02-01"}"#)
            #expect(status == .unprocessableContent) // a date without an accreditation
            try await client.execute(uri: "/accounts", method: .post, headers: secretariat.authorization,
                                     body: json(#"{"name": "X", "email": "not an address", "roles": [{"role": "bureau"}]}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(#""field":"email""#))
            }
            try await client.execute(uri: "/accounts", method: .post, headers: secretariat.authorization,
                                     body: json(#"{"name": "X", "roles": [{"role": "network", "network": "\#(UUID())"}]}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(#""field":"roles""#))
            }
            let count = try await pool.query("SELECT count(*)::int AS n FROM organisation")[0].decode("n", as: Int.self)
            #expect(count == 0)
        }
    }

    @Test func aRetryWithTheSameIdempotencyKeyReplaysTheAnswer() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let body = #"{"name": "Asociación Andina", "country": "PE", "constituency": "farmers"}"#
            let (firstStatus, first, _) = try await create(client, secretariat, body, key: "create-andina")
            let (secondStatus, second, secondHeaders) = try await create(client, secretariat, body, key: "create-andina")
            #expect(firstStatus == .created)
            #expect(secondStatus == .created)
            #expect(first?.id == second?.id)
            #expect(secondHeaders[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let (otherStatus, _, _) = try await create(client, secretariat, #"{"name": "Other", "country": "PE", "constituency": "farmers"}"#, key: "create-andina")
            #expect(otherStatus == .unprocessableContent)
            let count = try await pool.query("SELECT count(*)::int AS n FROM organisation")[0].decode("n", as: Int.self)
            #expect(count == 1)
        }
    }

    @Test func aStaleIfMatchIsRefusedWith412() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let (_, created, _) = try await create(client, secretariat, #"{"name": "Youth Climate Forum", "country": "FJ", "constituency": "children_youth"}"#)
            let id = try #require(created?.id)
            var headers = secretariat.authorization
            headers[.ifMatch] = "\"1\""
            try await client.execute(uri: "/organisations/\(id)", method: .patch, headers: headers, body: json(#"{"name": "Pacific Youth Climate Forum"}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"2\"")
            }
            try await client.execute(uri: "/organisations/\(id)", method: .patch, headers: headers, body: json(#"{"name": "Stale write"}"#)) { response in
                #expect(response.status == .preconditionFailed)
            }
            let name = try await pool.query("SELECT name FROM organisation WHERE id = \(id)")[0].decode("name", as: String.self)
            #expect(name == "Pacific Youth Climate Forum")
        }
    }

    @Test func aContactEditsOnlyItsOwnOrganisationAndOnlyWhatContactsMay() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let (_, mine, _) = try await create(client, secretariat, #"{"name": "Mine", "country": "KE", "constituency": "ngo"}"#)
            let (_, theirs, _) = try await create(client, secretariat, #"{"name": "Theirs", "country": "KE", "constituency": "ngo"}"#)
            let mineID = try #require(mine?.id)
            let theirsID = try #require(theirs?.id)
            let contact = try await TestAccount.make(pool, name: "Contact", grants: [.organisation(mineID)])

            try await client.execute(uri: "/organisations/\(mineID)", method: .patch, headers: contact.authorization, body: json(#"{"name": "Mine, renamed"}"#)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/organisations/\(mineID)", method: .patch, headers: contact.authorization, body: json(#"{"accreditation": "self-granted"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("accreditation"))
            }
            try await client.execute(uri: "/organisations/\(theirsID)", method: .patch, headers: contact.authorization, body: json(#"{"name": "Hijacked"}"#)) {
                #expect($0.status == .notFound)
            }
            let names = try await pool.query("SELECT name FROM organisation ORDER BY name").map { try $0.decode("name", as: String.self) }
            #expect(names == ["Mine, renamed", "Theirs"])
        }
    }

    @Test func listsFilterAndPage() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            for (name, country) in [("Alpha", "KE"), ("Beta", "BR"), ("Gamma", "KE"), ("Delta", "KE")] {
                _ = try await create(client, secretariat, #"{"name": "\#(name)", "country": "\#(country)", "constituency": "ngo"}"#)
            }
            struct ListBody: Decodable { var items: [OrganisationBody]; var next: String? }
            var names: [String] = []
            var cursor: String?
            repeat {
                let uri = "/organisations?country=ke&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get) { try JSONDecoder().decode(ListBody.self, from: Data(buffer: $0.body)) }
                names += page.items.map(\.name)
                cursor = page.next
            } while cursor != nil && names.count < 10
            #expect(names == ["Alpha", "Delta", "Gamma"])
            try await client.execute(uri: "/organisations?limit=201", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/organisations?cursor=garbage", method: .get) { #expect($0.status == .badRequest) }
        }
    }
}

@Suite("Idempotency keys and reference lists")
struct IdempotencyAndReferenceTests {
    @Test func aConcurrentDuplicateIs409AndKeysBelongToTheirAccount() async throws {
        try await withApp { client, pool, _ in
            let first = try await TestAccount.make(pool, name: "First", grants: [RoleGrant(.secretariat)])
            let second = try await TestAccount.make(pool, name: "Second", grants: [RoleGrant(.secretariat)])
            let body = #"{"name": "Duplicate probe", "country": "KE", "constituency": "ngo"}"#
            // The first request with this key is still being answered (claimed, no answer stored yet).
            let hash = IdempotencyStore.requestHash(method: "POST", path: "/organisations", body: Data(body.utf8))
            let claim = try await IdempotencyStore(pool: pool).claim(account: first.id, key: "k1", requestHash: hash)
            guard case .claimed = claim else { Issue.record("the key was not claimed: \(claim)"); return }
            var headers = first.authorization
            headers[HTTPField.Name("Idempotency-Key")!] = "k1"
            try await client.execute(uri: "/organisations", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .conflict)
            }
            // Another account's identical key is its own.
            var otherHeaders = second.authorization
            otherHeaders[HTTPField.Name("Idempotency-Key")!] = "k1"
            try await client.execute(uri: "/organisations", method: .post, headers: otherHeaders, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created)
            }
        }
    }

    @Test func refusedRequestsRacingForOneKeyAreNeverAServerError() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            var keyed = secretariat.authorization
            keyed[HTTPField.Name("Idempotency-Key")!] = "race"
            let headers = keyed
            // Each is refused (unknown constituency), so each releases the key as the next claims it.
            let body = #"{"name": "Racer", "country": "KE", "constituency": "no-such-constituency"}"#
            // The window (between a claim's INSERT and its SELECT) is narrow: several rounds.
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<4 {
                statuses += try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<12 {
                        group.addTask {
                            try await client.execute(uri: "/organisations", method: .post, headers: headers, body: ByteBuffer(string: body)) { $0.status }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            // 503 is the small test pool saying "try again"; a 500 is the bug.
            #expect(statuses.allSatisfy { [.unprocessableContent, .conflict, .serviceUnavailable].contains($0) }, "\(statuses.map(\.code))")
            #expect(statuses.contains(.unprocessableContent))
        }
    }

    @Test func theAnswerIsStoredInTheTransactionOfTheChangeItAnswers() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            var headers = secretariat.authorization
            headers[HTTPField.Name("Idempotency-Key")!] = "same-transaction"
            let id = try await client.execute(uri: "/organisations", method: .post, headers: headers,
                                              body: ByteBuffer(string: #"{"name": "Atomic", "country": "KE", "constituency": "ngo"}"#)) { response in
                #expect(response.status == .created)
                return try JSONDecoder().decode([String: JSONValue].self, from: Data(buffer: response.body))["id"]
            }
            guard case .string(let organisation)? = id else { Issue.record("no id"); return }
            // The same transaction wrote the organisation and the answer (one xmin): a crash can
            // separate neither from the other.
            let row = try await pool.query("""
                SELECT (SELECT xmin::text FROM organisation WHERE id = \(organisation)::uuid) AS change,
                       (SELECT xmin::text FROM idempotency_key WHERE key = 'same-transaction') AS answer,
                       (SELECT status FROM idempotency_key WHERE key = 'same-transaction') AS status
                """)[0]
            let change = try row.decode("change", as: String.self)
            let answer = try row.decode("answer", as: String.self)
            #expect(change == answer)
            #expect(try row.decode("status", as: Int.self) == 201)
        }
    }

    @Test func aRequestWhoseClaimWasTakenOverCommitsNothing() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let store = IdempotencyStore(pool: pool)
            let body = #"{"name": "Slow", "country": "KE", "constituency": "ngo"}"#
            let hash = IdempotencyStore.requestHash(method: "POST", path: "/organisations", body: Data(body.utf8))
            guard case .claimed(let slow) = try await store.claim(account: secretariat.id, key: "k", requestHash: hash) else {
                Issue.record("no claim"); return
            }
            // The slow request's claim looks abandoned; a retry takes the key over and answers.
            try await pool.execute("UPDATE idempotency_key SET created_at = now() - interval '2 minutes'")
            var headers = secretariat.authorization
            headers[HTTPField.Name("Idempotency-Key")!] = "k"
            try await client.execute(uri: "/organisations", method: .post, headers: headers, body: ByteBuffer(string: body)) { #expect($0.status == .created) }
            // The slow request finishes its change now: its answer cannot be written, so the change rolls back.
            await #expect(throws: Refusal.self) {
                try await IdempotentAnswer.$writer.withValue(IdempotentAnswer.Writer { _, connection in
                    guard try await IdempotencyStore.complete(account: secretariat.id, key: "k", claim: slow, status: 201, headers: [:],
                                                              body: Data(), on: connection) else {
                        throw Refusal(.idempotencyInProgress)
                    }
                }) {
                    var fields = Organisation.Fields()
                    (fields.name, fields.country, fields.constituency) = ("Slow", "KE", "ngo")
                    _ = try await OrganisationStore(pool: pool).create(fields, by: .commandLine, requestID: nil)
                }
            }
            #expect(try await pool.query("SELECT 1 FROM organisation WHERE name = 'Slow'").count == 1)
        }
    }

    @Test func aReplayedAccountCreationNeverCarriesTheInvitationCode() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            var headers = secretariat.authorization
            headers[HTTPField.Name("Idempotency-Key")!] = "account-once"
            let body = #"{"name": "Invited", "roles": [{"role": "participant"}]}"#
            let first = try await client.execute(uri: "/accounts", method: .post, headers: headers, body: ByteBuffer(string: body)) { String(buffer: $0.body) }
            #expect(first.contains("agorainv_"))
            let replay = try await client.execute(uri: "/accounts", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                #expect(response.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                return String(buffer: response.body)
            }
            #expect(!replay.contains("agorainv_"))
            let stored = try await pool.query("SELECT encode(body, 'escape') AS body FROM idempotency_key WHERE key = 'account-once'")[0]
            #expect(try !stored.decode("body", as: String.self).contains("agorainv_"))
            #expect(try await pool.query("SELECT 1 FROM account WHERE name = 'Invited'").count == 1)
        }
    }

    @Test func keysPastTheirRetentionArePurged() async throws {
        try await withApp { _, pool, _ in
            let account = try await TestAccount.make(pool)
            try await pool.execute("""
                INSERT INTO idempotency_key (account_id, key, request_hash, status, created_at) VALUES
                    (\(account.id), 'old', '\\x00'::bytea, 201, now() - interval '25 hours'),
                    (\(account.id), 'recent', '\\x00'::bytea, 201, now() - interval '23 hours')
                """)
            #expect(try await IdempotencyStore(pool: pool).purge() == 1)
            let left = try await pool.query("SELECT key FROM idempotency_key ORDER BY key").map { try $0.decode("key", as: String.self) }
            #expect(left == ["recent"])
        }
    }

    @Test func countriesComeInPages() async throws {
        try await withApp { client, _, _ in
            struct Countries: Decodable { struct Country: Decodable { var alpha2: String }; var items: [Country]; var next: String? }
            var codes: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/countries?limit=200" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get) { try JSONDecoder().decode(Countries.self, from: Data(buffer: $0.body)) }
                codes += page.items.map(\.alpha2)
                cursor = page.next
                pages += 1
            } while cursor != nil && pages < 5
            #expect(pages == 2)
            #expect(codes.count == Set(codes).count)
            #expect(codes.count >= 249)
            try await client.execute(uri: "/countries", method: .get) { response in
                let page = try JSONDecoder().decode(Countries.self, from: Data(buffer: response.body))
                #expect(page.items.count == 50)
            }
        }
    }
}
