import Foundation

/// What kind of session: the formats of a UN forum's programme.
public enum SessionFormat: String, Codable, Sendable, CaseIterable {
    case plenary
    case panel
    case interactiveDialogue = "interactive_dialogue"
    case sideEvent = "side_event"
    case `break`
}

/// A session is scheduled until cancelled; a cancelled session stays in the agenda, marked.
public enum SessionStatus: String, Codable, Sendable, CaseIterable {
    case scheduled
    case cancelled
}

/// A room as the agenda names it.
public struct AgendaRoom: Codable, Sendable, Equatable, Hashable {
    public var id: UUID
    public var name: String
    public init(id: UUID, name: String) {
        self.id = id
        self.name = name
    }
}

/// A person as the agenda names them (a chair, or a speaker with a place in a session's list).
public struct AgendaPerson: Codable, Sendable, Equatable {
    public var person: UUID
    public var name: String
    /// The person's organisation, if any.
    public var organisation: AgendaOrganisation?
    /// The constituency of the person's organisation.
    public var constituency: String?
    /// ISO 3166-1 alpha-2.
    public var country: String
    public init(person: UUID, name: String, organisation: AgendaOrganisation?, constituency: String?, country: String) {
        self.person = person
        self.name = name
        self.organisation = organisation
        self.constituency = constituency
        self.country = country
    }
}

/// An organisation as the agenda names it.
public struct AgendaOrganisation: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public init(id: UUID, name: String) {
        self.id = id
        self.name = name
    }
}

/// A speaking slot: a person's place in a session's ordered list, with their minutes. Its
/// id stays the same across versions while the person keeps a place in the session.
public struct AgendaSpeaker: Codable, Sendable, Equatable {
    public var id: UUID
    public var position: Int
    public var minutes: Int
    public var speaker: AgendaPerson
    public init(id: UUID, position: Int, minutes: Int, speaker: AgendaPerson) {
        self.id = id
        self.position = position
        self.minutes = minutes
        self.speaker = speaker
    }
}

/// A session of the agenda, as published (or as drafted, for the secretariat).
public struct AgendaSession: Codable, Sendable, Equatable {
    public var id: UUID
    /// A stable integer id beside the uuid (the frab format's event id).
    public var number: Int
    public var title: String
    public var format: SessionFormat
    public var status: SessionStatus
    public var startsAt: Date
    public var endsAt: Date
    public var room: AgendaRoom
    public var chair: AgendaPerson?
    public var description: String
    /// The languages spoken on the floor (codes such as `en`, `fr`).
    public var languages: [String]
    /// The languages interpretation is given into.
    public var interpretation: [String]
    public var speakers: [AgendaSpeaker]
    /// How many published versions changed this session since it first appeared (the
    /// iCalendar SEQUENCE); set when publishing.
    public var sequence: Int
    /// The session's own edit count (its ETag).
    public var version: Int

    public init(id: UUID, number: Int, title: String, format: SessionFormat, status: SessionStatus, startsAt: Date, endsAt: Date,
                room: AgendaRoom, chair: AgendaPerson?, description: String, languages: [String], interpretation: [String],
                speakers: [AgendaSpeaker], sequence: Int = 0, version: Int = 1) {
        self.id = id
        self.number = number
        self.title = title
        self.format = format
        self.status = status
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.room = room
        self.chair = chair
        self.description = description
        self.languages = languages
        self.interpretation = interpretation
        self.speakers = speakers
        self.sequence = sequence
        self.version = version
    }

    /// How long it lasts, in minutes.
    public var lengthInMinutes: Int { Int(endsAt.timeIntervalSince(startsAt) / 60) }

    /// The people it names: its speakers and its chair.
    public var people: [UUID] { speakers.map(\.speaker.person) + (chair.map { [$0.person] } ?? []) }

    /// Equal as readers see it (leaving out the bookkeeping of sequence and version).
    public func samePublished(as other: AgendaSession) -> Bool {
        var lhs = self, rhs = other
        (lhs.sequence, lhs.version, rhs.sequence, rhs.version) = (0, 0, 0, 0)
        return lhs == rhs
    }
}

/// An agenda: a forum's sessions at its venue, as one version shows them (or the draft).
public struct Agenda: Codable, Sendable, Equatable {
    public var forum: UUID
    public var title: String
    public var venue: Forum.Venue
    public var startsAt: Date
    public var endsAt: Date
    /// nil for the draft.
    public var version: Int?
    public var name: String?
    public var comment: String?
    public var publishedAt: Date?
    public var sessions: [AgendaSession]

