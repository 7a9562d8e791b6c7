import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}

/// JSON answers of the API: camelCase (the Swift names), ISO 8601 times in UTC, sorted keys.
/// One encoder, configured once, encodes every answer (and is the request context's
/// `responseEncoder`), so no answer is encoded any other way.
enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        try encoder.encode(value)
    }

    /// A JSON response with optional extra headers.
    static func response<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try encode(value))))
    }
}

/// Entity tags: a single object's version, so `PATCH` with `If-Match` refuses a stale write.
enum EntityTag {
    static func header(version: Int) -> String { "\"\(version)\"" }

    /// The version an `If-Match` header expects; nil without the header. `*` matches any.
    static func expectedVersion(_ request: Request) throws -> Int? {
        guard let value = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), value != "*" else { return nil }
        let bare = value.hasPrefix("W/") ? String(value.dropFirst(2)) : value
        guard bare.count >= 3, bare.hasPrefix("\""), bare.hasSuffix("\""), let version = Int(bare.dropFirst().dropLast()) else {
            throw Refusal(.invalidIfMatch,
                          "If-Match must be an ETag this API gave, such as \"3\".")
        }
        return version
    }
}

/// A JSON answer kept as bytes, so a creating POST's answer can be stored and replayed.
struct JSONAnswer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Data
    /// What a replay sends instead of `body`, when the answer holds a secret that is shown
    /// once and never stored.
    var replayBody: Data?

    init<Value: Encodable>(_ value: Value, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws {
        self.status = status
        self.headers = headers
        self.headers[.contentType] = "application/json; charset=utf-8"
        self.body = try APIJSON.encode(value)
    }

    init(status: HTTPResponse.Status, headers: HTTPFields, body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    var response: Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The headers as stored for a replay.
    var storedHeaders: [String: String] {
        var stored: [String: String] = [:]
        for field in headers { stored[field.name.rawName] = field.value }
        return stored
    }
}

/// Creating POSTs with an `Idempotency-Key`: the first request runs, a retry with the same
/// key and body gets the same answer again, the same key with another body is 422, and a
/// retry while the first is still running is 409. Keys belong to the caller's account.
///
/// The answer is stored in the transaction of the change it answers (``IdempotentAnswer``):
/// the store offers what it created before committing, and `answer` turns it into the stored
/// answer there. A crash can then neither keep a change without its answer nor the reverse,
/// so a claim left unanswered means nothing was created and may be run again.
struct Idempotency {
    let store: IdempotencyStore

    /// The request's `Idempotency-Key`, if it has one; a key outside 1–200 characters is
    /// refused (400). Routes that are idempotent by nature call it too, so that every route
    /// the API document lists the key on refuses a malformed one alike. JSON Schema's lengths
    /// count code points, hence the scalars.
    static func key(of request: Request) throws -> String? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        guard (1...200).contains(key.unicodeScalars.count) else {
            throw Refusal(.invalidIdempotencyKey, "An Idempotency-Key has 1 to 200 characters.")
        }
        return key
    }

    /// Runs `produce` (it checks the request and calls a creating store method) and answers
    /// with `answer` of what it returns.
    func run<Value: Sendable>(_ request: Request, body: Data, context: AgoraRequestContext,
                    answer: @escaping @Sendable (Value) throws -> JSONAnswer,
                    _ produce: () async throws -> Value) async throws -> Response {
        // Checked even where it is not used (an anonymous caller's keys are not kept), so a
        // malformed key is refused the same way on every creating route.
        guard let key = try Self.key(of: request), let account = context.actor.accountID else {
            return try answer(try await produce()).response
        }
        let hash = IdempotencyStore.requestHash(method: "\(request.method)", path: request.uri.path, body: body)
        switch try await store.claim(account: account, key: key, requestHash: hash) {
        case .claimed(let claim):
            let written = Written()
            let writer = IdempotentAnswer.Writer { value, connection in
                guard let value = value as? Value else {
                    // A store offered something this route does not answer with: a programming
                    // error, caught by the tests; the answer is then stored after the commit.
                    assertionFailure("\(type(of: value)) offered where \(Value.self) was expected")
                    return
                }
                // A slate's answer holds thousands of decisions: encoded off the event loop.
                let made = try await offLoop { try answer(value) }
                guard try await IdempotencyStore.complete(account: account, key: key, claim: claim, status: made.status.code,
                                                          headers: made.storedHeaders, body: made.replayBody ?? made.body, on: connection) else {
                    // Another request took the key over: this change must not commit beside its answer.
                    throw Self.superseded
                }
                written.flag.withLock { $0 = true }
            }
            do {
                let value = try await IdempotentAnswer.$writer.withValue(writer) { try await produce() }
                // The answer comes from what the committed transaction returned (an attempt that
                // was rolled back and retried may have made another one).
                let made = try answer(value)
                // Written already with the change, unless nothing was created: then store it now.
                if !written.flag.withLock({ $0 }) {
                    try await store.complete(account: account, key: key, claim: claim, status: made.status.code, headers: made.storedHeaders,
                                             body: made.replayBody ?? made.body)
                }
                return made.response
            } catch {
                // Refused or failed: nothing was created (an answer written with a change makes
                // the release a no-op), so the key is free for a retry. In a task of its own, so
                // a cancelled request (a client gone, a shutdown) still lets its claim go.
                let store = store
                await Task { try? await store.release(account: account, key: key, claim: claim) }.value
                throw error
            }
        case .replay(let status, let headers, let body):
            var fields = HTTPFields()
            for (name, value) in headers { if let name = HTTPField.Name(name) { fields[name] = value } }
            fields[.idempotentReplayed] = "true"
            return JSONAnswer(status: .init(code: status), headers: fields, body: body).response
        case .inProgress:
            throw Refusal(.idempotencyInProgress,
                          "A request with this Idempotency-Key is still being answered; retry shortly.")
        case .mismatch:
            throw Refusal(.idempotencyMismatch,
                          "This Idempotency-Key was used for a different request.")
        }
    }

    /// Whether the answer was written in the change's transaction.
    private final class Written: Sendable {
        let flag = Mutex(false)
    }

    static let superseded = Refusal(.idempotencyInProgress,
                                    "Another request with this Idempotency-Key took it over; nothing was changed by this one.")
}

