import Foundation
import PostgresClient
import Testing

@Suite("Binding and decoding values")
struct BindingTests {
    static let database = SuiteDatabase("binding")

    @Test func queryInterpolationBindsEveryValueAsAParameter() {
        let name = "x"
        let limit = 3
        let query: PostgresQuery = "SELECT * FROM t WHERE name = \(name) AND n < \(limit) ORDER BY \(unsafeRaw: "n")"
        #expect(query.sql == "SELECT * FROM t WHERE name = $1 AND n < $2 ORDER BY n")
        #expect(query.bindings == ["x", "3"])
    }

    @Test func nestedQueriesAreRenumbered() {
        let inner: PostgresQuery = "a = \(1) AND b = \(2)"
        let outer: PostgresQuery = "SELECT \(0) WHERE \(inner) AND c = \(3)"
        #expect(outer.sql == "SELECT $1 WHERE a = $2 AND b = $3 AND c = $4")
        #expect(outer.bindings == ["0", "1", "2", "3"])
    }

    @Test func everySupportedTypeRoundTrips() async throws {
        struct Payload: Codable, Equatable, Sendable { var title: String; var seats: [Int] }
        let id = UUID()
        let date = Date(timeIntervalSince1970: 1_790_000_000.123456)
        let bytes = Data([0, 1, 2, 0xfe, 0xff])
        let payload = Payload(title: "Round table — «régions»", seats: [1, 2, 3])
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            let rows = try await pool.query("""
                SELECT \(42)::int AS int, \(Int64.max)::int8 AS big, \(-1.5)::float8 AS double,
                       \(true)::bool AS yes, \(false)::bool AS no, \("héllo wörld 🌍")::text AS text,
                       \(id)::uuid AS id, \(date)::timestamptz AS at, \(bytes)::bytea AS bytes,
                       \(PostgresJSON(payload))::jsonb AS payload,
                       \(["a", "b,c", "d\"e", "NULL", "{x}"])::text[] AS texts,
                       \([1, -2, 3])::int[] AS ints, \([id])::uuid[] AS ids
                """)
            let row = try #require(rows.first)
            #expect(try row.decode("int", as: Int.self) == 42)
            #expect(try row.decode("big", as: Int64.self) == Int64.max)
            #expect(try row.decode("double", as: Double.self) == -1.5)
            #expect(try row.decode("yes", as: Bool.self) == true)
            #expect(try row.decode("no", as: Bool.self) == false)
            #expect(try row.decode("text", as: String.self) == "héllo wörld 🌍")
            #expect(try row.decode("id", as: UUID.self) == id)
            let decodedDate = try row.decode("at", as: Date.self)
            #expect((decodedDate.timeIntervalSince1970 * 1_000_000).rounded() == (date.timeIntervalSince1970 * 1_000_000).rounded())
            #expect(try row.decode("bytes", as: Data.self) == bytes)
            #expect(try row.decode("payload", as: PostgresJSON<Payload>.self).value == payload)
            #expect(try row.decode("texts", as: [String].self) == ["a", "b,c", "d\"e", "NULL", "{x}"])
            #expect(try row.decode("ints", as: [Int].self) == [1, -2, 3])
            #expect(try row.decode("ids", as: [UUID].self) == [id])
        }
    }

    @Test func nullsBindAndDecodeAsOptionals() async throws {
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            let none: Int? = nil
            let some: String? = "x"
            let row = try #require(try await pool.query("SELECT \(none)::int AS a, \(some)::text AS b, NULL::uuid AS c").first)
            #expect(try row.decode("a", as: Int?.self) == nil)
            #expect(try row.decode("b", as: String?.self) == "x")
            #expect(try row.decode("c", as: UUID?.self) == nil)
        }
    }

    @Test func valuesThatLookLikeSQLArriveIntact() async throws {
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            try await pool.execute("CREATE TABLE IF NOT EXISTS binding_probe (value text)")
            let hostile = "'); DROP TABLE binding_probe; --"
            try await pool.execute("INSERT INTO binding_probe (value) VALUES (\(hostile))")
            let rows = try await pool.query("SELECT value FROM binding_probe WHERE value = \(hostile)")
            #expect(rows.count == 1)
            #expect(try rows[0].decode("value", as: String.self) == hostile)
        }
    }

    @Test func timestampsKeepMicrosecondsAndIgnoreTheServerTimeZone() async throws {
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            // Read in a session with a far-away time zone: the value must not move.
            let row = try await pool.withConnection { connection in
                try await connection.execute("SET TIME ZONE 'Pacific/Kiritimati'")
                return try await connection.query("SELECT '2026-03-29 01:30:00.000001+00'::timestamptz AS at")[0]
            }
            let at = try row.decode("at", as: Date.self)
            #expect(PostgresTimestampProbe.iso(at) == "2026-03-29T01:30:00Z")
            #expect(((at.timeIntervalSince1970 - 1_774_747_800) * 1_000_000).rounded() == 1)
        }
    }

    @Test func decodingTheWrongTypeNamesTheColumn() async throws {
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            let row = try await pool.query("SELECT 'abc'::text AS title, NULL::int AS seats")[0]
            let wrongType = #expect(throws: PostgresDecodingError.self) { try row.decode("title", as: Int.self) }
            #expect(wrongType?.column == "title")
            #expect(wrongType?.description.contains("title") == true)
            let null = #expect(throws: PostgresDecodingError.self) { try row.decode("seats", as: Int.self) }
            #expect(null?.column == "seats")
            #expect(null?.reason.contains("NULL") == true)
            let missing = #expect(throws: PostgresDecodingError.self) { try row.decode("missing", as: Int.self) }
            #expect(missing?.column == "missing")
            // A row past the end is not a row of NULLs: reading it is an error, even as an optional.
            let none = try await pool.query("SELECT 1 AS n WHERE false")
            let pastTheEnd = #expect(throws: PostgresDecodingError.self) { try none[0].decode("n", as: Int?.self) }
            #expect(pastTheEnd?.reason.contains("0 rows") == true)
        }
    }
}

enum PostgresTimestampProbe {
    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
