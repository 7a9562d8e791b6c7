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

/// JSON bodies of the onboarding routes, as a client reads them.
private struct CreatedAccount: Decodable {
    struct Invitation: Decodable { var code: String; var expiresAt: String }
    var id: UUID
    var invitation: Invitation
}

private struct IssuedToken: Decodable { var id: UUID; var name: String; var token: String? }
private struct Me: Decodable { struct Role: Decodable { var role: String; var network: UUID? }; var id: UUID?; var roles: [Role] }

private func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
private func decode<Value: Decodable>(_ type: Value.Type, _ response: TestResponse) throws -> Value {
    try JSONDecoder().decode(type, from: Data(buffer: response.body))
}
private let jsonHeaders: HTTPFields = [.contentType: "application/json"]
private func with(_ account: TestAccount) -> HTTPFields {
    var headers = account.authorization
    headers[.contentType] = "application/json"
    return headers
}

@Suite("Account invitations and administration")
struct AccountInvitationTests {
    @Test func aFocalPointCreatedByTheSecretariatRedeemsItsCodeOnceAndReadsItsAccount() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            var fields = Network.Fields()
            fields.name = "Water Network"
            fields.constituency = "ngo"
            let network = try await NetworkStore(pool: pool).create(fields, by: .commandLine, requestID: nil).id
            let created = try await client.execute(uri: "/accounts", method: .post, headers: with(secretariat), body: json("""
                {"name": "Focal point", "email": "fp@example.org", "roles": [{"role": "network", "network": "\(network)"}]}
                """)) { response in
                #expect(response.status == .created)
                return try decode(CreatedAccount.self, response)
            }
            #expect(created.invitation.code.hasPrefix("agorainv_"))
            // Only the hash is stored.
            let stored = try await pool.query("SELECT code_hash FROM account_invitation WHERE account_id = \(created.id)")
            let storedHash = try stored[0].decode("code_hash", as: Data.self)
            #expect(storedHash == TokenSecret.hash(created.invitation.code))
            // The outbox holds the notice for the scheduler, to the account's e-mail, without any code.
            let notice = try await pool.query("SELECT kind, payload->>'email' AS email, payload::text AS payload FROM notice WHERE recipient_account = \(created.id)")
            let kind = try notice[0].decode("kind", as: String.self)
            #expect(kind == "account_invited")
            let email = try notice[0].decode("email", as: String.self)
            #expect(email == "fp@example.org")
            #expect(try !notice[0].decode("payload", as: String.self).contains("agorainv_"))

