import Agora
import AgoraStore
import Foundation
import Hummingbird

/// `/accounts`: the secretariat creates accounts with roles (a network's focal points, an
/// organisation's contacts, the bureau, participants); `GET /accounts/me` tells a caller who it is.
struct AccountController {
    let store: AccessStore
    let idempotency: Idempotency

    struct Created: Encodable, Sendable {
        var id: UUID
        var name: String
        var roles: [RoleGrant]
    }

    struct Me: Encodable, Sendable {
        var id: UUID?
        var tokenName: String?
        var roles: [RoleGrant]
    }

    func addRoutes(to routes: AccessControlledRoutes) {
        let store = store
        let idempotency = idempotency
        routes.get("/accounts/me", rule: .authenticated) { _, context in
            try APIJSON.response(Me(id: context.actor.accountID, tokenName: context.actor.tokenName,
                                    roles: context.actor.grants.sorted { $0.role.rawValue < $1.role.rawValue }))
        }
        routes.post("/accounts", rule: .roles([.secretariat])) { request, context in
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["name", "email", "roles"])
            return try await idempotency.run(request, body: body, context: context) {
                var reader = reader
                let name = reader.string("name", required: true)
                let email = reader.clearableString("email") ?? nil
                if let email, !(email.contains("@") && !email.contains(" ")) {
                    reader.errors.append(.init(field: "email", message: "must be an e-mail address"))
                }
                var grants = Set<RoleGrant>()
                if case .array(let items)? = reader.fields["roles"], !items.isEmpty {
                    for (index, item) in items.enumerated() {
                        guard let data = try? APIJSON.encode(item), let grant = try? JSONDecoder().decode(RoleGrant.self, from: data), grant.isWellFormed else {
                            reader.errors.append(.init(field: "roles.\(index)", message: "must be {role, network?, organisation?}: a network role names its network, an organisation role its organisation"))
                            continue
                        }
                        grants.insert(grant)
                    }
                } else {
                    reader.errors.append(.init(field: "roles", message: "must list at least one role"))
                }
                try reader.check()
                let id = try await refusingInvalidFields {
                    try await store.createAccount(name: name!, email: email, grants: grants, by: context.actor, requestID: context.requestID)
                }
                return try JSONAnswer(Created(id: id, name: name!, roles: grants.sorted { $0.role.rawValue < $1.role.rawValue }), status: .created,
                                      headers: [.location: "/accounts/\(id.uuidString)"])
            }
        }
    }
}
