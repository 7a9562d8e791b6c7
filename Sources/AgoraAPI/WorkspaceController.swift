import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// Workspace for civil society (DESIGN §4): the secretariat offers rooms of the forum's venue;
/// organisations' contacts book them for their own organisation (the secretariat for any);
/// everyone sees the offer and a free/busy grid, never who booked.
struct WorkspaceController {
    let store: WorkspaceStore
    let forums: ForumStore
    let idempotency: Idempotency

    static let offerFields: Set<String> = ["rooms", "bookingOpensAt", "bookingClosesAt", "slotMinutes", "maxBookingMinutes",
                                           "maxDailyMinutes", "priorityWindow"]
    static let bookingFields: Set<String> = ["room", "organisation", "startsAt", "endsAt", "attendees"]

    func addRoutes(to routes: AccessControlledRoutes) {
        let forumRoutes = routes.group("/forums")

        forumRoutes.get(":id/workspaces", rule: .everyone) { _, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            guard let offer = try await store.offer(forum: forum.id) else { throw Refusal.notFound("This forum offers no workspace.") }
            return try versionedAnswer(offer, version: offer.version)
        }

        forumRoutes.put(":id/workspaces", rule: .roles([.secretariat])) { request, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: Self.offerFields)
            let fields = Self.readOffer(&reader, timeZone: forum.venue.timeZone)
            try reader.check()
            let offer = try await store.setOffer(forum: forum.id, fields!, expectedVersion: try EntityTag.expectedVersion(request),
                                                 by: context.actor, requestID: context.requestID)
            return try versionedAnswer(offer, version: offer.version)
        }

        forumRoutes.get(":id/workspaces/availability", rule: .everyone) { request, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            guard let text = request.uri.queryParameters["date"].map(String.init), let day = VenueClock.day(text) else {
                throw Refusal(.invalidQuery, "`date` is required: a date YYYY-MM-DD at the venue.")
            }
            guard let found = try await store.availability(forum: forum.id, day: day) else {
                throw Refusal.notFound("This forum offers no workspace.")
            }
            guard found.forumDays.contains(day) else {
                throw Refusal(.invalidQuery, "`date` must be one of the forum's days, \(VenueClock.date(day: found.forumDays.lowerBound)) to \(VenueClock.date(day: found.forumDays.upperBound)).")
            }
            return try APIJSON.response(Availability(offer: found.offer, date: VenueClock.date(day: day), rooms: found.rooms))
        }

