import Agora
import AgoraStore
import Foundation
import Hummingbird

/// `/tokens`: a caller lists, creates and revokes the tokens of its own account.
struct TokenController {
    let store: AccessStore
    let cache: TokenCache

    /// A token as shown: never its secret, except once in the answer that creates it.
    struct TokenView: ResponseEncodable, Sendable {
        var id: UUID
        var name: String
        var createdAt: Date
        var expiresAt: Date?
        var lastUsedAt: Date?
        var revokedAt: Date?
        /// Only in the creation answer.
        var token: String?

        init(_ info: TokenInfo, secret: String? = nil) {
            id = info.id
            name = info.name
            createdAt = info.createdAt
            expiresAt = info.expiresAt
            lastUsedAt = info.lastUsedAt
            revokedAt = info.revokedAt
            token = secret
        }
    }

    func addRoutes(to routes: AccessControlledRoutes) {
        let tokens = routes.group("/tokens")

        tokens.get("", rule: .authenticated) { request, context in
            let page = try PageRequest(request)
            let after = try page.cursor.map { try Cursor.decode($0, as: TokenPosition.self) }
            let account = try context.accountID()
            let tokens = try await store.tokens(account: account, limit: page.limit + 1, after: after)
            return Page(fetched: tokens.map { TokenView($0) }, limit: page.limit) { TokenPosition(createdAt: $0.createdAt, id: $0.id) }
        }
        tokens.post("", rule: .authenticated) { request, context in
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["name", "expiresAt"])
            let name = reader.string("name", required: true, maxLength: 200)
            var expiresAt: Date?
            if let text = reader.string("expiresAt", maxLength: 40) {
                if let date = ISO8601DateFormatter().date(from: text), date > Date() {
                    expiresAt = date
                } else {
                    reader.errors.append(.init(field: "expiresAt", message: "must be a future ISO 8601 time"))
                }
            }
            try reader.check()
            let issued = try await store.issueToken(account: try context.accountID(), name: name!, expiresAt: expiresAt,
                                                    by: context.actor, requestID: context.requestID)
            // A secret shown once: no cache may keep it.
            return try APIJSON.response(TokenView(issued.info, secret: issued.secret), status: .created, headers: [.cacheControl: "no-store"])
        }
        tokens.delete(":id", rule: .authenticated) { _, context in
            guard let id = context.parameters.get("id", as: UUID.self),
                  let hash = try await store.revokeToken(id, account: try context.accountID(), by: context.actor, requestID: context.requestID)
            else { throw Refusal.notFound("There is no such token of yours to revoke.") }
            // This server forgets it at once; the others when the notification arrives.
            cache.remove(hash: hash)
            return Response(status: .noContent)
        }
    }
}

extension AgoraRequestContext {
    /// The caller's account; routes with an authenticated rule always have one.
    func accountID() throws -> UUID {
        guard let id = actor.accountID else { throw Refusal.unauthenticated() }
        return id
    }
}
