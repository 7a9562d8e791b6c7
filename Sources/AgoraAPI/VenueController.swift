import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// `/venues`: public to read; the secretariat creates and changes venues and adds their rooms.
struct VenueController {
    let store: VenueStore
    let idempotency: Idempotency

    static let fields: Set<String> = ["name", "city", "country", "timeZone"]
    static let roomFields: Set<String> = ["name", "capacity", "accessibility", "bookable", "equipment", "openingHours"]

    func addRoutes(to routes: AccessControlledRoutes) {
        let venues = routes.group("/venues")

        venues.get("", rule: .everyone) { request, _ in
            let page = try PageRequest(request)
            let after = try page.cursor.map { try Cursor.decode($0, as: NamePosition.self) }
            let found = try await store.list(limit: page.limit + 1, after: after)
            return try APIJSON.response(Page(fetched: found, limit: page.limit) { NamePosition(name: $0.name, id: $0.id) })
        }

        venues.get(":id", rule: .everyone) { _, context in
            guard let venue = try await store.venue(try context.pathID()) else { throw Refusal.notFound() }
            return try versionedAnswer(venue, version: venue.version)
        }

        venues.post("", rule: .roles([.secretariat])) { request, context in
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: Self.fields)
            return try await idempotency.run(request, body: body, context: context, answer: { (venue: Venue) in
                try JSONAnswer(venue, status: .created, headers: [
                    .location: "/venues/\(venue.id.uuidString)", .eTag: EntityTag.header(version: venue.version),
                ])
            }) {
                var reader = reader
                let fields = Self.readFields(&reader, required: true)
                try reader.check()
                return try await store.create(fields, by: context.actor, requestID: context.requestID)
            }
        }

        venues.patch(":id", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: Self.fields)
            let fields = Self.readFields(&reader, required: false)
            try reader.check()
            let venue = try await store.update(id, fields, expectedVersion: try EntityTag.expectedVersion(request),
                                               by: context.actor, requestID: context.requestID)
            return try versionedAnswer(venue, version: venue.version)
        }

        venues.get(":id/rooms", rule: .everyone) { request, context in
            guard let rooms = try await store.rooms(of: try context.pathID()) else { throw Refusal.notFound() }
            return try APIJSON.response(try Page(slicing: rooms, try PageRequest(request), key: \.id.uuidString))
        }

        venues.post(":id/rooms", rule: .roles([.secretariat])) { request, context in
            let venue = try context.pathID()
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: Self.roomFields)
            return try await idempotency.run(request, body: body, context: context, answer: { (room: Room?) in
                guard let room else { throw Refusal.notFound() }
                return try JSONAnswer(room, status: .created)
            }) {
                var reader = reader
                let fields = Self.readRoomFields(&reader, required: true)
                try reader.check()
                return try await store.addRoom(to: venue, fields, by: context.actor, requestID: context.requestID)
            }
        }

        routes.get("/rooms/:id", rule: .everyone) { _, context in
            guard let room = try await store.room(try context.pathID()) else { throw Refusal.notFound() }
            return try APIJSON.response(room)
        }

        routes.patch("/rooms/:id", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: Self.roomFields)
            let fields = Self.readRoomFields(&reader, required: false)
            try reader.check()
            return try APIJSON.response(try await store.updateRoom(id, fields, by: context.actor, requestID: context.requestID))
        }
    }

    /// A room's fields: name and capacity are required when adding one; when changing, those
    /// given are read (none may be null).
    static func readRoomFields(_ reader: inout FieldReader, required: Bool) -> Room.Fields {
        if !required { reader.refuseNulls(Array(roomFields)) }
        // A null was refused above: only values given are read.
        let values = reader.fields
        let given = { (name: String) in values[name] != nil && values[name] != .null }
        var fields = Room.Fields()
        if required || given("name") { fields.name = reader.string("name", required: true, maxLength: 200) }
        if required || given("capacity") { fields.capacity = reader.integer("capacity", in: 1...100_000, required: true) }
        if given("accessibility") {
            // Empty text says there is nothing to add.
            fields.accessibility = reader.fields["accessibility"] == .string("") ? "" : reader.string("accessibility", maxLength: 2000)
        }
        fields.bookable = reader.bool("bookable")
        if let value = reader.fields["equipment"], value != .null {
            if case .array(let items) = value, items.count <= Equipment.allCases.count * 2 {
                var equipment: [Equipment] = []
                for (index, item) in items.enumerated() {
                    guard case .string(let text) = item, let kind = Equipment(rawValue: text) else {
                        reader.errors.append(.init(field: "equipment[\(index)]", message: "must be one of " + Equipment.allCases.map(\.rawValue).joined(separator: ", ")))
                        continue
                    }
                    if !equipment.contains(kind) { equipment.append(kind) }
                }
                fields.equipment = equipment
            } else {
                reader.errors.append(.init(field: "equipment", message: "must be a list of: " + Equipment.allCases.map(\.rawValue).joined(separator: ", ")))
            }
        }
        if let value = reader.fields["openingHours"], value != .null {
            fields.openingHours = readOpeningHours(value, errors: &reader.errors)
        }
        return fields
    }

    /// `{"monday": {"opens": "09:00", "closes": "18:00"}, …}`.
    static func readOpeningHours(_ value: JSONValue, errors: inout [FieldProblem]) -> OpeningHours? {
        guard case .object(let days) = value else {
            errors.append(.init(field: "openingHours", message: "must be an object of weekdays, each {\"opens\": \"HH:MM\", \"closes\": \"HH:MM\"}"))
            return nil
        }
        var spans: [String: OpeningHours.Span] = [:]
        for (day, hours) in days.sorted(by: { $0.key < $1.key }) {
            guard case .object(let fields) = hours, case .string(let opens)? = fields["opens"], case .string(let closes)? = fields["closes"],
                  fields.count == 2 else {
                errors.append(.init(field: "openingHours.\(day)", message: "must be {\"opens\": \"HH:MM\", \"closes\": \"HH:MM\"}"))
                continue
            }
            spans[day] = OpeningHours.Span(opens: opens, closes: closes)
        }
        let problems = OpeningHours.problems(spans)
        errors.append(contentsOf: problems)
        return problems.isEmpty ? OpeningHours(spans) : nil
    }

    /// A venue's fields: all four when creating; when changing, those given (none may be null).
    static func readFields(_ reader: inout FieldReader, required: Bool) -> Venue.Fields {
        if !required { reader.refuseNulls(Array(fields)) }
        // Creating reads every field (a missing or null one "is required"); a change reads those given.
        let given = reader.fields
        let wanted = { (name: String) in required || (given[name] != nil && given[name] != .null) }
        var fields = Venue.Fields()
        if wanted("name") { fields.name = reader.string("name", required: true) }
        if wanted("city") { fields.city = reader.string("city", required: true, maxLength: 200) }
        if wanted("country") {
            fields.country = reader.string("country", required: true, maxLength: 2)?.uppercased()
            if let country = fields.country, !country.allSatisfy({ $0.isASCII && $0.isLetter }) || country.count != 2 {
                reader.errors.append(.init(field: "country", message: "must be an ISO 3166-1 alpha-2 code"))
            }
        }
        if wanted("timeZone") {
            let zone = reader.string("timeZone", required: true, maxLength: 64)
            // Stored as the zone's own name, so one zone is never spelt two ways.
            fields.timeZone = zone.flatMap { TimeZone(identifier: $0)?.identifier }
            if zone != nil, fields.timeZone == nil {
                reader.errors.append(.init(field: "timeZone", message: "must be an IANA time zone such as Europe/Zurich"))
            }
        }
        return fields
    }
}
