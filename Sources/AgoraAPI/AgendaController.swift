import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The agenda: the secretariat builds sessions and speaker lists and publishes versions;
/// everyone reads published versions as JSON, iCalendar, frab and HTML, through a cache that
/// every publish invalidates on every server.
struct AgendaController {
    let store: AgendaStore
    let forums: ForumStore
    let people: PersonStore
    let cache: AgendaCache
    let idempotency: Idempotency
    /// Where this server is reached from outside: absolute links in iCalendar and frab exports.
    let baseURL: String

    static let sessionFields: Set<String> = ["title", "format", "startsAt", "endsAt", "room", "chair", "description",
                                             "languages", "interpretation"]

    func addRoutes(to routes: AccessControlledRoutes) {
        addBuildingRoutes(to: routes)
        addReadingRoutes(to: routes)
    }

    // MARK: Building (secretariat)

    func addBuildingRoutes(to routes: AccessControlledRoutes) {
        let forumRoutes = routes.group("/forums")
        let sessions = routes.group("/sessions")

        forumRoutes.post(":id/sessions", rule: .roles([.secretariat])) { request, context in
            let forumID = try context.pathID()
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: Self.sessionFields)
            guard let forum = try await forums.forum(forumID) else { throw Refusal.notFound() }
            let zone = forum.venue.timeZone
            return try await idempotency.run(request, body: body, context: context, answer: { (created: AgendaSession?) in
                guard let created else { throw Refusal.notFound() }
                return try JSONAnswer(AgendaFormats.SessionView(session: created, timeZone: zone), status: .created, headers: [
                    .location: "/sessions/\(created.id.uuidString)", .eTag: EntityTag.header(version: created.version),
                ])
            }) {
                var reader = reader
                let fields = Self.readSession(&reader, creating: true, timeZone: zone)
                try reader.check()
                return try await store.createSession(in: forumID, fields, by: context.actor, requestID: context.requestID)
            }
        }

        sessions.get(":id", rule: .roles([.secretariat])) { _, context in
            let id = try context.pathID()
            guard let zone = try await store.timeZone(ofSession: id), let (_, session) = try await store.session(id) else { throw Refusal.notFound() }
            return try versionedAnswer(AgendaFormats.SessionView(session: session, timeZone: zone), version: session.version)
        }

