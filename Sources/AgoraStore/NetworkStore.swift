import Agora
import Foundation
import PostgresClient

/// Networks and their member organisations.
public struct NetworkStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    static let columns = """
        n.id, n.name, n.constituency, n.description, n.website, n.version, n.created_at, n.updated_at,
        (SELECT count(*)::int FROM network_member m WHERE m.network_id = n.id) AS members
        """

    public func create(_ fields: Network.Fields, by actor: Actor, requestID: String?) async throws -> Network {
        try await mapViolations {
            try await pool.withTransaction { connection in
                let id = try await connection.query("""
                    INSERT INTO network (name, constituency, description, website)
                    VALUES (\(fields.name), \(fields.constituency), \(fields.description ?? ""), \(fields.website ?? nil))
                    RETURNING id
                    """)[0].decode("id", as: UUID.self)
                let network = try await Self.fetch(id, on: connection)!
                try await AuditLog.record(
                    AuditChange(action: "network.create", objectType: "network", objectID: id.uuidString,
                                after: network.snapshot(["name", "constituency", "description", "website"])),
                    by: actor, requestID: requestID, on: connection)
                return network
            }
        }
    }

    public func network(_ id: UUID) async throws -> Network? {
        try await pool.withConnection { try await Self.fetch(id, on: $0) }
    }

    public func list(limit: Int, after: NamePosition?, constituency: String?) async throws -> [Network] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM network n
            WHERE (\(after?.name)::text IS NULL OR (n.name, n.id) > (\(after?.name)::text, \(after?.id)::uuid))
              AND (\(constituency)::text IS NULL OR n.constituency = \(constituency)::text)
            ORDER BY n.name, n.id LIMIT \(limit)
            """).map(Self.network)
    }

    public func update(_ id: UUID, _ fields: Network.Fields, expectedVersion: Int?, by actor: Actor, requestID: String?) async throws -> UpdateOutcome<Network> {
        try await mapViolations {
            try await pool.withTransaction { connection in
                try await versionedUpdate(
                    action: "network.update", objectType: "network", id: id, changedFields: fields.names,
                    expectedVersion: expectedVersion,
                    fetch: { lock in try await Self.fetch(id, on: connection, lock: lock) }, version: \.version, snapshot: { $0.snapshot($1) },
                    apply: {
                        try await connection.execute("""
                        UPDATE network SET
                            name = coalesce(\(fields.name), name),
                            constituency = coalesce(\(fields.constituency), constituency),
                            description = coalesce(\(fields.description), description),
                            website = CASE WHEN \(fields.website != nil) THEN \(fields.website ?? nil) ELSE website END,
                            version = version + 1, updated_at = now()
                        WHERE id = \(id)
                        """)
                    },
                    by: actor, requestID: requestID, on: connection)
            }
        }
    }

    /// Adds `organisation` to the network; false if the network does not exist. Adding a
    /// member twice changes nothing.
    public func addMember(_ organisation: UUID, to network: UUID, by actor: Actor, requestID: String?) async throws -> Bool {
        try await mapViolations {
            try await pool.withTransaction { connection in
                guard try await Self.fetch(network, on: connection, lock: true) != nil else { return false }
                let added = try await connection.execute("""
                    INSERT INTO network_member (network_id, organisation_id) VALUES (\(network), \(organisation)) ON CONFLICT DO NOTHING
                    """)
                if added > 0 {
                    try await connection.execute("UPDATE network SET version = version + 1, updated_at = now() WHERE id = \(network)")
                    try await AuditLog.record(
                        AuditChange(action: "network.member.add", objectType: "network", objectID: network.uuidString,
                                    after: ["member": .string(organisation.uuidString)]),
                        by: actor, requestID: requestID, on: connection)
                }
                return true
            }
        }
    }

    /// Removes a member; false if it was not one.
    public func removeMember(_ organisation: UUID, from network: UUID, by actor: Actor, requestID: String?) async throws -> Bool {
        try await pool.withTransaction { connection in
            let removed = try await connection.execute("""
                DELETE FROM network_member WHERE network_id = \(network) AND organisation_id = \(organisation)
                """)
            guard removed > 0 else { return false }
            try await connection.execute("UPDATE network SET version = version + 1, updated_at = now() WHERE id = \(network)")
            try await AuditLog.record(
                AuditChange(action: "network.member.remove", objectType: "network", objectID: network.uuidString,
                            before: ["member": .string(organisation.uuidString)]),
                by: actor, requestID: requestID, on: connection)
            return true
        }
    }

    /// The member organisations of a network, by name.
    public func members(of network: UUID) async throws -> [Organisation] {
        try await pool.query("""
            SELECT \(unsafeRaw: OrganisationStore.columns) FROM organisation o
            JOIN network_member m ON m.organisation_id = o.id WHERE m.network_id = \(network) ORDER BY o.name, o.id
            """).map(OrganisationStore.organisation)
    }

    static func fetch(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Network? {
        // FOR UPDATE cannot lock a row read with an aggregate subquery, so lock separately.
        if lock { _ = try await connection.query("SELECT 1 FROM network WHERE id = \(id) FOR UPDATE") }
        return try await connection.query("SELECT \(unsafeRaw: columns) FROM network n WHERE n.id = \(id)").first.map(network)
    }

    static func network(_ row: PostgresRow) throws -> Network {
        Network(id: try row.decode("id"), name: try row.decode("name"), constituency: try row.decode("constituency"),
                description: try row.decode("description"), website: try row.decode("website"), members: try row.decode("members"),
                version: try row.decode("version"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }
}
