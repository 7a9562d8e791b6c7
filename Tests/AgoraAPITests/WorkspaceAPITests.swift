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

/// A forum offering workspace: its rooms at the venue, open every day around the clock unless
/// told otherwise, and booking open since an hour ago.
struct WorkspaceFixture {
    var forum: UUID
    var rooms: [UUID]
    var secretariat: TestAccount
    var clock: VenueClock

    /// Tomorrow at the venue, as a local day count.
    var tomorrow: Int { clock.local(Date()).day + 1 }

    /// An instant of tomorrow at `hour`:`minute` at the venue.
    func tomorrow(_ hour: Int, _ minute: Int = 0) -> Date {
        clock.startOfDay(tomorrow).addingTimeInterval(TimeInterval(hour * 3600 + minute * 60))
    }

    static let allDay = OpeningHours(Dictionary(uniqueKeysWithValues: OpeningHours.weekdays.map { ($0, OpeningHours.Span(opens: "00:00", closes: "24:00")) }))

    /// A conference in Nairobi from yesterday to three days on, offering `rooms` (name,
    /// capacity, equipment) through the API.
    static func make(_ client: any TestClientProtocol, _ pool: PostgresConnectionPool,
                     rooms: [(String, Int, [Equipment])] = [("Room A", 10, [.computers, .internet])],
                     hours: OpeningHours = allDay, priorityWindow: String = "null") async throws -> WorkspaceFixture {
        let secretariat = try await TestAccount.make(pool, name: "Secretariat", grants: [RoleGrant(.secretariat)])
        let forum = try await Fixture.forum(pool, issue: try await Fixture.issue(pool), kind: .conference, status: .announced)
        let venue = try await pool.query("""
            UPDATE forum SET starts_at = now() - interval '1 day', ends_at = now() + interval '3 days' WHERE id = \(forum) RETURNING venue_id
            """)[0].decode("venue_id", as: UUID.self)
        var ids: [UUID] = []
        for (name, capacity, equipment) in rooms {
            let room = try await VenueStore(pool: pool).addRoom(
                to: venue, Room.Fields(name: name, capacity: capacity, bookable: true, equipment: equipment, openingHours: hours),
                by: .commandLine, requestID: nil)
            ids.append(try #require(room).id)
        }
        let body = """
            {"rooms": [\(ids.map { "\"\($0)\"" }.joined(separator: ","))], "bookingOpensAt": "\(ISOInstant.string(Date().addingTimeInterval(-3600)))",
             "bookingClosesAt": "\(ISOInstant.string(Date().addingTimeInterval(4 * 86400)))", "priorityWindow": \(priorityWindow)}
            """
        try await client.execute(uri: "/forums/\(forum)/workspaces", method: .put, headers: secretariat.authorization, body: ByteBuffer(string: body)) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
        }
        return WorkspaceFixture(forum: forum, rooms: ids, secretariat: secretariat, clock: VenueClock(timeZone: "Africa/Nairobi")!)
    }

    static func body(room: UUID, organisation: UUID, from start: Date, to end: Date, attendees: Int = 5) -> ByteBuffer {
        ByteBuffer(string: """
            {"room": "\(room)", "organisation": "\(organisation)", "startsAt": "\(ISOInstant.string(start))", "endsAt": "\(ISOInstant.string(end))", "attendees": \(attendees)}
            """)
    }

    /// An organisation contact whose organisation takes part (one of its people is registered).
    static func participant(_ pool: PostgresConnectionPool, forum: UUID, _ name: String, country: String = "KE") async throws -> (UUID, TestAccount) {
        let organisation = try await Fixture.organisation(pool, name, country: country)
        let person = try await Fixture.person(pool, "Someone of \(name)", organisation: organisation)
        try await pool.execute("INSERT INTO registration (forum_id, person_id, organisation_id) VALUES (\(forum), \(person), \(organisation))")
        let contact = try await TestAccount.make(pool, name: "Contact of \(name)", grants: [.organisation(organisation)])
        try await pool.execute("UPDATE account SET email = \("contact-\(organisation)@example.org") WHERE id = \(contact.id)")
        return (organisation, contact)
    }

