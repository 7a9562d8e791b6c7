import Agora
import AgoraStore
import Foundation
import Hummingbird

extension AgoraRequestContext {
    /// The `:id` of the path; a malformed id is simply not found.
    func pathID(_ name: String = "id") throws -> UUID {
        guard let id = parameters.get(name, as: UUID.self) else { throw Refusal.notFound() }
        return id
    }
}

/// Refuses (422, naming them) the fields a caller other than the secretariat may not set.
func refuseFieldsOutsideScope(_ fields: some Collection<String>, allowed: Set<String>, actor: Actor) throws {
    guard !actor.has(.secretariat) else { return }
    let refused = Set(fields).subtracting(allowed).sorted()
    guard refused.isEmpty else {
        throw Refusal.invalid(refused.map { .init(field: $0, message: "only the secretariat may change this") })
    }
}

/// A single object with its version as the ETag, so a later `PATCH` can send it in `If-Match`.
func versionedAnswer<Value: Encodable>(_ value: Value, version: Int) throws -> Response {
    try APIJSON.response(value, headers: [.eTag: EntityTag.header(version: version)])
}

extension Page {
    /// A page from a store query that fetched up to `limit + 1` items: the extra one only
    /// tells whether there is a next page, whose cursor is the last item's `position`.
    init<Position: Encodable>(fetched: [Item], limit: Int, position: (Item) -> Position) {
        let items = Array(fetched.prefix(limit))
        self.init(items: items, next: fetched.count > limit ? items.last.map { Cursor.encode(position($0)) } : nil)
    }
}
