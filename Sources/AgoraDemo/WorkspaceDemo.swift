import Agora
import AgoraStore
import Foundation
import PostgresClient

/// The demo's workspace (DESIGN §4): two rooms of the Palais des Nations with computers and
/// Internet, offered to civil society during the review hearing, with a few bookings made, so
/// `make run` shows an offer, a free/busy grid, and a conflict with its alternatives.
struct WorkspaceDemo {
    let pool: PostgresConnectionPool
    let actor = Actor.commandLine

    func run(hearing: UUID) async throws {
        guard let forum = try await ForumStore(pool: pool).forum(hearing), let venue = forum.venue.id else {
            throw DemoData.Refused(description: "no review hearing")
        }
        let weekdays = OpeningHours(Dictionary(uniqueKeysWithValues: OpeningHours.weekdays.prefix(5).map { ($0, OpeningHours.Span(opens: "08:00", closes: "20:00")) }))
        let venues = VenueStore(pool: pool)
        var rooms: [UUID] = []
        for (name, capacity, equipment, access) in [
            ("Room S3 (civil society)", 16, [Equipment.computers, .internet, .printer], "Step-free; hearing loop"),
            ("Room E-3050", 8, [Equipment.computers, .internet], "Lift to floor 3"),
        ] {
            let fields = Room.Fields(name: name, capacity: capacity, accessibility: access, bookable: true, equipment: equipment, openingHours: weekdays)
            guard let room = try await venues.addRoom(to: venue, fields, by: actor, requestID: "demo") else { throw DemoData.Refused(description: "no venue") }
            rooms.append(room.id)
        }
        let store = WorkspaceStore(pool: pool)
        // Booking opens a day before the demo is loaded (or three weeks before the hearing, when
        // that is earlier), and the demo's bookings are made before the hearing whenever it loads.
        let opens = min(Date(), forum.startsAt.addingTimeInterval(-21 * 86_400)).addingTimeInterval(-86_400)
        let now = min(Date(), forum.startsAt.addingTimeInterval(-2 * 86_400))
        _ = try await store.setOffer(forum: hearing, WorkspaceStore.OfferFields(
            rooms: rooms, bookingOpensAt: opens, bookingClosesAt: forum.endsAt,
            rules: WorkspaceRules(), priorityWindow: nil), by: actor, requestID: "demo")
        let bookings: [(String, Int, String, String, Int)] = [
            ("Rift Valley Growers", 0, "09:00", "11:00", 6),
            ("Réseau des femmes du Sahel", 0, "14:00", "15:30", 10),
            ("Mujeres Andinas", 1, "10:00", "11:00", 4),
        ]
        for (name, room, from, to, attendees) in bookings {
            let organisation = try await pool.query("SELECT id FROM organisation WHERE name = \(name)")[0].decode("id", as: UUID.self)
            let request = WorkspaceStore.BookingRequest(
                forum: hearing, room: rooms[room], organisation: organisation,
                startsAt: try VenueTime.instant(date: "2027-04-20", time: from, timeZone: forum.venue.timeZone),
                endsAt: try VenueTime.instant(date: "2027-04-20", time: to, timeZone: forum.venue.timeZone), attendees: attendees)
            _ = try await store.book(request, within: nil, now: now, by: actor, requestID: "demo")
        }
    }
}