    /// Active bookings of one room that overlap, by a self-join: always 0.
    static func overlaps(_ pool: PostgresConnectionPool) async throws -> Int {
        try await pool.query("""
            SELECT count(*)::int AS n FROM workspace_booking a JOIN workspace_booking b
              ON a.room_id = b.room_id AND a.id < b.id AND a.during && b.during
            WHERE a.status IN ('booked', 'checked_in') AND b.status IN ('booked', 'checked_in')
            """)[0].decode("n", as: Int.self)
    }
}

@Suite("Workspace booking over HTTP")
struct WorkspaceAPITests {
    struct BookingBody: Decodable { var id: UUID; var status: String; var startsAt: Date; var endsAt: Date; var organisation: UUID }
    struct ConflictBody: Decodable {
        var type: String
        var alternatives: [Alternative]?
        struct Alternative: Decodable { var room: UUID; var startsAt: Date; var endsAt: Date }
    }
    struct ListBody: Decodable { var items: [BookingBody] }
    struct GridBody: Decodable {
        var rooms: [RoomDay]
        struct RoomDay: Decodable { var slots: [Slot] }
        struct Slot: Decodable { var startsAt: String; var busy: Bool }
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Posts from `count` clients of their own at once; a 503 (no connection free in time on a
    /// loaded machine) changed nothing, so that client asks again, as a client would.
    static func parallel(_ client: any TestClientProtocol, count: Int, uri: String, headers: @escaping @Sendable (Int) -> HTTPFields,
                         body: @escaping @Sendable (Int) -> ByteBuffer) async throws -> [(HTTPResponse.Status, String)] {
        let port = try #require(client.port)
        return try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
            for index in 0..<count {
                group.addTask {
                    let own = TestClient(host: "127.0.0.1", port: port)
                    own.connect()
                    defer { Task { try? await own.shutdown() } }
                    for _ in 0..<10 {
                        let response = try await own.post(uri, headers: headers(index), body: body(index))
                        if response.status != .serviceUnavailable { return (response.status, response.body.map { String(buffer: $0) } ?? "") }
                    }
                    return (.serviceUnavailable, "")
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func fiftyParallelRequestsForOneSlotMakeExactlyOneBooking() async throws {
        try await withApp { client, pool, _ in
            let setup = try await WorkspaceFixture.make(client, pool, rooms: [("Room A", 10, [.computers]), ("Room B", 10, [.computers])])
            var organisations: [UUID] = []
            for index in 0..<50 { organisations.append(try await Fixture.organisation(pool, "Organisation \(index)")) }
            let (room, start, end, secretariat) = (setup.rooms[0], setup.tomorrow(10), setup.tomorrow(11), setup.secretariat)
            let answers = try await Self.parallel(client, count: 50, uri: "/forums/\(setup.forum)/workspace-bookings",
                                                  headers: { _ in secretariat.authorization }) { [organisations] index in
                WorkspaceFixture.body(room: room, organisation: organisations[index], from: start, to: end)
            }
            #expect(answers.filter { $0.0 == .created }.count == 1)
            #expect(answers.filter { $0.0 == .conflict }.count == 49)
            let refused = try #require(answers.first { $0.0 == .conflict })
            let conflict = try Self.decoder.decode(ConflictBody.self, from: Data(refused.1.utf8))
            #expect(conflict.type == "/problems/booking-conflict")
            #expect(conflict.alternatives?.isEmpty == false)
            let active = try await pool.query("SELECT count(*)::int AS n FROM workspace_booking WHERE status = 'booked'")[0].decode("n", as: Int.self)
            #expect(active == 1)
            let overlapping = try await WorkspaceFixture.overlaps(pool)
            #expect(overlapping == 0)
        }
    }

    @Test func adjacentSlotsBothSucceedAndMalformedRangesAre422() async throws {
        try await withApp { client, pool, _ in
            let setup = try await WorkspaceFixture.make(client, pool)
            let organisation = try await Fixture.organisation(pool, "Habitat International Coalition")
            let uri = "/forums/\(setup.forum)/workspace-bookings"
            for (from, to) in [(setup.tomorrow(10), setup.tomorrow(11)), (setup.tomorrow(11), setup.tomorrow(12))] {
                try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization,
                                         body: WorkspaceFixture.body(room: setup.rooms[0], organisation: organisation, from: from, to: to)) { response in
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                }
            }
            let refused: [(Date, Date, String)] = [
                (setup.tomorrow(14), setup.tomorrow(13), "endsAt"),       // inverted
                (setup.tomorrow(14), setup.tomorrow(14), "endsAt"),       // empty
                (setup.tomorrow(14, 15), setup.tomorrow(15, 15), "startsAt"), // half slot at the start
                (setup.tomorrow(14), setup.tomorrow(14, 45), "endsAt"),   // half slot at the end
                (setup.tomorrow(14), setup.tomorrow(17), "endsAt"),       // longer than two hours
            ]
            for (from, to, field) in refused {
                try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization,
                                         body: WorkspaceFixture.body(room: setup.rooms[0], organisation: organisation, from: from, to: to)) { response in
                    #expect(response.status == .unprocessableContent)
                    let named = try problem(response.body).errors?.map(\.field) ?? []
                    #expect(named.contains(field), "\(named)")
                }
            }
            try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization, body: ByteBuffer(string: """
                {"room": "\(setup.rooms[0])", "organisation": "\(organisation)", "startsAt": "tomorrow", "endsAt": "2030-01-01T10:00:00Z", "attendees": 0}
                """)) { response in
                #expect(response.status == .unprocessableContent)
                let named = Set(try problem(response.body).errors?.map(\.field) ?? [])
                #expect(named == ["startsAt", "attendees"])
            }
            try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization,
                                     body: WorkspaceFixture.body(room: setup.rooms[0], organisation: organisation, from: setup.tomorrow(14),
                                                                 to: setup.tomorrow(15), attendees: 11)) { response in
                #expect(response.status == .unprocessableContent)
                let named = try problem(response.body).errors?.map(\.field)
                #expect(named == ["attendees"])
            }
            let kept = try await pool.query("SELECT count(*)::int AS n FROM workspace_booking")[0].decode("n", as: Int.self)
            #expect(kept == 2)
        }
    }

