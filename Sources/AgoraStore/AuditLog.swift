import Agora
import Foundation
import PostgresClient

/// Writes audit entries. Always called with the connection of the transaction that makes the
/// change, so the change and its entry commit (or roll back) together.
public enum AuditLog {
    /// Records `change` made by `actor` during request `requestID`.
    public static func record(_ change: AuditChange, by actor: Actor, requestID: String?, on connection: PostgresConnection) async throws {
        try await connection.execute("""
            INSERT INTO audit_entry (account_id, token_name, actor_role, action, object_type, object_id, before, after, request_id, public)
            VALUES (\(actor.accountID), \(actor.tokenName), \(actor.publicRole), \(change.action), \(change.objectType), \(change.objectID),
                    \(change.before.map(PostgresJSON.init))::jsonb, \(change.after.map(PostgresJSON.init))::jsonb,
                    \(requestID), \(change.isPublic))
            """)
    }
}
