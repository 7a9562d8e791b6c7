import Agora
import Foundation
import PostgresClient

/// The steps every versioned update of a directory object shares, in the caller's
/// transaction: read the object under a row lock, refuse it when out of the caller's scope
/// (not found) or at another version than expected (stale), apply the change, read it again,
/// and audit the changed fields.
func versionedUpdate<Value: Sendable>(
    action: String, objectType: String, id: UUID, changedFields: Set<String>, personalFields: Set<String> = [],
    expectedVersion: Int?, inScope: (Value) -> Bool = { _ in true },
    fetch: (_ lock: Bool) async throws -> Value?, version: (Value) -> Int,
    snapshot: (Value, Set<String>) -> [String: JSONValue],
    apply: () async throws -> Void,
    by actor: Actor, requestID: String?, on connection: PostgresConnection
) async throws -> Value {
    guard let before = try await fetch(true), inScope(before) else { throw Refusal.notFound() }
    if let expectedVersion, expectedVersion != version(before) { throw Refusal.stale(currentVersion: version(before)) }
    try await apply()
    guard let after = try await fetch(false) else { throw Refusal.notFound() }
    try await AuditLog.record(
        AuditChange(action: action, objectType: objectType, objectID: id.uuidString,
                    before: snapshot(before, changedFields), after: snapshot(after, changedFields), personalFields: personalFields),
        by: actor, requestID: requestID, on: connection)
    return after
}
