import Agora
import AgoraAPI
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresClient
import Testing
import TestSupport

/// A forum over two days at the Nairobi venue (UTC+3), with three rooms, and the people who speak.
struct AgendaFixture {
    var forum: UUID
    var rooms: [UUID]
    /// 2027-01-15T08:00Z, 11:00 in Nairobi.
    var start: Date
    var secretariat: TestAccount

    static func make(_ pool: PostgresConnectionPool, status: ForumStatus = .announced, slug: String = "coastal-cities") async throws -> AgendaFixture {
        let issue = try await Fixture.issue(pool, slug: slug)
        let forum = try await Fixture.forum(pool, issue: issue, kind: .conference, status: status)
        try await pool.execute("UPDATE forum SET ends_at = starts_at + interval '2 days' WHERE id = \(forum)")
        var rooms: [UUID] = []
        for (name, capacity) in [("Conference Room 1", 600), ("Conference Room 2", 200), ("Room C-3", 40)] {
            rooms.append(try await pool.query("""
                INSERT INTO room (venue_id, name, capacity) SELECT venue_id, \(name), \(capacity) FROM forum WHERE id = \(forum)
                ON CONFLICT (venue_id, name) DO UPDATE SET capacity = EXCLUDED.capacity RETURNING id
                """)[0].decode("id", as: UUID.self))
        }
        let secretariat = try await TestAccount.make(pool, name: "Secretariat", grants: [RoleGrant(.secretariat)])
        return AgendaFixture(forum: forum, rooms: rooms, start: Date(timeIntervalSince1970: 1_800_000_000), secretariat: secretariat)
    }

    /// An instant `minutes` after the forum's start.
    func at(_ minutes: Int) -> String {
        start.addingTimeInterval(Double(minutes) * 60).formatted(.iso8601)
    }

