import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// Forums of an issue. The public reads announced forums; drafts are for the secretariat and
/// the bureau. The secretariat creates forums and moves them through their statuses.
struct ForumController {
    let store: ForumStore
    let venues: VenueStore
    let proceedings: ProceedingsStore
    let idempotency: Idempotency

    /// A forum as the API shows it: instants in UTC, and how they read at the venue.
    struct ForumView: Encodable, Sendable {
        var forum: Forum
        var local: [String: String]

        init(_ forum: Forum) {
            self.forum = forum
            var local: [String: String] = [:]
            local["startsAt"] = VenueTime.local(forum.startsAt, timeZone: forum.venue.timeZone)
            local["endsAt"] = VenueTime.local(forum.endsAt, timeZone: forum.venue.timeZone)
            if let deadline = forum.nominationsDeadline {
                local["nominationsDeadline"] = VenueTime.local(deadline, timeZone: forum.venue.timeZone)
            }
            self.local = local
        }

        func encode(to encoder: any Encoder) throws {
            try forum.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(local, forKey: .local)
        }

        enum Key: String, CodingKey { case local }
    }

    static let fields: Set<String> = ["kind", "title", "venue", "startsAt", "endsAt", "nominationsDeadline",
                                      "speakingSlots", "speakingMinutes", "participantCap", "chair"]

    func addRoutes(to routes: AccessControlledRoutes) {
        let issues = routes.group("/issues")
        let forums = routes.group("/forums")

        addOutcomeRoutes(to: routes)

        issues.get(":id/forums", rule: .everyone) { _, context in
            let forums = try await store.forums(of: try context.pathID(), includeDrafts: true)
                .filter { Visibility.seesForum(status: $0.status, issueReportsTo: $0.issueReportsTo, viewer: context.actor) }
            return try APIJSON.response(Page(items: forums.map(ForumView.init), next: nil))
        }

        forums.get(":id", rule: .everyone) { _, context in
            let forum = try await store.visibleForum(try context.pathID(), to: context.actor)
            return try APIJSON.response(ForumView(forum), headers: [.eTag: EntityTag.header(version: forum.version)])
        }

        issues.post(":id/forums", rule: .roles([.secretariat])) { request, context in
            let issue = try context.pathID()
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: Self.fields)
            return try await idempotency.run(request, body: body, context: context, answer: { (created: Forum?) in
                guard let created else { throw Refusal.notFound("There is no such issue.") }
                return try JSONAnswer(ForumView(created), status: .created, headers: [
                    .location: "/forums/\(created.id.uuidString)", .eTag: EntityTag.header(version: created.version),
                ])
            }) {
                var reader = reader
                let forum = Self.readForum(&reader, issue: issue, referenced: try await venueReference(reader))
                try reader.check()
                return try await store.create(forum!, by: context.actor, requestID: context.requestID)
            }
        }

