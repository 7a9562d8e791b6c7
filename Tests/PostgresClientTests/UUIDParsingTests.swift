import Foundation
@testable import PostgresClient
import Testing

@Suite("Reading uuids by hand")
struct UUIDParsingTests {
    func parse(_ text: String) -> UUID? {
        Array(text.utf8).withUnsafeBytes { UUID.parseUUID($0) }
    }

    @Test func readsWhatFoundationReadsAndRefusesWhatItRefuses() {
        for _ in 0..<500 {
            let id = UUID()
            #expect(parse(id.uuidString) == id)
            #expect(parse(id.uuidString.lowercased()) == id)
        }
        for bad in ["", "not-a-uuid", "01234567-89ab-cdef-0123-456789abcde", "01234567-89ab-cdef-0123-456789abcdef0",
                    "0123456789ab-cdef-0123-456789abcdef", "01234567-89ab-cdef-0123_456789abcdef", "0123456g-89ab-cdef-0123-456789abcdef"] {
            #expect(parse(bad) == nil, "\(bad)")
            #expect(UUID(uuidString: bad) == nil, "\(bad)")
        }
    }

    @Test func readsUUIDsFromTheServer() async throws {
        let pool = try await BindingTests.database.pool()
        let ids = try await pool.query("SELECT gen_random_uuid() AS id, gen_random_uuid()::text AS text FROM generate_series(1, 50)")
        for row in ids {
            let text: String = try row.decode("text")
            #expect(try row.decode("id", as: UUID.self).uuidString.count == 36)
            #expect(try row.decode("text", as: UUID.self) == UUID(uuidString: text))
        }
        await pool.close()
    }
}