    @Test func theDailyQuotaHoldsUnderParallelRequests() async throws {
        try await withApp { client, pool, _ in
            let setup = try await WorkspaceFixture.make(client, pool, rooms: (1...10).map { ("Room \($0)", 10, []) })
            let (organisation, contact) = try await WorkspaceFixture.participant(pool, forum: setup.forum, "Slum Dwellers International")
            // Ten one-hour bookings of one morning in ten rooms, so no room's lock puts them in a
            // queue: four fit in 240 minutes.
            let answers = try await Self.parallel(client, count: 10, uri: "/forums/\(setup.forum)/workspace-bookings",
                                                  headers: { _ in contact.authorization }) { [setup] index in
                WorkspaceFixture.body(room: setup.rooms[index], organisation: organisation, from: setup.tomorrow(index), to: setup.tomorrow(index + 1))
            }
            #expect(answers.filter { $0.0 == .created }.count == 4)
            #expect(answers.filter { $0.0 == .conflict && $0.1.contains("booking-quota-exceeded") }.count == 6)
            let minutes = try await pool.query("""
                SELECT sum(extract(epoch FROM upper(during) - lower(during)) / 60)::int AS n FROM workspace_booking
                WHERE organisation_id = \(organisation) AND status = 'booked'
                """)[0].decode("n", as: Int.self)
            #expect(minutes == 240)
            // Another day has its own quota.
            try await client.execute(uri: "/forums/\(setup.forum)/workspace-bookings", method: .post, headers: contact.authorization,
                                     body: WorkspaceFixture.body(room: setup.rooms[0], organisation: organisation,
                                                                 from: setup.tomorrow(24 + 10), to: setup.tomorrow(24 + 11))) { #expect($0.status == .created) }
        }
    }

    @Test func theAlternativesOfferedAreReallyFree() async throws {
        try await withApp { client, pool, _ in
            let setup = try await WorkspaceFixture.make(client, pool, rooms: [
                ("Room A", 10, [.computers, .internet]), ("Room B", 12, [.computers, .internet, .printer]),
                ("Room C", 4, [.computers, .internet]), ("Room D", 30, [.internet]),
            ])
            let first = try await Fixture.organisation(pool, "First")
            let second = try await Fixture.organisation(pool, "Second")
            let uri = "/forums/\(setup.forum)/workspace-bookings"
            try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization,
                                     body: WorkspaceFixture.body(room: setup.rooms[0], organisation: first, from: setup.tomorrow(10), to: setup.tomorrow(11))) {
                #expect($0.status == .created)
            }
            let alternatives = try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization,
                                                        body: WorkspaceFixture.body(room: setup.rooms[0], organisation: second, from: setup.tomorrow(10),
                                                                                    to: setup.tomorrow(11), attendees: 8)) { response in
                #expect(response.status == .conflict)
                return try Self.decoder.decode(ConflictBody.self, from: Data(buffer: response.body)).alternatives ?? []
            }
            // Room A later, then Room B at that time; not Room C (too small) nor Room D (no computers).
            #expect(alternatives.map(\.room) == [setup.rooms[0], setup.rooms[0], setup.rooms[0], setup.rooms[1]])
            #expect(alternatives.first?.startsAt == setup.tomorrow(11))
            for alternative in alternatives {
                #expect(alternative.endsAt.timeIntervalSince(alternative.startsAt) == 3600)
                let id = try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization,
                                                  body: WorkspaceFixture.body(room: alternative.room, organisation: second, from: alternative.startsAt,
                                                                              to: alternative.endsAt, attendees: 8)) { response in
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                    return try Self.decoder.decode(BookingBody.self, from: Data(buffer: response.body)).id
                }
                try await client.execute(uri: "/workspace-bookings/\(id)", method: .delete, headers: setup.secretariat.authorization) { #expect($0.status == .ok) }
            }
            // A session of the agenda holds a room as a booking does, both ways.
            try await client.execute(uri: "/forums/\(setup.forum)/sessions", method: .post, headers: setup.secretariat.authorization, body: ByteBuffer(string: """
                {"title": "Side event", "format": "side_event", "startsAt": "\(ISOInstant.string(setup.tomorrow(10, 30)))",
                 "endsAt": "\(ISOInstant.string(setup.tomorrow(11, 30)))", "room": "\(setup.rooms[0])"}
                """)) { response in
                #expect(response.status == .conflict)
                let type = try problem(response.body).type
                #expect(type == "/problems/room-taken")
            }
            try await client.execute(uri: "/forums/\(setup.forum)/sessions", method: .post, headers: setup.secretariat.authorization, body: ByteBuffer(string: """
                {"title": "Side event", "format": "side_event", "startsAt": "\(ISOInstant.string(setup.tomorrow(15)))",
                 "endsAt": "\(ISOInstant.string(setup.tomorrow(16)))", "room": "\(setup.rooms[1])"}
                """)) { #expect($0.status == .created) }
            try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization,
                                     body: WorkspaceFixture.body(room: setup.rooms[1], organisation: second, from: setup.tomorrow(15, 30), to: setup.tomorrow(16, 30))) { response in
                #expect(response.status == .conflict)
                let type = try problem(response.body).type
                #expect(type == "/problems/booking-conflict")
            }
        }
    }