    /// Creates a session and answers its id (or fails the test).
    func session(_ client: any TestClientProtocol, _ title: String, room: Int, from: Int, to: Int, format: String = "panel",
                 languages: String = #"["en"]"#) async throws -> UUID {
        try await client.execute(uri: "/forums/\(forum)/sessions", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
            {"title": "\(title)", "format": "\(format)", "startsAt": "\(at(from))", "endsAt": "\(at(to))", "room": "\(rooms[room])",
             "languages": \(languages), "interpretation": ["fr"]}
            """)) { response in
            #expect(response.status == .created, "\(String(buffer: response.body))")
            return try JSONDecoder().decode(IDBody.self, from: Data(buffer: response.body)).id
        }
    }

    func speakers(_ client: any TestClientProtocol, _ session: UUID, _ list: [(UUID, Int)]) async throws -> HTTPResponse.Status {
        let body = "[" + list.map { #"{"person": "\#($0.0)", "minutes": \#($0.1)}"# }.joined(separator: ",") + "]"
        return try await client.execute(uri: "/sessions/\(session)/speakers", method: .put, headers: secretariat.authorization,
                                        body: ByteBuffer(string: body)) { $0.status }
    }

    func publish(_ client: any TestClientProtocol, _ body: String = "{}") async throws -> (HTTPResponse.Status, ByteBuffer) {
        try await client.execute(uri: "/forums/\(forum)/agenda/versions", method: .post, headers: secretariat.authorization,
                                 body: ByteBuffer(string: body)) { ($0.status, $0.body) }
    }
}

struct IDBody: Decodable { var id: UUID }

/// The agenda JSON, as much of it as the tests read.
struct AgendaBody: Decodable {
    struct Day: Decodable { var date: String; var sessions: [Session] }
    struct Session: Decodable {
        var id: UUID
        var number: Int
        var title: String
        var status: String
        var startsAt: Date
        var room: Room
        var speakers: [Slot]
        var sequence: Int
        var local: [String: String]
    }
    struct Room: Decodable { var id: UUID; var name: String }
    struct Slot: Decodable { var id: UUID; var position: Int; var minutes: Int; var speaker: Person }
    struct Person: Decodable { var person: UUID; var name: String; var organisation: Organisation?; var constituency: String?; var country: String }
    struct Organisation: Decodable { var id: UUID; var name: String }
    var forum: UUID
    var version: Int?
    var status: String
    var timeZone: String
    var days: [Day]

    var sessions: [Session] { days.flatMap(\.sessions) }

    static func decode(_ body: ByteBuffer) throws -> AgendaBody {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(AgendaBody.self, from: Data(buffer: body))
    }
}

struct ChangeFeedBody: Decodable {
    struct Version: Decodable { var version: Int; var name: String?; var changes: [Change] }
    struct Change: Decodable {
        var kind: String
        var session: UUID
        var person: UUID?
        var people: [UUID]
        var before: Place?
        var after: Place?
    }
    struct Place: Decodable { var startsAt: String?; var room: AgendaBody.Room?; var position: Int?; var minutes: Int? }
    var since: Int
    var version: Int
    var versions: [Version]
}

@Suite("The agenda over HTTP")
struct AgendaAPITests {
    @Test func theSecretariatBuildsAndPublishesAndEveryoneFollowsTheChanges() async throws {
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool, status: .nominationsClosed)
            let ngo = try await Fixture.organisation(pool, "Slum Dwellers International", constituency: "ngo")
            let (amina, bruno, chen) = (try await Fixture.person(pool, "Amina", organisation: ngo),
                                        try await Fixture.person(pool, "Bruno", organisation: nil),
                                        try await Fixture.person(pool, "Chen", organisation: ngo))
            let opening = try await fixture.session(client, "Opening plenary", room: 0, from: 0, to: 60, format: "plenary")
            let panel = try await fixture.session(client, "Finance panel", room: 1, from: 60, to: 150)
            let dialogue = try await fixture.session(client, "Dialogue with cities", room: 2, from: 24 * 60, to: 24 * 60 + 90, format: "interactive_dialogue")
            #expect(try await fixture.speakers(client, opening, [(amina, 10), (bruno, 10)]) == .ok)
            #expect(try await fixture.speakers(client, panel, [(chen, 20)]) == .ok)

            // Nothing is public before the first version; the secretariat reads the draft.
            try await client.execute(uri: "/forums/\(fixture.forum)/agenda", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/forums/\(fixture.forum)/agenda?version=draft", method: .get) { #expect($0.status == .notFound) }
            let draft = try await client.execute(uri: "/forums/\(fixture.forum)/agenda", method: .get, headers: fixture.secretariat.authorization) {
                #expect($0.headers[.cacheControl] == "private, no-store")
                return try AgendaBody.decode($0.body)
            }
            #expect(draft.status == "draft" && draft.version == nil && draft.sessions.count == 3)

            let (status, body) = try await fixture.publish(client, #"{"name": "Provisional programme"}"#)
            #expect(status == .created, "\(String(buffer: body))")
            let v1 = try await client.execute(uri: "/forums/\(fixture.forum)/agenda", method: .get) { try AgendaBody.decode($0.body) }
            #expect(v1.version == 1 && v1.status == "published")
            #expect(v1.days.map(\.date) == ["2027-01-15", "2027-01-16"])
            #expect(v1.timeZone == "Africa/Nairobi")
            let openingV1 = try #require(v1.sessions.first { $0.id == opening })
            #expect(openingV1.local["startsAt"] == "2027-01-15T11:00:00+03:00")
            #expect(openingV1.speakers.map(\.speaker.name) == ["Amina", "Bruno"])
            #expect(openingV1.speakers[0].speaker.organisation?.name == "Slum Dwellers International")
            #expect(openingV1.speakers[0].speaker.constituency == "ngo" && openingV1.speakers[0].speaker.country == "KE")
            #expect(openingV1.speakers[1].speaker.organisation == nil)
            // The forum moved to agenda_published with its first version.
            try await client.execute(uri: "/forums/\(fixture.forum)", method: .get) { #expect(String(buffer: $0.body).contains("\"agenda_published\"")) }

            // Publishing again without a change is refused.
            let (again, refusal) = try await fixture.publish(client)
            #expect(again == .conflict)
            #expect(try problem(refusal).type == "/problems/agenda-unchanged")

            // Move the panel to another room and time, cancel the dialogue, rework the opening's list.
            try await client.execute(uri: "/sessions/\(panel)", method: .patch, headers: fixture.secretariat.authorization, body: ByteBuffer(string: """
                {"room": "\(fixture.rooms[2])", "startsAt": "\(fixture.at(180))", "endsAt": "\(fixture.at(270))"}
                """)) { #expect($0.status == .ok, "\(String(buffer: $0.body))") }
            try await client.execute(uri: "/sessions/\(dialogue)/cancellation", method: .post, headers: fixture.secretariat.authorization) {
                #expect($0.status == .ok)
            }
            #expect(try await fixture.speakers(client, opening, [(bruno, 15), (chen, 10)]) == .ok)
            #expect(try await fixture.publish(client, #"{"name": "Revised", "comment": "The finance panel moves."}"#).0 == .created)

            let v2 = try await client.execute(uri: "/forums/\(fixture.forum)/agenda", method: .get) { try AgendaBody.decode($0.body) }
            #expect(v2.version == 2)
            // Ids of sessions and of speaking slots stay across versions; the cancelled session stays, marked.
            #expect(Set(v2.sessions.map(\.id)) == Set(v1.sessions.map(\.id)))
            let openingV2 = try #require(v2.sessions.first { $0.id == opening })
            #expect(openingV2.speakers.first { $0.speaker.person == bruno }?.id == openingV1.speakers.first { $0.speaker.person == bruno }?.id)
            #expect(v2.sessions.first { $0.id == dialogue }?.status == "cancelled")
            #expect(v2.sessions.first { $0.id == panel }?.sequence == 1)
            #expect(v2.sessions.first { $0.id == opening }?.sequence == 1)
            // An older version still reads as it was published.
            let old = try await client.execute(uri: "/forums/\(fixture.forum)/agenda?version=1", method: .get) { response in
                #expect(response.headers[.cacheControl]?.contains("immutable") == true)
                return try AgendaBody.decode(response.body)
            }
            #expect(old.sessions.first { $0.id == panel }?.room.id == fixture.rooms[1])

            // The change log is computed: each entry names what changed and whom it affects.
            let feed = try await client.execute(uri: "/forums/\(fixture.forum)/agenda/changes?since=1", method: .get) {
                try JSONDecoder().decode(ChangeFeedBody.self, from: Data(buffer: $0.body))
            }
            #expect(feed.version == 2 && feed.versions.map(\.version) == [2] && feed.versions[0].name == "Revised")
            let changes = feed.versions[0].changes
            let moved = try #require(changes.first { $0.kind == "session.moved" })
            #expect(moved.session == panel && moved.before?.room?.id == fixture.rooms[1] && moved.after?.room?.id == fixture.rooms[2])
            #expect(moved.people == [chen])
            #expect(changes.contains { $0.kind == "session.cancelled" && $0.session == dialogue })
            #expect(changes.contains { $0.kind == "speaker.removed" && $0.person == amina && $0.people == [amina] })
            #expect(changes.contains { $0.kind == "speaker.added" && $0.person == chen && $0.session == opening })
            let brunoMoved = try #require(changes.first { $0.kind == "speaker.moved" && $0.person == bruno })
            #expect(brunoMoved.before?.position == 2 && brunoMoved.after?.position == 1 && brunoMoved.after?.minutes == 15)
            #expect(changes.count == 5)
            let everything = try await client.execute(uri: "/forums/\(fixture.forum)/agenda/changes?since=0", method: .get) {
                try JSONDecoder().decode(ChangeFeedBody.self, from: Data(buffer: $0.body))
            }
            #expect(everything.versions.map(\.version) == [1, 2])
            #expect(everything.versions[0].changes.filter { $0.kind == "session.added" }.count == 3)
            for query in ["since=3", "since=-1", "since=x"] {
                try await client.execute(uri: "/forums/\(fixture.forum)/agenda/changes?\(query)", method: .get) { response in
                    #expect(response.status == .badRequest)
                    let refusal = try problem(response.body)
                    #expect(refusal.errors?.map(\.field) == ["since"])
                }
            }

            // A speaker's own agenda, across forums.
            let mine = try await client.execute(uri: "/people/\(chen)/agenda", method: .get) { String(buffer: $0.body) }
            #expect(mine.contains(opening.uuidString) && mine.contains(panel.uuidString) && !mine.contains(dialogue.uuidString))
            try await client.execute(uri: "/people/\(UUID())/agenda", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func theDatabaseRefusesConflictsAndEachRefusalNamesTheSessionInTheWay() async throws {
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            let auth = fixture.secretariat.authorization
            let amina = try await Fixture.person(pool, "Amina", organisation: nil)
            let first = try await fixture.session(client, "First", room: 0, from: 0, to: 60)
            #expect(try await fixture.speakers(client, first, [(amina, 30)]) == .ok)

            // The same room at an overlapping time.
            try await client.execute(uri: "/forums/\(fixture.forum)/sessions", method: .post, headers: auth, body: ByteBuffer(string: """
                {"title": "Clash", "format": "panel", "startsAt": "\(fixture.at(30))", "endsAt": "\(fixture.at(90))", "room": "\(fixture.rooms[0])"}
                """)) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains(first.uuidString))
                let refusal = try problem(response.body)
                #expect(refusal.type == "/problems/room-taken")
            }
            // One speaker in two overlapping sessions (in another room).
            let second = try await fixture.session(client, "Second", room: 1, from: 30, to: 90)
            #expect(try await fixture.speakers(client, second, [(amina, 10)]) == .conflict)
            try await client.execute(uri: "/sessions/\(second)/speakers", method: .put, headers: auth, body: ByteBuffer(string: #"[{"person": "\#(amina)", "minutes": 10}]"#)) { response in
                let refusal = try problem(response.body)
                #expect(refusal.type == "/problems/speaker-double-booked")
                #expect(String(buffer: response.body).contains(first.uuidString))
            }
            // Moving a session onto its speaker's other session is refused the same way.
            let later = try await fixture.session(client, "Later", room: 1, from: 120, to: 180)
            #expect(try await fixture.speakers(client, later, [(amina, 10)]) == .ok)
            try await client.execute(uri: "/sessions/\(later)", method: .patch, headers: auth, body: ByteBuffer(string: """
                {"startsAt": "\(fixture.at(45))", "endsAt": "\(fixture.at(105))", "room": "\(fixture.rooms[2])"}
                """)) { response in
                #expect(response.status == .conflict)
                let body = String(buffer: response.body)
                #expect(body.contains(first.uuidString) && body.contains("speaker-double-booked"), "\(body)")
            }
            // Outside the forum's dates; a room of another venue; minutes beyond the session's length.
            try await client.execute(uri: "/forums/\(fixture.forum)/sessions", method: .post, headers: auth, body: ByteBuffer(string: """
                {"title": "Too late", "format": "panel", "startsAt": "\(fixture.at(3 * 24 * 60))", "endsAt": "\(fixture.at(3 * 24 * 60 + 30))", "room": "\(fixture.rooms[2])"}
                """)) { response in
                #expect(response.status == .unprocessableContent)
                let refusal = try problem(response.body)
                #expect(refusal.errors?.map(\.field) == ["startsAt", "endsAt"])
            }
            let elsewhere = try await pool.query("""
                WITH v AS (INSERT INTO venue (name, city, country, time_zone) VALUES ('Elsewhere', 'Bonn', 'DE', 'Europe/Berlin') RETURNING id)
                INSERT INTO room (venue_id, name, capacity) SELECT id, 'Plenary', 100 FROM v RETURNING id
                """)[0].decode("id", as: UUID.self)
            try await client.execute(uri: "/forums/\(fixture.forum)/sessions", method: .post, headers: auth, body: ByteBuffer(string: """
                {"title": "Wrong venue", "format": "panel", "startsAt": "\(fixture.at(300))", "endsAt": "\(fixture.at(330))", "room": "\(elsewhere)"}
                """)) { response in
                #expect(response.status == .unprocessableContent)
                let refusal = try problem(response.body)
                #expect(refusal.errors?.map(\.field) == ["room"])
            }
            try await client.execute(uri: "/sessions/\(later)/speakers", method: .put, headers: auth, body: ByteBuffer(string: #"[{"person": "\#(amina)", "minutes": 61}]"#)) { response in
                #expect(response.status == .unprocessableContent)
                let refusal = try problem(response.body)
                #expect(refusal.errors?.map(\.field) == ["speakers"])
            }
            try await client.execute(uri: "/sessions/\(later)/speakers", method: .put, headers: auth, body: ByteBuffer(string: #"[{"person": "\#(UUID())", "minutes": 5}, {"person": "x"}]"#)) { response in
                #expect(response.status == .unprocessableContent)
                let refusal = try problem(response.body)
                #expect(refusal.errors?.map(\.field) == ["speakers[1].person", "speakers[1].minutes"])
            }
            // A session cannot be shortened below its speakers' minutes.
            try await client.execute(uri: "/sessions/\(first)", method: .patch, headers: auth, body: ByteBuffer(string: #"{"endsAt": "\#(fixture.at(20))"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let refusal = try problem(response.body)
                #expect(refusal.errors?.map(\.field) == ["endsAt"])
            }
            // The forum cannot shrink away from its sessions.
            try await client.execute(uri: "/forums/\(fixture.forum)", method: .patch, headers: auth, body: ByteBuffer(string: #"{"endsAt": "\#(fixture.at(100))"}"#)) { response in
                #expect(response.status == .unprocessableContent, "\(String(buffer: response.body))")
            }

            // A cancelled session frees its room and its speakers, and no longer changes.
            try await client.execute(uri: "/sessions/\(first)/cancellation", method: .post, headers: auth) { #expect($0.status == .ok) }
            try await client.execute(uri: "/sessions/\(first)/cancellation", method: .post, headers: auth) { response in
                #expect(response.status == .conflict)
                let refusal = try problem(response.body)
                #expect(refusal.type == "/problems/session-cancelled")
            }
            try await client.execute(uri: "/sessions/\(first)", method: .patch, headers: auth, body: ByteBuffer(string: #"{"title": "Renamed"}"#)) {
                #expect($0.status == .conflict)
            }
            #expect(try await fixture.speakers(client, second, [(amina, 10)]) == .ok)
            _ = try await fixture.session(client, "In the freed room", room: 0, from: 0, to: 60)
            let rows = try await pool.query("SELECT count(*)::int AS n FROM agenda_session WHERE forum_id = \(fixture.forum)")[0].decode("n", as: Int.self)
            #expect(rows == 4)
        }
    }

    @Test func twoSecretariesBookingOneRoomAtOnceGetOneSessionAndOneConflict() async throws {
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<6 {
                    let body = """
                        {"title": "Race \(index)", "format": "panel", "startsAt": "\(fixture.at(index * 5))", "endsAt": "\(fixture.at(60 + index * 5))", "room": "\(fixture.rooms[0])"}
                        """
                    let auth = fixture.secretariat.authorization
                    let uri = "/forums/\(fixture.forum)/sessions"
                    group.addTask { try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(string: body)) { $0.status } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 5)
            let stored = try await pool.query("SELECT count(*)::int AS n FROM agenda_session WHERE forum_id = \(fixture.forum)")[0].decode("n", as: Int.self)
            #expect(stored == 1)
        }
    }

    @Test func filtersNarrowTheAgendaAndBadFiltersAreNamed() async throws {
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            let ngo = try await Fixture.organisation(pool, "Habitat Coalition", constituency: "ngo")
            let local = try await Fixture.organisation(pool, "Mayors for Water", constituency: "local_authorities")
            let (amina, chen) = (try await Fixture.person(pool, "Amina", organisation: ngo), try await Fixture.person(pool, "Chen", organisation: local))
            let a = try await fixture.session(client, "Day one, room one", room: 0, from: 0, to: 60)
            let b = try await fixture.session(client, "Day one, room two", room: 1, from: 0, to: 60, languages: #"["es"]"#)
            let c = try await fixture.session(client, "Day two", room: 0, from: 24 * 60, to: 24 * 60 + 60)
            #expect(try await fixture.speakers(client, a, [(amina, 10)]) == .ok)
            #expect(try await fixture.speakers(client, c, [(chen, 10)]) == .ok)
            #expect(try await fixture.publish(client).0 == .created)
            func ids(_ query: String) async throws -> Set<UUID> {
                try await client.execute(uri: "/forums/\(fixture.forum)/agenda?\(query)", method: .get) {
                    Set(try AgendaBody.decode($0.body).sessions.map(\.id))
                }
            }
            #expect(try await ids("day=2027-01-15") == [a, b])
            #expect(try await ids("room=\(fixture.rooms[0])") == [a, c])
            #expect(try await ids("constituency=local_authorities") == [c])
            #expect(try await ids("speaker=\(amina)") == [a])
            #expect(try await ids("language=es") == [b])
            #expect(try await ids("language=fr") == [a, b, c])  // interpretation counts
            #expect(try await ids("day=2027-01-16&room=\(fixture.rooms[1])") == [])
            // A filtered answer is built from the version kept in memory, never kept itself.
            try await client.execute(uri: "/forums/\(fixture.forum)/agenda?speaker=\(chen)", method: .get) { response in
                #expect(response.headers[.eTag] != nil)
            }
            for (query, field) in [("day=15-01-2027", "day"), ("room=nope", "room"), ("speaker=1", "speaker"), ("language=english!", "language"), ("version=0", "version"),
                                  ("constituency=ngo%7CSPEAKER", "constituency"), ("constituency=NGO", "constituency")] {
                try await client.execute(uri: "/forums/\(fixture.forum)/agenda?\(query)", method: .get) { response in
                    #expect(response.status == .badRequest)
                    let refusal = try problem(response.body)
                    #expect(refusal.errors?.map(\.field) == [field])
                }
            }
        }
    }

    @Test func representationsHaveETagsAnswer304AndAreCompressedOncePerVersion() async throws {
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            for index in 0..<8 { _ = try await fixture.session(client, "Session \(index) on finance for coastal cities", room: index % 3, from: index * 60, to: index * 60 + 45) }
            #expect(try await fixture.publish(client).0 == .created)
            let uri = "/forums/\(fixture.forum)/agenda"
            let (etag, plain) = try await client.execute(uri: uri, method: .get) { ($0.headers[.eTag], $0.body) }
            let tag = try #require(etag)
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: tag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.eTag] == tag)
            }
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"other\", W/\(tag)"]) { #expect($0.status == .notModified) }
            let gzipped = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "br, gzip;q=0.8"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[.eTag] != tag)
                #expect(response.headers[.vary] == "Accept-Encoding")
                return response.body
            }
            #expect(gzipped.readableBytes < plain.readableBytes)
            #expect(try gunzip(gzipped) == Data(buffer: plain))
            try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { #expect($0.headers[.contentEncoding] == nil) }
            // A new version is a new representation with another tag.
            _ = try await fixture.session(client, "Added later", room: 0, from: 600, to: 630)
            #expect(try await fixture.publish(client).0 == .created)
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: tag]) { response in
                #expect(response.status == .ok)
                let agenda = try AgendaBody.decode(response.body)
                #expect(agenda.version == 2)
            }
        }
    }

    @Test func aPublishOnOneServerReachesTheCacheOfAnother() async throws {
        AgoraMetrics.bootstrap()
        let url = try await TestDatabase.shared.createMigratedDatabase("agenda-cache")
        let poolA = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
        let poolB = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
        let fixture = try await AgendaFixture.make(poolA)
        let serverA = buildApplication(configuration: AppConfiguration(port: 0), stores: Stores(pool: poolA), logger: TestDatabase.logger)
        let cacheB = AgendaCache()
        let serverB = buildApplication(configuration: AppConfiguration(port: 0), stores: Stores(pool: poolB), logger: TestDatabase.logger, agendaCache: cacheB)
        try await serverA.test(.live) { clientA in
            try await serverB.test(.live) { clientB in
                _ = try await fixture.session(clientA, "Opening", room: 0, from: 0, to: 60)
                #expect(try await fixture.publish(clientA).0 == .created)
                // Server B caches version 1 (read twice: the second read is served from memory).
                for _ in 0..<2 {
                    try await clientB.execute(uri: "/forums/\(fixture.forum)/agenda.ics", method: .get) { #expect($0.status == .ok) }
                }
                try await poolB.execute("SELECT 1")
                _ = try await fixture.session(clientA, "Closing", room: 0, from: 120, to: 180)
                #expect(try await fixture.publish(clientA).0 == .created)
                try await waitUntil(timeout: .seconds(15), "server B to serve version 2") {
                    try await clientB.execute(uri: "/forums/\(fixture.forum)/agenda", method: .get) { try AgendaBody.decode($0.body).version == 2 }
                }
            }
        }
        await poolA.close()
        await poolB.close()
    }

    @Test func theCalendarFeedKeepsUIDsRaisesSequenceAndMarksCancellations() async throws {
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            let amina = try await Fixture.person(pool, "Amina Ndiaye-Ołowska, speaker; with comma", organisation: nil)
            let kept = try await fixture.session(client, "Opening plenary: cities, water; and finance", room: 0, from: 0, to: 60, format: "plenary")
            let moved = try await fixture.session(client, "Panel that moves", room: 1, from: 60, to: 120)
            let cancelled = try await fixture.session(client, "Dialogue that is cancelled", room: 2, from: 60, to: 120)
            #expect(try await fixture.speakers(client, kept, [(amina, 10)]) == .ok)
            #expect(try await fixture.publish(client).0 == .created)
            func calendar(_ uri: String) async throws -> (String, String?) {
                try await client.execute(uri: uri, method: .get) { (String(buffer: $0.body), $0.headers[.contentType]) }
            }
            let (v1, type) = try await calendar("/forums/\(fixture.forum)/agenda.ics")
            #expect(type == "text/calendar; charset=utf-8")
            #expect(v1.hasPrefix("BEGIN:VCALENDAR\r\n") && v1.hasSuffix("END:VCALENDAR\r\n"))
            #expect(!v1.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
            #expect(v1.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 75 })
            #expect(v1.components(separatedBy: "BEGIN:VEVENT").count == 4)
            #expect(v1.contains("UID:\(kept.uuidString.lowercased())@agora"))
            #expect(v1.contains("DTSTART:20270115T080000Z"))
            #expect(v1.contains("SUMMARY:Opening plenary: cities\\, water\\; and finance"))

            try await client.execute(uri: "/sessions/\(moved)", method: .patch, headers: fixture.secretariat.authorization,
                                     body: ByteBuffer(string: #"{"startsAt": "\#(fixture.at(180))", "endsAt": "\#(fixture.at(240))"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/sessions/\(cancelled)/cancellation", method: .post, headers: fixture.secretariat.authorization) { #expect($0.status == .ok) }
            #expect(try await fixture.publish(client).0 == .created)
            let (v2, _) = try await calendar("/forums/\(fixture.forum)/agenda.ics")
            func event(_ calendar: String, _ id: UUID) -> String {
                let unfolded = calendar.replacingOccurrences(of: "\r\n ", with: "")
                return unfolded.components(separatedBy: "BEGIN:VEVENT").first { $0.contains("UID:\(id.uuidString.lowercased())@agora") } ?? ""
            }
            #expect(event(v1, moved).contains("SEQUENCE:0") && event(v2, moved).contains("SEQUENCE:1"))
            #expect(event(v2, kept).contains("SEQUENCE:0"))
            #expect(event(v2, cancelled).contains("STATUS:CANCELLED") && event(v2, cancelled).contains("SEQUENCE:1"))
            #expect(event(v2, kept).contains("STATUS:CONFIRMED"))
            #expect(event(v2, kept).contains("Amina Ndiaye-Ołowska\\, speaker\\; with comma"))
            // A speaker's own feed has their sessions only.
            let (own, _) = try await calendar("/people/\(amina)/agenda.ics")
            #expect(own.components(separatedBy: "BEGIN:VEVENT").count == 2 && own.contains(kept.uuidString.lowercased()))
        }
    }

    @Test func theFrabExportsAreValidAgainstTheOfficialSchemasAndKeepTheirIds() async throws {
        let python = try #require(ProcessInfo.processInfo.environment["AGORA_PYTHON"], "make test sets AGORA_PYTHON (scripts/test-tools.sh)")
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            let (amina, bruno) = (try await Fixture.person(pool, "Amina <Ndiaye> & Co", organisation: nil), try await Fixture.person(pool, "Bruno", organisation: nil))
            let opening = try await fixture.session(client, "Opening: l'eau & les villes", room: 0, from: 0, to: 60, format: "plenary")
            _ = try await fixture.session(client, "Coffee", room: 0, from: 60, to: 75, format: "break", languages: "[]")
            let dialogue = try await fixture.session(client, "Ü", room: 1, from: 24 * 60, to: 24 * 60 + 90, format: "interactive_dialogue")
            #expect(try await fixture.speakers(client, opening, [(amina, 10), (bruno, 10)]) == .ok)
            #expect(try await fixture.publish(client, #"{"name": "First"}"#).0 == .created)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("frab-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            func export(_ name: String) async throws -> String {
                let body = try await client.execute(uri: "/forums/\(fixture.forum)/\(name)", method: .get) { response in
                    #expect(response.status == .ok)
                    return String(buffer: response.body)
                }
                try body.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
                return body
            }
            let (json1, xml1) = (try await export("schedule.json"), try await export("schedule.xml"))
            try validateFrab(python: python, directory)
            #expect(json1.contains("\"type\":\"break\"") && xml1.contains("<type>break</type>"))
            #expect(json1.contains("\"version\":\"1 (First)\""))

            // A second version: ids and guids stay, the version says so, the cancelled session leaves the export.
            try await client.execute(uri: "/sessions/\(dialogue)/cancellation", method: .post, headers: fixture.secretariat.authorization) { #expect($0.status == .ok) }
            #expect(try await fixture.publish(client).0 == .created)
            let (json2, xml2) = (try await export("schedule.json"), try await export("schedule.xml"))
            try validateFrab(python: python, directory)
            let openingGUID = opening.uuidString.lowercased()
            #expect(json2.contains(openingGUID) && xml2.contains("guid=\"\(openingGUID)\""))
            #expect(json1.contains(dialogue.uuidString.lowercased()) && !json2.contains(dialogue.uuidString.lowercased()))
            #expect(json2.contains("\"version\":\"2\"") && xml2.contains("<version>2</version>"))
            let number = try await pool.query("SELECT number FROM agenda_session WHERE id = \(opening)")[0].decode("number", as: Int.self)
            #expect(xml1.contains("<event id=\"\(number)\" guid=\"\(openingGUID)\">") && xml2.contains("<event id=\"\(number)\" guid=\"\(openingGUID)\">"))
        }
    }

    @Test func thePageRendersInChromiumWithItsLandmarksAndSessions() async throws {
        let chromium = try #require(ProcessInfo.processInfo.environment["AGORA_CHROMIUM"], "make test sets AGORA_CHROMIUM (scripts/test-tools.sh)")
        try await withApp { client, pool, _ in
            let fixture = try await AgendaFixture.make(pool)
            let amina = try await Fixture.person(pool, "Amina <b>Ndiaye</b>", organisation: nil)
            let opening = try await fixture.session(client, "Opening plenary", room: 0, from: 0, to: 60, format: "plenary")
            let gone = try await fixture.session(client, "Dialogue that is cancelled", room: 1, from: 24 * 60, to: 24 * 60 + 60)
            #expect(try await fixture.speakers(client, opening, [(amina, 15)]) == .ok)
            try await client.execute(uri: "/sessions/\(gone)/cancellation", method: .post, headers: fixture.secretariat.authorization) { #expect($0.status == .ok) }
            #expect(try await fixture.publish(client).0 == .created)
            let html = try await client.execute(uri: "/forums/\(fixture.forum)/agenda.html", method: .get) { response in
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                return String(buffer: response.body)
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agenda-page-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let page = directory.appendingPathComponent("agenda.html")
            try html.write(to: page, atomically: true, encoding: .utf8)
            // What the browser built from the page: the document after parsing, as Chromium sees it.
            let dom = try runProcess(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(directory.path)/chrome",
                                                "--dump-dom", page.absoluteString])
            #expect(dom.contains("<html lang=\"en\">"))
            #expect(dom.contains("<main>") && dom.contains("<nav aria-label=\"Days\">") && dom.contains("<header>") && dom.contains("<footer>"))
            #expect(dom.contains("<h1>A conference</h1>"))
            #expect(dom.contains("Friday 15 January 2027") && dom.contains("Saturday 16 January 2027"))
            #expect(dom.contains("<h3 lang=\"en\">Opening plenary</h3>"))
            #expect(dom.contains("Amina &lt;b&gt;Ndiaye&lt;/b&gt;") && !dom.contains("<b>Ndiaye</b>"))
            #expect(dom.contains("<time datetime=\"2027-01-15T11:00:00+03:00\">11:00</time>"))
            #expect(dom.contains("class=\"session cancelled\"") && dom.contains("Cancelled"))
            let screenshot = directory.appendingPathComponent("agenda.png")
            _ = try runProcess(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(directory.path)/chrome",
                                          "--window-size=420,1400", "--screenshot=\(screenshot.path)", page.absoluteString])
            let size = try FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int ?? 0
            #expect(size > 5_000)
        }
    }
}

/// Runs the frab validator over `schedule.json` and `schedule.xml` in `directory`; fails with its report.
func validateFrab(python: String, _ directory: URL) throws {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/validate-frab.py").standardized.path
    // The official schemas, copied byte for byte from ../shared/formats/frab (a clean clone has no ../shared).
    let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/frab").standardized.path
    _ = try runProcess(python, [script, schemas, directory.appendingPathComponent("schedule.json").path, directory.appendingPathComponent("schedule.xml").path])
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs a program to its end and answers its output; a non-zero exit is an error carrying what it said.
func runProcess(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try launch(process)
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else { throw ProcessFailure(description: "\(executable) exited \(process.terminationStatus): \(text)") }
    return text
}

/// Inflates a gzip body with the system's gzip, so the test does not trust the code it checks.
func gunzip(_ body: ByteBuffer) throws -> Data {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("agenda-\(UUID()).gz")
    try Data(buffer: body).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    return Data(try runProcess("/bin/gzip", ["-dc", file.path]).utf8)
}
