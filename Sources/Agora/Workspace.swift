import Foundation

// Workspace for civil society (DESIGN §4; the report, ¶145): rooms with computers and Internet
// at every meeting, booked by organisations in whole slots. The rules here are plain functions
// of the offer, the room, the venue's zone and the time, so they are tested without a database.

/// What a room has for people working in it.
public enum Equipment: String, Codable, Sendable, CaseIterable {
    case computers, internet, projector, printer
    case interpretationBooths = "interpretation_booths"
}

/// The hours a room is open on each weekday, in the venue's time zone. A day not named is
/// closed. Times are `HH:MM`; `closes` may be `24:00`.
public struct OpeningHours: Codable, Sendable, Equatable {
    /// One day's hours, as minutes after local midnight.
    public struct Span: Codable, Sendable, Equatable {
        public let opens: String
        public let closes: String
        /// Minutes after midnight of `opens` (read once: slots ask for it hundreds of times).
        public let opening: Int
        /// Minutes after midnight of `closes`.
        public let closing: Int

        public init(opens: String, closes: String) {
            self.opens = opens
            self.closes = closes
            opening = Self.minutes(opens) ?? 0
            closing = Self.minutes(closes) ?? 0
        }

        enum CodingKeys: String, CodingKey { case opens, closes }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(opens: try container.decode(String.self, forKey: .opens), closes: try container.decode(String.self, forKey: .closes))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(opens, forKey: .opens)
            try container.encode(closes, forKey: .closes)
        }

        /// `HH:MM` (00:00 to 24:00) as minutes, nil when it is not one.
        public static func minutes(_ text: String) -> Int? {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { ("0"..."9").contains($0) } }),
                  let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...24).contains(hours), (0...59).contains(minutes) else { return nil }
            let total = hours * 60 + minutes
            return total <= 1440 ? total : nil
        }
    }

    /// The weekdays' names as the API writes them, Monday first (ISO 8601 numbering from 1).
    public static let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// Weekday name → hours.
    public var days: [String: Span]

    public init(_ days: [String: Span] = [:]) {
        self.days = days
    }

    public init(from decoder: any Decoder) throws {
        days = try [String: Span](from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try days.encode(to: encoder)
    }

    /// The hours of ISO weekday `weekday` (1 = Monday), nil when closed.
    public func hours(weekday: Int) -> Span? {
        guard (1...7).contains(weekday) else { return nil }
        return days[Self.weekdays[weekday - 1]]
    }

    /// What is wrong with hours as given, by field path (`openingHours.monday.closes`).
    public static func problems(_ days: [String: Span], field: String = "openingHours") -> [FieldProblem] {
        var problems: [FieldProblem] = []
        for (day, span) in days.sorted(by: { $0.key < $1.key }) {
            guard weekdays.contains(day) else {
                problems.append(FieldProblem(field: "\(field).\(day)", message: "must be a weekday: " + weekdays.joined(separator: ", ")))
                continue
            }
            let opens = Span.minutes(span.opens), closes = Span.minutes(span.closes)
            if opens == nil || opens == 1440 { problems.append(FieldProblem(field: "\(field).\(day).opens", message: "must be a time HH:MM from 00:00 to 23:59")) }
            if closes == nil { problems.append(FieldProblem(field: "\(field).\(day).closes", message: "must be a time HH:MM from 00:01 to 24:00")) }
            if let opens, let closes, closes <= opens {
                problems.append(FieldProblem(field: "\(field).\(day).closes", message: "must be after opens"))
            }
        }
        return problems
    }
}

/// The rules of a forum's workspace. The defaults are DESIGN §4's.
public struct WorkspaceRules: Codable, Sendable, Equatable {
    /// Bookings are made of whole slots of this many minutes, from local midnight.
    public var slotMinutes: Int
    /// The longest booking.
    public var maxBookingMinutes: Int
    /// The most one organisation books for one day (at the venue) of the forum.
    public var maxDailyMinutes: Int

    public init(slotMinutes: Int = 30, maxBookingMinutes: Int = 120, maxDailyMinutes: Int = 240) {
        self.slotMinutes = slotMinutes
        self.maxBookingMinutes = maxBookingMinutes
        self.maxDailyMinutes = maxDailyMinutes
    }

    /// The slot lengths a forum may choose: each divides an hour, so slots stay aligned across
    /// a daylight-saving change of an hour.
    public static let slotLengths = [15, 20, 30, 60]
}

