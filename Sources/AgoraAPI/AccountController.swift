import Agora
import AgoraStore
import Foundation
import Hummingbird

/// `/accounts`: the secretariat creates accounts with roles (a network's focal points, an
/// organisation's contacts, a body's bureau, participants), each with a one-time invitation
/// code that its holder redeems for a first token; it lists, edits, disables and re-invites
/// them and manages their tokens. `GET /accounts/me` tells a caller who it is.
struct AccountController {
    let store: AccessStore
    let cache: TokenCache
    let idempotency: Idempotency

    struct Created: Encodable, Sendable {
        var id: UUID
        var name: String
        var email: String?
        var roles: [RoleGrant]
        var version: Int
        /// Shown once: the holder redeems it at `POST /account-invitations/redeem`. Absent from
        /// an `Idempotency-Key` replay (the code is never stored): issue a new one.
        var invitation: InvitationView?
    }

    struct InvitationView: Encodable, Sendable {
        var code: String
        var expiresAt: Date
        init(_ invitation: IssuedInvitation) {
            code = invitation.code
            expiresAt = invitation.expiresAt
        }
    }

    struct Me: Encodable, Sendable {
        var id: UUID?
        var tokenName: String?
        var roles: [RoleGrant]
    }

    static let editableFields: Set<String> = ["name", "email", "roles", "disabled"]

