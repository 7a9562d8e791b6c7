import Agora
import Foundation
import Mustache

/// The representations of an agenda: Agora's JSON, iCalendar, the frab schedule format (JSON
/// and XML) and a printable HTML page. Each is a pure function of a published (or draft)
/// agenda, so a representation of one version never changes and can be cached for good.
enum AgendaFormats {
    // MARK: JSON

    /// A session as the JSON shows it: instants in UTC and, under `local`, how they read at the venue.
    struct SessionView: Encodable, Sendable {
        var session: AgendaSession
        var timeZone: String

        func encode(to encoder: any Encoder) throws {
            try session.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(["startsAt": VenueTime.local(session.startsAt, timeZone: timeZone),
                                  "endsAt": VenueTime.local(session.endsAt, timeZone: timeZone)], forKey: .local)
        }

        enum Key: String, CodingKey { case local }
    }

    /// A day at the venue and its sessions.
    struct DayView: Encodable, Sendable {
        var date: String
        var sessions: [SessionView]
    }

    /// The agenda as the JSON shows it: days → sessions → speakers.
    struct AgendaView: Encodable, Sendable {
        var forum: UUID
        var title: String
        var venue: Forum.Venue
        var timeZone: String
        var version: Int?
        var status: String
        var name: String?
        var comment: String?
        var publishedAt: Date?
        var days: [DayView]
    }

    static func view(_ agenda: Agenda) -> AgendaView {
        AgendaView(forum: agenda.forum, title: agenda.title, venue: agenda.venue, timeZone: agenda.venue.timeZone,
                   version: agenda.version, status: agenda.version == nil ? "draft" : "published", name: agenda.name,
                   comment: agenda.comment, publishedAt: agenda.publishedAt, days: days(agenda))
    }

    static func days(_ agenda: Agenda) -> [DayView] {
        var days: [DayView] = []
        for session in Agenda.ordered(agenda.sessions) {
            let date = agenda.day(of: session)
            let view = SessionView(session: session, timeZone: agenda.venue.timeZone)
            if days.last?.date == date { days[days.count - 1].sessions.append(view) } else { days.append(DayView(date: date, sessions: [view])) }
        }
        return days
    }

    /// One session of a person's agenda, with its forum.
    struct PersonSessionView: Encodable, Sendable {
        var forum: UUID
        var forumTitle: String
        var version: Int?
        var venue: Forum.Venue
        var session: SessionView
    }

    /// A person's sessions across the latest published agendas, by start.
    static func personSessions(_ person: UUID, in agendas: [Agenda]) -> [PersonSessionView] {
        agendas.flatMap { agenda in
            agenda.sessions.filter { $0.people.contains(person) }.map {
                PersonSessionView(forum: agenda.forum, forumTitle: agenda.title, version: agenda.version, venue: agenda.venue,
                                  session: SessionView(session: $0, timeZone: agenda.venue.timeZone))
            }
        }.sorted { ($0.session.session.startsAt, $0.session.session.id.uuidString) < ($1.session.session.startsAt, $1.session.session.id.uuidString) }
    }

    // MARK: iCalendar

    /// The sessions of `agendas` as a calendar. UIDs are the sessions' ids, SEQUENCE counts the
    /// versions that changed a session, and cancelled sessions stay, marked CANCELLED.
    static func calendar(name: String, agendas: [Agenda], only person: UUID? = nil, baseURL: String) -> String {
        let events = agendas.flatMap { agenda in
            agenda.sessions.filter { person == nil || $0.people.contains(person!) }.map { event($0, of: agenda, baseURL: baseURL) }
        }
        return ICalendar.document(name: name, events: events)
    }

    static func event(_ session: AgendaSession, of agenda: Agenda, baseURL: String) -> CalendarEvent {
        var lines = [formatName(session.format)]
        if let chair = session.chair { lines.append("Chair: \(chair.name)") }
        for slot in session.speakers {
            lines.append("\(slot.position). \(slot.speaker.name)\(slot.speaker.organisation.map { " (\($0.name))" } ?? "") – \(slot.minutes) min")
        }
        if !session.description.isEmpty { lines.append(""); lines.append(session.description) }
        return CalendarEvent(
            uid: "\(session.id.uuidString.lowercased())@agora", sequence: session.sequence,
            stamp: agenda.publishedAt ?? Date(), starts: session.startsAt, ends: session.endsAt,
            summary: session.title, description: lines.joined(separator: "\n"),
            location: "\(session.room.name), \(agenda.venue.name), \(agenda.venue.city)",
            categories: [formatName(session.format)], cancelled: session.status == .cancelled,
            url: sessionURL(session, of: agenda, baseURL: baseURL))
    }