    public init(forum: UUID, title: String, venue: Forum.Venue, startsAt: Date, endsAt: Date, version: Int?, name: String?,
                comment: String?, publishedAt: Date?, sessions: [AgendaSession]) {
        self.forum = forum
        self.title = title
        self.venue = venue
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.version = version
        self.name = name
        self.comment = comment
        self.publishedAt = publishedAt
        self.sessions = sessions
    }

    /// Sessions in the order readers expect: by start, then room name, then number.
    public static func ordered(_ sessions: [AgendaSession]) -> [AgendaSession] {
        sessions.sorted { ($0.startsAt, $0.room.name, $0.number) < ($1.startsAt, $1.room.name, $1.number) }
    }

    /// The people it names, each once.
    public var people: [UUID] {
        var seen = Set<UUID>()
        return sessions.flatMap(\.people).filter { seen.insert($0).inserted }
    }

    /// The day (`YYYY-MM-DD`) a session starts on at the venue.
    public func day(of session: AgendaSession) -> String {
        String((VenueTime.local(session.startsAt, timeZone: venue.timeZone) ?? ISO8601DateFormatter().string(from: session.startsAt)).prefix(10))
    }
}

/// Which sessions a reader asks for; every filter given must hold.
public struct AgendaFilter: Sendable, Equatable, Hashable {
    /// A day at the venue, `YYYY-MM-DD`.
    public var day: String?
    public var room: UUID?
    /// A constituency code: sessions where a speaker (or the chair) belongs to it.
    public var constituency: String?
    /// A person: sessions where they speak or chair.
    public var speaker: UUID?
    /// A language spoken on the floor or interpreted into.
    public var language: String?

    public init(day: String? = nil, room: UUID? = nil, constituency: String? = nil, speaker: UUID? = nil, language: String? = nil) {
        self.day = day
        self.room = room
        self.constituency = constituency
        self.speaker = speaker
        self.language = language
    }

    /// No filter.
    public var isEmpty: Bool { self == AgendaFilter() }

    /// A stable text of the filter, for cache keys and ETags: each part named and its length
    /// given, so no value can pass for another combination of filters.
    public var key: String {
        [("day", day), ("room", room?.uuidString), ("constituency", constituency), ("speaker", speaker?.uuidString), ("language", language)]
            .compactMap { name, value in value.map { "\(name)=\($0.utf8.count):\($0)" } }.joined(separator: ";")
    }

    /// Whether `session` of `agenda` passes.
    public func admits(_ session: AgendaSession, of agenda: Agenda) -> Bool {
        let named = session.speakers.map(\.speaker) + (session.chair.map { [$0] } ?? [])
        if let day, agenda.day(of: session) != day { return false }
        if let room, session.room.id != room { return false }
        if let constituency, !named.contains(where: { $0.constituency == constituency }) { return false }
        if let speaker, !named.contains(where: { $0.person == speaker }) { return false }
        if let language, !(session.languages + session.interpretation).contains(language) { return false }
        return true
    }

    /// `agenda` with only the sessions that pass.
    public func apply(to agenda: Agenda) -> Agenda {
        guard !isEmpty else { return agenda }
        var filtered = agenda
        filtered.sessions = agenda.sessions.filter { admits($0, of: agenda) }
        return filtered
    }
}

