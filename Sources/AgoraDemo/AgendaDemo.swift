import Agora
import AgoraStore
import Foundation
import PostgresClient

/// The demo's agenda: the review hearing over two days in three rooms of the Palais des
/// Nations, its speakers taken from the approved slate, published as a provisional programme
/// and then revised (a panel moves, a side event is cancelled), so `make run` shows versions,
/// a computed change log, and every export.
struct AgendaDemo {
    let pool: PostgresConnectionPool
    let actor = Actor.commandLine

    func run(hearing: UUID) async throws {
        let store = AgendaStore(pool: pool)
        guard let forum = try await ForumStore(pool: pool).forum(hearing), let venue = forum.venue.id else {
            throw DemoData.Refused(description: "no review hearing")
        }
        let venues = VenueStore(pool: pool)
        var rooms: [UUID] = []
        for (name, capacity, access) in [("Room XX", 750, "Step-free; hearing loop; interpretation booths"),
                                         ("Room XVII", 320, "Step-free; interpretation booths"), ("Room XXIII", 80, "Lift to floor 3")] {
            guard let room = try await venues.addRoom(to: venue, Room.Fields(name: name, capacity: capacity, accessibility: access), by: actor, requestID: "demo") else {
                throw DemoData.Refused(description: "no venue for rooms")
            }
            rooms.append(room.id)
        }
        // The approved slate's speakers, confirmed speakers first, then in the solver's order.
        let speakers = try await pool.query("""
            SELECT n.person_id FROM slate s JOIN slate_speaker ss ON ss.slate_id = s.id JOIN nomination n ON n.id = ss.nomination_id
            WHERE s.forum_id = \(hearing) AND s.status = 'approved' AND ss.state IN ('chosen', 'confirmed') ORDER BY ss.state = 'confirmed' DESC, ss.place
            """).map { try $0.decode("person_id", as: UUID.self) }
        guard speakers.count >= 8 else { throw DemoData.Refused(description: "the slate has \(speakers.count) speakers") }

        func session(_ title: String, _ format: SessionFormat, _ day: String, _ from: String, _ to: String, room: Int,
                     speaking: ArraySlice<UUID> = [], minutes: Int = 8, description: String = "") async throws -> UUID {
            var fields = AgendaSession.Fields()
            fields.title = title
            fields.format = format
            fields.startsAt = try VenueTime.instant(date: day, time: from, timeZone: forum.venue.timeZone)
            fields.endsAt = try VenueTime.instant(date: day, time: to, timeZone: forum.venue.timeZone)
            fields.room = rooms[room]
            fields.description = description
            fields.languages = ["en", "fr"]
            fields.interpretation = format == .break ? [] : ["ar", "es", "ru", "zh"]
            guard let created = try await store.createSession(in: hearing, fields, by: actor, requestID: "demo") else {
                throw DemoData.Refused(description: "no hearing for sessions")
            }
            if !speaking.isEmpty {
                _ = try await store.setSpeakers(of: created.id, speaking.map { SpeakerPlace(person: $0, minutes: minutes) },
                                                expectedVersion: nil, by: actor, requestID: "demo")
            }
            return created.id
        }

        _ = try await session("Opening of the hearing", .plenary, "2027-04-20", "10:00", "10:30", room: 0,
                              description: "The Vice-President of the Council opens the hearing on paying kiosk operators.")
        _ = try await session("Interactive dialogue: what kiosk operators earn", .interactiveDialogue, "2027-04-20", "10:30", "12:00", room: 0,
                              speaking: speakers[0..<5])
        _ = try await session("Lunch", .break, "2027-04-20", "12:00", "14:00", room: 0)
        let panel = try await session("Panel: financing water points", .panel, "2027-04-20", "14:00", "15:30", room: 1,
                                      speaking: speakers[5..<8], minutes: 12)
        let sideEvent = try await session("Side event: data from the settlements", .sideEvent, "2027-04-20", "15:30", "17:00", room: 2,
                                          description: "Hosted by the Hydrology Institutes Network.")
        _ = try await session("Interactive dialogue: recommendations to the Council", .interactiveDialogue, "2027-04-21", "10:00", "12:00", room: 0,
                              speaking: speakers[8...], minutes: 10)
        _ = try await session("Side event: kiosk cooperatives", .sideEvent, "2027-04-21", "10:00", "11:30", room: 1,
                              description: "Hosted by the Kiosk Operators' Union.")
        _ = try await session("Closing of the hearing", .plenary, "2027-04-21", "12:00", "13:00", room: 0)
        _ = try await store.publish(hearing, name: "Provisional programme", comment: "Speakers from the approved slate.", by: actor, requestID: "demo")

        // The revision: the panel moves to the smaller room after the side event's slot, which is cancelled.
        _ = try await store.cancelSession(sideEvent, by: actor, requestID: "demo")
        var moved = AgendaSession.Fields()
        moved.room = rooms[2]
        moved.startsAt = try VenueTime.instant(date: "2027-04-20", time: "15:30", timeZone: forum.venue.timeZone)
        moved.endsAt = try VenueTime.instant(date: "2027-04-20", time: "17:00", timeZone: forum.venue.timeZone)
        _ = try await store.updateSession(panel, moved, expectedVersion: nil, by: actor, requestID: "demo")
        _ = try await store.publish(hearing, name: "Revised programme", comment: "The side event is cancelled; the panel moves to Room XXIII.",
                                    by: actor, requestID: "demo")
    }
}