/// A JSON object body read field by field, collecting validation errors (422) and refusing
/// unknown fields (400), so nothing a caller sends is silently ignored.
struct FieldReader {
    let fields: [String: JSONValue]
    var errors: [FieldProblem] = []

    /// Reads a JSON object body; `accepted` are the fields this route knows.
    static func read(_ request: Request, context: AgoraRequestContext, accepted: Set<String>) async throws -> (FieldReader, Data) {
        let data = try await body(request, context: context)
        return (try parse(data, accepted: accepted), data)
    }

    /// The request body, up to the configured limit (413 beyond it).
    static func body(_ request: Request, context: AgoraRequestContext) async throws -> Data {
        do {
            return Data(buffer: try await request.body.collect(upTo: context.maxUploadSize))
        } catch {
            throw Refusal.payloadTooLarge(limit: context.maxUploadSize)
        }
    }

    /// A JSON object (400 otherwise, or when it has fields outside `accepted`).
    static func parse(_ data: Data, accepted: Set<String>) throws -> FieldReader {
        guard let fields = try? JSONDecoder().decode([String: JSONValue].self, from: data) else {
            throw Refusal.malformedBody("The request body must be a JSON object.")
        }
        let unknown = fields.keys.filter { !accepted.contains($0) }.sorted()
        guard unknown.isEmpty else { throw Refusal.unknownFields(unknown) }
        let withNUL = fields.sorted { $0.key < $1.key }.flatMap { Self.pathsHoldingNUL(in: $0.value, at: $0.key) }
        guard withNUL.isEmpty else { throw Refusal.invalid(withNUL.map { FieldProblem(field: $0, message: "must not contain the NUL character (U+0000)") }) }
        return FieldReader(fields: fields)
    }

    /// The paths (`statements[1].text`) of the strings in `value` that hold a NUL character,
    /// which no text column can keep: refused here, naming the field, rather than cut short.
    static func pathsHoldingNUL(in value: JSONValue, at path: String) -> [String] {
        switch value {
        case .string(let text): text.utf8.contains(0) ? [path] : []
        case .array(let items): items.enumerated().flatMap { pathsHoldingNUL(in: $0.element, at: "\(path)[\($0.offset)]") }
        case .object(let fields): fields.sorted { $0.key < $1.key }.flatMap { pathsHoldingNUL(in: $0.value, at: "\(path).\($0.key)") }
        default: []
        }
    }