/// The first hours after booking opens, kept for organisations from developing countries or
/// from constituencies the secretariat marks as under-represented at the forum.
public struct PriorityWindow: Codable, Sendable, Equatable {
    /// How long it lasts after booking opens.
    public var hours: Int
    /// Constituency codes.
    public var underRepresented: [String]

    public init(hours: Int, underRepresented: [String]) {
        self.hours = hours
        self.underRepresented = underRepresented
    }
}

/// A room as a forum offers it.
public struct WorkspaceRoom: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var capacity: Int
    public var accessibility: String
    public var equipment: [Equipment]
    public var openingHours: OpeningHours

    public init(id: UUID, name: String, capacity: Int, accessibility: String, equipment: [Equipment], openingHours: OpeningHours) {
        self.id = id
        self.name = name
        self.capacity = capacity
        self.accessibility = accessibility
        self.equipment = equipment
        self.openingHours = openingHours
    }
}

/// A forum's workspace: the rooms it offers, when they can be booked, and the rules.
public struct WorkspaceOffer: Codable, Sendable, Equatable {
    public var forum: UUID
    public var timeZone: String
    public var rooms: [WorkspaceRoom]
    public var bookingOpensAt: Date
    public var bookingClosesAt: Date
    public var rules: WorkspaceRules
    public var priorityWindow: PriorityWindow?
    public var version: Int

    public init(forum: UUID, timeZone: String, rooms: [WorkspaceRoom], bookingOpensAt: Date, bookingClosesAt: Date,
                rules: WorkspaceRules, priorityWindow: PriorityWindow?, version: Int) {
        self.forum = forum
        self.timeZone = timeZone
        self.rooms = rooms
        self.bookingOpensAt = bookingOpensAt
        self.bookingClosesAt = bookingClosesAt
        self.rules = rules
        self.priorityWindow = priorityWindow
        self.version = version
    }

    /// When booking opens for every organisation: after the priority window, if there is one.
    public var opensForEveryoneAt: Date {
        bookingOpensAt.addingTimeInterval(TimeInterval((priorityWindow?.hours ?? 0) * 3600))
    }
}

/// Where a booking stands.
public enum BookingStatus: String, Codable, Sendable, CaseIterable {
    /// Holds the room; to be checked in from 10 minutes before its start.
    case booked
    /// Someone came: it holds the room to its end.
    case checkedIn = "checked_in"
    /// Cancelled by its organisation or the secretariat.
    case cancelled
    /// Not checked in 15 minutes after its start: the room was given back.
    case released

    /// Whether it holds its room.
    public var isActive: Bool { self == .booked || self == .checkedIn }
}

/// An organisation's booking of a room for a time.
public struct WorkspaceBooking: Codable, Sendable, Equatable {
    public var id: UUID
    public var forum: UUID
    public var room: UUID
    public var roomName: String
    public var organisation: UUID
    public var startsAt: Date
    public var endsAt: Date
    public var attendees: Int
    public var status: BookingStatus
    public var checkedInAt: Date?
    public var endedAt: Date?
    public var createdAt: Date
    public var version: Int

    public init(id: UUID, forum: UUID, room: UUID, roomName: String, organisation: UUID, startsAt: Date, endsAt: Date, attendees: Int,
                status: BookingStatus, checkedInAt: Date?, endedAt: Date?, createdAt: Date, version: Int) {
        self.id = id
        self.forum = forum
        self.room = room
        self.roomName = roomName
        self.organisation = organisation
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.attendees = attendees
        self.status = status
        self.checkedInAt = checkedInAt
        self.endedAt = endedAt
        self.createdAt = createdAt
        self.version = version
    }
}

/// A free slot offered instead of one refused: later in the same room, or another room then.
public struct BookingAlternative: Codable, Sendable, Equatable {
    public var room: UUID
    public var roomName: String
    public var startsAt: Date
    public var endsAt: Date

    public init(room: UUID, roomName: String, startsAt: Date, endsAt: Date) {
        self.room = room
        self.roomName = roomName
        self.startsAt = startsAt
        self.endsAt = endsAt
    }
}

/// The times of check-in and release.
public enum CheckIn {
    /// Check-in opens this long before the start.
    public static let opensBefore: TimeInterval = 10 * 60
    /// A booking not checked in this long after its start is released.
    public static let grace: TimeInterval = 15 * 60
}

/// Local time at the venue by arithmetic on the zone's offset: the availability grid and the
/// search for alternatives read hundreds of instants per answer.
public struct VenueClock: Sendable {
    public let zone: TimeZone

    public init?(timeZone identifier: String) {
        guard let zone = VenueTime.zone(identifier) else { return nil }
        self.zone = zone
    }

