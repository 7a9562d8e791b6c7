import Agora
import AgoraStore
import PostgresClient
import Testing
import TestSupport

@Suite("Demo data")
struct DemoDataTests {
    @Test func loadsOnceIntoAnEmptyDatabaseWithAWorkingSecretariatToken() async throws {
        let url = try await TestDatabase.shared.createMigratedDatabase("demo")
        let pool = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
        let secret = try #require(try await DemoData.loadIfEmpty(pool: pool))
        let token = try #require(try await AccessStore(pool: pool).authenticate(tokenHash: TokenSecret.hash(secret)))
        #expect(token.actor.has(.secretariat))
        let regions = try await pool.query("""
            SELECT count(DISTINCT c.m49_region)::int AS n FROM organisation o JOIN country c ON c.alpha2 = o.country
            """)[0].decode("n", as: Int.self)
        #expect(regions >= 4)
        #expect(try await DemoData.loadIfEmpty(pool: pool) == nil)
        let organisations = try await pool.query("SELECT count(*)::int AS n FROM organisation")[0].decode("n", as: Int.self)
        #expect(organisations == 6)
        await pool.close()
    }
}
