import Agora
import AgoraStore
import PostgresClient
import Testing
import TestSupport

@Suite("Countries and constituencies")
struct DirectoryStoreTests {
    static let database = Task { try await TestDatabase.shared.createMigratedDatabase("directory") }

    private func withStore(_ body: (DirectoryStore) async throws -> Void) async throws {
        let pool = PostgresConnectionPool(configuration: .init(connectionString: try await Self.database.value), logger: TestDatabase.logger)
        do { try await body(DirectoryStore(pool: pool)) } catch { await pool.close(); throw error }
        await pool.close()
    }

    @Test func countriesCarryTheirM49RegionAndDevelopingFlag() async throws {
        try await withStore { store in
            let countries = try await store.countries()
            #expect(countries.count >= 249)
            let kenya = try #require(try await store.country(alpha2: "ke"))
            #expect(kenya == Country(alpha2: "KE", alpha3: "KEN", numericCode: "404", name: "Kenya", region: "Africa",
                                     subRegion: "Sub-Saharan Africa", intermediateRegion: "Eastern Africa", developing: true))
            // The M49 common-practice note: Europe, Northern America, Japan, Australia and New Zealand are developed.
            for developed in ["DE", "CA", "US", "JP", "AU", "NZ", "NO"] {
                #expect(try await store.country(alpha2: developed)?.developing == false, "\(developed)")
            }
            for developing in ["BR", "IN", "CN", "KE", "FJ", "MX", "KR"] {
                #expect(try await store.country(alpha2: developing)?.developing == true, "\(developing)")
            }
            #expect(try await store.country(alpha2: "ZZ") == nil)
        }
    }

    @Test func theMajorGroupsAreSeeded() async throws {
        try await withStore { store in
            let codes = Set(try await store.constituencies().map(\.code))
            #expect(codes == ["ngo", "business_industry", "parliamentarians", "local_authorities", "academia_science",
                              "indigenous_peoples", "women", "children_youth", "workers_trade_unions", "farmers"])
        }
    }
}
