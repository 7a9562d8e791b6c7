import Agora
import Foundation
import Testing

@Suite("iCalendar writer (RFC 5545, no database)")
struct ICalendarTests {
    // MARK: Folding

    @Test func anASCIILineOfExactly75OctetsIsNotFolded() {
        let line = String(repeating: "a", count: 75)
        #expect(ICalendar.fold(line) == line)
    }

    @Test func anASCIILineOf76OctetsFoldsItsLastOctetOntoAContinuationLine() {
        let line = String(repeating: "a", count: 75) + "b"
        #expect(ICalendar.fold(line) == String(repeating: "a", count: 75) + "\r\n b")
    }

    @Test func continuationLinesCountTheirLeadingSpace() {
        // 75 on the first line, then 74 + the space, then the rest.
        let line = String(repeating: "x", count: 75 + 74 + 10)
        let physical = Self.physicalLines(ICalendar.fold(line))
        #expect(physical.map(\.count) == [75, 75, 11])
        #expect(physical.dropFirst().allSatisfy { $0.first == UInt8(ascii: " ") })
        #expect(Self.unfold(ICalendar.fold(line)) == line)
    }

    @Test(arguments: [
        String(repeating: "é", count: 60), // 2 octets each
        String(repeating: "議", count: 60), // 3 octets each
        String(repeating: "🎙", count: 40), // 4 octets each
        "DESCRIPTION:" + String(repeating: "a", count: 62) + "é日🎙" + String(repeating: "Zürich 会议 👩‍👩‍👧‍👦 ", count: 12),
        // Combining marks: a decomposed é is two scalars in one grapheme.
        "SUMMARY:" + String(repeating: "e\u{301}", count: 70),
        // One grapheme of 81 octets, longer than any line can hold: it must be broken between scalars.
        "X:" + "e" + String(repeating: "\u{301}", count: 40) + "tail",
    ])
    func foldingMultiByteTextNeverSplitsACharacterAndKeepsLinesWithin75Octets(line: String) {
        let folded = ICalendar.fold(line)
        let physical = Self.physicalLines(folded)
        #expect(physical.count > 1)
        for (index, bytes) in physical.enumerated() {
            #expect(bytes.count <= 75)
            #expect(!bytes.isEmpty)
            // Valid UTF-8 on its own: no octet sequence was split.
            #expect(Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes)
            if index > 0 { #expect(bytes.first == UInt8(ascii: " ")) }
        }
        #expect(Self.unfold(folded) == line)
        // Every break falls between grapheme clusters, unless a cluster is too long for any line.
        var clusterEnds: Set<Int> = [0]
        var offset = 0
        var longest = 0
        for character in line {
            offset += character.utf8.count
            clusterEnds.insert(offset)
            longest = max(longest, character.utf8.count)
        }
        if longest <= 74 {
            #expect(Self.breakOffsets(folded).isSubset(of: clusterEnds))
        }
    }

    @Test func foldingUsesEveryOctetAvailable() {
        // 37 × "é" (74 octets) fill the first line, since a 38th would make 76; the other 23 follow the space.
        let physical = Self.physicalLines(ICalendar.fold(String(repeating: "é", count: 60)))
        #expect(physical.map(\.count) == [74, 1 + 23 * 2])
        let cjk = Self.physicalLines(ICalendar.fold(String(repeating: "議", count: 60)))
        #expect(cjk.map(\.count) == [75, 73, 1 + 11 * 3])
    }

    // MARK: Escaping

    @Test func textEscapesBackslashSemicolonCommaAndLineBreaks() {
        #expect(ICalendar.escapeText(#"a\b;c,d"#) == #"a\\b\;c\,d"#)
        #expect(ICalendar.escapeText("one\r\ntwo\nthree\rfour") == #"one\ntwo\nthree\nfour"#)
        #expect(ICalendar.escapeText("blank\n\nline\r\rx\n\ry") == #"blank\n\nline\n\nx\n\ny"#)
        // Colons and double quotes are allowed in TEXT as they are.
        #expect(ICalendar.escapeText(#"Time: "now""#) == #"Time: "now""#)
    }

    @Test func textDropsControlCharactersButKeepsTabs() {
        #expect(ICalendar.escapeText("a\u{0}b\u{7}c\td\u{1B}e\u{7F}f\u{85}g") == "abc\tdefg")
        #expect(ICalendar.escapeText("Café 会议 🎙") == "Café 会议 🎙")
    }

    // MARK: Dates

    @Test func utcDateTimesAreWrittenInTheZForm() {
        #expect(ICalendar.utc(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        #expect(ICalendar.utc(Date(timeIntervalSince1970: 1_796_113_800)) == "20261201T083000Z")
        #expect(ICalendar.utc(Date(timeIntervalSince1970: 1_709_251_199.999)) == "20240229T235959Z") // leap day, fraction dropped
        #expect(ICalendar.utc(Date(timeIntervalSince1970: -0.5)) == "19691231T235959Z")
        #expect(ICalendar.utc(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
    }

    @Test func utcAgreesWithFoundationsISO8601Formatting() {
        let style = Date.ISO8601FormatStyle() // UTC, "2026-12-01T08:30:00Z"
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // 1900 to 2100.
            let seconds = Int64(state >> 33) % 6_311_433_600 - 2_208_988_800
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let expected = date.formatted(style).filter { $0 != "-" && $0 != ":" }
            #expect(ICalendar.utc(date) == expected)
        }
    }

