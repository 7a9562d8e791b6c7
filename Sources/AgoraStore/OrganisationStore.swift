import Agora
import Foundation
import PostgresClient


/// Organisations and their membership of networks.
public struct OrganisationStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    static let columns = """
        o.id, o.name, o.country, o.constituency, o.accreditation, o.accredited_on::text AS accredited_on,
        o.version, o.created_at, o.updated_at,
        ARRAY(SELECT m.network_id FROM network_member m WHERE m.organisation_id = o.id AND m.status = 'accepted' ORDER BY m.network_id) AS networks
        """

    /// Creates an organisation; `fields` must hold name, country and constituency.
    public func create(_ fields: Organisation.Fields, by actor: Actor, requestID: String?) async throws -> Organisation {
        try await mapViolations {
            try await pool.withTransaction { connection in
                let id = try await connection.query("""
                    INSERT INTO organisation (name, country, constituency, accreditation, accredited_on)
                    VALUES (\(fields.name), \(fields.country?.uppercased()), \(fields.constituency),
                            \(fields.accreditation ?? nil), \((fields.accreditedOn ?? nil))::date)
                    RETURNING id
                    """)[0].decode("id", as: UUID.self)
                let organisation = try await Self.fetch(id, on: connection)!
                try await AuditLog.record(
                    AuditChange(action: "organisation.create", objectType: "organisation", objectID: id.uuidString,
                                after: organisation.snapshot(["name", "country", "constituency", "accreditation", "accreditedOn"])),
                    by: actor, requestID: requestID, on: connection)
                try await IdempotentAnswer.offer(organisation, on: connection)
                return organisation
            }
        }
    }

    /// One organisation, or nil.
    public func organisation(_ id: UUID) async throws -> Organisation? {
        try await pool.withConnection { try await Self.fetch(id, on: $0) }
    }

    /// Organisations by name, at most `limit`, after the position `after` of a previous page.
    public func list(limit: Int, after: NamePosition?, country: String?, constituency: String?) async throws -> [Organisation] {
        let afterName = after?.name
        let afterID = after?.id
        return try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM organisation o
            WHERE (\(afterName)::text IS NULL OR (o.name, o.id) > (\(afterName)::text, \(afterID)::uuid))
              AND (\(country?.uppercased())::text IS NULL OR o.country = \(country?.uppercased())::text)
              AND (\(constituency)::text IS NULL OR o.constituency = \(constituency)::text)
            ORDER BY o.name, o.id LIMIT \(limit)
            """).map(Self.organisation)
    }

    /// Applies `fields` if the organisation is still at `expectedVersion` (when given).
    public func update(_ id: UUID, _ fields: Organisation.Fields, expectedVersion: Int?, by actor: Actor, requestID: String?) async throws -> Organisation {
        try await mapViolations {
            try await pool.withTransaction { connection in
                try await versionedUpdate(
                    action: "organisation.update", objectType: "organisation", id: id, changedFields: fields.names,
                    expectedVersion: expectedVersion,
                    fetch: { lock in try await Self.fetch(id, on: connection, lock: lock) }, version: \.version, snapshot: { $0.snapshot($1) },
                    apply: {
                        try await connection.execute("""
                        UPDATE organisation SET
                            name = coalesce(\(fields.name), name),
                            country = coalesce(\(fields.country?.uppercased())::char(2), country),
                            constituency = coalesce(\(fields.constituency), constituency),
                            accreditation = CASE WHEN \(fields.accreditation != nil) THEN \(fields.accreditation ?? nil) ELSE accreditation END,
                            accredited_on = CASE WHEN \(fields.accreditedOn != nil) THEN \((fields.accreditedOn ?? nil))::date ELSE accredited_on END,
                            version = version + 1, updated_at = now()
                        WHERE id = \(id)
                        """)
                    },
                    by: actor, requestID: requestID, on: connection)
            }
        }
    }

    static func fetch(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Organisation? {
        try await connection.query("""
            SELECT \(unsafeRaw: columns) FROM organisation o WHERE o.id = \(id) \(unsafeRaw: lock ? "FOR UPDATE" : "")
            """).first.map(organisation)
    }

    static func organisation(_ row: PostgresRow) throws -> Organisation {
        Organisation(
            id: try row.decode("id"), name: try row.decode("name"), country: try row.decode("country"),
            constituency: try row.decode("constituency"), accreditation: try row.decode("accreditation"),
            accreditedOn: try row.decode("accredited_on"), networks: try row.decode("networks"),
            version: try row.decode("version"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }
}

/// Where a page ordered by name ends.
public struct NamePosition: Codable, Sendable {
    public var name: String
    public var id: UUID
    public init(name: String, id: UUID) {
        self.name = name
        self.id = id
    }
}
