import Foundation

/// A calendar event as Agora publishes it: one session of a forum's agenda.
///
/// All times are instants written in UTC, so the feed needs no VTIMEZONE and reads the same
/// in every client whatever its zone.
public struct CalendarEvent: Sendable, Equatable {
    /// Stable per session, so a client updates the event it already has instead of adding a copy.
    public var uid: String
    /// Rises with each version in which the session changed; clients keep the highest.
    public var sequence: Int
    /// DTSTAMP: when this instance of the event was written.
    public var stamp: Date
    /// DTSTART.
    public var starts: Date
    /// DTEND. RFC 5545 asks for it to be later than `starts`; the writer does not alter it.
    public var ends: Date
    public var summary: String
    /// Left out of the event when nil or empty.
    public var description: String?
    /// Left out of the event when nil or empty.
    public var location: String?
    /// Written as one CATEGORIES line; empty names are left out, and so is the line if none remain.
    public var categories: [String]
    /// STATUS:CANCELLED when true, else STATUS:CONFIRMED. A cancelled session stays in the feed
    /// (with a higher sequence) so clients remove it rather than keep a stale copy.
    public var cancelled: Bool
    /// LAST-MODIFIED, when known.
    public var lastModified: Date?
    /// The session's page. Written as a URI, not TEXT, so it is not escaped (only control characters are dropped).
    public var url: String?

    public init(uid: String, sequence: Int = 0, stamp: Date, starts: Date, ends: Date, summary: String,
                description: String? = nil, location: String? = nil, categories: [String] = [],
                cancelled: Bool = false, lastModified: Date? = nil, url: String? = nil) {
        self.uid = uid
        self.sequence = sequence
        self.stamp = stamp
        self.starts = starts
        self.ends = ends
        self.summary = summary
        self.description = description
        self.location = location
        self.categories = categories
        self.cancelled = cancelled
        self.lastModified = lastModified
        self.url = url
    }
}

/// An RFC 5545 iCalendar writer: just what a published agenda needs, written exactly
/// (CRLF line endings, lines folded at 75 octets, TEXT values escaped).
public enum ICalendar {
    /// The longest a physical line may be, in octets, not counting its CRLF (RFC 5545 §3.1).
    static let maxLineOctets = 75

    /// The whole VCALENDAR document, every content line folded and ended by CRLF (the last one too).
    public static func document(name: String, events: [CalendarEvent]) -> String {
        var out = ""
        out.reserveCapacity(256 + events.count * 512)
        func line(_ content: String) {
            out += fold(content)
            out += "\r\n"
        }
        line("BEGIN:VCALENDAR")
        line("VERSION:2.0")
        line("PRODID:-//Agora//Agenda//EN")
        line("CALSCALE:GREGORIAN")
        line("METHOD:PUBLISH")
        line("X-WR-CALNAME:" + escapeText(name))
        for event in events {
            line("BEGIN:VEVENT")
            line("UID:" + escapeText(event.uid))
            line("SEQUENCE:\(max(0, event.sequence))")
            line("DTSTAMP:" + utc(event.stamp))
            line("DTSTART:" + utc(event.starts))
            line("DTEND:" + utc(event.ends))
            if let lastModified = event.lastModified {
                line("LAST-MODIFIED:" + utc(lastModified))
            }
            line("SUMMARY:" + escapeText(event.summary))
            if let description = event.description, !description.isEmpty {
                line("DESCRIPTION:" + escapeText(description))
            }
            if let location = event.location, !location.isEmpty {
                line("LOCATION:" + escapeText(location))
            }
            // CATEGORIES is a list of TEXT: each name is escaped, so a comma inside one stays part of it.
            let categories = event.categories.map(escapeText).filter { !$0.isEmpty }
            if !categories.isEmpty {
                line("CATEGORIES:" + categories.joined(separator: ","))
            }
            if let url = event.url.map(strippingControls), !url.isEmpty {
                line("URL:" + url)
            }
            line(event.cancelled ? "STATUS:CANCELLED" : "STATUS:CONFIRMED")
            line("END:VEVENT")
        }
        line("END:VCALENDAR")
        return out
    }