    @Test func bookingsNobodyChecksInForAreReleasedAfterFifteenMinutes() async throws {
        try await withApp { client, pool, _ in
            let setup = try await WorkspaceFixture.make(client, pool, rooms: [("Room A", 10, []), ("Room B", 10, [])])
            let (organisation, contact) = try await WorkspaceFixture.participant(pool, forum: setup.forum, "Huairou Commission")
            let store = WorkspaceStore(pool: pool)
            let actor = Actor(accountID: contact.id, tokenName: "test", grants: [.organisation(organisation)])
            let start = setup.tomorrow(9)
            func book(_ room: UUID, now: Date) async throws -> WorkspaceBooking {
                try await store.book(WorkspaceStore.BookingRequest(forum: setup.forum, room: room, organisation: organisation, startsAt: start,
                                                                   endsAt: start.addingTimeInterval(3600), attendees: 3),
                                     within: [organisation], now: now, by: actor, requestID: nil)
            }
            let unattended = try await book(setup.rooms[0], now: Date())
            let attended = try await book(setup.rooms[1], now: Date())
            await #expect(throws: Refusal.self) { _ = try await store.checkIn(attended.id, within: [organisation], now: start.addingTimeInterval(-11 * 60), by: actor, requestID: nil) }
            let checkedIn = try await store.checkIn(attended.id, within: [organisation], now: start.addingTimeInterval(-5 * 60), by: actor, requestID: nil)
            #expect(checkedIn.status == .checkedIn)

            let early = try await store.releaseUnchecked(now: start.addingTimeInterval(15 * 60 - 1))
            #expect(early == 0)
            let released = try await store.releaseUnchecked(now: start.addingTimeInterval(15 * 60))
            #expect(released == 1)
            let after = try #require(try await store.booking(unattended.id, within: nil))
            #expect(after.status == .released)
            let kept = try #require(try await store.booking(attended.id, within: nil))
            #expect(kept.status == .checkedIn)
            let again = try await store.releaseUnchecked(now: start.addingTimeInterval(20 * 60))
            #expect(again == 0)
            // Too late to check in; the room is bookable again at once; the organisation is told; it is audited.
            await #expect(throws: Refusal.self) { _ = try await store.checkIn(unattended.id, within: [organisation], now: start.addingTimeInterval(15 * 60), by: actor, requestID: nil) }
            // (Booked in the slot under way, it is checked in as it is made.)
            let rebooked = try await book(setup.rooms[0], now: start.addingTimeInterval(15 * 60))
            #expect(rebooked.status == .checkedIn)
            let notices = try await pool.query("""
                SELECT kind FROM notice WHERE recipient_account = \(contact.id) AND payload->>'booking' = \(unattended.id.uuidString.lowercased()) ORDER BY id
                """).map { try $0.decode("kind", as: String.self) }
            #expect(notices == ["booking.confirmed", "booking.released"])
            let audited = try await pool.query("""
                SELECT action FROM audit_entry WHERE object_type = 'workspace_booking' AND object_id = \(unattended.id.uuidString) ORDER BY id
                """).map { try $0.decode("action", as: String.self) }
            #expect(audited == ["workspace_booking.create", "workspace_booking.release"])
        }
    }

