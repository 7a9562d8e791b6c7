import Agora
import AgoraStore
import Foundation
import PostgresClient
import Testing
import TestSupport

@Suite("Nominations in the database")
struct NominationStoreTests {
    struct World {
        var pool: PostgresConnectionPool
        var forum: UUID
        var deadline: Date
        var networks: [UUID]
        var people: [UUID]
    }

    /// A conference taking nominations until `deadline`, two networks (ngo, women) and four people.
    func world() async throws -> World {
        let url = try await TestDatabase.shared.createMigratedDatabase("nominations")
        let pool = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
        let issue = try await IssueStore(pool: pool).create(slug: "nominations", title: "Nominations", summary: "", reportsTo: "Economic and Social Council",
                                                            goals: [], by: .commandLine, requestID: nil).id
        let deadline = Date(timeIntervalSince1970: 1_900_000_000)
        let start = deadline.addingTimeInterval(30 * 86_400)
        let forum = Forum(id: UUID(), issue: issue, kind: .conference, title: "Conference", venue: .init(name: "Hall", city: "Geneva", country: "CH", timeZone: "Europe/Zurich"),
                          startsAt: start, endsAt: start.addingTimeInterval(3600), nominationsDeadline: deadline, speakingSlots: 2, speakingMinutes: 10,
                          participantCap: nil, chair: nil, status: .draft, version: 1)
        let forums = ForumStore(pool: pool)
        let id = try await forums.create(forum, by: .commandLine, requestID: nil)!.id
        for status in [ForumStatus.announced, .nominationsOpen] { _ = try await forums.changeStatus(id, to: status, by: .commandLine, requestID: nil) }
        var networks: [UUID] = []
        for (name, constituency) in [("N", "ngo"), ("W", "women")] {
            networks.append(try await pool.query("INSERT INTO network (name, constituency) VALUES (\(name), \(constituency)) RETURNING id")[0].decode("id", as: UUID.self))
        }
        // One organisation, an accepted member of both networks (a network nominates only its members' people).
        let organisation = try await pool.query("INSERT INTO organisation (name, country, constituency) VALUES ('Both', 'KE', 'ngo') RETURNING id")[0]
            .decode("id", as: UUID.self)
        for network in networks {
            try await pool.query("""
                INSERT INTO network_member (network_id, organisation_id, status, accepted_at) VALUES (\(network), \(organisation), 'accepted', now())
                """)
        }
        var people: [UUID] = []
        for name in ["Ada", "Bo", "Cy", "Di"] {
            people.append(try await pool.query("""
                INSERT INTO person (name, organisation_id, country, gender) VALUES (\(name), \(organisation), 'KE', 'woman') RETURNING id
                """)[0].decode("id", as: UUID.self))
        }
        return World(pool: pool, forum: id, deadline: deadline, networks: networks, people: people)
    }

    @Test func theDeadlineClosesNominationsAtItsInstant() async throws {
        let world = try await world()
        let store = NominationStore(pool: world.pool)
        let before = world.deadline.addingTimeInterval(-1)
        let nomination = try await store.nominate(world.people[0], for: world.forum, by: world.networks[0], rank: 1, statement: "s",
                                                                    within: nil, now: before, actor: .commandLine, requestID: nil)
        let closed: (any Error) -> Bool = { ($0 as? Refusal)?.code == .nominationsClosed }
        await #expect(performing: {
            try await store.nominate(world.people[1], for: world.forum, by: world.networks[0], rank: 2, statement: "s",
                                     within: nil, now: world.deadline, actor: .commandLine, requestID: nil)
        }, throws: closed)
        await #expect(performing: {
            try await store.withdraw(nomination.id, within: nil, now: world.deadline.addingTimeInterval(60), actor: .commandLine, requestID: nil)
        }, throws: closed)
        #expect(NominationWindow.isPublic(status: .nominationsOpen, deadline: world.deadline, now: world.deadline))
        #expect(!NominationWindow.isPublic(status: .nominationsOpen, deadline: world.deadline, now: before))
        await world.pool.close()
    }

    @Test func aSwapIsAuditedOnBothNominationsAndAPersonEntersTheSolverOnce() async throws {
        let world = try await world()
        let store = NominationStore(pool: world.pool)
        let now = world.deadline.addingTimeInterval(-3600)
        var ids: [UUID] = []
        for (index, person) in world.people.prefix(2).enumerated() {
            let nomination = try await store.nominate(person, for: world.forum, by: world.networks[0], rank: index + 1, statement: "s",
                                                                        within: nil, now: now, actor: .commandLine, requestID: nil)
            ids.append(nomination.id)
        }
        let moved = try await store.update(ids[1], rank: 1, statement: nil, expectedVersion: nil, within: nil, now: now,
                                                             actor: .commandLine, requestID: "swap")
        #expect(moved.rank == 1)
        #expect(try await store.nomination(ids[0])?.rank == 2)
        let audited = try await world.pool.query("""
            SELECT count(DISTINCT object_id)::int AS n FROM audit_entry WHERE action = 'nomination.update' AND request_id = 'swap'
            """)[0].decode("n", as: Int.self)
        #expect(audited == 2)

        // The same person by the other network: one candidate, and a decision for the other nomination.
        let second = try await store.nominate(world.people[0], for: world.forum, by: world.networks[1], rank: 1, statement: "s",
                                                                within: nil, now: now, actor: .commandLine, requestID: nil)
        let candidates = try await store.candidates(of: world.forum)
        #expect(candidates.count == 3)
        let instance = SelectionInstance(candidates: candidates, slots: 2, speakingMinutes: 10, rules: .defaults(for: .conference), forum: world.forum)
        #expect(instance.nominations.count == 2)
        let left = SelectionInstance.duplicates(among: candidates, forum: world.forum)
        #expect(left.count == 1)
        #expect([ids[0], second.id].contains(left[0].0))
        await world.pool.close()
    }

    @Test func aCommitteeMemberNamedLateIsNoLongerACandidate() async throws {
        let world = try await world()
        let store = NominationStore(pool: world.pool)
        let nomination = try await store.nominate(world.people[2], for: world.forum, by: world.networks[1], rank: 1, statement: "s",
                                                                    within: nil, now: world.deadline.addingTimeInterval(-60), actor: .commandLine, requestID: nil)
        #expect(try await store.candidates(of: world.forum).map(\.nomination) == [nomination.id])
        let member = try await AccessStore(pool: world.pool).createAccount(name: "Member", grants: [RoleGrant.bureau("Economic and Social Council")], by: .commandLine)
        try await world.pool.query("UPDATE account SET person_id = \(world.people[2]) WHERE id = \(member)")
        _ = try await store.setCommittee([member], of: world.forum, actor: .commandLine, requestID: nil)
        #expect(try await store.candidates(of: world.forum).isEmpty)
        await world.pool.close()
    }
}