        forums.patch(":id", rule: .roles([.secretariat])) { request, context in
            guard let current = try await store.forum(try context.pathID()) else { throw Refusal.notFound() }
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: Forum.editableFields)
            let changes = Self.readChanges(&reader, current: current, referenced: try await venueReference(reader))
            try reader.check()
            let expected = try EntityTag.expectedVersion(request)
            let outcome = try await store.update(current.id, changes, expectedVersion: expected, by: context.actor, requestID: context.requestID)
            return try versionedAnswer(ForumView(outcome), version: outcome.version)
        }

        forums.post(":id/status", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["to"])
            let target = reader.string("to", required: true, maxLength: 40).flatMap(ForumStatus.init(rawValue:))
            if target == nil && reader.errors.isEmpty {
                reader.errors.append(.init(field: "to", message: "must be one of " + ForumStatus.allCases.map(\.rawValue).joined(separator: ", ")))
            }
            try reader.check()
            let forum = try await store.changeStatus(id, to: target!, by: context.actor, requestID: context.requestID)
            return try versionedAnswer(ForumView(forum), version: forum.version)
        }
    }

    /// `POST /forums/{id}/outcome`: concludes a held forum with the outcome its kind records.
    /// `GET` shows it: to everyone once concluded, except a hearing's proceedings, which the
    /// public reads once transmitted to the intergovernmental body.
    func addOutcomeRoutes(to routes: AccessControlledRoutes) {
        let forums = routes.group("/forums")

        forums.post(":id/outcome", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            guard let forum = try await store.forum(id) else { throw Refusal.notFound() }
            let (required, optional) = ForumOutcome.fields(for: forum.kind)
            let (reader, _) = try await FieldReader.read(request, context: context, accepted: required.union(optional))
            let outcome = try ForumOutcome(kind: forum.kind, json: reader.fields)
            let concluded = try await store.conclude(id, outcome: outcome, by: context.actor, requestID: context.requestID)
            return try versionedAnswer(ForumView(concluded), version: concluded.version)
        }
        forums.get(":id/outcome", rule: .everyone) { _, context in
            let id = try context.pathID()
            guard let (forum, outcome) = try await store.outcome(id) else { throw Refusal.notFound("This forum has no outcome yet.") }
            if forum.kind == .hearing, !Visibility.seesProceedings(transmitted: try await proceedings.transmission(id) != nil, issueReportsTo: forum.issueReportsTo, viewer: context.actor) {
                throw Refusal.notFound("A hearing's proceedings are public once transmitted.")
            }
            return try APIJSON.response(outcome.publicJSON)
        }
    }



    /// Reads a new forum; times are instants (`…Z` or with an offset) or venue-local readings
    /// (`2027-03-28T17:00`), converted with the venue's time zone.
    static func readForum(_ reader: inout FieldReader, issue: UUID, referenced: Forum.Venue?) -> Forum? {
        let kind = reader.string("kind", required: true, maxLength: 20).flatMap { text -> ForumKind? in
            guard let kind = ForumKind(rawValue: text) else {
                reader.errors.append(.init(field: "kind", message: "must be one of " + ForumKind.allCases.map(\.rawValue).joined(separator: ", ")))
                return nil
            }
            return kind
        }
        let title = reader.string("title", required: true)
        let venue = referenced ?? readVenue(&reader)
        let startsAt = readTime(&reader, "startsAt", required: true, timeZone: venue?.timeZone)
        let endsAt = readTime(&reader, "endsAt", required: true, timeZone: venue?.timeZone)
        let deadline = readTime(&reader, "nominationsDeadline", required: false, timeZone: venue?.timeZone)
        if let startsAt, let endsAt, endsAt <= startsAt {
            reader.errors.append(.init(field: "endsAt", message: "must be after startsAt"))
        }
        let slots = reader.integer("speakingSlots", in: 1...100_000)
        let minutes = reader.integer("speakingMinutes", in: 1...100_000)
        var cap = reader.integer("participantCap", in: 1...100_000)
        let chair = reader.string("chair")
        if kind == .hearing && chair == nil {
            reader.errors.append(.init(field: "chair", message: "a hearing is chaired by a named official"))
        }
        if kind == .roundTable && cap == nil { cap = Forum.defaultRoundTableCap }
        guard let kind, let title, let venue, let startsAt, let endsAt, reader.errors.isEmpty else { return nil }
        return Forum(id: UUID(), issue: issue, kind: kind, title: title, venue: venue, startsAt: startsAt, endsAt: endsAt,
                     nominationsDeadline: deadline, speakingSlots: slots, speakingMinutes: minutes, participantCap: cap,
                     chair: chair, status: .draft, version: 1)
    }
}

extension ForumController {
    /// A venue named by its id (`{"id": …}`), read as that venue, so local times read in its
    /// zone; nil when the venue is given by its fields (or not at all).
    func venueReference(_ reader: FieldReader) async throws -> Forum.Venue? {
        guard case .object(let fields)? = reader.fields["venue"], let id = fields["id"] else { return nil }
        guard fields.count == 1, case .string(let text) = id, let uuid = UUID(uuidString: text) else {
            throw Refusal.invalid("venue.id", "must be a venue's id, given alone (or give name, city, country and timeZone instead)")
        }
        guard let venue = try await venues.venue(uuid) else { throw Refusal.invalid("venue.id", "is not a known venue") }
        return Forum.Venue(id: venue.id, name: venue.name, city: venue.city, country: venue.country, timeZone: venue.timeZone)
    }

    /// A venue `{name, city, country, timeZone}` (found by name and city, or made); an error when absent or invalid.
    static func readVenue(_ reader: inout FieldReader) -> Forum.Venue? {
        guard case .object(let fields)? = reader.fields["venue"] else {
            reader.errors.append(.init(field: "venue", message: "is required: {name, city, country, timeZone}"))
            return nil
        }
        // Read as a venue of /venues is read, field by field.
        var venueReader = FieldReader(fields: fields)
        let place = VenueController.readFields(&venueReader, required: true)
        let unknown = fields.keys.filter { !VenueController.fields.contains($0) }.sorted()
        venueReader.errors += unknown.map { .init(field: $0, message: "unknown field") }
        reader.errors += venueReader.errors.map { .init(field: "venue.\($0.field)", message: $0.message) }
        guard let name = place.name, let city = place.city, let country = place.country, let zone = place.timeZone,
              venueReader.errors.isEmpty else { return nil }
        return Forum.Venue(name: name, city: city, country: country, timeZone: zone)
    }