    /// An instant as the venue reads it: days since 1970-01-01 and minutes after midnight.
    public func local(_ instant: Date) -> (day: Int, minute: Int) {
        let seconds = Int((instant.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: instant))).rounded(.down))
        let day = Int((Double(seconds) / 86_400).rounded(.down))
        return (day, (seconds - day * 86_400) / 60)
    }

    /// The ISO weekday (1 = Monday) of a local day count.
    public static func weekday(day: Int) -> Int {
        ((day + 3) % 7 + 7) % 7 + 1 // 1970-01-01 was a Thursday.
    }

    /// The first instant of local day `day` (midnight, or the first time after it that exists).
    public func startOfDay(_ day: Int) -> Date {
        let guess = Date(timeIntervalSince1970: TimeInterval(day * 86_400))
        // Midnight local is midnight UTC minus the offset then; try the offsets of both sides.
        let candidates = [guess.addingTimeInterval(-86_400), guess.addingTimeInterval(86_400)]
            .map { guess.addingTimeInterval(-TimeInterval(zone.secondsFromGMT(for: $0))) }
        return candidates.filter { local($0).day == day }.min() ?? candidates[0]
    }

    /// `YYYY-MM-DD` of a local day count.
    public static func date(day: Int) -> String {
        let (year, month, dayOfMonth) = ICalendar.civil(daysSince1970: Int64(day))
        return String(format: "%04d-%02d-%02d", Int(year), Int(month), Int(dayOfMonth))
    }

    /// The local day count of `YYYY-MM-DD`, nil when it is not a date.
    public static func day(_ text: String) -> Int? {
        guard let date = CalendarDate(text) else { return nil }
        return ICalendar.days(year: date.year, month: date.month, day: date.day)
    }
}

/// The rules of booking, applied to one request.
public struct BookingRequestCheck: Sendable {
    public let offer: WorkspaceOffer
    public let clock: VenueClock
    /// The forum's first and last day at the venue.
    public let forumDays: ClosedRange<Int>

    public init(offer: WorkspaceOffer, clock: VenueClock, forumDays: ClosedRange<Int>) {
        self.offer = offer
        self.clock = clock
        self.forumDays = forumDays
    }