    func addRoutes(to routes: AccessControlledRoutes) {
        let accounts = routes.group("/accounts")

        accounts.get("me", rule: .authenticated) { _, context in
            try APIJSON.response(Me(id: context.actor.accountID, tokenName: context.actor.tokenName,
                                    roles: context.actor.grants.sorted(by: RoleGrant.displayOrder)))
        }
        accounts.post("", rule: .roles([.secretariat])) { request, context in
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["name", "email", "roles"])
            return try await idempotency.run(request, body: body, context: context, answer: { (created: AccessStore.CreatedAccount) in
                let account = created.account
                var view = Created(id: account.id, name: account.name, email: account.email, roles: account.roles, version: account.version,
                                   invitation: created.invitation.map(InvitationView.init))
                var answer = try JSONAnswer(view, status: .created, headers: [
                    .location: "/accounts/\(account.id.uuidString)", .eTag: EntityTag.header(version: account.version), .cacheControl: "no-store",
                ])
                // A replay never carries the code: secrets are not stored. Issue a new one instead.
                view.invitation = nil
                answer.replayBody = try APIJSON.encode(view)
                return answer
            }) {
                var reader = reader
                let name = reader.string("name", required: true)
                let email = Self.email(&reader) ?? nil
                let grants = Self.roles(&reader, required: true)
                try reader.check()
                return try await store.createAccount(name: name!, email: email, grants: grants!, invitationLifetime: AccessStore.invitationLifetime,
                                                  by: context.actor, requestID: context.requestID)
            }
        }
        accounts.get("", rule: .roles([.secretariat])) { request, _ in
            let page = try PageRequest(request)
            let after = try page.cursor.map { try Cursor.decode($0, as: NamePosition.self) }
            let found = try await store.accounts(limit: page.limit + 1, after: after)
            return try APIJSON.response(Page(fetched: found, limit: page.limit) { NamePosition(name: $0.name, id: $0.id) })
        }
        accounts.get(":id", rule: .roles([.secretariat])) { _, context in
            guard let account = try await store.account(try context.pathID()) else { throw Refusal.notFound() }
            return try APIJSON.response(account, headers: [.eTag: EntityTag.header(version: account.version)])
        }
        accounts.patch(":id", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: Self.editableFields)
            reader.refuseNulls(["name", "roles", "disabled"])
            var changes = AccountChanges()
            if reader.has("name") { changes.name = reader.string("name", required: true) }
            changes.email = Self.email(&reader)
            changes.roles = Self.roles(&reader, required: false)
            changes.disabled = reader.bool("disabled")
            // The secretariat cannot lock itself out by mistake.
            if changes.disabled == true, id == context.actor.accountID {
                reader.errors.append(.init(field: "disabled", message: "you cannot disable your own account"))
            }
            if let roles = changes.roles, id == context.actor.accountID, context.actor.has(.secretariat), !roles.contains(RoleGrant(.secretariat)) {
                reader.errors.append(.init(field: "roles", message: "you cannot remove your own secretariat role"))
            }
            try reader.check()
            let expected = try EntityTag.expectedVersion(request)
            let outcome = try await store.updateAccount(id, changes, expectedVersion: expected, by: context.actor, requestID: context.requestID)
            // Cached tokens carry the roles and the enabled state: when those change, this server
            // forgets the account's tokens at once (the others when the notification arrives).
            if changes.roles != nil || changes.disabled != nil { cache.remove(account: id) }
            return try versionedAnswer(outcome, version: outcome.version)
        }
        accounts.post(":id/invitations", rule: .roles([.secretariat])) { _, context in
            guard let invitation = try await store.issueInvitation(account: try context.pathID(), by: context.actor, requestID: context.requestID) else {
                throw Refusal.notFound()
            }
            return try APIJSON.response(InvitationView(invitation), status: .created, headers: [.cacheControl: "no-store"])
        }
        routes.post("/account-invitations/redeem", rule: .everyone) { request, context in
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["code", "tokenName"])
            let code = reader.string("code", required: true, maxLength: 200)
            let tokenName = reader.string("tokenName", required: true, maxLength: 200)
            try reader.check()
            guard let issued = try await store.redeemInvitation(code: code!, tokenName: tokenName!) else {
                // Unknown, used, voided, expired or of a disabled account: one answer for all.
                throw Refusal.unauthenticated("The invitation code is not valid. Ask the secretariat for a new one.")
            }
            return try APIJSON.response(TokenController.TokenView(issued.info, secret: issued.secret), status: .created,
                                        headers: [.cacheControl: "no-store"])
        }
        accounts.get(":id/tokens", rule: .roles([.secretariat])) { request, context in
            let account = try context.pathID()
            guard try await store.account(account) != nil else { throw Refusal.notFound() }
            let page = try PageRequest(request)
            let after = try page.cursor.map { try Cursor.decode($0, as: TokenPosition.self) }
            let tokens = try await store.tokens(account: account, limit: page.limit + 1, after: after)
            return Page(fetched: tokens.map { TokenController.TokenView($0) }, limit: page.limit) { TokenPosition(createdAt: $0.createdAt, id: $0.id) }
        }
        accounts.delete(":id/tokens/:token", rule: .roles([.secretariat])) { _, context in
            guard let hash = try await store.revokeToken(try context.pathID("token"), account: try context.pathID(),
                                                         by: context.actor, requestID: context.requestID)
            else { throw Refusal.notFound("There is no such live token of this account.") }
            cache.remove(hash: hash)
            return Response(status: .noContent)
        }
    }

    /// An optional e-mail: absent → nil, null → clear, else a checked address.
    static func email(_ reader: inout FieldReader) -> String?? {
        guard let email = reader.clearableString("email", maxLength: 300) else { return nil }
        if let text = email, !(text.contains("@") && !text.contains(" ")) {
            reader.errors.append(.init(field: "email", message: "must be an e-mail address"))
            return nil
        }
        return email
    }

    /// The `roles` list: `{role, network?, organisation?, body?}`, a bureau naming its body.
    static func roles(_ reader: inout FieldReader, required: Bool) -> Set<RoleGrant>? {
        guard let value = reader.fields["roles"] else {
            if required { reader.errors.append(.init(field: "roles", message: "must list at least one role")) }
            return nil
        }
        guard case .array(let items) = value, !items.isEmpty, items.count <= 50 else {
            reader.errors.append(.init(field: "roles", message: "must list 1 to 50 roles"))
            return nil
        }
        var grants = Set<RoleGrant>()
        for (index, item) in items.enumerated() {
            if case .object(let fields) = item, case let unknown = fields.keys.filter({ !["role", "network", "organisation", "body"].contains($0) }),
               !unknown.isEmpty {
                reader.errors += unknown.sorted().map { .init(field: "roles.\(index).\($0)", message: "unknown field") }
                continue
            }
            guard let data = try? APIJSON.encode(item), var grant = try? JSONDecoder().decode(RoleGrant.self, from: data), grant.isWellFormed else {
                reader.errors.append(.init(field: "roles.\(index)", message: "must be {role, network?, organisation?, body?}: a network role names its network, an organisation role its organisation, a bureau role its body"))
                continue
            }
            // Issues name their body as typed; a stray space must not make a bureau miss it.
            grant.body = grant.body?.trimmingCharacters(in: .whitespacesAndNewlines)
            if grant.role == .bureau, (grant.body ?? "").isEmpty || grant.body!.unicodeScalars.count > 300 {
                reader.errors.append(.init(field: "roles.\(index).body", message: "a bureau role names the intergovernmental body it serves (1 to 300 characters)"))
                continue
            }
            grants.insert(grant)
        }
        return grants
    }
}
