import Agora
import Foundation

/// Writes the agenda's JSON directly, byte for byte what ``APIJSON/encoder`` writes for
/// ``AgendaFormats/AgendaView`` (sorted keys, ISO 8601 instants, escaped slashes), but without
/// Foundation's generic `Encoder` machinery, which costs milliseconds per agenda: the agenda is
/// the hottest read, and a published version's first read builds it. A test holds the two
/// outputs equal.
struct AgendaJSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 16_384) {
        bytes.reserveCapacity(capacity)
    }

    /// The JSON of `view`.
    static func write(_ view: AgendaFormats.AgendaView) -> [UInt8] {
        var writer = AgendaJSONWriter(capacity: 1024 + view.days.reduce(0) { $0 + $1.sessions.count } * 1200)
        writer.agenda(view)
        return writer.bytes
    }

    mutating func agenda(_ view: AgendaFormats.AgendaView) {
        beginObject()
        if let comment = view.comment { key("comment"); string(comment) }
        key("days")
        beginArray()
        for day in view.days {
            element()
            beginObject()
            key("date"); string(day.date)
            key("sessions")
            beginArray()
            for session in day.sessions { element(); self.session(session) }
            endArray()
            endObject()
        }
        endArray()
        key("forum"); uuid(view.forum)
        if let name = view.name { key("name"); string(name) }
        if let publishedAt = view.publishedAt { key("publishedAt"); instant(publishedAt) }
        key("status"); string(view.status)
        key("timeZone"); string(view.timeZone)
        key("title"); string(view.title)
        key("venue"); venue(view.venue)
        if let version = view.version { key("version"); integer(version) }
        endObject()
    }

    mutating func venue(_ venue: Forum.Venue) {
        beginObject()
        key("city"); string(venue.city)
        key("country"); string(venue.country)
        if let id = venue.id { key("id"); uuid(id) }
        key("name"); string(venue.name)
        key("timeZone"); string(venue.timeZone)
        endObject()
    }

    mutating func session(_ view: AgendaFormats.SessionView) {
        let session = view.session
        beginObject()
        if let chair = session.chair { key("chair"); person(chair) }
        key("description"); string(session.description)
        key("endsAt"); instant(session.endsAt)
        key("format"); string(session.format.rawValue)
        key("id"); uuid(session.id)
        key("interpretation"); strings(session.interpretation)
        key("languages"); strings(session.languages)
        key("local")
        beginObject()
        key("endsAt"); optionalString(VenueTime.local(session.endsAt, timeZone: view.timeZone))
        key("startsAt"); optionalString(VenueTime.local(session.startsAt, timeZone: view.timeZone))
        endObject()
        key("number"); integer(session.number)
        key("room")
        beginObject()
        key("id"); uuid(session.room.id)
        key("name"); string(session.room.name)
        endObject()
        key("sequence"); integer(session.sequence)
        key("speakers")
        beginArray()
        for slot in session.speakers {
            element()
            beginObject()
            key("id"); uuid(slot.id)
            key("minutes"); integer(slot.minutes)
            key("position"); integer(slot.position)
            key("speaker"); person(slot.speaker)
            endObject()
        }
        endArray()
        key("startsAt"); instant(session.startsAt)
        key("status"); string(session.status.rawValue)
        key("title"); string(session.title)
        key("version"); integer(session.version)
        endObject()
    }

    mutating func person(_ person: AgendaPerson) {
        beginObject()
        if let constituency = person.constituency { key("constituency"); string(constituency) }
        key("country"); string(person.country)
        key("name"); string(person.name)
        if let organisation = person.organisation {
            key("organisation")
            beginObject()
            key("id"); uuid(organisation.id)
            key("name"); string(organisation.name)
            endObject()
        }
        key("person"); uuid(person.person)
        endObject()
    }

    // MARK: JSON

    /// Per open object or array: whether nothing was written in it yet (no comma needed).
    private var first: [Bool] = []

    /// A comma before every member or element but the first of its container.
    private mutating func separate() {
        if first.last == false { bytes.append(UInt8(ascii: ",")) }
        if !first.isEmpty { first[first.count - 1] = false }
    }

    mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        first.append(true)
    }

    mutating func endObject() {
        first.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func beginArray() {
        bytes.append(UInt8(ascii: "["))
        first.append(true)
    }

    mutating func endArray() {
        first.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// Before each element of an array.
    mutating func element() {
        separate()
    }

    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func strings(_ values: [String]) {
        beginArray()
        for value in values { element(); string(value) }
        endArray()
    }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
        // Most text needs no escape: copy it whole.
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "/") }) {
            bytes.append(contentsOf: utf8)
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "/"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "/")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          Self.lowerHex[Int(byte >> 4)], Self.lowerHex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func optionalString(_ text: String?) {
        guard let text else {
            bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
            return
        }
        string(text)
    }

    mutating func integer(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    private static let upperHex = Array("0123456789ABCDEF".utf8)
    private static let lowerHex = Array("0123456789abcdef".utf8)

    /// As JSONEncoder writes a UUID: its upper-case string (`uuidString` formats with `snprintf`).
    mutating func uuid(_ id: UUID) {
        bytes.append(UInt8(ascii: "\""))
        withUnsafeBytes(of: id.uuid) { raw in
            for (position, byte) in raw.enumerated() {
                if position == 4 || position == 6 || position == 8 || position == 10 { bytes.append(UInt8(ascii: "-")) }
                bytes.append(Self.upperHex[Int(byte >> 4)])
                bytes.append(Self.upperHex[Int(byte & 0x0F)])
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// As the `.iso8601` strategy writes an instant: `2027-01-15T08:00:00Z`.
    mutating func instant(_ date: Date) {
        // ICalendar.utc gives 20270115T080000Z; the separators go back in.
        var text = ICalendar.utc(date)
        let compact = text.withUTF8 { Array($0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: compact[0..<4]); bytes.append(UInt8(ascii: "-"))
        bytes.append(contentsOf: compact[4..<6]); bytes.append(UInt8(ascii: "-"))
        bytes.append(contentsOf: compact[6..<9])
        bytes.append(contentsOf: compact[9..<11]); bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: compact[11..<13]); bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: compact[13..<16])
        bytes.append(UInt8(ascii: "\""))
    }
}
