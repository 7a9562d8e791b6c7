import Agora
import Foundation
import Mustache

/// A notice in words: what an e-mail says (subject, plain text, HTML) in one language.
struct RenderedNotice: Sendable, Equatable {
    var language: String
    var subject: String
    var text: String
    var html: String
    /// The reader's one-click unsubscribe link, when there is one.
    var unsubscribeURL: String?
}

/// Turns a notice's content into words, in the reader's language when its templates exist
/// (``NoticeTemplates``), in English otherwise. Instants are written in the venue's time zone,
/// in the reader's language; links point at the public URL of the API.
struct NoticeRenderer: Sendable {
    /// The base of every link, e.g. `https://agora.example.org` (no trailing slash).
    let publicURL: String
    private let templates: [String: [String: (subject: MustacheTemplate, text: MustacheTemplate)]]
    private let layout: MustacheTemplate

    /// Compiles every template once; a template that does not parse is a programming error,
    /// caught by the tests that render every kind in every language.
    init(publicURL: String) {
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        var compiled: [String: [String: (subject: MustacheTemplate, text: MustacheTemplate)]] = [:]
        for (kind, languages) in NoticeTemplates.catalogue {
            for (language, words) in languages {
                do {
                    compiled[kind, default: [:]][language] = (try MustacheTemplate(string: words.subject), try MustacheTemplate(string: words.text))
                } catch {
                    preconditionFailure("notice template \(kind)/\(language) does not parse: \(error)")
                }
            }
        }
        templates = compiled
        do { layout = try MustacheTemplate(string: NoticeTemplates.htmlLayout) } catch { preconditionFailure("the HTML layout does not parse: \(error)") }
    }

    /// The languages with templates for `kind`.
    func languages(of kind: String) -> Set<String> { Set(templates[kind]?.keys ?? [:].keys) }

    /// `kind` in `language` (or English) with `values`; nil for a kind without templates.
    func render(kind: String, language: String, values: [String: JSONValue], reader: UUID? = nil) -> RenderedNotice? {
        guard let byLanguage = templates[kind] else { return nil }
        let language = byLanguage[language] != nil ? language : "en"
        guard let words = byLanguage[language] else { return nil }
        let context = self.context(kind: kind, language: language, values: values, reader: reader)
        // One line, whatever a title holds (U+2028 and U+0085 are line breaks too).
        let subject = words.subject.render(context).components(separatedBy: .newlines).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        let text = words.text.render(context).trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        var page = context
        page["lang"] = language
        page["subject"] = subject
        page["paragraphs"] = text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .newlines) }.filter { !$0.isEmpty }
        page["links"] = links(context, language: language)
        return RenderedNotice(language: language, subject: subject, text: text, html: layout.render(page),
                              unsubscribeURL: context["unsubscribeURL"] as? String)
    }

    /// The template context: the values as Mustache reads them, dates written for the reader,
    /// and the links of the notice.
    func context(kind: String, language: String, values: [String: JSONValue], reader: UUID?) -> [String: Any] {
        var context: [String: Any] = [:]
        for (key, value) in values { context[key] = Self.mustache(value) }
        let zone = values["timeZone"].flatMap { if case .string(let name) = $0 { TimeZone(identifier: name) } else { nil } } ?? TimeZone(identifier: "UTC")!
        for key in ["expiresAt", "deadline", "confirmBy", "startsAt", "endsAt", "nominationsDeadline", "forumStartsAt"] {
            if case .string(let iso)? = values[key], let date = NoticeRenderer.date(iso) {
                context[key] = Self.write(date, language: language, zone: zone)
            }
        }
        context["publicURL"] = publicURL
        if case .string(let forum)? = values["forum"] {
            context["forumURL"] = "\(publicURL)/forums/\(forum)"
            context["agendaURL"] = "\(publicURL)/forums/\(forum)/agenda.html"
            context["calendarURL"] = "\(publicURL)/forums/\(forum)/agenda.ics"
            context["proceedingsURL"] = "\(publicURL)/forums/\(forum)/proceedings"
        }
        if case .string(let slate)? = values["slate"] { context["decisionsURL"] = "\(publicURL)/slates/\(slate)" }
        context["redeemURL"] = "\(publicURL)/account-invitations/redeem"
        if case .string(let code)? = values["optOutCode"] { context["unsubscribeURL"] = "\(publicURL)/mail-opt-outs/unsubscribe?code=\(code)" }
        if case .string(let subscription)? = values["subscription"] {
            context["confirmURL"] = "\(publicURL)/subscriptions/\(subscription)/confirmation"
            if case .string(let code)? = values["unsubscribeCode"] {
                context["unsubscribeURL"] = "\(publicURL)/subscriptions/\(subscription)/unsubscribe?code=\(code)"
            }
        }
        for key in ["selected", "reserves", "notSelected"] {
            let count = (context[key] as? [Any])?.count ?? 0
            context["has" + key.prefix(1).uppercased() + key.dropFirst()] = count > 0
        }
        if case .array(let changes)? = values["changes"] {
            context["changes"] = changes.map { ["line": AgendaChangeWords.line($0, language: language, zone: zone, reader: reader)] }
        }
        if case .number(let from)? = values["fromVersion"], case .number(let to)? = values["toVersion"] {
            context["fromVersion"] = String(Int(from))
            context["toVersion"] = String(Int(to))
            context["severalVersions"] = to > from
        }
        return context
    }

    /// The agenda's links under the text (the layout adds the unsubscribe link itself), for
    /// the kinds about the agenda.
    private func links(_ context: [String: Any], language: String) -> [[String: String]] {
        guard context["sessionTitle"] != nil || context["changes"] != nil else { return [] }
        let labels: [(key: String, label: String)] = switch language {
        case "fr": [("agendaURL", "Ordre du jour"), ("calendarURL", "Calendrier (.ics)")]
        case "es": [("agendaURL", "Programa"), ("calendarURL", "Calendario (.ics)")]
        default: [("agendaURL", "Agenda"), ("calendarURL", "Calendar (.ics)")]
        }
        return labels.compactMap { key, label in (context[key] as? String).map { ["label": label, "url": $0] } }
    }

    /// A JSON value as Mustache reads it: whole numbers without a decimal point.
    static func mustache(_ value: JSONValue) -> Any {
        switch value {
        case .null: return false
        case .bool(let flag): return flag
        case .number(let number): return number.rounded() == number ? String(Int(number)) : String(number)
        case .string(let text): return text
        case .array(let items): return items.map(mustache)
        case .object(let fields): return fields.mapValues(mustache)
        }
    }

    /// An ISO 8601 instant as the outbox holds it (`Z` or an offset such as `+00:00`, as
    /// PostgreSQL writes timestamps into JSON).
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions.insert(.withFractionalSeconds)
        return formatter.date(from: text)
    }

    /// An instant for a reader of `language`, in `zone`, naming the zone.
    static func write(_ date: Date, language: String, zone: TimeZone) -> String {
        var style = Date.FormatStyle(date: .complete, time: .shortened, locale: Locale(identifier: language == "fr" ? "fr_FR" : language == "es" ? "es_ES" : "en_GB"),
                                     calendar: Calendar(identifier: .gregorian), timeZone: zone)
        style.timeZone = zone
        return date.formatted(style) + " (\(zone.identifier))"
    }
}