    @Test func thePriorityWindowKeepsTheFirstHoursForDevelopingCountriesAndUnderRepresentedConstituencies() async throws {
        try await withApp { client, pool, _ in
            let setup = try await WorkspaceFixture.make(client, pool, rooms: [("Room A", 10, [])],
                                                        priorityWindow: #"{"hours": 24, "underRepresented": ["indigenous_peoples"]}"#)
            let kenyan = try await Fixture.organisation(pool, "Kenya Land Alliance", country: "KE")
            let swiss = try await Fixture.organisation(pool, "Swiss NGO", country: "CH")
            let swissIndigenous = try await Fixture.organisation(pool, "Swiss Indigenous Network", country: "CH", constituency: "indigenous_peoples")
            let uri = "/forums/\(setup.forum)/workspace-bookings"
            try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization,
                                     body: WorkspaceFixture.body(room: setup.rooms[0], organisation: kenyan, from: setup.tomorrow(9), to: setup.tomorrow(10))) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization,
                                     body: WorkspaceFixture.body(room: setup.rooms[0], organisation: swiss, from: setup.tomorrow(11), to: setup.tomorrow(12))) { response in
                #expect(response.status == .conflict)
                let refusal = try problem(response.body)
                #expect(refusal.type == "/problems/priority-window")
                #expect(refusal.detail?.contains("opens for everyone at") == true)
            }
            try await client.execute(uri: uri, method: .post, headers: setup.secretariat.authorization,
                                     body: WorkspaceFixture.body(room: setup.rooms[0], organisation: swissIndigenous, from: setup.tomorrow(13), to: setup.tomorrow(14))) {
                #expect($0.status == .created)
            }
            let count = try await pool.query("SELECT count(*)::int AS n FROM workspace_booking WHERE organisation_id = \(swiss)")[0].decode("n", as: Int.self)
            #expect(count == 0)
        }
    }

    @Test func anOrganisationSeesAndChangesOnlyItsOwnBookings() async throws {
        try await withApp { client, pool, _ in
            let setup = try await WorkspaceFixture.make(client, pool)
            let (ours, contact) = try await WorkspaceFixture.participant(pool, forum: setup.forum, "Ours")
            let (_, other) = try await WorkspaceFixture.participant(pool, forum: setup.forum, "Theirs")
            let outsider = try await Fixture.organisation(pool, "Not taking part")
            let outsiderContact = try await TestAccount.make(pool, name: "Outsider", grants: [.organisation(outsider)])
            let uri = "/forums/\(setup.forum)/workspace-bookings"
            let booking = try await client.execute(uri: uri, method: .post, headers: contact.authorization,
                                                   body: WorkspaceFixture.body(room: setup.rooms[0], organisation: ours, from: setup.tomorrow(10), to: setup.tomorrow(11))) { response in
                #expect(response.status == .created)
                return try Self.decoder.decode(BookingBody.self, from: Data(buffer: response.body))
            }
            // Another organisation: not found, whatever it tries; its list is empty; it cannot book for us.
            for (path, method) in [("/workspace-bookings/\(booking.id)", HTTPRequest.Method.get), ("/workspace-bookings/\(booking.id)", .delete),
                                   ("/workspace-bookings/\(booking.id)/check-in", .post)] {
                try await client.execute(uri: path, method: method, headers: other.authorization) { #expect($0.status == .notFound) }
            }
            try await client.execute(uri: uri, method: .get, headers: other.authorization) { response in
                let items = try Self.decoder.decode(ListBody.self, from: Data(buffer: response.body)).items
                #expect(items.isEmpty)
            }
            try await client.execute(uri: uri, method: .get, headers: contact.authorization) { response in
                let items = try Self.decoder.decode(ListBody.self, from: Data(buffer: response.body)).items
                #expect(items.map(\.id) == [booking.id])
            }
            try await client.execute(uri: uri, method: .post, headers: other.authorization,
                                     body: WorkspaceFixture.body(room: setup.rooms[0], organisation: ours, from: setup.tomorrow(12), to: setup.tomorrow(13))) { response in
                #expect(response.status == .unprocessableContent)
                let named = try problem(response.body).errors?.map(\.field)
                #expect(named == ["organisation"])
            }
            try await client.execute(uri: uri, method: .post, headers: outsiderContact.authorization,
                                     body: WorkspaceFixture.body(room: setup.rooms[0], organisation: outsider, from: setup.tomorrow(12), to: setup.tomorrow(13))) { response in
                let type = try problem(response.body).type
                #expect(type == "/problems/organisation-not-participating")
            }
            try await client.execute(uri: uri, method: .post,
                                     body: WorkspaceFixture.body(room: setup.rooms[0], organisation: ours, from: setup.tomorrow(12), to: setup.tomorrow(13))) {
                #expect($0.status == .unauthorized)
            }
            // The public sees free and busy, never who booked.
            let date = VenueClock.date(day: setup.tomorrow)
            try await client.execute(uri: "/forums/\(setup.forum)/workspaces/availability?date=\(date)", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(!text.contains(ours.uuidString.lowercased()) && !text.contains(ours.uuidString))
                let grid = try JSONDecoder().decode(GridBody.self, from: Data(buffer: response.body))
                #expect(grid.rooms[0].slots.count == 48)
                #expect(grid.rooms[0].slots.filter(\.busy).map(\.startsAt) == ["\(date)T10:00:00+03:00", "\(date)T10:30:00+03:00"])
            }
            // Too early to check in; cancelled by its own contact, which frees the room; cancelled again, as it is.
            try await client.execute(uri: "/workspace-bookings/\(booking.id)/check-in", method: .post, headers: contact.authorization) { response in
                let type = try problem(response.body).type
                #expect(type == "/problems/check-in-not-open")
            }
            for _ in 0..<2 {
                try await client.execute(uri: "/workspace-bookings/\(booking.id)", method: .delete, headers: contact.authorization) { response in
                    #expect(response.status == .ok)
                    let status = try Self.decoder.decode(BookingBody.self, from: Data(buffer: response.body)).status
                    #expect(status == "cancelled")
                }
            }
            try await client.execute(uri: "/workspace-bookings/\(booking.id)/check-in", method: .post, headers: contact.authorization) { response in
                let type = try problem(response.body).type
                #expect(type == "/problems/booking-not-active")
            }
            try await client.execute(uri: "/forums/\(setup.forum)/workspaces/availability?date=\(date)", method: .get) { response in
                let slots = try JSONDecoder().decode(GridBody.self, from: Data(buffer: response.body)).rooms[0].slots
                #expect(slots.allSatisfy { !$0.busy })
            }
            let kinds = try await pool.query("SELECT kind FROM notice WHERE recipient_account = \(contact.id) ORDER BY id").map { try $0.decode("kind", as: String.self) }
            #expect(kinds == ["booking.confirmed", "booking.cancelled"])
        }
    }

    @Test func theOfferTakesOnlyBookableRoomsOfTheVenueAndKeepsBookedOnes() async throws {
        try await withApp { client, pool, _ in
            let setup = try await WorkspaceFixture.make(client, pool, rooms: [("Room A", 10, []), ("Room B", 10, [])])
            let elsewhere = try await VenueStore(pool: pool).create(Venue.Fields(name: "Elsewhere", city: "Geneva", country: "CH", timeZone: "Europe/Zurich"),
                                                                    by: .commandLine, requestID: nil)
            let foreign = try #require(try await VenueStore(pool: pool).addRoom(to: elsewhere.id, Room.Fields(name: "Far", capacity: 5, bookable: true),
                                                                                 by: .commandLine, requestID: nil))
            let venue = try await pool.query("SELECT venue_id FROM forum WHERE id = \(setup.forum)")[0].decode("venue_id", as: UUID.self)
            let closed = try #require(try await VenueStore(pool: pool).addRoom(to: venue, Room.Fields(name: "Storeroom", capacity: 5), by: .commandLine, requestID: nil))
            let window = #""bookingOpensAt": "2026-01-01T00:00:00Z", "bookingClosesAt": "2036-01-01T00:00:00Z""#
            try await client.execute(uri: "/forums/\(setup.forum)/workspaces", method: .put, headers: setup.secretariat.authorization,
                                     body: ByteBuffer(string: #"{"rooms": ["\#(foreign.id)", "\#(closed.id)"], \#(window)}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let named = try problem(response.body).errors?.map(\.field)
                #expect(named == ["rooms[0]", "rooms[1]"])
            }
            let organisation = try await Fixture.organisation(pool, "Booker")
            try await client.execute(uri: "/forums/\(setup.forum)/workspace-bookings", method: .post, headers: setup.secretariat.authorization,
                                     body: WorkspaceFixture.body(room: setup.rooms[0], organisation: organisation, from: setup.tomorrow(10), to: setup.tomorrow(11))) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/forums/\(setup.forum)/workspaces", method: .put, headers: setup.secretariat.authorization,
                                     body: ByteBuffer(string: #"{"rooms": ["\#(setup.rooms[1])"], \#(window)}"#)) { response in
                #expect(response.status == .conflict)
                let type = try problem(response.body).type
                #expect(type == "/problems/workspace-room-booked")
            }
            try await client.execute(uri: "/rooms/\(setup.rooms[0])", method: .patch, headers: setup.secretariat.authorization,
                                     body: ByteBuffer(string: #"{"bookable": false}"#)) { #expect($0.status == .unprocessableContent) }
            try await client.execute(uri: "/rooms/\(setup.rooms[0])", method: .patch, headers: setup.secretariat.authorization,
                                     body: ByteBuffer(string: #"{"openingHours": {"monday": {"opens": "18:00", "closes": "09:00"}}}"#)) { response in
                let named = try problem(response.body).errors?.map(\.field)
                #expect(named == ["openingHours.monday.closes"])
            }
            let rooms = try await pool.query("SELECT count(*)::int AS n FROM workspace_room WHERE forum_id = \(setup.forum)")[0].decode("n", as: Int.self)
            #expect(rooms == 2)
        }
    }

    @Test func theGridIsRightAcrossADaylightSavingChange() async throws {
        // The next night Geneva's clocks go forward, from 02:00 to 03:00 (always a Sunday).
        let zone = try #require(TimeZone(identifier: "Europe/Zurich"))
        var next = try #require(zone.nextDaylightSavingTimeTransition(after: Date().addingTimeInterval(2 * 86400)))
        while zone.secondsFromGMT(for: next) <= zone.secondsFromGMT(for: next.addingTimeInterval(-1)) {
            next = try #require(zone.nextDaylightSavingTimeTransition(after: next))
        }
        let change = next
        let clock = try #require(VenueClock(timeZone: "Europe/Zurich"))
        let night = VenueClock.date(day: clock.local(change).day), before = VenueClock.date(day: clock.local(change).day - 1)
        try await withApp { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, name: "Secretariat", grants: [RoleGrant(.secretariat)])
            let forum = try await Fixture.forum(pool, issue: try await Fixture.issue(pool), kind: .conference, status: .announced)
            let geneva = try await VenueStore(pool: pool).create(Venue.Fields(name: "Palais des Nations", city: "Geneva", country: "CH", timeZone: "Europe/Zurich"),
                                                                 by: .commandLine, requestID: nil)
            try await pool.execute("""
                UPDATE forum SET venue_id = \(geneva.id), starts_at = \(change.addingTimeInterval(-86_400)), ends_at = \(change.addingTimeInterval(86_400)) WHERE id = \(forum)
                """)
            let nights = OpeningHours(Dictionary(uniqueKeysWithValues: OpeningHours.weekdays.map { ($0, OpeningHours.Span(opens: "00:00", closes: "06:00")) }))
            let room = try #require(try await VenueStore(pool: pool).addRoom(to: geneva.id, Room.Fields(name: "Salle XXV", capacity: 12, bookable: true, openingHours: nights),
                                                                              by: .commandLine, requestID: nil))
            try await client.execute(uri: "/forums/\(forum)/workspaces", method: .put, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"rooms": ["\(room.id)"], "bookingOpensAt": "\(ISOInstant.string(Date().addingTimeInterval(-60)))", "bookingClosesAt": "\(ISOInstant.string(change))"}
                """)) { #expect($0.status == .ok) }
            let organisation = try await Fixture.organisation(pool, "Geneva NGO")
            // 01:30 to 03:30 on the clock that night is one hour.
            try await client.execute(uri: "/forums/\(forum)/workspace-bookings", method: .post, headers: secretariat.authorization, body: ByteBuffer(string: """
                {"room": "\(room.id)", "organisation": "\(organisation)", "startsAt": "\(night)T01:30", "endsAt": "\(night)T03:30", "attendees": 4}
                """)) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                let booking = try Self.decoder.decode(BookingBody.self, from: Data(buffer: response.body))
                #expect(booking.startsAt == change.addingTimeInterval(-30 * 60))
                #expect(booking.endsAt == change.addingTimeInterval(30 * 60))
            }
            try await client.execute(uri: "/forums/\(forum)/workspaces/availability?date=\(night)", method: .get) { response in
                #expect(response.status == .ok)
                let slots = try JSONDecoder().decode(GridBody.self, from: Data(buffer: response.body)).rooms[0].slots
                #expect(slots.count == 10)
                #expect(!slots.contains { $0.startsAt.contains("T02:") })
                #expect(slots.filter(\.busy).map(\.startsAt) == ["\(night)T01:30:00+01:00", "\(night)T03:00:00+02:00"])
            }
            try await client.execute(uri: "/forums/\(forum)/workspaces/availability?date=\(before)", method: .get) { response in
                let slots = try JSONDecoder().decode(GridBody.self, from: Data(buffer: response.body)).rooms[0].slots
                #expect(slots.count == 12)
            }
            let after = VenueClock.date(day: clock.local(change).day + 5)
            for query in ["date=\(after)", "date=28.03.2027", ""] {
                try await client.execute(uri: "/forums/\(forum)/workspaces/availability?\(query)", method: .get) { #expect($0.status == .badRequest) }
            }
        }
    }
}