    /// "Interactive dialogue" for `interactive_dialogue`.
    static func formatName(_ format: SessionFormat) -> String {
        let words = format.rawValue.replacingOccurrences(of: "_", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    // MARK: frab

    /// The frab conference acronym: lower-case letters, digits and `_`, as both schemas allow.
    static func acronym(_ agenda: Agenda) -> String {
        "agora_" + agenda.forum.uuidString.lowercased().prefix(8)
    }

    /// A session's slug: the acronym, its number and its title in ASCII (both schemas' patterns).
    static func slug(_ session: AgendaSession, acronym: String) -> String {
        var text = ""
        for scalar in session.title.lowercased().applyingTransform(.stripDiacritics, reverse: false)?.unicodeScalars ?? "".unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) { text.unicodeScalars.append(scalar) } else if !text.hasSuffix("-") { text += "-" }
        }
        text = String(text.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(60)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        if text.count < 4 { text = "session" }
        return "\(acronym)-\(session.number)-\(text)"
    }

    /// `HH:MM` of a length in minutes.
    static func duration(_ session: AgendaSession) -> String {
        let minutes = session.lengthInMinutes
        return String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    /// The local dates the forum spans at its venue, first to last.
    static func forumDates(_ agenda: Agenda) -> [String] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: agenda.venue.timeZone) ?? TimeZone(identifier: "UTC")!
        var day = calendar.startOfDay(for: agenda.startsAt)
        let last = calendar.startOfDay(for: agenda.endsAt.addingTimeInterval(-1))
        var dates: [String] = []
        while day <= last, dates.count < 366 {
            dates.append(String((VenueTime.local(day, timeZone: agenda.venue.timeZone) ?? "").prefix(10)))
            day = calendar.date(byAdding: .day, value: 1, to: day) ?? last.addingTimeInterval(86_400)
        }
        // Sessions are within the forum's dates, but a stored document must still export whole.
        for session in agenda.sessions where !dates.contains(agenda.day(of: session)) { dates.append(agenda.day(of: session)) }
        return dates.sorted()
    }

    /// Midnight of `date` at the venue, read there (`…T00:00:00+01:00`).
    static func localMidnight(_ date: String, zone: String) -> String {
        let instant = (try? VenueTime.instant(date: date, time: "00:00", timeZone: zone)) ?? Date(timeIntervalSince1970: 0)
        return VenueTime.local(instant, timeZone: zone) ?? date + "T00:00:00Z"
    }

    static func nextDate(_ date: String, zone: String) -> String {
        let instant = (try? VenueTime.instant(date: date, time: "12:00", timeZone: zone)) ?? Date(timeIntervalSince1970: 0)
        return String((VenueTime.local(instant.addingTimeInterval(86_400), timeZone: zone) ?? "").prefix(10))
    }

    /// What the frab format is told of the zone: only names its JSON schema's pattern admits
    /// (the same expression, as the schema writes it), so the export always validates.
    static func frabZoneName(_ zone: String) -> String? {
        zone.range(of: "^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$", options: .regularExpression) != nil ? zone : nil
    }

    /// The version as the frab format names it: the number, and the name when it has one.
    static func frabVersion(_ agenda: Agenda) -> String {
        "\(agenda.version ?? 0)" + (agenda.name.map { " (\($0))" } ?? "")
    }

    /// The sessions frab exports: cancelled ones are left out, since neither schema can mark
    /// them; schedule apps compare downloads by id and show a vanished event as cancelled.
    static func frabSessions(_ agenda: Agenda) -> [AgendaSession] {
        Agenda.ordered(agenda.sessions).filter { $0.status == .scheduled }
    }

    static func sessionURL(_ session: AgendaSession, of agenda: Agenda, baseURL: String) -> String {
        "\(baseURL)/forums/\(agenda.forum.uuidString.lowercased())/agenda.html#session-\(session.number)"
    }

