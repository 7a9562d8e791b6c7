import Foundation
import Synchronization

/// Where a forum stands, in order (the speaker-selection and agenda issues hang on it).
public enum ForumStatus: String, Codable, Sendable, CaseIterable, Comparable {
    case draft
    case announced
    case nominationsOpen = "nominations_open"
    case nominationsClosed = "nominations_closed"
    case agendaPublished = "agenda_published"
    case held
    case concluded

    public static func < (lhs: ForumStatus, rhs: ForumStatus) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The statuses a forum may move to: the next one; a forum without nominations (a round
    /// table, whose participants are invited) goes from announced straight to its agenda.
    public func allowedNext(kind: ForumKind) -> [ForumStatus] {
        switch self {
        case .draft: [.announced]
        case .announced: kind == .roundTable ? [.agendaPublished] : [.nominationsOpen]
        case .nominationsOpen: [.nominationsClosed]
        case .nominationsClosed: [.agendaPublished]
        case .agendaPublished: [.held]
        case .held: [.concluded]
        case .concluded: []
        }
    }

    /// Whether the public may read the forum.
    public var isPublic: Bool { self != .draft }
}

/// Local times at a venue, turned into instants with the venue's IANA time zone, so a deadline
/// given as "17:00 in Paris" means 17:00 in Paris on that day, whichever side of a daylight-saving
/// change it falls.
public enum VenueTime {
    /// Why a local time could not be read.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The instant of `date` (`YYYY-MM-DD`) at `time` (`HH:MM`) in `timeZone`. A local time
    /// skipped by a daylight-saving change (02:30 on a spring-forward night) is moved forward
    /// by the gap, as clocks were; a repeated one (autumn) means its first occurrence.
    public static func instant(date: String, time: String, timeZone identifier: String) throws(Invalid) -> Date {
        guard let timeZone = zone(identifier) else { throw Invalid(description: "unknown time zone \(identifier)") }
        let day = date.split(separator: "-").compactMap { Int($0) }
        let clock = time.split(separator: ":").compactMap { Int($0) }
        guard day.count == 3, clock.count == 2, (0...23).contains(clock[0]), (0...59).contains(clock[1]) else {
            throw Invalid(description: "expected YYYY-MM-DD and HH:MM")
        }
        // The reading as if it were UTC, by arithmetic (a Calendar costs more than the rest); the
        // date exists when counting its days and back gives it again.
        guard (1...9999).contains(day[0]), (1...12).contains(day[1]), (1...31).contains(day[2]),
              ICalendar.civil(daysSince1970: Int64(ICalendar.days(year: day[0], month: day[1], day: day[2]))) == (Int64(day[0]), Int64(day[1]), Int64(day[2])) else {
            throw Invalid(description: "\(date) is not a calendar date")
        }
        let days = ICalendar.days(year: day[0], month: day[1], day: day[2])
        let wallClock = Date(timeIntervalSince1970: TimeInterval(days * 86_400 + clock[0] * 3600 + clock[1] * 60))
        // The local reading as seconds, minus each offset in force around that day: a candidate
        // is right when the zone has that very offset at the candidate instant.
        let offsets = [-86_400.0, 86_400.0].map { Double(timeZone.secondsFromGMT(for: wallClock.addingTimeInterval($0))) }
        let valid = offsets.map { wallClock.addingTimeInterval(-$0) }
            .filter { Double(timeZone.secondsFromGMT(for: $0)) == wallClock.timeIntervalSince($0) }
        // Repeated (autumn): the first occurrence. Skipped (spring): read with the offset before
        // the change, which lands as far past the gap as the time was into it.
        let instant = valid.min() ?? wallClock.addingTimeInterval(-offsets[0])
        return instant
    }