    func has(_ name: String) -> Bool { fields[name] != nil }

    /// A required or optional string, trimmed, of 1…`maxLength` characters counted as
    /// PostgreSQL's `length()` counts them (code points), so the database's CHECKs agree.
    mutating func string(_ name: String, required: Bool = false, maxLength: Int = 300) -> String? {
        switch fields[name] {
        case nil, .null?:
            if required { errors.append(.init(field: name, message: "is required")) }
            return nil
        case .string(let value)?:
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= maxLength else {
                errors.append(.init(field: name, message: "must be 1 to \(maxLength) characters"))
                return nil
            }
            return trimmed
        default:
            errors.append(.init(field: name, message: "must be a string"))
            return nil
        }
    }

    /// For PATCH: absent → nil; null → .some(nil) (clear); a string → .some(value).
    mutating func clearableString(_ name: String, maxLength: Int = 300) -> String?? {
        guard let value = fields[name] else { return nil }
        if value == .null { return .some(nil) }
        return string(name, maxLength: maxLength).map { .some($0) }
    }

    /// A `YYYY-MM-DD` date, as text.
    mutating func date(_ name: String) -> String?? {
        guard let value = clearableString(name, maxLength: 10) else { return nil }
        guard let text = value else { return .some(nil) }
        guard CalendarDate(text) != nil else {
            errors.append(.init(field: name, message: "must be a date YYYY-MM-DD"))
            return nil
        }
        return .some(text)
    }

    /// A date that must be there: absent, null or malformed is an error.
    mutating func requiredDate(_ name: String) -> String? {
        let before = errors.count
        guard case .some(.some(let date)) = date(name) else {
            if errors.count == before { errors.append(.init(field: name, message: "is required: a date YYYY-MM-DD")) }
            return nil
        }
        return date
    }

    /// An optional (or required) whole number within `range`; null counts as absent.
    mutating func integer(_ name: String, in range: ClosedRange<Int>, required: Bool = false) -> Int? {
        guard let value = fields[name], value != .null else {
            if required { errors.append(.init(field: name, message: "is required")) }
            return nil
        }
        guard case .number(let number) = value, number == number.rounded(), Double(range.lowerBound) <= number, number <= Double(range.upperBound) else {
            errors.append(.init(field: name, message: "must be a whole number from \(range.lowerBound) to \(range.upperBound)"))
            return nil
        }
        return Int(number)
    }

    /// An optional number within `range`.
    mutating func number(_ name: String, in range: ClosedRange<Double>) -> Double? {
        guard let value = fields[name], value != .null else { return nil }
        guard case .number(let number) = value, range.contains(number) else {
            errors.append(.init(field: name, message: "must be a number from \(range.lowerBound) to \(range.upperBound)"))
            return nil
        }
        return number
    }

    /// An optional true or false.
    mutating func bool(_ name: String) -> Bool? {
        guard let value = fields[name], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            errors.append(.init(field: name, message: "must be true or false"))
            return nil
        }
        return flag
    }

    /// Fields that may be left out but not set to null.
    mutating func refuseNulls(_ names: [String]) {
        for name in names where fields[name] == .null { errors.append(.init(field: name, message: "cannot be cleared")) }
    }

    /// A required or optional UUID.
    mutating func uuid(_ name: String, required: Bool = false) -> UUID? {
        guard let text = string(name, required: required, maxLength: 36) else { return nil }
        guard let id = UUID(uuidString: text) else {
            errors.append(.init(field: name, message: "must be a UUID"))
            return nil
        }
        return id
    }

    /// One of an enumeration's raw values, naming them all when it is none of them.
    mutating func choice<Value: RawRepresentable & CaseIterable>(_ name: String, required: Bool = false, as type: Value.Type = Value.self) -> Value?
        where Value.RawValue == String {
        guard let text = string(name, required: required, maxLength: 40) else { return nil }
        guard let value = Value(rawValue: text) else {
            errors.append(.init(field: name, message: "must be one of " + Value.allCases.map(\.rawValue).joined(separator: ", ")))
            return nil
        }
        return value
    }

    /// Throws the collected validation errors, if any (422).
    func check() throws {
        if !errors.isEmpty { throw Refusal.invalid(errors) }
    }
}
