import Agora
import AgoraStore
import Foundation
import Hummingbird

/// `GET /audit`: the whole log for the secretariat, with filters; public entries (selection
/// decisions and overrides) for everyone else.
struct AuditController {
    let store: AuditStore

    func addRoutes(to routes: AccessControlledRoutes) {
        routes.get("/audit", rule: .everyone) { request, context in
            let page = try PageRequest(request)
            let before = try page.cursor.map { try Cursor.decode($0, as: Int64.self) }
            let query = request.uri.queryParameters
            func date(_ name: String) throws -> Date? {
                guard let text = query[name[...]].map(String.init) else { return nil }
                guard let date = ISO8601DateFormatter().date(from: text) else {
                    throw Refusal(.invalidQuery,
                                  "`\(name)` must be an ISO 8601 time such as 2026-11-22T10:00:00Z.")
                }
                return date
            }
            var account: UUID?
            if let text = query["account"] {
                // Public entries name roles, not accounts: filtering by account would tell whose they are.
                guard Visibility.audit(context.actor) == .everything else {
                    throw Refusal(.invalidQuery,
                                  "`account` is a filter for the secretariat; public entries name roles, not accounts.")
                }
                guard let id = UUID(uuidString: String(text)) else {
                    throw Refusal(.invalidQuery, "`account` must be an account id.")
                }
                account = id
            }
            let filter = AuditFilter(
                objectType: query["objectType"].map(String.init), objectID: query["objectId"].map(String.init),
                account: account, since: try date("since"), until: try date("until"),
                onlyPublic: Visibility.audit(context.actor) == .publicEntriesByRole)
            var found = try await store.entries(filter, limit: page.limit + 1, before: before)
            if filter.onlyPublic { found = found.map(\.publicView) }
            return try APIJSON.response(Page(fetched: found, limit: page.limit) { $0.id })
        }
    }
}