    /// What is wrong with booking `room` from `start` to `end` for `attendees` at `now`, by
    /// field: whole slots, the length, opening hours, the forum's days, the room's capacity.
    public func problems(room: WorkspaceRoom, start: Date, end: Date, attendees: Int, now: Date) -> [FieldProblem] {
        let slot = offer.rules.slotMinutes
        guard end > start else { return [FieldProblem(field: "endsAt", message: "must be after startsAt")] }
        var problems: [FieldProblem] = []
        let minutes = end.timeIntervalSince(start) / 60
        let (day, minute) = clock.local(start)
        if minute % slot != 0 || start.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) != 0 {
            problems.append(FieldProblem(field: "startsAt", message: "must be the start of a \(slot)-minute slot, counted from midnight at the venue"))
        }
        if minutes.truncatingRemainder(dividingBy: Double(slot)) != 0 {
            problems.append(FieldProblem(field: "endsAt", message: "the booking must last whole \(slot)-minute slots"))
        } else if Int(minutes) > offer.rules.maxBookingMinutes {
            problems.append(FieldProblem(field: "endsAt", message: "a booking lasts at most \(offer.rules.maxBookingMinutes) minutes"))
        }
        if start < currentSlot(now) {
            problems.append(FieldProblem(field: "startsAt", message: "must not be in the past: the earliest start now is \(VenueTime.local(currentSlot(now), timeZone: offer.timeZone) ?? "the current slot")"))
        }
        if !forumDays.contains(day) {
            problems.append(FieldProblem(field: "startsAt", message: "must be within the forum's days, \(VenueClock.date(day: forumDays.lowerBound)) to \(VenueClock.date(day: forumDays.upperBound)) at the venue"))
        } else if !isOpen(room, start: start, end: end) {
            let weekday = OpeningHours.weekdays[VenueClock.weekday(day: day) - 1]
            let hours = room.openingHours.hours(weekday: VenueClock.weekday(day: day))
            problems.append(FieldProblem(field: "startsAt", message: hours.map { "the room is open on \(weekday.capitalized) from \($0.opens) to \($0.closes), venue time" }
                                         ?? "the room is closed on \(weekday.capitalized)s"))
        }
        if attendees > room.capacity {
            problems.append(FieldProblem(field: "attendees", message: "the room holds \(room.capacity)"))
        }
        return problems
    }

    /// The start of the slot `now` falls in: the earliest a booking may start (a booking that
    /// has started is checked in as it is made).
    public func currentSlot(_ now: Date) -> Date {
        let minute = clock.local(now).minute
        let intoSlot = TimeInterval(minute % offer.rules.slotMinutes * 60) + now.timeIntervalSince1970.truncatingRemainder(dividingBy: 60)
        return now.addingTimeInterval(-intoSlot)
    }

    /// Whether `room` is open from `start` to `end`: both on one local day (or the end at the
    /// following midnight), within that weekday's hours.
    public func isOpen(_ room: WorkspaceRoom, start: Date, end: Date) -> Bool {
        let (day, minute) = clock.local(start)
        var (endDay, endMinute) = clock.local(end)
        if endDay == day + 1, endMinute == 0 { (endDay, endMinute) = (day, 1440) }
        guard endDay == day, let hours = room.openingHours.hours(weekday: VenueClock.weekday(day: day)) else { return false }
        return minute >= hours.opening && endMinute <= hours.closing
    }

    /// The slots of local day `day` in `room`: each slot's start, from the first instant of the
    /// day, within opening hours. Stepping by instants, not by wall-clock times, is what keeps a
    /// daylight-saving day right: the skipped hour has no slots and a repeated one has two sets.
    public func slots(of room: WorkspaceRoom, day: Int) -> [Date] {
        guard let hours = room.openingHours.hours(weekday: VenueClock.weekday(day: day)) else { return [] }
        let step = TimeInterval(offer.rules.slotMinutes * 60)
        var slots: [Date] = []
        var start = clock.startOfDay(day)
        while clock.local(start).day == day, slots.count < 24 * 60 * 2 {
            let minute = clock.local(start).minute
            if minute >= hours.opening, minute % offer.rules.slotMinutes == 0, isOpen(room, start: start, end: start.addingTimeInterval(step)) {
                slots.append(start)
            }
            start.addTimeInterval(step)
        }
        return slots
    }

    /// Free slots instead of a refused request: first the same room later (up to `sameRoom`
    /// of the same length, from the requested start on, not before `now`), then other rooms
    /// free at the requested time with room for `attendees` and at least the same equipment.
    /// `busy` holds each room's taken intervals.
    public func alternatives(room: WorkspaceRoom, start: Date, end: Date, attendees: Int, now: Date,
                             busy: [UUID: [Range<Date>]], sameRoom: Int = 3, otherRooms: Int = 5) -> [BookingAlternative] {
        let length = end.timeIntervalSince(start)
        func free(_ room: UUID, _ from: Date, _ to: Date) -> Bool {
            !(busy[room] ?? []).contains { $0.lowerBound < to && from < $0.upperBound }
        }
        var found: [BookingAlternative] = []
        var day = max(clock.local(start).day, forumDays.lowerBound)
        while found.count < sameRoom, day <= forumDays.upperBound {
            for slot in slots(of: room, day: day) where slot > start && slot >= now {
                let slotEnd = slot.addingTimeInterval(length)
                guard found.count < sameRoom else { break }
                if isOpen(room, start: slot, end: slotEnd), free(room.id, slot, slotEnd) {
                    found.append(BookingAlternative(room: room.id, roomName: room.name, startsAt: slot, endsAt: slotEnd))
                }
            }
            day += 1
        }
        let needed = Set(room.equipment)
        for other in offer.rooms.sorted(by: { ($0.capacity, $0.name) < ($1.capacity, $1.name) }) where found.count < sameRoom + otherRooms {
            guard other.id != room.id, other.capacity >= attendees, needed.isSubset(of: Set(other.equipment)),
                  isOpen(other, start: start, end: end), start >= currentSlot(now), free(other.id, start, end) else { continue }
            found.append(BookingAlternative(room: other.id, roomName: other.name, startsAt: start, endsAt: end))
        }
        return found
    }

    /// Whether an organisation may book at `now` given the booking window: nil when it may,
    /// else the refusal (not open yet, closed, or the priority window keeps it out).
    public func windowRefusal(now: Date, hasPriority: Bool) -> Refusal? {
        if now < offer.bookingOpensAt { return .bookingNotOpen(opensAt: offer.bookingOpensAt) }
        if now >= offer.bookingClosesAt { return .bookingClosed(closedAt: offer.bookingClosesAt) }
        if !hasPriority, now < offer.opensForEveryoneAt { return .priorityWindow(opensForEveryoneAt: offer.opensForEveryoneAt) }
        return nil
    }
}