    /// TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon and comma get a backslash;
    /// a line break (CRLF, CR or LF) becomes `\n`. Other control characters are not allowed in
    /// TEXT and are dropped; a tab is kept.
    public static func escapeText(_ text: String) -> String {
        // Scalars, not Characters: Swift sees CRLF as one Character, and a control scalar can sit inside a grapheme.
        var out = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            let wasAfterCR = afterCR
            afterCR = false
            switch scalar {
            case "\\": out.append(contentsOf: #"\\"#.unicodeScalars)
            case ";": out.append(contentsOf: #"\;"#.unicodeScalars)
            case ",": out.append(contentsOf: #"\,"#.unicodeScalars)
            case "\r":
                out.append(contentsOf: #"\n"#.unicodeScalars)
                afterCR = true
            case "\n":
                // The LF of a CRLF: its break is already written.
                if !wasAfterCR { out.append(contentsOf: #"\n"#.unicodeScalars) }
            case "\t": out.append(scalar)
            default:
                if !isControl(scalar) { out.append(scalar) }
            }
        }
        return String(out)
    }

    /// Folds one content line (RFC 5545 §3.1): no physical line is longer than 75 octets of UTF-8,
    /// continuation lines start with one space (counted in their 75 octets), and lines are joined
    /// with CRLF (no CRLF at the end). Breaks fall between grapheme clusters, so a character and its
    /// combining marks stay together; only a cluster longer than a whole continuation line is broken,
    /// and then between its scalars. An octet sequence is never split.
    public static func fold(_ line: String) -> String {
        let total = line.utf8.count
        if total <= maxLineOctets { return line }
        var out = ""
        // Each continuation adds three octets (CRLF and a space) per at most 74 octets of content.
        out.reserveCapacity(total + 3 * (total / (maxLineOctets - 1) + 1))
        var used = 0 // octets on the current physical line, its leading space included
        for character in line {
            let size = character.utf8.count
            if used + size <= maxLineOctets {
                out.append(character)
                used += size
            } else if 1 + size <= maxLineOctets {
                out += "\r\n "
                out.append(character)
                used = 1 + size
            } else {
                // A cluster that cannot fit on any continuation line: fill lines scalar by scalar.
                for scalar in character.unicodeScalars {
                    let width = UTF8.width(scalar)
                    if used + width > maxLineOctets {
                        out += "\r\n "
                        used = 1
                    }
                    out.unicodeScalars.append(scalar)
                    used += width
                }
            }
        }
        return out
    }

    /// The UTC date-time form `20261201T083000Z`, to the second (a fraction is dropped, rounding down).
    /// Computed with integer arithmetic on the proleptic Gregorian calendar: no formatter, no locks, so it is
    /// safe and cheap from any thread. Instants outside years 0000–9999 are clamped into them, as the form has four year digits.
    public static func utc(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
        let earliest: Int64 = -62_167_219_200
        let latest: Int64 = 253_402_300_799
        let seconds: Int64
        if interval.isNaN {
            seconds = 0
        } else if interval <= Double(earliest) {
            seconds = earliest
        } else if interval >= Double(latest) {
            seconds = latest
        } else {
            seconds = Int64(interval.rounded(.down))
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += 86_400
        }
        let (year, month, day) = civil(daysSince1970: days)
        let hour = secondOfDay / 3600
        let minute = secondOfDay % 3600 / 60
        let second = secondOfDay % 60
        return String(unsafeUninitializedCapacity: 16) { buffer in
            var index = 0
            func put(_ value: Int64, digits: Int) {
                var divisor: Int64 = 1
                for _ in 1..<digits { divisor *= 10 }
                while divisor > 0 {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value / divisor % 10)
                    index += 1
                    divisor /= 10
                }
            }
            put(year, digits: 4)
            put(month, digits: 2)
            put(day, digits: 2)
            buffer[index] = UInt8(ascii: "T")
            index += 1
            put(hour, digits: 2)
            put(minute, digits: 2)
            put(second, digits: 2)
            buffer[index] = UInt8(ascii: "Z")
            index += 1
            return index
        }
    }

    /// The count of days since 1970-01-01 of a date on the proleptic Gregorian calendar, the
    /// inverse of ``civil(daysSince1970:)`` (Howard Hinnant's `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Year, month and day of a count of days since 1970-01-01, on the proleptic Gregorian calendar
    /// (Howard Hinnant's `civil_from_days`: eras of 400 years, years starting on 1 March so the leap day comes last).
    static func civil(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468 // days since 0000-03-01
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097 // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365 // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100) // 0...365, from 1 March
        let shiftedMonth = (5 * dayOfYear + 2) / 153 // 0...11, March = 0
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// C0 controls, DEL and C1 controls (Unicode category Cc): CONTROL in RFC 5545's grammar, plus C1,
    /// which no client shows and some misread.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// A value with every control character (tab and line breaks too) removed: for URI values,
    /// where a line break would end the content line and let the value inject properties.
    static func strippingControls(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !isControl(scalar) {
            out.append(scalar)
        }
        return String(out)
    }
}
