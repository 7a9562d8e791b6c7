import Agora
import Foundation
import PostgresClient

/// People.
public struct PersonStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    static let columns = """
        p.id, p.name, p.organisation_id, p.country, o.constituency, p.languages, p.gender, p.email,
        p.version, p.created_at, p.updated_at
        """

    public func create(_ fields: Person.Fields, by actor: Actor, requestID: String?) async throws -> Person {
        try await mapViolations {
            try await pool.withTransaction { connection in
                let id = try await connection.query("""
                    INSERT INTO person (name, organisation_id, country, languages, gender, email)
                    VALUES (\(fields.name), \(fields.organisation ?? nil), \(fields.country?.uppercased()), \(fields.languages ?? []),
                            \(fields.gender ?? nil), \(fields.email ?? nil))
                    RETURNING id
                    """)[0].decode("id", as: UUID.self)
                let person = try await Self.fetch(id, on: connection)!
                try await AuditLog.record(
                    AuditChange(action: "person.create", objectType: "person", objectID: id.uuidString,
                                after: person.snapshot(["name", "organisation", "country", "languages", "gender", "email"]),
                                personalFields: Person.personalFields),
                    by: actor, requestID: requestID, on: connection)
                try await IdempotentAnswer.offer(person, on: connection)
                return person
            }
        }
    }

    public func person(_ id: UUID) async throws -> Person? {
        try await pool.withConnection { try await Self.fetch(id, on: $0) }
    }

    /// Whether one of `networks` currently nominates the person (it may then see the person's
    /// personal data): an active nomination, while the person's organisation is still an
    /// accepted member of that network.
    public func isNominated(_ person: UUID, byAnyOf networks: Set<UUID>) async throws -> Bool {
        !(try await pool.query("""
            SELECT 1 FROM nomination n JOIN person p ON p.id = n.person_id
            JOIN network_member m ON m.network_id = n.network_id AND m.organisation_id = p.organisation_id AND m.status = 'accepted'
            WHERE n.person_id = \(person) AND n.network_id = ANY(\(Array(networks))) AND n.withdrawn_at IS NULL LIMIT 1
            """)).isEmpty
    }

    /// The people of an organisation, by name.
    public func people(of organisation: UUID) async throws -> [Person] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM person p LEFT JOIN organisation o ON o.id = p.organisation_id
            WHERE p.organisation_id = \(organisation) ORDER BY p.name, p.id
            """).map(Self.person)
    }

    /// Applies `fields` if the person is still at `expectedVersion` (when given) and, when
    /// `organisations` is given, still belongs to one of them (checked under the row lock, so a
    /// concurrent move cannot slip between the check and the change).
    public func update(_ id: UUID, _ fields: Person.Fields, expectedVersion: Int?, within organisations: Set<UUID>? = nil,
                       by actor: Actor, requestID: String?) async throws -> Person {
        try await mapViolations {
            try await pool.withTransaction { connection in
                try await versionedUpdate(
                    action: "person.update", objectType: "person", id: id, changedFields: fields.names, personalFields: Person.personalFields,
                    expectedVersion: expectedVersion, inScope: { person in organisations.map { scope in person.organisation.map(scope.contains) == true } ?? true },
                    fetch: { lock in try await Self.fetch(id, on: connection, lock: lock) }, version: \.version, snapshot: { $0.snapshot($1) },
                    apply: {
                        try await connection.execute("""
                        UPDATE person SET
                            name = coalesce(\(fields.name), name),
                            organisation_id = CASE WHEN \(fields.organisation != nil) THEN \(fields.organisation ?? nil) ELSE organisation_id END,
                            country = coalesce(\(fields.country?.uppercased())::char(2), country),
                            languages = coalesce(\(fields.languages)::text[], languages),
                            gender = CASE WHEN \(fields.gender != nil) THEN \(fields.gender ?? nil) ELSE gender END,
                            email = CASE WHEN \(fields.email != nil) THEN \(fields.email ?? nil) ELSE email END,
                            version = version + 1, updated_at = now()
                        WHERE id = \(id)
                        """)
                    },
                    by: actor, requestID: requestID, on: connection)
            }
        }
    }

    static func fetch(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Person? {
        // FOR UPDATE cannot lock through the outer join, so the row is locked on its own.
        if lock { _ = try await connection.query("SELECT 1 FROM person WHERE id = \(id) FOR UPDATE") }
        return try await connection.query("""
            SELECT \(unsafeRaw: columns) FROM person p LEFT JOIN organisation o ON o.id = p.organisation_id WHERE p.id = \(id)
            """).first.map(person)
    }

    static func person(_ row: PostgresRow) throws -> Person {
        Person(id: try row.decode("id"), name: try row.decode("name"), organisation: try row.decode("organisation_id"),
               country: try row.decode("country"), constituency: try row.decode("constituency"),
               languages: try row.decode("languages"), gender: try row.decode("gender"), email: try row.decode("email"),
               version: try row.decode("version"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }
}