    /// `schedule.json`, valid against the frab JSON schema.
    static func frabJSON(_ agenda: Agenda, baseURL: String) throws -> Data {
        let zone = agenda.venue.timeZone
        let acronym = acronym(agenda)
        let sessions = frabSessions(agenda)
        let dates = forumDates(agenda)
        let rooms = uniqueRooms(agenda)
        let days: [[String: Any]] = dates.enumerated().map { offset, date in
            var byRoom: [String: [[String: Any]]] = [:]
            for room in rooms { byRoom[room.name] = [] }
            for session in sessions where agenda.day(of: session) == date {
                byRoom[session.room.name, default: []].append(frabEvent(session, of: agenda, acronym: acronym, baseURL: baseURL))
            }
            return ["index": offset + 1, "date": date, "day_start": localMidnight(date, zone: zone),
                    "day_end": localMidnight(nextDate(date, zone: zone), zone: zone), "rooms": byRoom]
        }
        var conference: [String: Any] = [
            "acronym": acronym, "title": agenda.title, "start": dates.first ?? "", "end": dates.last ?? "",
            "daysCount": dates.count, "timeslot_duration": "00:15",
            "url": "\(baseURL)/forums/\(agenda.forum.uuidString.lowercased())/agenda.html",
            "rooms": rooms.map { ["name": $0.name, "guid": $0.id.uuidString.lowercased()] },
            "days": days,
        ]
        conference["time_zone_name"] = frabZoneName(zone)
        let document: [String: Any] = [
            "$schema": "https://c3voc.de/schedule/schema.json",
            "generator": ["name": "agora"],
            "schedule": ["version": frabVersion(agenda), "conference": conference],
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func frabEvent(_ session: AgendaSession, of agenda: Agenda, acronym: String, baseURL: String) -> [String: Any] {
        let zone = agenda.venue.timeZone
        let local = VenueTime.local(session.startsAt, timeZone: zone) ?? ""
        let persons: [[String: Any]] = (session.chair.map { [$0] } ?? []).filter { chair in !session.speakers.contains { $0.speaker.person == chair.person } }
            .map { ["guid": $0.person.uuidString.lowercased(), "name": $0.name, "public_name": $0.name] }
            + session.speakers.map { ["guid": $0.speaker.person.uuidString.lowercased(), "name": $0.speaker.name, "public_name": $0.speaker.name] }
        return [
            "guid": session.id.uuidString.lowercased(), "id": session.number, "date": local,
            "start": String(local.dropFirst(11).prefix(5)), "duration": duration(session), "room": session.room.name,
            "slug": slug(session, acronym: acronym), "url": sessionURL(session, of: agenda, baseURL: baseURL),
            "title": session.title, "subtitle": NSNull(), "track": formatName(session.format), "type": session.format.rawValue,
            "language": session.languages.first.map { $0 as Any } ?? NSNull(),
            "abstract": session.description.isEmpty ? NSNull() : session.description, "description": NSNull(),
            "persons": persons, "links": [] as [Any],
        ]
    }

    static func uniqueRooms(_ agenda: Agenda) -> [AgendaRoom] {
        var seen = Set<UUID>()
        return Agenda.ordered(agenda.sessions).map(\.room).filter { seen.insert($0.id).inserted }.sorted { $0.name < $1.name }
    }

    /// `schedule.xml`, valid against the frab XSD (whose element order it keeps).
    static func frabXML(_ agenda: Agenda, baseURL: String) -> String {
        let zone = agenda.venue.timeZone
        let acronym = acronym(agenda)
        let sessions = frabSessions(agenda)
        let dates = forumDates(agenda)
        let rooms = uniqueRooms(agenda)
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<schedule>\n"
        xml += "  <generator name=\"agora\"/>\n"
        xml += "  <version>\(escapeXML(frabVersion(agenda)))</version>\n"
        xml += "  <conference>\n"
        xml += "    <acronym>\(acronym)</acronym>\n"
        xml += "    <title>\(escapeXML(agenda.title))</title>\n"
        xml += "    <start>\(dates.first ?? "")</start>\n    <end>\(dates.last ?? "")</end>\n"
        xml += "    <days>\(dates.count)</days>\n    <timeslot_duration>00:15</timeslot_duration>\n"
        xml += "    <url>\(escapeXML("\(baseURL)/forums/\(agenda.forum.uuidString.lowercased())/agenda.html"))</url>\n"
        if let name = frabZoneName(zone) { xml += "    <time_zone_name>\(name)</time_zone_name>\n" }
        xml += "  </conference>\n"
        for (offset, date) in dates.enumerated() {
            xml += "  <day index=\"\(offset + 1)\" date=\"\(date)\" start=\"\(localMidnight(date, zone: zone))\" end=\"\(localMidnight(nextDate(date, zone: zone), zone: zone))\">\n"
            for room in rooms {
                xml += "    <room name=\"\(escapeXML(room.name))\" guid=\"\(room.id.uuidString.lowercased())\">\n"
                for session in sessions where session.room.id == room.id && agenda.day(of: session) == date {
                    xml += frabXMLEvent(session, of: agenda, acronym: acronym, baseURL: baseURL)
                }
                xml += "    </room>\n"
            }
            xml += "  </day>\n"
        }
        return xml + "</schedule>\n"
    }

    static func frabXMLEvent(_ session: AgendaSession, of agenda: Agenda, acronym: String, baseURL: String) -> String {
        let local = VenueTime.local(session.startsAt, timeZone: agenda.venue.timeZone) ?? ""
        var xml = "      <event id=\"\(session.number)\" guid=\"\(session.id.uuidString.lowercased())\">\n"
        xml += "        <date>\(local)</date>\n        <start>\(local.dropFirst(11).prefix(5))</start>\n"
        xml += "        <duration>\(duration(session))</duration>\n        <room>\(escapeXML(session.room.name))</room>\n"
        xml += "        <slug>\(slug(session, acronym: acronym))</slug>\n"
        xml += "        <url>\(escapeXML(sessionURL(session, of: agenda, baseURL: baseURL)))</url>\n"
        xml += "        <title>\(escapeXML(session.title))</title>\n"
        xml += "        <track>\(formatName(session.format))</track>\n        <type>\(session.format.rawValue)</type>\n"
        if let language = session.languages.first { xml += "        <language>\(escapeXML(language))</language>\n" }
        xml += "        <abstract>\(escapeXML(session.description))</abstract>\n"
        xml += "        <persons>\n"
        if let chair = session.chair, !session.speakers.contains(where: { $0.speaker.person == chair.person }) {
            xml += "          <person guid=\"\(chair.person.uuidString.lowercased())\">\(escapeXML(chair.name))</person>\n"
        }
        for slot in session.speakers {
            xml += "          <person guid=\"\(slot.speaker.person.uuidString.lowercased())\">\(escapeXML(slot.speaker.name))</person>\n"
        }
        return xml + "        </persons>\n      </event>\n"
    }

    /// Text for XML: the five markup characters escaped, and characters XML 1.0 cannot hold
    /// (control characters other than tab and line breaks) left out.
    static func escapeXML(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { continue }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    // MARK: HTML

    static let template: MustacheTemplate = {
        do {
            return try MustacheTemplate(string: pageSource)
        } catch {
            // The template is a constant of this file; a parse error is a programming error caught by the tests.
            fatalError("agenda template: \(error)")
        }
    }()

    /// The printable page of `agenda` (Mustache escapes every value for HTML).
    static func page(_ agenda: Agenda) -> String {
        template.render(pageContext(agenda))
    }

    static func pageContext(_ agenda: Agenda) -> [String: Any] {
        let zone = agenda.venue.timeZone
        let days = days(agenda).map { day -> [String: Any] in
            ["date": day.date, "heading": readableDate(day.date), "sessions": day.sessions.map { view -> [String: Any] in
                let session = view.session
                let starts = VenueTime.local(session.startsAt, timeZone: zone) ?? ""
                let ends = VenueTime.local(session.endsAt, timeZone: zone) ?? ""
                return [
                    "number": session.number, "title": session.title, "format": formatName(session.format),
                    "starts": String(starts.dropFirst(11).prefix(5)), "ends": String(ends.dropFirst(11).prefix(5)),
                    "startsISO": starts, "endsISO": ends,
                    "room": session.room.name, "cancelled": session.status == .cancelled,
                    "chair": session.chair?.name ?? "", "hasChair": session.chair != nil,
                    "description": session.description, "hasDescription": !session.description.isEmpty,
                    "languages": (session.languages + session.interpretation.map { "\($0) (interpretation)" }).joined(separator: ", "),
                    "hasLanguages": !(session.languages + session.interpretation).isEmpty,
                    "lang": session.languages.first ?? "", "hasLang": !session.languages.isEmpty,
                    "hasSpeakers": !session.speakers.isEmpty,
                    "speakers": session.speakers.map { slot -> [String: Any] in
                        ["name": slot.speaker.name, "minutes": slot.minutes,
                         "from": ([slot.speaker.organisation?.name, slot.speaker.constituency, slot.speaker.country].compactMap { $0 }).joined(separator: ", ")]
                    },
                ]
            }]
        }
        return [
            "title": agenda.title, "venue": "\(agenda.venue.name), \(agenda.venue.city) (\(agenda.venue.country))",
            "timeZone": zone, "days": days, "hasDays": !days.isEmpty,
            "version": agenda.version.map { "Version \($0)" } ?? "Draft",
            "versionName": agenda.name ?? "", "hasVersionName": agenda.name != nil,
            "published": agenda.publishedAt.flatMap { VenueTime.local($0, timeZone: zone) }.map { "\(readableDate(String($0.prefix(10)))), \($0.dropFirst(11).prefix(5))" } ?? "",
            "hasPublished": agenda.publishedAt != nil,
            "comment": agenda.comment ?? "", "hasComment": !(agenda.comment ?? "").isEmpty,
        ]
    }

    /// "Tuesday 1 December 2026" for `2026-12-01` (no time zone involved: it is a calendar date).
    static func readableDate(_ date: String) -> String {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return date }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let day = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else { return date }
        let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        return "\(weekdays[calendar.component(.weekday, from: day) - 1]) \(parts[2]) \(months[parts[1] - 1]) \(parts[0])"
    }

    static let pageSource = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Agenda: {{title}}</title>
    <style>
      body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 52rem; margin: 1.5rem auto; padding: 0 1rem; line-height: 1.45; color: #1a1a1a; }
      header { border-bottom: 2px solid #1a1a1a; margin-bottom: 1rem; }
      h1 { font-size: 1.5rem; margin: 0.2rem 0; }
      h2 { font-size: 1.15rem; margin-top: 1.8rem; border-bottom: 1px solid #999; }
      .kicker { text-transform: uppercase; letter-spacing: 0.08em; font-size: 0.8rem; color: #555; }
      nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; }
      ol.sessions { list-style: none; padding: 0; }
      li.session { display: grid; grid-template-columns: 7rem 1fr; gap: 0 1rem; padding: 0.6rem 0; border-bottom: 1px solid #ddd; page-break-inside: avoid; }
      .when { font-variant-numeric: tabular-nums; font-weight: bold; }
      .room { display: block; font-weight: normal; color: #555; font-size: 0.9rem; }
      h3 { font-size: 1rem; margin: 0; }
      .format { color: #555; font-size: 0.85rem; }
      .cancelled h3 { text-decoration: line-through; }
      .badge { display: inline-block; background: #9a1c00; color: #fff; font-size: 0.75rem; padding: 0 0.4rem; border-radius: 0.2rem; text-decoration: none; }
      ol.speakers { margin: 0.3rem 0 0; padding-left: 1.3rem; }
      .from { color: #555; }
      @media (max-width: 36rem) { li.session { grid-template-columns: 1fr; } }
      @media print { body { margin: 0; max-width: none; } nav { display: none; } a { color: inherit; } h2 { page-break-after: avoid; } }
    </style>
    </head>
    <body>
    <header>
      <div class="kicker">Agenda · {{version}}{{#hasVersionName}}: {{versionName}}{{/hasVersionName}}</div>
      <h1>{{title}}</h1>
      <p>{{venue}}. Times are local ({{timeZone}}).{{#hasPublished}} Published {{published}}.{{/hasPublished}}</p>
      {{#hasComment}}<p>{{comment}}</p>{{/hasComment}}
    </header>
    {{#hasDays}}
    <nav aria-label="Days">
      <ul>{{#days}}<li><a href="#day-{{date}}">{{heading}}</a></li>{{/days}}</ul>
    </nav>
    {{/hasDays}}
    <main>
    {{#days}}
    <section aria-labelledby="day-{{date}}">
      <h2 id="day-{{date}}">{{heading}}</h2>
      <ol class="sessions">
      {{#sessions}}
        <li class="session{{#cancelled}} cancelled{{/cancelled}}" id="session-{{number}}">
          <div class="when"><time datetime="{{startsISO}}">{{starts}}</time>–<time datetime="{{endsISO}}">{{ends}}</time><span class="room">{{room}}</span></div>
          <div>
            <h3{{#hasLang}} lang="{{lang}}"{{/hasLang}}>{{title}}</h3>
            <div class="format">{{format}}{{#hasLanguages}} · {{languages}}{{/hasLanguages}}{{#cancelled}} <span class="badge">Cancelled</span>{{/cancelled}}</div>
            {{#hasChair}}<div>Chair: {{chair}}</div>{{/hasChair}}
            {{#hasDescription}}<p>{{description}}</p>{{/hasDescription}}
            {{#hasSpeakers}}<ol class="speakers">{{#speakers}}<li>{{name}} <span class="from">({{from}})</span>, {{minutes}} min</li>{{/speakers}}</ol>{{/hasSpeakers}}
          </div>
        </li>
      {{/sessions}}
      </ol>
    </section>
    {{/days}}
    {{^hasDays}}<p>No sessions yet.</p>{{/hasDays}}
    </main>
    <footer><p class="from">Published by Agora. Also as <a href="agenda.ics">iCalendar</a>, <a href="schedule.xml">frab XML</a> and <a href="agenda">JSON</a>.</p></footer>
    </body>
    </html>
    """
}