    // MARK: Documents

    static let stamp = Date(timeIntervalSince1970: 1_790_000_000)

    static func event(_ uid: String, cancelled: Bool = false) -> CalendarEvent {
        CalendarEvent(
            uid: uid, sequence: 2, stamp: stamp,
            starts: Date(timeIntervalSince1970: 1_796_113_800), ends: Date(timeIntervalSince1970: 1_796_119_200),
            summary: "Hearing; water, sanitation & the city",
            description: "Opening statements.\nThen questions from the floor — in English, français and 中文. "
                + String(repeating: "Long text to fold. ", count: 10),
            location: "Palais des Nations, Room XX", categories: ["Hearing", "Water, sanitation"],
            cancelled: cancelled, lastModified: stamp, url: "https://agora.example/sessions/\(uid)")
    }

    @Test func everyLineOfADocumentEndsWithCRLFAndNoLineBreakStandsAlone() {
        let text = ICalendar.document(name: "Agora, agenda", events: [Self.event("a@agora"), Self.event("b@agora", cancelled: true)])
        let bytes = Array(text.utf8)
        #expect(bytes.suffix(2) == [13, 10])
        for (index, byte) in bytes.enumerated() {
            if byte == 10 { #expect(index > 0 && bytes[index - 1] == 13) }
            if byte == 13 { #expect(index + 1 < bytes.count && bytes[index + 1] == 10) }
        }
        for line in Self.physicalLines(text) {
            #expect(line.count <= 75)
        }
    }

    @Test func aDocumentHasMatchingBeginEndPairsAndOneVEventPerEvent() throws {
        let events = [Self.event("a@agora"), Self.event("b@agora", cancelled: true), Self.event("c@agora")]
        let lines = Self.contentLines(ICalendar.document(name: "Agora agenda", events: events))

        var open: [String] = []
        for line in lines {
            if line.hasPrefix("BEGIN:") {
                open.append(String(line.dropFirst(6)))
            } else if line.hasPrefix("END:") {
                #expect(open.popLast() == String(line.dropFirst(4)))
            }
        }
        #expect(open.isEmpty)
        #expect(lines.first == "BEGIN:VCALENDAR")
        #expect(lines.last == "END:VCALENDAR")
        for header in ["VERSION:2.0", "PRODID:-//Agora//Agenda//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Agora agenda"] {
            #expect(lines.contains(header))
        }

        let vevents = Self.components("VEVENT", in: lines)
        #expect(vevents.count == events.count)
        for (properties, event) in zip(vevents, events) {
            for name in ["UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "STATUS"] {
                #expect(properties.filter { $0.hasPrefix(name + ":") }.count == 1, "\(name) once in \(event.uid)")
            }
            #expect(properties.contains("UID:" + event.uid))
            #expect(properties.contains("SEQUENCE:2"))
            #expect(properties.contains("DTSTAMP:" + ICalendar.utc(Self.stamp)))
            #expect(properties.contains("DTSTART:20261201T083000Z"))
            #expect(properties.contains("DTEND:20261201T100000Z"))
            #expect(properties.contains(#"SUMMARY:Hearing\; water\, sanitation & the city"#))
            #expect(properties.contains(#"CATEGORIES:Hearing,Water\, sanitation"#))
            #expect(properties.contains("URL:https://agora.example/sessions/\(event.uid)"))
            let description = try #require(properties.first { $0.hasPrefix("DESCRIPTION:") })
            #expect(description.contains(#"Opening statements.\nThen questions"#))
        }
    }

    @Test func aCancelledEventHasStatusCancelledAndOthersConfirmed() {
        let lines = Self.contentLines(ICalendar.document(name: "Agenda", events: [Self.event("a"), Self.event("b", cancelled: true)]))
        let vevents = Self.components("VEVENT", in: lines)
        #expect(vevents.count == 2)
        #expect(vevents[0].contains("STATUS:CONFIRMED"))
        #expect(!vevents[0].contains("STATUS:CANCELLED"))
        #expect(vevents[1].contains("STATUS:CANCELLED"))
        #expect(!vevents[1].contains("STATUS:CONFIRMED"))
    }

    @Test func absentOptionalPropertiesAreLeftOut() {
        let minimal = CalendarEvent(uid: "m", stamp: Self.stamp, starts: Self.stamp, ends: Self.stamp.addingTimeInterval(3600), summary: "Break")
        let properties = Self.components("VEVENT", in: Self.contentLines(ICalendar.document(name: "Agenda", events: [minimal])))
        #expect(properties.count == 1)
        for name in ["DESCRIPTION", "LOCATION", "CATEGORIES", "URL", "LAST-MODIFIED"] {
            #expect(!properties[0].contains { $0.hasPrefix(name + ":") })
        }
        #expect(properties[0].contains("SEQUENCE:0"))
    }

    @Test func aLineBreakInAValueCannotInjectAProperty() {
        var event = Self.event("x\r\nSTATUS:CANCELLED")
        event.url = "https://agora.example/\r\nSTATUS:CANCELLED"
        event.location = "Room\nEND:VEVENT"
        let lines = Self.contentLines(ICalendar.document(name: "Agenda\r\nMETHOD:CANCEL", events: [event]))
        #expect(!lines.contains("STATUS:CANCELLED"))
        #expect(!lines.contains("METHOD:CANCEL"))
        #expect(lines.filter { $0 == "END:VEVENT" }.count == 1)
        #expect(lines.contains(#"UID:x\nSTATUS:CANCELLED"#))
        #expect(lines.contains("URL:https://agora.example/STATUS:CANCELLED"))
    }

    // MARK: Helpers

    /// The physical lines of CRLF-separated text, as octets, without their CRLF.
    static func physicalLines(_ text: String) -> [[UInt8]] {
        var lines: [[UInt8]] = [[]]
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 13, index + 1 < bytes.count, bytes[index + 1] == 10 {
                lines.append([])
                index += 2
            } else {
                lines[lines.count - 1].append(bytes[index])
                index += 1
            }
        }
        if lines.last == [] { lines.removeLast() }
        return lines
    }

    /// Undoes folding (RFC 5545 §3.1): removes each CRLF followed by one space, working on octets.
    static func unfold(_ text: String) -> String {
        String(decoding: physicalLines(text).enumerated().flatMap { $0.offset == 0 ? $0.element[...] : $0.element.dropFirst() }, as: UTF8.self)
    }

    /// Octet offsets into the unfolded line at which `folded` was broken.
    static func breakOffsets(_ folded: String) -> Set<Int> {
        var offsets: Set<Int> = []
        var offset = 0
        for (index, line) in physicalLines(folded).enumerated() {
            if index > 0 { offsets.insert(offset) }
            offset += index == 0 ? line.count : line.count - 1
        }
        return offsets
    }

    /// The unfolded content lines of a document.
    static func contentLines(_ document: String) -> [String] {
        var lines: [[UInt8]] = []
        for line in physicalLines(document) {
            if line.first == UInt8(ascii: " "), !lines.isEmpty {
                lines[lines.count - 1] += line.dropFirst()
            } else {
                lines.append(line)
            }
        }
        return lines.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The content lines inside each `BEGIN:name` … `END:name`.
    static func components(_ name: String, in lines: [String]) -> [[String]] {
        var result: [[String]] = []
        var current: [String]?
        for line in lines {
            if line == "BEGIN:" + name {
                current = []
            } else if line == "END:" + name {
                if let done = current { result.append(done) }
                current = nil
            } else {
                current?.append(line)
            }
        }
        return result
    }
}

@Suite("The agenda's change log (no database)")
struct AgendaChangeTests {
    static func session(room: AgendaRoom, speaker: AgendaPerson) -> AgendaSession {
        AgendaSession(id: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!, number: 1, title: "Panel", format: .panel, status: .scheduled,
                      startsAt: Date(timeIntervalSince1970: 0), endsAt: Date(timeIntervalSince1970: 3600), room: room, chair: nil,
                      description: "", languages: ["en"], interpretation: [],
                      speakers: [AgendaSpeaker(id: UUID(), position: 1, minutes: 10, speaker: speaker)])
    }

    @Test func aRenamedRoomOrSpeakerIsAChangeNotAMoveAndRaisesTheSequence() {
        let room = AgendaRoom(id: UUID(), name: "Room 1")
        let speaker = AgendaPerson(person: UUID(), name: "Amina", organisation: nil, constituency: nil, country: "KE")
        let before = Self.session(room: room, speaker: speaker)
        var renamed = before
        renamed.room.name = "Room One"
        renamed.speakers[0].speaker.name = "Amina N."
        let changes = AgendaChange.between([before], [renamed])
        #expect(changes.map(\.kind) == [.sessionChanged])
        #expect(changes.first?.fields == ["room", "speakers"])
        #expect(AgendaChange.sequenced([before], [renamed]).first?.sequence == 1)
        #expect(AgendaChange.between([before], [before]).isEmpty)
        var moved = before
        moved.room = AgendaRoom(id: UUID(), name: "Room 1")
        #expect(AgendaChange.between([before], [moved]).map(\.kind) == [.sessionMoved])
    }

    @Test func filterKeysCannotPassForOtherFilters() {
        let speaker = UUID()
        let crafted = AgendaFilter(constituency: "ngo|\(speaker.uuidString)")
        let real = AgendaFilter(constituency: "ngo", speaker: speaker)
        #expect(crafted.key != real.key)
    }
}