        forumRoutes.post(":id/workspace-bookings", rule: .roles([.secretariat, .organisation])) { request, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: Self.bookingFields)
            return try await idempotency.run(request, body: body, context: context, answer: { (booking: WorkspaceBooking) in
                try JSONAnswer(booking, status: .created, headers: [
                    .location: "/workspace-bookings/\(booking.id.uuidString)", .eTag: EntityTag.header(version: booking.version),
                ])
            }) {
                var reader = reader
                let room = reader.uuid("room", required: true)
                let organisation = reader.uuid("organisation", required: true)
                let startsAt = ForumController.readTime(&reader, "startsAt", required: true, timeZone: forum.venue.timeZone)
                let endsAt = ForumController.readTime(&reader, "endsAt", required: true, timeZone: forum.venue.timeZone)
                let attendees = reader.integer("attendees", in: 1...100_000, required: true)
                try reader.check()
                return try await store.book(
                    WorkspaceStore.BookingRequest(forum: forum.id, room: room!, organisation: organisation!, startsAt: startsAt!, endsAt: endsAt!, attendees: attendees!),
                    within: Self.scope(context.actor), now: Date(), by: context.actor, requestID: context.requestID)
            }
        }

        forumRoutes.get(":id/workspace-bookings", rule: .roles([.secretariat, .organisation])) { request, context in
            let forum = try await forums.visibleForum(try context.pathID(), to: context.actor)
            let page = try PageRequest(request)
            let after = try page.cursor.map { try Cursor.decode($0, as: WorkspaceStore.BookingPosition.self) }
            let found = try await store.bookings(forum: forum.id, within: Self.scope(context.actor), limit: page.limit + 1, after: after)
            return try APIJSON.response(Page(fetched: found, limit: page.limit) { WorkspaceStore.BookingPosition(at: $0.startsAt, id: $0.id) })
        }

        let bookings = routes.group("/workspace-bookings")

        bookings.get(":id", rule: .roles([.secretariat, .organisation])) { _, context in
            guard let booking = try await store.booking(try context.pathID(), within: Self.scope(context.actor)) else { throw Refusal.notFound() }
            return try versionedAnswer(booking, version: booking.version)
        }

        bookings.delete(":id", rule: .roles([.secretariat, .organisation])) { _, context in
            let booking = try await store.cancel(try context.pathID(), within: Self.scope(context.actor), now: Date(),
                                                 by: context.actor, requestID: context.requestID)
            return try versionedAnswer(booking, version: booking.version)
        }

        bookings.post(":id/check-in", rule: .roles([.secretariat, .organisation])) { _, context in
            let booking = try await store.checkIn(try context.pathID(), within: Self.scope(context.actor), now: Date(),
                                                  by: context.actor, requestID: context.requestID)
            return try versionedAnswer(booking, version: booking.version)
        }
    }

    /// The organisations the caller books for: nil (any) for the secretariat, else its own.
    static func scope(_ actor: Actor) -> Set<UUID>? {
        actor.has(.secretariat) ? nil : actor.organisations
    }

    /// The offer's fields; rules left out take DESIGN §4's defaults.
    static func readOffer(_ reader: inout FieldReader, timeZone: String) -> WorkspaceStore.OfferFields? {
        var rooms: [UUID] = []
        switch reader.fields["rooms"] {
        case .array(let items)? where items.count <= 200:
            for (index, item) in items.enumerated() {
                guard case .string(let text) = item, let id = UUID(uuidString: text) else {
                    reader.errors.append(.init(field: "rooms[\(index)]", message: "must be a room id (UUID)"))
                    continue
                }
                if !rooms.contains(id) { rooms.append(id) }
            }
        default:
            reader.errors.append(.init(field: "rooms", message: "is required: a list of up to 200 room ids"))
        }
        let opens = ForumController.readTime(&reader, "bookingOpensAt", required: true, timeZone: timeZone)
        let closes = ForumController.readTime(&reader, "bookingClosesAt", required: true, timeZone: timeZone)
        if let opens, let closes, closes <= opens {
            reader.errors.append(.init(field: "bookingClosesAt", message: "must be after bookingOpensAt"))
        }
        var rules = WorkspaceRules()
        if let slot = reader.integer("slotMinutes", in: 1...60) {
            if WorkspaceRules.slotLengths.contains(slot) {
                rules.slotMinutes = slot
            } else {
                reader.errors.append(.init(field: "slotMinutes", message: "must be one of " + WorkspaceRules.slotLengths.map(String.init).joined(separator: ", ")))
            }
        }
        if let minutes = reader.integer("maxBookingMinutes", in: 15...1440) { rules.maxBookingMinutes = minutes }
        if let minutes = reader.integer("maxDailyMinutes", in: 15...1440) { rules.maxDailyMinutes = minutes }
        for (name, value) in [("maxBookingMinutes", rules.maxBookingMinutes), ("maxDailyMinutes", rules.maxDailyMinutes)] where value % rules.slotMinutes != 0 {
            reader.errors.append(.init(field: name, message: "must be whole \(rules.slotMinutes)-minute slots"))
        }
        var window: PriorityWindow?
        switch reader.fields["priorityWindow"] {
        case nil, .null?:
            break
        case .object(let fields)? where Set(fields.keys).isSubset(of: ["hours", "underRepresented"]):
            var inner = FieldReader(fields: fields)
            let hours = inner.integer("hours", in: 1...720, required: true)
            var codes: [String] = []
            switch fields["underRepresented"] {
            case nil, .null?:
                break
            case .array(let items)? where items.count <= 50:
                for (index, item) in items.enumerated() {
                    guard case .string(let code) = item, (1...40).contains(code.count) else {
                        inner.errors.append(.init(field: "underRepresented[\(index)]", message: "must be a constituency code"))
                        continue
                    }
                    if !codes.contains(code) { codes.append(code) }
                }
            default:
                inner.errors.append(.init(field: "underRepresented", message: "must be a list of constituency codes"))
            }
            reader.errors += inner.errors.map { FieldProblem(field: "priorityWindow." + $0.field, message: $0.message) }
            if let hours { window = PriorityWindow(hours: hours, underRepresented: codes) }
        default:
            reader.errors.append(.init(field: "priorityWindow", message: "must be {\"hours\": 1 to 720, \"underRepresented\": [constituency codes]}, or null"))
        }
        guard let opens, let closes else { return nil }
        return WorkspaceStore.OfferFields(rooms: rooms, bookingOpensAt: opens, bookingClosesAt: closes, rules: rules, priorityWindow: window)
    }

    /// A day's free/busy grid: slots in the venue's local time (with its offset, which tells a
    /// daylight-saving day's repeated hour apart).
    struct Availability: Encodable {
        struct Slot: Encodable {
            var startsAt: String
            var endsAt: String
            var busy: Bool
        }
        struct RoomDay: Encodable {
            var room: WorkspaceRoom
            var slots: [Slot]
        }
        var forum: UUID
        var date: String
        var timeZone: String
        var slotMinutes: Int
        var rooms: [RoomDay]

        init(offer: WorkspaceOffer, date: String, rooms: [WorkspaceStore.DayGrid]) {
            forum = offer.forum
            self.date = date
            timeZone = offer.timeZone
            slotMinutes = offer.rules.slotMinutes
            self.rooms = rooms.map { grid in
                RoomDay(room: grid.room, slots: grid.slots.map {
                    Slot(startsAt: VenueTime.local($0.startsAt, timeZone: offer.timeZone) ?? ISOInstant.string($0.startsAt),
                         endsAt: VenueTime.local($0.endsAt, timeZone: offer.timeZone) ?? ISOInstant.string($0.endsAt), busy: $0.busy)
                })
            }
        }
    }
}