/// One line per agenda change, in the reader's language.
enum AgendaChangeWords {
    static func line(_ change: JSONValue, language: String, zone: TimeZone, reader: UUID?) -> String {
        guard case .object(let fields) = change else { return "" }
        func string(_ key: String, in object: [String: JSONValue]? = nil) -> String? {
            if case .string(let value)? = (object ?? fields)[key] { return value }
            return nil
        }
        func place(_ key: String) -> [String: JSONValue]? { if case .object(let place)? = fields[key] { place } else { nil } }
        func when(_ place: [String: JSONValue]?) -> String {
            guard let place, let iso = string("startsAt", in: place), let date = NoticeRenderer.date(iso) else { return "?" }
            var room = ""
            if case .object(let r)? = place["room"], case .string(let name)? = r["name"] { room = ", " + name }
            return NoticeRenderer.write(date, language: language, zone: zone) + room
        }
        let title = "“" + (string("title") ?? "") + "”"
        let isReader = reader.map { $0.uuidString.lowercased() == string("person")?.lowercased() } ?? false
        let french = language == "fr"
        switch string("kind") {
        case "session.added": return french ? "Nouvelle séance \(title) : \(when(place("after")))" : "New session \(title): \(when(place("after")))"
        case "session.moved": return french ? "La séance \(title) est déplacée : \(when(place("before"))) → \(when(place("after")))"
                                            : "Session \(title) moved: \(when(place("before"))) → \(when(place("after")))"
        case "session.retitled":
            let old = "“" + (string("title", in: place("before")) ?? "") + "”"
            return french ? "La séance \(old) s’intitule désormais \(title)" : "Session \(old) is now called \(title)"
        case "session.cancelled": return french ? "La séance \(title) est annulée" : "Session \(title) is cancelled"
        case "session.changed":
            var list = ""
            if case .array(let names)? = fields["fields"] { list = names.compactMap { if case .string(let n) = $0 { n } else { nil } }.joined(separator: ", ") }
            return french ? "La séance \(title) a changé (\(list))" : "Session \(title) changed (\(list))"
        case "speaker.added": return isReader ? (french ? "Vous êtes inscrit·e comme orateur dans \(title)" : "You are now a speaker in \(title)")
                                              : (french ? "Un orateur s’ajoute à \(title)" : "A speaker was added to \(title)")
        case "speaker.removed": return isReader ? (french ? "Vous n’êtes plus orateur dans \(title)" : "You no longer speak in \(title)")
                                                : (french ? "Un orateur ne figure plus dans \(title)" : "A speaker was removed from \(title)")
        case "speaker.moved": return isReader ? (french ? "Votre place ou votre temps de parole dans \(title) a changé" : "Your place or speaking time in \(title) changed")
                                              : (french ? "L’ordre des orateurs de \(title) a changé" : "The order of speakers in \(title) changed")
        default: return title
        }
    }
}
