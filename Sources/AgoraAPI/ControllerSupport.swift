import Agora
import AgoraStore
import Foundation
import Hummingbird

extension AgoraRequestContext {
    /// The `:id` of the path; a malformed id is simply not found.
    func pathID(_ name: String = "id") throws -> UUID {
        guard let id = parameters.get(name, as: UUID.self) else { throw Problem.notFound() }
        return id
    }
}

/// Store refusals about a field (an unknown country, a taken name) become 422 naming it.
func refusingInvalidFields<Result>(_ body: () async throws -> Result) async throws -> Result {
    do {
        return try await body()
    } catch let violation as FieldViolation {
        throw Problem.validation([.init(field: violation.field, message: violation.message)])
    }
}

/// Refuses (422, naming them) the fields a caller other than the secretariat may not set.
func refuseFieldsOutsideScope(_ fields: some Collection<String>, allowed: Set<String>, actor: Actor) throws {
    guard !actor.has(.secretariat) else { return }
    let refused = Set(fields).subtracting(allowed).sorted()
    guard refused.isEmpty else {
        throw Problem.validation(refused.map { .init(field: $0, message: "only the secretariat may change this") })
    }
}

/// The answer to a `PATCH`: the object with its new ETag, 404, or 412 when `If-Match` was stale.
func updateAnswer<Value: Encodable & Sendable>(_ outcome: UpdateOutcome<Value>, version: (Value) -> Int) throws -> Response {
    switch outcome {
    case .updated(let value):
        return try APIJSON.response(value, headers: [.eTag: EntityTag.header(version: version(value))])
    case .notFound:
        throw Problem.notFound()
    case .stale(let current):
        throw EntityTag.stale(currentVersion: version(current))
    }
}

extension Page {
    /// A page from a store query that fetched up to `limit + 1` items: the extra one only
    /// tells whether there is a next page, whose cursor is the last item's `position`.
    init<Position: Encodable>(fetched: [Item], limit: Int, position: (Item) -> Position) {
        let items = Array(fetched.prefix(limit))
        self.init(items: items, next: fetched.count > limit ? items.last.map { Cursor.encode(position($0)) } : nil)
    }
}
