import Agora
import AgoraDemo
import Foundation
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
        #expect(organisations == 6 + SelectionDemo.networkCount)

        // One issue went round the whole cycle and is back at implementation, its proceedings sent.
        let issue = try await pool.query("SELECT id, stage FROM policy_issue WHERE slug = 'water-informal-settlements'")[0]
        #expect(try issue.decode("stage", as: String.self) == "implementation")
        let issueID = try issue.decode("id", as: UUID.self)
        let history = try await IssueStore(pool: pool).history(issueID).map { "\($0.from.rawValue)>\($0.to.rawValue)" }
        #expect(history == ["emerging>norm_setting", "norm_setting>implementation", "implementation>review", "review>implementation"])
        let concluded = try await pool.query("""
            SELECT kind FROM forum WHERE issue_id = \(issueID) AND status = 'concluded' ORDER BY starts_at
            """).map { try $0.decode("kind", as: String.self) }
        #expect(concluded == ["round_table", "conference", "partnership", "hearing"])
        let hearing = try await pool.query("SELECT id FROM forum WHERE issue_id = \(issueID) AND kind = 'hearing' AND status = 'concluded'")[0].decode("id", as: UUID.self)
        let proceedings = try #require(try await ProceedingsStore(pool: pool).proceedings(hearing))
        #expect(proceedings.transmission?.acknowledgedOn != nil)
        #expect(proceedings.constituencyBreakdown.count >= 3)
        #expect(proceedings.evidence.count == 3)
        let roundTable = try await pool.query("SELECT accepted_count FROM forum WHERE issue_id = \(issueID) AND kind = 'round_table'")[0]
        #expect(try roundTable.decode("accepted_count", as: Int.self) == 2)

        // A hearing with forty nominations and an approved, balanced slate.
        let review = try await pool.query("SELECT id FROM forum WHERE issue_id = \(issueID) AND kind = 'hearing' AND status = 'agenda_published'")[0]
            .decode("id", as: UUID.self)
        #expect(try await NominationStore(pool: pool).nominations(of: review, within: nil).count == 40)
        let slate = try #require(try await SelectionStore(pool: pool).latest(of: review, approvedOnly: true))
        #expect(slate.holding.count == 10)
        #expect(slate.rulesHold)
        #expect(Set(slate.holding.map(\.constituency)).count >= 3)

        // Its agenda: two days, three rooms, and a second version that moves one session and cancels another.
        let agenda = try #require(try await AgendaStore(pool: pool).published(review, version: nil))
        #expect(agenda.version == 2)
        #expect(Set(agenda.sessions.map { agenda.day(of: $0) }).count == 2)
        #expect(Set(agenda.sessions.map(\.room.id)).count == 3)
        let changes = try await AgendaStore(pool: pool).versions(of: review, since: 1).flatMap(\.changes).map(\.kind)
        #expect(changes.contains(.sessionMoved) && changes.contains(.sessionCancelled))
        let speakers = Set(agenda.sessions.flatMap(\.speakers).map(\.speaker.person))
        #expect(speakers.count == 10)
        await pool.close()
    }
}
