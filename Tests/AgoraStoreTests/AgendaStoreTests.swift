import Agora
@testable import AgoraStore
import Foundation
import PostgresClient
import Synchronization
import Testing
import TestSupport

/// Passes statements on to the database and counts them.
final class CountingQueries: AgendaQuerying {
    let pool: PostgresConnectionPool
    let count = Mutex(0)

    init(_ pool: PostgresConnectionPool) {
        self.pool = pool
    }

    func query(_ query: PostgresQuery) async throws -> PostgresRows {
        count.withLock { $0 += 1 }
        return try await pool.query(query)
    }
}

@Suite("The agenda in the database")
struct AgendaStoreTests {
    /// A two-day forum with three rooms and `sessions` sessions of two speakers each.
    func agenda(sessions: Int) async throws -> (PostgresConnectionPool, UUID) {
        let url = try await TestDatabase.shared.createMigratedDatabase("agenda")
        let pool = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
        let issue = try await IssueStore(pool: pool).create(slug: "agenda", title: "Agenda", summary: "", reportsTo: "Economic and Social Council",
                                                            goals: [], by: .commandLine, requestID: nil).id
        let start = Date(timeIntervalSince1970: 1_900_000_000)
        let forum = try await ForumStore(pool: pool).create(
            Forum(id: UUID(), issue: issue, kind: .conference, title: "Conference", venue: .init(name: "Hall", city: "Geneva", country: "CH", timeZone: "Europe/Zurich"),
                  startsAt: start, endsAt: start.addingTimeInterval(2 * 86_400), nominationsDeadline: nil, speakingSlots: nil, speakingMinutes: nil,
                  participantCap: nil, chair: nil, status: .draft, version: 1),
            by: .commandLine, requestID: nil)!.id
        _ = try await ForumStore(pool: pool).changeStatus(forum, to: .announced, by: .commandLine, requestID: nil)
        let rooms = try await pool.query("""
            INSERT INTO room (venue_id, name, capacity) SELECT f.venue_id, 'Room ' || n, 100 FROM forum f, generate_series(1, 3) n WHERE f.id = \(forum) RETURNING id
            """).map { try $0.decode("id", as: UUID.self) }
        let people = try await pool.query("""
            INSERT INTO person (name, country) SELECT 'Speaker ' || n, 'CH' FROM generate_series(1, \(sessions * 2)) n RETURNING id
            """).map { try $0.decode("id", as: UUID.self) }
        let store = AgendaStore(pool: pool)
        for index in 0..<sessions {
            var fields = AgendaSession.Fields()
            fields.title = "Session \(index)"
            fields.format = .panel
            fields.startsAt = start.addingTimeInterval(Double(index / 3) * 1800)
            fields.endsAt = start.addingTimeInterval(Double(index / 3) * 1800 + 1800)
            fields.room = rooms[index % 3]
            let session = try await store.createSession(in: forum, fields, by: .commandLine, requestID: nil)!
            _ = try await store.setSpeakers(of: session.id, [SpeakerPlace(person: people[2 * index], minutes: 10), SpeakerPlace(person: people[2 * index + 1], minutes: 10)],
                                            expectedVersion: nil, by: .commandLine, requestID: nil)
        }
        return (pool, forum)
    }

    @Test(arguments: [1, 30])
    func buildingAnAgendaTakesThreeStatementsWhateverItsSize(sessions: Int) async throws {
        let (pool, forum) = try await agenda(sessions: sessions)
        let counter = CountingQueries(pool)
        let agenda = try #require(try await AgendaStore.draft(forum, on: counter))
        #expect(agenda.sessions.count == sessions)
        #expect(agenda.sessions.allSatisfy { $0.speakers.count == 2 })
        #expect(counter.count.withLock { $0 } == 3)
        // A published version reads in three statements too.
        let version = try await AgendaStore(pool: pool).publish(forum, name: nil, comment: nil, by: .commandLine, requestID: nil)
        #expect(version?.version == 1)
        let reader = CountingQueries(pool)
        let published = try #require(try await AgendaStore.published(forum, version: nil, on: reader))
        #expect(published.sessions == agenda.sessions.map { var session = $0; session.sequence = 0; return session })
        #expect(reader.count.withLock { $0 } == 3)
        await pool.close()
    }

    @Test func aSpeakersSlotFollowsItsSessionWhenMovedAndIsFreedWhenCancelled() async throws {
        let (pool, forum) = try await agenda(sessions: 2)
        let store = AgendaStore(pool: pool)
        let sessions = try #require(try await store.draft(forum)).sessions
        let rows = { try await pool.query("SELECT during = (SELECT during FROM agenda_session WHERE id = \(sessions[0].id)) AS same, active FROM session_speaker WHERE session_id = \(sessions[0].id)") }
        #expect(try await rows().allSatisfy { try $0.decode("same", as: Bool.self) && $0.decode("active", as: Bool.self) })
        var fields = AgendaSession.Fields()
        fields.startsAt = sessions[0].startsAt.addingTimeInterval(3 * 3600)
        fields.endsAt = sessions[0].endsAt.addingTimeInterval(3 * 3600)
        _ = try await store.updateSession(sessions[0].id, fields, expectedVersion: nil, by: .commandLine, requestID: nil)
        #expect(try await rows().allSatisfy { try $0.decode("same", as: Bool.self) })
        _ = try await store.cancelSession(sessions[0].id, by: .commandLine, requestID: nil)
        #expect(try await rows().allSatisfy { !(try $0.decode("active", as: Bool.self)) })
        await pool.close()
    }
}