            let token = try await client.execute(uri: "/account-invitations/redeem", method: .post, headers: jsonHeaders,
                                                 body: json(#"{"code": "\#(created.invitation.code)", "tokenName": "laptop"}"#)) { response in
                #expect(response.status == .created)
                return try decode(IssuedToken.self, response)
            }
            let secret = try #require(token.token)
            let me = try await client.execute(uri: "/accounts/me", method: .get, headers: [.authorization: "Bearer \(secret)"]) { response in
                #expect(response.status == .ok)
                return try decode(Me.self, response)
            }
            #expect(me.id == created.id)
            #expect(me.roles.map(\.role) == ["network"] && me.roles.first?.network == network)
            // Redeemed: a second redemption is refused.
            let again = try await client.execute(uri: "/account-invitations/redeem", method: .post, headers: jsonHeaders,
                                                 body: json(#"{"code": "\#(created.invitation.code)", "tokenName": "phone"}"#)) { response in
                #expect(response.status == .unauthorized)
                return try problem(response.body)
            }
            let wrong = try await client.execute(uri: "/account-invitations/redeem", method: .post, headers: jsonHeaders,
                                                 body: json(#"{"code": "agorainv_nothing", "tokenName": "phone"}"#)) { try problem($0.body) }
            // A used and an unknown code read the same, so a caller learns nothing about which.
            #expect(again.type == wrong.type && again.detail == wrong.detail && again.status == wrong.status)
        }
    }

    @Test func theSchedulersDeliveryCodeRedeemsTheSameInvitationOnce() async throws {
        try await withApp { client, pool, _ in
            let store = AccessStore(pool: pool)
            let created = try await store.createAccount(name: "Mailed", email: "m@example.org", grants: [RoleGrant(.participant)],
                                                        invitationLifetime: AccessStore.invitationLifetime, by: .commandLine, requestID: nil)
            let shown = try #require(created.invitation)
            // What the scheduler does when it e-mails the invitation: mint a code of its own.
            let first = try #require(try await store.mintDeliveryCode(invitation: shown.id))
            // A retried send mints another; the first copy of the e-mail (same Message-ID, which
            // a mailbox may keep instead of the second) still works.
            let mailed = try #require(try await store.mintDeliveryCode(invitation: shown.id))
            #expect(mailed.code != shown.code && mailed.code != first.code && mailed.account == created.account.id)
            try await client.execute(uri: "/account-invitations/redeem", method: .post, headers: jsonHeaders,
                                     body: json(#"{"code": "\#(first.code)", "tokenName": "from the mail"}"#)) { #expect($0.status == .created) }
            try await client.execute(uri: "/account-invitations/redeem", method: .post, headers: jsonHeaders,
                                     body: json(#"{"code": "\#(mailed.code)", "tokenName": "again"}"#)) { #expect($0.status == .unauthorized) }
            // One invitation, one token: the code the secretariat was shown is spent too.
            try await client.execute(uri: "/account-invitations/redeem", method: .post, headers: jsonHeaders,
                                     body: json(#"{"code": "\#(shown.code)", "tokenName": "by hand"}"#)) { #expect($0.status == .unauthorized) }
            #expect(try await store.mintDeliveryCode(invitation: shown.id) == nil)
            // An account without an e-mail address gets no notice (nothing to deliver).
            _ = try await store.createAccount(name: "No mail", email: nil, grants: [RoleGrant(.participant)],
                                              invitationLifetime: AccessStore.invitationLifetime, by: .commandLine, requestID: nil)
            #expect(try await pool.query("SELECT 1 FROM notice WHERE kind = 'account_invited'").count == 1)
        }
    }

    @Test func anExpiredCodeIsRefusedLikeAWrongOne() async throws {
        try await withApp { client, pool, _ in
            let store = AccessStore(pool: pool)
            let account = try await store.createAccount(name: "Late", grants: [RoleGrant(.participant)], by: .commandLine)
            let invitation = try #require(try await store.issueInvitation(account: account, lifetime: 60, now: Date().addingTimeInterval(-120),
                                                                          by: .commandLine, requestID: nil))
            try await client.execute(uri: "/account-invitations/redeem", method: .post, headers: jsonHeaders,
                                     body: json(#"{"code": "\#(invitation.code)", "tokenName": "x"}"#)) { response in
                #expect(response.status == .unauthorized)
                let type = try problem(response.body).type
                #expect(type == "/problems/unauthenticated")
            }
            #expect(try await store.tokens(account: account).isEmpty)
        }
    }

    @Test func aNewInvitationVoidsThePreviousCode() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let store = AccessStore(pool: pool)
            let account = try await store.createAccount(name: "Contact", grants: [RoleGrant(.participant)], by: .commandLine)
            let first = try #require(try await store.issueInvitation(account: account, by: .commandLine, requestID: nil))
            let second = try await client.execute(uri: "/accounts/\(account)/invitations", method: .post, headers: secretariat.authorization) { response in
                #expect(response.status == .created)
                return try decode(CreatedAccount.Invitation.self, response)
            }
            try await client.execute(uri: "/account-invitations/redeem", method: .post, headers: jsonHeaders,
                                     body: json(#"{"code": "\#(first.code)", "tokenName": "x"}"#)) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/account-invitations/redeem", method: .post, headers: jsonHeaders,
                                     body: json(#"{"code": "\#(second.code)", "tokenName": "x"}"#)) { #expect($0.status == .created) }
            try await client.execute(uri: "/accounts/\(UUID())/invitations", method: .post, headers: secretariat.authorization) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func ofTwentyConcurrentRedemptionsExactlyOneGetsAToken() async throws {
        try await withApp { client, pool, _ in
            let store = AccessStore(pool: pool)
            let account = try await store.createAccount(name: "Racer", grants: [RoleGrant(.participant)], by: .commandLine)
            let invitation = try #require(try await store.issueInvitation(account: account, by: .commandLine, requestID: nil))
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await client.execute(uri: "/account-invitations/redeem", method: .post, headers: jsonHeaders,
                                                 body: json(#"{"code": "\#(invitation.code)", "tokenName": "t\#(index)"}"#)) { $0.status }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .unauthorized }.count == 19)
            let tokenCount = try await store.tokens(account: account).count
            #expect(tokenCount == 1)
        }
    }

    @Test func theSecretariatListsEditsAndManagesAccountsAndTheirTokens() async throws {
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, name: "Secretariat", grants: [RoleGrant(.secretariat)])
            let member = try await TestAccount.make(pool, name: "Member", grants: [RoleGrant(.participant)])
            struct Accounts: Decodable { struct Item: Decodable { var id: UUID; var name: String; var version: Int }; var items: [Item] }
            let accounts = try await client.execute(uri: "/accounts", method: .get, headers: secretariat.authorization) { try decode(Accounts.self, $0) }
            #expect(Set(accounts.items.map(\.name)).isSuperset(of: ["Secretariat", "Member"]))
            try await client.execute(uri: "/accounts", method: .get, headers: member.authorization) { #expect($0.status == .forbidden) }

            // A stale If-Match writes nothing.
            var stale = with(secretariat)
            stale[.ifMatch] = "\"99\""
            try await client.execute(uri: "/accounts/\(member.id)", method: .patch, headers: stale, body: json(#"{"name": "Renamed"}"#)) {
                #expect($0.status == .preconditionFailed)
            }
            // New roles take effect at once, even for a token this server has cached.
            try await client.execute(uri: "/accounts/me", method: .get, headers: member.authorization) { #expect($0.status == .ok) }
            try await client.execute(uri: "/accounts/\(member.id)", method: .patch, headers: with(secretariat),
                                     body: json(#"{"roles": [{"role": "bureau", "body": "Human Rights Council"}]}"#)) { #expect($0.status == .ok) }
            let me = try await client.execute(uri: "/accounts/me", method: .get, headers: member.authorization) { try decode(Me.self, $0) }
            #expect(me.roles.map(\.role) == ["bureau"])
            // A bureau role names its body; a role list of the wrong shape names the field.
            try await client.execute(uri: "/accounts/\(member.id)", method: .patch, headers: with(secretariat),
                                     body: json(#"{"roles": [{"role": "bureau"}]}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("roles.0.body"))
            }

            // Any account's tokens: listed without secrets, and revoked.
            struct Tokens: Decodable { struct Item: Decodable { var id: UUID; var token: String? }; var items: [Item] }
            let tokens = try await client.execute(uri: "/accounts/\(member.id)/tokens", method: .get, headers: secretariat.authorization) {
                try decode(Tokens.self, $0)
            }
            #expect(tokens.items.map(\.id) == [member.tokenID] && tokens.items.allSatisfy { $0.token == nil })
            try await client.execute(uri: "/accounts/\(member.id)/tokens/\(member.tokenID)", method: .delete, headers: secretariat.authorization) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/accounts/me", method: .get, headers: member.authorization) { #expect($0.status == .unauthorized) }
            // Someone else's token through this account's path is not found.
            try await client.execute(uri: "/accounts/\(member.id)/tokens/\(secretariat.tokenID)", method: .delete, headers: secretariat.authorization) {
                #expect($0.status == .notFound)
            }
            // The secretariat cannot lock itself out.
            try await client.execute(uri: "/accounts/\(secretariat.id)", method: .patch, headers: with(secretariat), body: json(#"{"disabled": true}"#)) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/accounts/\(secretariat.id)", method: .patch, headers: with(secretariat),
                                     body: json(#"{"roles": [{"role": "participant"}]}"#)) { #expect($0.status == .unprocessableContent) }
            // Nothing a caller sends is ignored: an unknown key of a role is named.
            try await client.execute(uri: "/accounts/\(member.id)", method: .patch, headers: with(secretariat),
                                     body: json(#"{"roles": [{"role": "participant", "admin": true}]}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("roles.0.admin"))
            }
        }
    }

    @Test func disablingAnAccountStopsItsTokensOnASecondServerWithinASecond() async throws {
        AgoraMetrics.bootstrap()
        let url = try await TestDatabase.shared.createMigratedDatabase("disable")
        let poolA = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
        let poolB = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
        let secretariat = try await TestAccount.make(poolA, grants: [RoleGrant(.secretariat)])
        let account = try await TestAccount.make(poolA, name: "To be disabled")
        let serverA = buildApplication(configuration: AppConfiguration(port: 0), stores: Stores(pool: poolA), logger: TestDatabase.logger)
        let serverB = buildApplication(configuration: AppConfiguration(port: 0), stores: Stores(pool: poolB), logger: TestDatabase.logger)
        try await serverA.test(.live) { clientA in
            try await serverB.test(.live) { clientB in
                // Server B has the token in its cache from here on.
                try await clientB.execute(uri: "/accounts/me", method: .get, headers: account.authorization) { #expect($0.status == .ok) }
                try await clientA.execute(uri: "/accounts/\(account.id)", method: .patch, headers: with(secretariat), body: json(#"{"disabled": true}"#)) {
                    #expect($0.status == .ok)
                }
                // Well inside the cache's 60 s maximum age, so the announcement did it (scale-check measures how soon).
                try await waitUntil(timeout: .seconds(20), "server B to refuse the disabled account's token") {
                    try await clientB.execute(uri: "/accounts/me", method: .get, headers: account.authorization) { $0.status == .unauthorized }
                }
                // Enabled again: the same token works again on both servers.
                try await clientA.execute(uri: "/accounts/\(account.id)", method: .patch, headers: with(secretariat), body: json(#"{"disabled": false}"#)) {
                    #expect($0.status == .ok)
                }
                try await waitUntil(timeout: .seconds(20), "server B to accept the token again") {
                    try await clientB.execute(uri: "/accounts/me", method: .get, headers: account.authorization) { $0.status == .ok }
                }
            }
        }
        await poolA.close()
        await poolB.close()
    }
}

@Suite("Token cache bounds")
struct TokenCacheBoundTests {
    @Test func aCachedTokenIsAskedForAgainAfterItsMaximumAgeEvenWithoutANotification() async throws {
        try await withApp(cache: TokenCache(maximumAge: .milliseconds(200))) { client, pool, _ in
            let account = try await TestAccount.make(pool)
            try await client.execute(uri: "/accounts/me", method: .get, headers: account.authorization) { #expect($0.status == .ok) }
            // Revoked behind the server's back, with no announcement: refused once the entry ages out.
            try await pool.execute("UPDATE api_token SET revoked_at = now() WHERE id = \(account.tokenID)")
            try await waitUntil(timeout: .seconds(15), "the cached entry to expire") {
                try await client.execute(uri: "/accounts/me", method: .get, headers: account.authorization) { $0.status == .unauthorized }
            }
        }
    }

    @Test func anUnknownTokenIsRememberedSoAFloodCostsNoQueryEach() async throws {
        try await withApp { client, pool, _ in
            // Wait until the server listens for revocations (its first `listening` clears the cache).
            let heard = try await TestAccount.make(pool)
            try await client.execute(uri: "/healthz", method: .get, headers: heard.authorization) { #expect($0.status == .ok) }
            try await pool.execute("UPDATE api_token SET revoked_at = now() WHERE id = \(heard.tokenID)")
            let hash = TokenSecret.hash(heard.secret).map { String(format: "%02x", $0) }.joined()
            try await waitUntil(timeout: .seconds(15), "the server to hear revocations") {
                try await pool.execute("SELECT pg_notify(\(AccessStore.revocationChannel), \(hash))")
                return try await client.execute(uri: "/healthz", method: .get, headers: heard.authorization) { $0.status == .unauthorized }
            }
            let made = "agora_" + String(repeating: "x", count: 43)
            try await client.execute(uri: "/healthz", method: .get, headers: [.authorization: "Bearer \(made)"]) { #expect($0.status == .unauthorized) }
            // Were it asked again, the database would now know it; the remembered refusal holds instead.
            let account = try await AccessStore(pool: pool).createAccount(name: "Late", grants: [RoleGrant(.participant)], by: .commandLine)
            try await pool.execute("""
                INSERT INTO api_token (account_id, name, token_hash) VALUES (\(account), 'planted', \(TokenSecret.hash(made)))
                """)
            for _ in 0..<20 {
                try await client.execute(uri: "/healthz", method: .get, headers: [.authorization: "Bearer \(made)"]) { #expect($0.status == .unauthorized) }
            }
        }
    }
}