/// One entry of a version's change log: what changed, for whom. Computed by comparing the
/// published versions, never typed.
public struct AgendaChange: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case sessionAdded = "session.added"
        case sessionMoved = "session.moved"
        case sessionRetitled = "session.retitled"
        case sessionCancelled = "session.cancelled"
        /// Another change readers see: format, chair, description or languages (named in `fields`).
        case sessionChanged = "session.changed"
        case speakerAdded = "speaker.added"
        case speakerRemoved = "speaker.removed"
        /// A speaker's place changed: another position or other minutes in the session.
        case speakerMoved = "speaker.moved"
    }

    /// Where a session or a speaker was, and is.
    public struct Place: Codable, Sendable, Equatable {
        public var startsAt: Date?
        public var endsAt: Date?
        public var room: AgendaRoom?
        public var title: String?
        public var position: Int?
        public var minutes: Int?
        public init(startsAt: Date? = nil, endsAt: Date? = nil, room: AgendaRoom? = nil, title: String? = nil,
                    position: Int? = nil, minutes: Int? = nil) {
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.room = room
            self.title = title
            self.position = position
            self.minutes = minutes
        }
    }

    public var kind: Kind
    public var session: UUID
    /// The session's title (as it is now).
    public var title: String
    /// The speaker concerned, for speaker entries.
    public var person: UUID?
    /// Everyone the entry affects: the speaker, or the session's speakers and chair before and after.
    public var people: [UUID]
    public var before: Place?
    public var after: Place?
    /// The fields of a `session.changed` entry.
    public var fields: [String]?

    public init(kind: Kind, session: UUID, title: String, person: UUID? = nil, people: [UUID], before: Place? = nil,
                after: Place? = nil, fields: [String]? = nil) {
        self.kind = kind
        self.session = session
        self.title = title
        self.person = person
        self.people = people
        self.before = before
        self.after = after
        self.fields = fields
    }

    /// What changed from `old` to `new`, session by session in the new agenda's order, then
    /// sessions that vanished (which cannot happen, as sessions are cancelled, never deleted,
    /// but a change log must not hide it if it does).
    public static func between(_ old: [AgendaSession], _ new: [AgendaSession]) -> [AgendaChange] {
        let before = Dictionary(old.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var changes: [AgendaChange] = []
        for session in Agenda.ordered(new) {
            guard let previous = before[session.id] else {
                changes.append(AgendaChange(kind: .sessionAdded, session: session.id, title: session.title, people: session.people,
                                            after: Place(startsAt: session.startsAt, endsAt: session.endsAt, room: session.room)))
                continue
            }
            changes += between(previous, session)
        }
        let present = Set(new.map(\.id))
        for session in Agenda.ordered(old) where !present.contains(session.id) {
            changes.append(AgendaChange(kind: .sessionCancelled, session: session.id, title: session.title, people: session.people,
                                        before: Place(startsAt: session.startsAt, endsAt: session.endsAt, room: session.room)))
        }
        return changes
    }

    /// The changes of one session.
    static func between(_ old: AgendaSession, _ new: AgendaSession) -> [AgendaChange] {
        var seen = Set<UUID>()
        let everyone = (old.people + new.people).filter { seen.insert($0).inserted }
        var changes: [AgendaChange] = []
        func entry(_ kind: Kind, before: Place? = nil, after: Place? = nil, fields: [String]? = nil) {
            changes.append(AgendaChange(kind: kind, session: new.id, title: new.title, people: everyone, before: before, after: after, fields: fields))
        }
        if old.status != new.status, new.status == .cancelled {
            entry(.sessionCancelled, before: Place(startsAt: old.startsAt, endsAt: old.endsAt, room: old.room))
        }
        if old.startsAt != new.startsAt || old.endsAt != new.endsAt || old.room.id != new.room.id {
            entry(.sessionMoved, before: Place(startsAt: old.startsAt, endsAt: old.endsAt, room: old.room),
                  after: Place(startsAt: new.startsAt, endsAt: new.endsAt, room: new.room))
        }
        if old.title != new.title { entry(.sessionRetitled, before: Place(title: old.title), after: Place(title: new.title)) }
        var fields: [String] = []
        if old.format != new.format { fields.append("format") }
        if old.chair?.person != new.chair?.person { fields.append("chair") }
        if old.description != new.description { fields.append("description") }
        if old.languages != new.languages { fields.append("languages") }
        if old.interpretation != new.interpretation { fields.append("interpretation") }
        if old.status != new.status, new.status != .cancelled { fields.append("status") }
        if !fields.isEmpty { entry(.sessionChanged, fields: fields) }
        changes += speakerChanges(old, new)
        // What readers see changed without a move or a new person: a renamed room, or a chair's
        // or speaker's name, organisation or country. Logged, so the log and SEQUENCE agree.
        if changes.isEmpty, !old.samePublished(as: new) {
            var details: [String] = []
            if old.room != new.room { details.append("room") }
            if old.chair != new.chair { details.append("chair") }
            if old.speakers != new.speakers { details.append("speakers") }
            entry(.sessionChanged, fields: details.isEmpty ? ["details"] : details)
        }
        return changes
    }

    /// Speakers added, removed or moved within a session's list.
    static func speakerChanges(_ old: AgendaSession, _ new: AgendaSession) -> [AgendaChange] {
        let before = Dictionary(old.speakers.map { ($0.speaker.person, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Set(new.speakers.map(\.speaker.person))
        var changes: [AgendaChange] = []
        for slot in new.speakers {
            let person = slot.speaker.person
            let now = Place(position: slot.position, minutes: slot.minutes)
            guard let previous = before[person] else {
                changes.append(AgendaChange(kind: .speakerAdded, session: new.id, title: new.title, person: person, people: [person], after: now))
                continue
            }
            if previous.position != slot.position || previous.minutes != slot.minutes {
                changes.append(AgendaChange(kind: .speakerMoved, session: new.id, title: new.title, person: person, people: [person],
                                            before: Place(position: previous.position, minutes: previous.minutes), after: now))
            }
        }
        for slot in old.speakers where !after.contains(slot.speaker.person) {
            changes.append(AgendaChange(kind: .speakerRemoved, session: new.id, title: new.title, person: slot.speaker.person,
                                        people: [slot.speaker.person], before: Place(position: slot.position, minutes: slot.minutes)))
        }
        return changes
    }

    /// The sessions of `new` with their SEQUENCE set: one more than in `old` where they changed.
    public static func sequenced(_ old: [AgendaSession], _ new: [AgendaSession]) -> [AgendaSession] {
        let before = Dictionary(old.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return new.map { session in
            var session = session
            if let previous = before[session.id] {
                session.sequence = previous.samePublished(as: session) ? previous.sequence : previous.sequence + 1
            } else {
                session.sequence = 0
            }
            return session
        }
    }
}

/// A published version of an agenda, as the change feed lists it.
public struct AgendaVersion: Codable, Sendable, Equatable {
    public var version: Int
    public var name: String?
    public var comment: String?
    public var publishedAt: Date
    public var changes: [AgendaChange]
    public init(version: Int, name: String?, comment: String?, publishedAt: Date, changes: [AgendaChange]) {
        self.version = version
        self.name = name
        self.comment = comment
        self.publishedAt = publishedAt
        self.changes = changes
    }
}

extension AgendaSession {
    /// The fields of a session that are set or changed; nil leaves a field as it is.
    public struct Fields: Sendable, Equatable {
        public var title: String?
        public var format: SessionFormat?
        public var startsAt: Date?
        public var endsAt: Date?
        public var room: UUID?
        /// A chair, or `.some(nil)` to have none.
        public var chair: UUID??
        public var description: String?
        public var languages: [String]?
        public var interpretation: [String]?
        public init() {}

        /// The names of the fields set.
        public var names: Set<String> {
            var names = Set<String>()
            if title != nil { names.insert("title") }
            if format != nil { names.insert("format") }
            if startsAt != nil { names.insert("startsAt") }
            if endsAt != nil { names.insert("endsAt") }
            if room != nil { names.insert("room") }
            if chair != nil { names.insert("chair") }
            if description != nil { names.insert("description") }
            if languages != nil { names.insert("languages") }
            if interpretation != nil { names.insert("interpretation") }
            return names
        }
    }

    /// The audited values of `fields`.
    public func snapshot(_ fields: Set<String>) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for field in fields {
            switch field {
            case "title": result[field] = .string(title)
            case "format": result[field] = .string(format.rawValue)
            case "startsAt": result[field] = .string(startsAt.formatted(.iso8601))
            case "endsAt": result[field] = .string(endsAt.formatted(.iso8601))
            case "room": result[field] = .string(room.id.uuidString)
            case "chair": result[field] = chair.map { .string($0.person.uuidString) } ?? .null
            case "description": result[field] = .string(description)
            case "languages": result[field] = .array(languages.map(JSONValue.string))
            case "interpretation": result[field] = .array(interpretation.map(JSONValue.string))
            case "status": result[field] = .string(status.rawValue)
            case "speakers": result[field] = .array(speakers.map {
                .object(["person": .string($0.speaker.person.uuidString), "minutes": .number(Double($0.minutes))])
            })
            default: break
            }
        }
        return result
    }
}

/// A place on a session's speaker list as the secretariat asks for it.
public struct SpeakerPlace: Sendable, Equatable {
    public var person: UUID
    public var minutes: Int
    public init(person: UUID, minutes: Int) {
        self.person = person
        self.minutes = minutes
    }
}
