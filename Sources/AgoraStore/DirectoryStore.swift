import Agora
import PostgresClient

/// Countries and constituencies.
public struct DirectoryStore: Sendable {
    private let pool: PostgresConnectionPool

    /// A store over `pool`.
    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// Every country, by alpha-2 code.
    public func countries() async throws -> [Country] {
        try await pool.query("""
            SELECT alpha2, alpha3, numeric_code, name, m49_region, m49_sub_region, m49_intermediate_region, developing
            FROM country ORDER BY alpha2
            """).map(Self.country)
    }

    /// One country, or nil.
    public func country(alpha2: String) async throws -> Country? {
        try await pool.query("""
            SELECT alpha2, alpha3, numeric_code, name, m49_region, m49_sub_region, m49_intermediate_region, developing
            FROM country WHERE alpha2 = \(alpha2.uppercased())
            """).first.map(Self.country)
    }

    /// Every constituency, by name.
    public func constituencies() async throws -> [Constituency] {
        try await pool.query("SELECT code, name FROM constituency ORDER BY name").map { row in
            Constituency(code: try row.decode("code"), name: try row.decode("name"))
        }
    }

    /// Sets whether a country counts as developing; nil if there is no such country.
    public func setDeveloping(_ developing: Bool, alpha2: String, by actor: Actor, requestID: String?) async throws -> Country? {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                UPDATE country SET developing = \(developing) WHERE alpha2 = \(alpha2.uppercased())
                RETURNING (SELECT developing FROM country WHERE alpha2 = \(alpha2.uppercased())) AS before
                """)
            guard let row = rows.first else { return nil }
            try await AuditLog.record(
                AuditChange(action: "country.update", objectType: "country", objectID: alpha2.uppercased(),
                            before: ["developing": .bool(try row.decode("before", as: Bool.self))], after: ["developing": .bool(developing)]),
                by: actor, requestID: requestID, on: connection)
            return try await connection.query("""
                SELECT alpha2, alpha3, numeric_code, name, m49_region, m49_sub_region, m49_intermediate_region, developing
                FROM country WHERE alpha2 = \(alpha2.uppercased())
                """).first.map(Self.country)
        }
    }

    /// Adds a constituency.
    @discardableResult
    public func addConstituency(_ constituency: Constituency, by actor: Actor, requestID: String?) async throws -> Constituency {
        try await mapViolations {
            try await pool.withTransaction { connection in
                try await connection.execute("INSERT INTO constituency (code, name) VALUES (\(constituency.code), \(constituency.name))")
                try await AuditLog.record(
                    AuditChange(action: "constituency.create", objectType: "constituency", objectID: constituency.code,
                                after: ["name": .string(constituency.name)]),
                    by: actor, requestID: requestID, on: connection)
                try await IdempotentAnswer.offer(constituency, on: connection)
                return constituency
            }
        }
    }

    private static func country(_ row: PostgresRow) throws -> Country {
        Country(
            alpha2: try row.decode("alpha2"), alpha3: try row.decode("alpha3"),
            numericCode: try row.decode("numeric_code"), name: try row.decode("name"),
            region: try row.decode("m49_region"), subRegion: try row.decode("m49_sub_region"),
            intermediateRegion: try row.decode("m49_intermediate_region"), developing: try row.decode("developing")
        )
    }
}