    /// How `instant` reads at the venue: `YYYY-MM-DDTHH:MM:SS±HH:MM` (`Z` for a zero offset),
    /// exactly as `Date.ISO8601FormatStyle` writes it in that zone.
    public static func local(_ instant: Date, timeZone identifier: String) -> String? {
        guard let zone = zone(identifier) else { return nil }
        let offset = zone.secondsFromGMT(for: instant)
        let interval = instant.timeIntervalSince1970
        // Whole seconds and whole-minute offsets (every zone today) are written by arithmetic:
        // the agenda writes two per session, and the format style costs microseconds each.
        guard offset % 60 == 0, interval == interval.rounded(), abs(interval) < 100_000_000_000 else {
            return localStyle(timeZone: identifier).map { instant.formatted($0) }
        }
        return localText(seconds: Int64(interval) + Int64(offset), offset: offset)
    }

    /// `YYYY-MM-DDTHH:MM:SS` of a local second count, then the offset.
    static func localText(seconds local: Int64, offset: Int) -> String {
        var days = local / 86_400
        var second = local % 86_400
        if second < 0 { days -= 1; second += 86_400 }
        let (year, month, day) = ICalendar.civil(daysSince1970: days)
        var text = [UInt8]()
        text.reserveCapacity(25)
        func put(_ value: Int64, _ digits: Int) {
            var divisor: Int64 = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        put(year, 4); text.append(UInt8(ascii: "-")); put(month, 2); text.append(UInt8(ascii: "-")); put(day, 2)
        text.append(UInt8(ascii: "T"))
        put(second / 3600, 2); text.append(UInt8(ascii: ":")); put(second % 3600 / 60, 2); text.append(UInt8(ascii: ":")); put(second % 60, 2)
        if offset == 0 {
            text.append(UInt8(ascii: "Z"))
        } else {
            text.append(UInt8(ascii: offset < 0 ? "-" : "+"))
            let minutes = Int64(abs(offset) / 60)
            put(minutes / 60, 2); text.append(UInt8(ascii: ":")); put(minutes % 60, 2)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A zone by its identifier, made once and kept (zones come from stored venues).
    static func zone(_ identifier: String) -> TimeZone? {
        if let zone = zones.withLock({ $0[identifier] }) { return zone }
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        zones.withLock { $0[identifier] = zone }
        return zone
    }

    private static let zones = Mutex<[String: TimeZone]>([:])

    /// The format of local times in a zone, made once per zone and kept: agenda answers format
    /// many times in few zones (and a zone's rules are read when it is made). Zones come from
    /// stored venues, so the table stays as small as the list of IANA zones at most.
    static func localStyle(timeZone identifier: String) -> Date.ISO8601FormatStyle? {
        if let style = localStyles.withLock({ $0[identifier] }) { return style }
        guard let timeZone = TimeZone(identifier: identifier) else { return nil }
        let style = Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .standard, timeSeparator: .colon,
                                            timeZoneSeparator: .colon, includingFractionalSeconds: false, timeZone: timeZone)
        localStyles.withLock { $0[identifier] = style }
        return style
    }

    private static let localStyles = Mutex<[String: Date.ISO8601FormatStyle]>([:])
}

/// A forum of a policy issue: a round table, conference, partnership or hearing.
public struct Forum: Codable, Sendable, Equatable {
    /// Where it takes place.
    public struct Venue: Codable, Sendable, Equatable {
        /// The venue of `/venues`; nil only in a forum not yet stored (found or made by name and city then).
        public var id: UUID?
        public var name: String
        public var city: String
        /// ISO 3166-1 alpha-2.
        public var country: String
        /// IANA time zone, e.g. `Europe/Zurich`.
        public var timeZone: String
        public init(id: UUID? = nil, name: String, city: String, country: String, timeZone: String) {
            self.id = id
            self.name = name
            self.city = city
            self.country = country
            self.timeZone = timeZone
        }
    }

    public var id: UUID
    public var issue: UUID
    public var kind: ForumKind
    public var title: String
    public var venue: Venue
    public var startsAt: Date
    public var endsAt: Date
    public var nominationsDeadline: Date?
    public var speakingSlots: Int?
    public var speakingMinutes: Int?
    public var participantCap: Int?
    public var chair: String?
    public var status: ForumStatus
    /// How many invited people accepted (round tables; kept by the database within the cap).
    public var acceptedCount: Int
    public var version: Int
    /// The intergovernmental body the forum's issue reports to (whose bureau may see its drafts).
    public var issueReportsTo: String?

    public init(id: UUID, issue: UUID, kind: ForumKind, title: String, venue: Venue, startsAt: Date, endsAt: Date,
                nominationsDeadline: Date?, speakingSlots: Int?, speakingMinutes: Int?, participantCap: Int?, chair: String?,
                status: ForumStatus, version: Int, acceptedCount: Int = 0, issueReportsTo: String? = nil) {
        self.issueReportsTo = issueReportsTo
        self.id = id
        self.issue = issue
        self.kind = kind
        self.title = title
        self.venue = venue
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.nominationsDeadline = nominationsDeadline
        self.speakingSlots = speakingSlots
        self.speakingMinutes = speakingMinutes
        self.participantCap = participantCap
        self.chair = chair
        self.status = status
        self.acceptedCount = acceptedCount
        self.version = version
    }

    /// The participant cap a round table gets when none is given (DESIGN §1).
    public static let defaultRoundTableCap = 40
}

extension Forum {
    /// The fields of a forum that can be changed after it is created.
    public static let editableFields: Set<String> = ["title", "venue", "startsAt", "endsAt", "nominationsDeadline",
                                                      "speakingSlots", "speakingMinutes", "participantCap", "chair"]

    /// The fields that still make sense to change: speaking slots, minutes and the nomination
    /// deadline until nominations close (by status or by the deadline passing: after that the
    /// list is public and slates are chosen from it); the venue and times until the agenda is
    /// published; the title, cap and chair until the forum is concluded; nothing after. Slots
    /// and minutes never set may still be set, since no slate can be chosen without them.
    public func editableFields(now: Date) -> Set<String> {
        let always: Set<String> = ["title", "participantCap", "chair"]
        let untilAgenda: Set<String> = ["venue", "startsAt", "endsAt"]
        var fields: Set<String>
        switch status {
        case .draft, .announced, .nominationsOpen, .nominationsClosed: fields = always.union(untilAgenda)
        case .agendaPublished, .held: fields = always
        case .concluded: return []
        }
        if status < .nominationsOpen || NominationWindow.isOpen(status: status, deadline: nominationsDeadline, now: now) {
            fields.formUnion(["nominationsDeadline", "speakingSlots", "speakingMinutes"])
        } else if status < .held {
            if speakingSlots == nil { fields.insert("speakingSlots") }
            if speakingMinutes == nil { fields.insert("speakingMinutes") }
        }
        return fields
    }

    /// The forum with `changes` applied at `now`, or the problems with them: fields that can no
    /// longer change (only those whose value would change: a full-object PATCH repeating them is
    /// fine), an end not after the start, a hearing without a chair.
    public func applying(_ changes: Changes, now: Date = Date()) -> Result<Forum, Refusal> {
        var problems: [FieldProblem] = []
        var changed = self
        if let title = changes.title { changed.title = title }
        if let venue = changes.venue { changed.venue = venue }
        if let startsAt = changes.startsAt { changed.startsAt = startsAt }
        if let endsAt = changes.endsAt { changed.endsAt = endsAt }
        if let deadline = changes.nominationsDeadline { changed.nominationsDeadline = deadline }
        if let slots = changes.speakingSlots { changed.speakingSlots = slots }
        if let minutes = changes.speakingMinutes { changed.speakingMinutes = minutes }
        if let cap = changes.participantCap { changed.participantCap = cap }
        if let chair = changes.chair { changed.chair = chair }
        let allowed = editableFields(now: now)
        for field in Self.differingFields(self, changed).subtracting(allowed).sorted() {
            problems.append(FieldProblem(field: field, message: "can no longer change: the forum is \(status.rawValue)"
                                             + (status == .nominationsOpen ? " and its nominations deadline has passed" : "")))
        }
        if changed.startsAt != startsAt, changed.startsAt <= now {
            problems.append(FieldProblem(field: "startsAt", message: "a forum cannot be moved to start in the past"))
        }
        if changed.endsAt <= changed.startsAt {
            problems.append(FieldProblem(field: changes.endsAt != nil ? "endsAt" : "startsAt", message: "the forum must end after it starts"))
        }
        // Checked only when asked to change, so an edit of other fields never trips over them.
        if changes.chair != nil, kind == .hearing, changed.chair == nil {
            problems.append(FieldProblem(field: "chair", message: "a hearing is chaired by a named official"))
        }
        if changes.participantCap != nil, kind == .roundTable, changed.participantCap == nil {
            problems.append(FieldProblem(field: "participantCap", message: "a round table has a cap"))
        } else if changes.participantCap != nil, let cap = changed.participantCap, cap < acceptedCount {
            problems.append(FieldProblem(field: "participantCap", message: "\(acceptedCount) people have accepted already"))
        }
        return problems.isEmpty ? .success(changed) : .failure(.invalid(problems))
    }

    /// The editable fields whose values differ between two versions of a forum.
    static func differingFields(_ lhs: Forum, _ rhs: Forum) -> Set<String> {
        var fields = Set<String>()
        if lhs.title != rhs.title { fields.insert("title") }
        if lhs.venue != rhs.venue { fields.insert("venue") }
        if lhs.startsAt != rhs.startsAt { fields.insert("startsAt") }
        if lhs.endsAt != rhs.endsAt { fields.insert("endsAt") }
        if lhs.nominationsDeadline != rhs.nominationsDeadline { fields.insert("nominationsDeadline") }
        if lhs.speakingSlots != rhs.speakingSlots { fields.insert("speakingSlots") }
        if lhs.speakingMinutes != rhs.speakingMinutes { fields.insert("speakingMinutes") }
        if lhs.participantCap != rhs.participantCap { fields.insert("participantCap") }
        if lhs.chair != rhs.chair { fields.insert("chair") }
        return fields
    }

    /// A change to a forum: each field nil when unchanged; the double optionals set or clear.
    public struct Changes: Sendable, Equatable {
        /// A new title.
        public var title: String?
        /// Another venue (its zone reads the local times given with it).
        public var venue: Venue?
        /// A new start.
        public var startsAt: Date?
        /// A new end.
        public var endsAt: Date?
        /// A new nominations deadline, or `.some(nil)` to clear it.
        public var nominationsDeadline: Date??
        /// How many speaking places, or `.some(nil)` to clear.
        public var speakingSlots: Int??
        /// The total speaking minutes, or `.some(nil)` to clear.
        public var speakingMinutes: Int??
        /// A new participant cap, or `.some(nil)` to clear (not for round tables).
        public var participantCap: Int??
        /// A new chair, or `.some(nil)` to clear (not for hearings).
        public var chair: String??
        /// No change.
        public init() {}

        /// The fields the change names.
        public var names: Set<String> {
            var names = Set<String>()
            if title != nil { names.insert("title") }
            if venue != nil { names.insert("venue") }
            if startsAt != nil { names.insert("startsAt") }
            if endsAt != nil { names.insert("endsAt") }
            if nominationsDeadline != nil { names.insert("nominationsDeadline") }
            if speakingSlots != nil { names.insert("speakingSlots") }
            if speakingMinutes != nil { names.insert("speakingMinutes") }
            if participantCap != nil { names.insert("participantCap") }
            if chair != nil { names.insert("chair") }
            return names
        }
    }
}