    /// An instant (`…Z` or with an offset), or a venue-local reading (`2027-03-28T17:00`)
    /// converted with `timeZone`.
    static func readTime(_ reader: inout FieldReader, _ name: String, required: Bool, timeZone: String?) -> Date? {
        guard let text = reader.string(name, required: required, maxLength: 40) else { return nil }
        if let instant = wholeSecondInstant(text) { return instant }
        // A reading of the venue's clock (2027-03-28T17:00) before the formatter, which costs more.
        let parts = text.split(separator: "T")
        if parts.count == 2, let timeZone, let instant = try? VenueTime.instant(date: String(parts[0]), time: String(parts[1]), timeZone: timeZone) {
            return instant
        }
        if let instant = ISO8601DateFormatter().date(from: text) { return instant }
        reader.errors.append(.init(field: name, message: "must be an ISO 8601 time, with an offset or in the venue's local time"))
        return nil
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` or with an offset `±HH:MM`, read without a Foundation formatter
    /// (making one costs more than a booking's own work); nil for anything else, which the
    /// formatter then reads as before.
    static func wholeSecondInstant(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        // Upper-case Z or an offset, and no leap second: what the formatter takes, read faster.
        guard bytes.count == 20 || bytes.count == 25, bytes[10] == UInt8(ascii: "T"),
              [UInt8(ascii: "Z"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[19]), bytes[17] < UInt8(ascii: "6"),
              let seconds = InternetTime.seconds(text) else { return nil }
        // InternetTime takes any day 1 to 31: the day must exist in its month.
        let year = Int(String(decoding: bytes[0..<4], as: UTF8.self)) ?? 0, month = Int(String(decoding: bytes[5..<7], as: UTF8.self)) ?? 0
        let day = Int(String(decoding: bytes[8..<10], as: UTF8.self)) ?? 0
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard year >= 1, (1...12).contains(month), day <= lengths[month - 1] else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    /// The fields of a forum PATCH; times without an offset read in the (new or current) venue's zone.
    static func readChanges(_ reader: inout FieldReader, current: Forum, referenced: Forum.Venue?) -> Forum.Changes {
        var changes = Forum.Changes()
        reader.refuseNulls(["title", "venue", "startsAt", "endsAt"])
        if reader.has("title") { changes.title = reader.string("title", required: true) }
        if reader.has("venue"), reader.fields["venue"] != .null { changes.venue = referenced ?? readVenue(&reader) }
        let zone = changes.venue?.timeZone ?? current.venue.timeZone
        if reader.has("startsAt") { changes.startsAt = readTime(&reader, "startsAt", required: true, timeZone: zone) }
        if reader.has("endsAt") { changes.endsAt = readTime(&reader, "endsAt", required: true, timeZone: zone) }
        if reader.has("nominationsDeadline") {
            changes.nominationsDeadline = reader.fields["nominationsDeadline"] == .null
                ? .some(nil) : readTime(&reader, "nominationsDeadline", required: true, timeZone: zone).map { .some($0) }
        }
        for (name, path) in [("speakingSlots", \Forum.Changes.speakingSlots), ("speakingMinutes", \.speakingMinutes), ("participantCap", \.participantCap)] {
            guard reader.has(name) else { continue }
            changes[keyPath: path] = reader.fields[name] == .null ? .some(nil) : reader.integer(name, in: 1...100_000).map { .some($0) }
        }
        if reader.has("chair") { changes.chair = reader.fields["chair"] == .null ? .some(nil) : reader.string("chair").map { .some($0) } }
        return changes
    }
}

extension ForumStore {
    /// A forum `actor` may read, else 404: drafts only for the secretariat and the bureau. The
    /// forum's sub-resources (participants, partners, nominations, slate) answer through it.
    func visibleForum(_ id: UUID, to actor: Actor) async throws -> Forum {
        guard let forum = try await forum(id), Visibility.seesForum(status: forum.status, issueReportsTo: forum.issueReportsTo, viewer: actor) else { throw Refusal.notFound() }
        return forum
    }
}