        sessions.patch(":id", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            guard let zone = try await store.timeZone(ofSession: id) else { throw Refusal.notFound() }
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: Self.sessionFields)
            let fields = Self.readSession(&reader, creating: false, timeZone: zone)
            try reader.check()
            let session = try await store.updateSession(id, fields, expectedVersion: try EntityTag.expectedVersion(request),
                                                        by: context.actor, requestID: context.requestID)
            return try versionedAnswer(AgendaFormats.SessionView(session: session, timeZone: zone), version: session.version)
        }

        sessions.post(":id/cancellation", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            // No fields: an empty body or `{}`, so a mistyped field is refused rather than ignored.
            let data = try await FieldReader.body(request, context: context)
            if !data.isEmpty { _ = try FieldReader.parse(data, accepted: []) }
            guard let zone = try await store.timeZone(ofSession: id) else { throw Refusal.notFound() }
            let session = try await store.cancelSession(id, by: context.actor, requestID: context.requestID)
            return try versionedAnswer(AgendaFormats.SessionView(session: session, timeZone: zone), version: session.version)
        }

        sessions.put(":id/speakers", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            guard let zone = try await store.timeZone(ofSession: id) else { throw Refusal.notFound() }
            let places = try Self.readSpeakers(try await FieldReader.body(request, context: context))
            let session = try await store.setSpeakers(of: id, places, expectedVersion: try EntityTag.expectedVersion(request),
                                                      by: context.actor, requestID: context.requestID)
            return try versionedAnswer(AgendaFormats.SessionView(session: session, timeZone: zone), version: session.version)
        }

        forumRoutes.post(":id/agenda/versions", rule: .roles([.secretariat])) { request, context in
            let forumID = try context.pathID()
            var data = try await FieldReader.body(request, context: context)
            if data.isEmpty { data = Data("{}".utf8) }
            let reader = try FieldReader.parse(data, accepted: ["name", "comment"])
            let cache = cache
            return try await idempotency.run(request, body: data, context: context, answer: { (version: AgendaVersion?) in
                guard let version else { throw Refusal.notFound() }
                return try JSONAnswer(version, status: .created, headers: [
                    .location: "/forums/\(forumID.uuidString)/agenda?version=\(version.version)",
                ])
            }) {
                var reader = reader
                let name = reader.string("name", maxLength: 200)
                let comment = reader.string("comment", maxLength: 5000)
                try reader.check()
                let version = try await store.publish(forumID, name: name, comment: comment, by: context.actor, requestID: context.requestID)
                // This server reads its own publish at once; the others hear of it by NOTIFY.
                cache.published(forum: forumID)
                return version
            }
        }
    }

    /// A session's fields: all but chair, description and languages required when creating;
    /// when changing, those given (only chair may be null, to have none). Times are instants
    /// or local readings at the venue.
    static func readSession(_ reader: inout FieldReader, creating: Bool, timeZone: String) -> AgendaSession.Fields {
        var fields = AgendaSession.Fields()
        if !creating { reader.refuseNulls(Array(sessionFields.subtracting(["chair", "description"])).sorted()) }
        // Creating reads every field; a change reads those given (a refused null is one error, not two).
        func wanted(_ name: String) -> Bool { creating || (reader.has(name) && reader.fields[name] != .null) }
        if wanted("title") { fields.title = reader.string("title", required: true) }
        if wanted("format") { fields.format = reader.choice("format", required: true, as: SessionFormat.self) }
        if wanted("startsAt") { fields.startsAt = ForumController.readTime(&reader, "startsAt", required: true, timeZone: timeZone) }
        if wanted("endsAt") { fields.endsAt = ForumController.readTime(&reader, "endsAt", required: true, timeZone: timeZone) }
        if wanted("room") { fields.room = reader.uuid("room", required: true) }
        if reader.has("chair") {
            fields.chair = reader.fields["chair"] == .null ? .some(nil) : reader.uuid("chair", required: true).map { .some($0) }
        }
        // A description is cleared with null (or never given, when creating).
        if reader.has("description") { fields.description = reader.fields["description"] == .null ? "" : reader.string("description", maxLength: 5000) }
        if wanted("languages"), reader.has("languages") { fields.languages = readLanguages(&reader, "languages") }
        if wanted("interpretation"), reader.has("interpretation") { fields.interpretation = readLanguages(&reader, "interpretation") }
        if let starts = fields.startsAt, let ends = fields.endsAt, ends <= starts {
            reader.errors.append(.init(field: "endsAt", message: "must be after startsAt"))
        }
        return fields
    }

    /// Language codes such as `en`, `fr`, `zh-Hans`: at most 10, each once.
    static func readLanguages(_ reader: inout FieldReader, _ name: String) -> [String]? {
        guard case .array(let items)? = reader.fields[name], items.count <= 10 else {
            reader.errors.append(.init(field: name, message: "must be a list of at most 10 language codes"))
            return nil
        }
        var codes: [String] = []
        for (offset, item) in items.enumerated() {
            guard case .string(let code) = item, isLanguageCode(code), !codes.contains(code) else {
                reader.errors.append(.init(field: "\(name)[\(offset)]", message: "must be a language code such as en or zh-Hans, given once"))
                continue
            }
            codes.append(code)
        }
        return codes.count == items.count ? codes : nil
    }

    static func isLanguageCode(_ text: String) -> Bool {
        text.count <= 35 && text.range(of: "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", options: .regularExpression) != nil
    }

    /// The speaker list of `PUT /sessions/{id}/speakers`: `[{"person": …, "minutes": …}]`, in order.
    static func readSpeakers(_ data: Data) throws -> [SpeakerPlace] {
        guard let items = try? JSONDecoder().decode([JSONValue].self, from: data) else {
            throw Refusal.malformedBody("The request body must be a JSON array of {\"person\", \"minutes\"}.")
        }
        var problems: [FieldProblem] = []
        if items.count > 200 { throw Refusal.invalid("speakers", "must list at most 200 speakers") }
        var places: [SpeakerPlace] = []
        for (offset, item) in items.enumerated() {
            let path = "speakers[\(offset)]"
            guard case .object(let fields) = item else {
                problems.append(FieldProblem(field: path, message: "must be an object {person, minutes}"))
                continue
            }
            problems += FieldReader.pathsHoldingNUL(in: item, at: path).map { FieldProblem(field: $0, message: "must not contain the NUL character (U+0000)") }
            let unknown = fields.keys.filter { !["person", "minutes"].contains($0) }.sorted()
            if !unknown.isEmpty { throw Refusal.unknownFields(unknown.map { "\(path).\($0)" }) }
            var reader = FieldReader(fields: fields)
            let person = reader.uuid("person", required: true)
            let minutes = reader.integer("minutes", in: 1...1440, required: true)
            problems += reader.errors.map { FieldProblem(field: "\(path).\($0.field)", message: $0.message) }
            if let person, let minutes { places.append(SpeakerPlace(person: person, minutes: minutes)) }
        }
        if !problems.isEmpty { throw Refusal.invalid(problems) }
        return places
    }

    // MARK: Reading (everyone, once published)

    func addReadingRoutes(to routes: AccessControlledRoutes) {
        let forumRoutes = routes.group("/forums")
        let peopleRoutes = routes.group("/people")
        let baseURL = baseURL

        forumRoutes.get(":id/agenda", rule: .everyone) { request, context in
            let filter = try Self.filter(request)
            return try await represent(request, context, kind: "json|" + filter.key, filtered: !filter.isEmpty, contentType: "application/json; charset=utf-8") { agenda in
                ByteBuffer(bytes: AgendaJSONWriter.write(AgendaFormats.view(filter.apply(to: agenda))))
            }
        }
        forumRoutes.get(":id/agenda.ics", rule: .everyone) { request, context in
            let filter = try Self.filter(request)
            return try await represent(request, context, kind: "ics|" + filter.key, filtered: !filter.isEmpty, contentType: "text/calendar; charset=utf-8") { agenda in
                ByteBuffer(string: AgendaFormats.calendar(name: agenda.title, agendas: [filter.apply(to: agenda)], baseURL: baseURL))
            }
        }
        forumRoutes.get(":id/agenda.html", rule: .everyone) { request, context in
            let filter = try Self.filter(request)
            return try await represent(request, context, kind: "html|" + filter.key, filtered: !filter.isEmpty, contentType: "text/html; charset=utf-8") { agenda in
                ByteBuffer(string: AgendaFormats.page(filter.apply(to: agenda)))
            }
        }
        forumRoutes.get(":id/schedule.json", rule: .everyone) { request, context in
            try await represent(request, context, kind: "frab-json", contentType: "application/json; charset=utf-8") { agenda in
                ByteBuffer(bytes: try AgendaFormats.frabJSON(agenda, baseURL: baseURL))
            }
        }
        forumRoutes.get(":id/schedule.xml", rule: .everyone) { request, context in
            try await represent(request, context, kind: "frab-xml", contentType: "application/xml; charset=utf-8") { agenda in
                ByteBuffer(string: AgendaFormats.frabXML(agenda, baseURL: baseURL))
            }
        }
        forumRoutes.get(":id/agenda/changes", rule: .everyone) { request, context in
            try await changes(request, context)
        }
        peopleRoutes.get(":id/agenda", rule: .everyone) { request, context in
            let person = try context.pathID()
            guard try await people.person(person) != nil else { throw Refusal.notFound() }
            let items = AgendaFormats.personSessions(person, in: try await store.agendas(of: person))
            return try Self.uncached(request, ByteBuffer(bytes: try APIJSON.encode(PersonAgenda(person: person, items: items))),
                                     contentType: "application/json; charset=utf-8")
        }
        peopleRoutes.get(":id/agenda.ics", rule: .everyone) { request, context in
            let person = try context.pathID()
            guard let found = try await people.person(person) else { throw Refusal.notFound() }
            let calendar = AgendaFormats.calendar(name: "Agenda of \(found.name)", agendas: try await store.agendas(of: person), only: person, baseURL: baseURL)
            return try Self.uncached(request, ByteBuffer(string: calendar), contentType: "text/calendar; charset=utf-8")
        }
    }

    /// A person's own sessions across forums.
    struct PersonAgenda: Encodable, Sendable {
        var person: UUID
        var items: [AgendaFormats.PersonSessionView]
    }

    /// `?version=`: a published version's number, or `draft` (the secretariat's working copy).
    enum VersionChoice: Equatable {
        case latest
        case number(Int)
        case draft
    }

    static func versionChoice(_ request: Request) throws -> VersionChoice {
        guard let text = request.uri.queryParameters["version"].map(String.init) else { return .latest }
        if text == "draft" { return .draft }
        guard let number = Int(text), (1...1_000_000).contains(number) else {
            throw Refusal(.invalidQuery, "`version` must be a published version's number, or draft.",
                          errors: [FieldProblem(field: "version", message: "must be a version number (1, 2, …) or draft")])
        }
        return .number(number)
    }

    /// The filters of `GET /forums/{id}/agenda` (and its `.ics` and `.html`), each checked.
    static func filter(_ request: Request) throws -> AgendaFilter {
        let query = request.uri.queryParameters
        var filter = AgendaFilter()
        var problems: [FieldProblem] = []
        if let day = query["day"].map(String.init) {
            // Canonical values only, so a filter has one cache key and one ETag.
            if let date = CalendarDate(day) { filter.day = date.description } else { problems.append(.init(field: "day", message: "must be a date YYYY-MM-DD")) }
        }
        if let room = query["room"].map(String.init) {
            if let id = UUID(uuidString: room) { filter.room = id } else { problems.append(.init(field: "room", message: "must be a room's id")) }
        }
        if let speaker = query["speaker"].map(String.init) {
            if let id = UUID(uuidString: speaker) { filter.speaker = id } else { problems.append(.init(field: "speaker", message: "must be a person's id")) }
        }
        if let constituency = query["constituency"].map(String.init) {
            if constituency.range(of: "^[a-z][a-z0-9_]{1,39}$", options: .regularExpression) != nil { filter.constituency = constituency } else {
                problems.append(.init(field: "constituency", message: "must be a constituency code"))
            }
        }
        if let language = query["language"].map(String.init) {
            if isLanguageCode(language) { filter.language = language } else {
                problems.append(.init(field: "language", message: "must be a language code such as en"))
            }
        }
        if !problems.isEmpty {
            throw Refusal(.invalidQuery, "Some query parameters are not valid: " + problems.map(\.field).joined(separator: ", ") + ".", errors: problems)
        }
        return filter
    }

    /// Answers with one representation of a forum's agenda: the latest published version (or
    /// `?version=n`) from the cache, built and cached on a miss; the draft, never cached, for
    /// the secretariat (`?version=draft`, or while nothing is published).
    func represent(_ request: Request, _ context: AgoraRequestContext, kind: String, filtered: Bool = false, contentType: String,
                   render: @escaping @Sendable (Agenda) throws -> ByteBuffer) async throws -> Response {
        let forum = try context.pathID()
        let choice = try Self.versionChoice(request)
        let number: Int
        switch choice {
        case .draft:
            return try await draft(request, context, forum: forum, contentType: contentType, render: render)
        case .number(let requested):
            number = requested
        case .latest:
            guard let latest = try await latestVersion(of: forum) else {
                if Visibility.seesAgendaDraft(context.actor) {
                    return try await draft(request, context, forum: forum, contentType: contentType, render: render)
                }
                throw Refusal.notFound("The agenda of this forum is not published yet.")
            }
            number = latest
        }
        let key = AgendaCache.Key(forum: forum, version: number, representation: kind)
        // Filtered answers are not kept: callers choose filters, and must not fill or flush the cache.
        let entry = try await cached(key, keep: !filtered) {
            AgendaCache.Entry(body: try render(try await publishedAgenda(forum, version: number)), gzip: nil,
                              etag: etag(version: number, kind: kind), contentType: contentType)
        }
        // A numbered version never changes; the latest is revalidated (cheaply: ETag, 304).
        let cacheControl = choice == .latest ? "public, no-cache" : "public, max-age=86400, immutable"
        return try answer(request, key: key, entry: entry, cacheControl: cacheControl)
    }

    /// The representation at `key`, built on a miss (and kept when `keep`).
    func cached(_ key: AgendaCache.Key, keep: Bool, build: () async throws -> AgendaCache.Entry) async throws -> AgendaCache.Entry {
        if let entry = cache.entry(key) { return entry }
        let entry = try await build()
        if keep { cache.store(entry, for: key) }
        return entry
    }

    /// A published version, from memory or read (and then kept).
    func publishedAgenda(_ forum: UUID, version: Int) async throws -> Agenda {
        if let kept = cache.agenda(forum: forum, version: version) { return kept }
        guard let read = try await store.published(forum, version: version) else {
            throw Refusal.notFound("This forum has no published agenda version \(version).")
        }
        cache.store(read, forum: forum, version: version)
        return read
    }

    /// What a representation of version `version` is tagged with: the version, the kind (format
    /// and filter), and what else shapes its bytes (the renderers' revision, this server's base
    /// URL), so a deploy or another configuration never reuses a tag for other bytes.
    func etag(version: Int, kind: String) -> String {
        "\"v\(version)-\(Self.fingerprint(kind + "|" + Self.representationRevision + "|" + baseURL))\""
    }

    /// Raised whenever a renderer's output changes for the same version.
    static let representationRevision = "1"

    /// The latest published version of `forum` (nil if none), remembered until a publish.
    func latestVersion(of forum: UUID) async throws -> Int? {
        let (known, epoch) = cache.latest(of: forum)
        if let known { return known }
        guard let latest = try await store.latestVersion(of: forum) else { return nil }
        cache.remember(latest: latest, of: forum, since: epoch)
        return latest
    }

    func draft(_ request: Request, _ context: AgoraRequestContext, forum: UUID, contentType: String,
               render: @Sendable (Agenda) throws -> ByteBuffer) async throws -> Response {
        guard Visibility.seesAgendaDraft(context.actor), let agenda = try await store.draft(forum) else {
            throw Refusal.notFound("The draft agenda is for the secretariat.")
        }
        var response = try Self.uncached(request, try render(agenda), contentType: contentType)
        response.headers[.cacheControl] = "private, no-store"
        return response
    }

    /// A cached representation: 304 when `If-None-Match` names it, gzip (compressed once) when
    /// the client takes it.
    func answer(_ request: Request, key: AgendaCache.Key, entry: AgendaCache.Entry, cacheControl: String) throws -> Response {
        let gzip = Self.acceptsGzip(request) && entry.body.readableBytes > 256
        let etag = gzip ? String(entry.etag.dropLast()) + "-gz\"" : entry.etag
        var headers: HTTPFields = [.eTag: etag, .cacheControl: cacheControl, .vary: "Accept-Encoding"]
        if Self.matches(request, etag: etag) { return Response(status: .notModified, headers: headers) }
        headers[.contentType] = entry.contentType
        if gzip {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: try cache.gzip(key, entry)))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: entry.body))
    }

    /// An answer built for this request alone (drafts, a person's agenda), with an ETag of its
    /// content so a client can still revalidate.
    static func uncached(_ request: Request, _ body: ByteBuffer, contentType: String) throws -> Response {
        let etag = "\"c-\(fingerprint(String(buffer: body)))\""
        var headers: HTTPFields = [.eTag: etag, .cacheControl: "public, no-cache"]
        if matches(request, etag: etag) { return Response(status: .notModified, headers: headers) }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for GET) or is `*`.
    static func matches(_ request: Request, etag: String) -> Bool {
        guard let header = request.headers[.ifNoneMatch] else { return false }
        return header.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || (tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag) == etag
        }
    }

    /// Whether `Accept-Encoding` takes gzip (and not with `q=0`).
    static func acceptsGzip(_ request: Request) -> Bool {
        guard let header = request.headers[.acceptEncoding] else { return false }
        return header.split(separator: ",").contains { part in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = pieces.first, coding == "gzip" || coding == "x-gzip" else { return false }
            return !pieces.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "").range(of: "^q=0(\\.0*)?$", options: .regularExpression) != nil }
        }
    }

    /// A short stable digest of `text` (FNV-1a, 64 bits), the same on every server.
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 36)
    }

    /// `GET /forums/{id}/agenda/changes?since=n`: the change logs of the versions after n.
    func changes(_ request: Request, _ context: AgoraRequestContext) async throws -> Response {
        let forum = try context.pathID()
        let text = request.uri.queryParameters["since"].map(String.init) ?? "0"
        guard let since = Int(text), since >= 0 else {
            throw Refusal(.invalidQuery, "`since` must be a version number (0 for everything).",
                          errors: [FieldProblem(field: "since", message: "must be a whole number from 0")])
        }
        guard let latest = try await latestVersion(of: forum) else { throw Refusal.notFound("The agenda of this forum is not published yet.") }
        guard since <= latest else {
            throw Refusal(.invalidQuery, "`since` is after the latest version, \(latest).",
                          errors: [FieldProblem(field: "since", message: "must be at most the latest version, \(latest)")])
        }
        let key = AgendaCache.Key(forum: forum, version: latest, representation: "changes|\(since)")
        let entry = try await cached(key, keep: true) {
            let versions = try await store.versions(of: forum, since: since).filter { $0.version <= latest }
            let feed = ChangeFeed(forum: forum, since: since, version: latest, versions: versions)
            return AgendaCache.Entry(body: ByteBuffer(bytes: try APIJSON.encode(feed)), gzip: nil,
                                     etag: etag(version: latest, kind: key.representation), contentType: "application/json; charset=utf-8")
        }
        return try answer(request, key: key, entry: entry, cacheControl: "public, no-cache")
    }

    /// What changed since a version: each later version with its change log.
    struct ChangeFeed: Encodable, Sendable {
        var forum: UUID
        var since: Int
        var version: Int
        var versions: [AgendaVersion]
    }
}
