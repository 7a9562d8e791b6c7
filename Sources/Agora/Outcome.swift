import Foundation

/// One thing wrong with a submitted value, named by its field path (`targets[2].due`).
public struct FieldProblem: Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field) \(message)" }
}

/// A norm's measurable target, as a conference adopts it.
public struct ConferenceTarget: Codable, Sendable, Equatable {
    /// What is to be achieved.
    public var text: String
    /// How progress is measured.
    public var indicator: String
    /// By when, `YYYY-MM-DD`.
    public var due: String
    public init(text: String, indicator: String, due: String) {
        self.text = text
        self.indicator = indicator
        self.due = due
    }
}

/// What one speaker said at a hearing.
public struct HearingStatement: Codable, Sendable, Equatable {
    /// The speaker's name, as the proceedings print it.
    public var speaker: String
    /// The speaker's organisation, if any.
    public var organisation: String?
    /// The constituency the speaker spoke for (a constituency code, e.g. `ngo`).
    public var constituency: String
    /// The statement, or its summary.
    public var text: String
    public init(speaker: String, organisation: String?, constituency: String, text: String) {
        self.speaker = speaker
        self.organisation = organisation
        self.constituency = constituency
        self.text = text
    }
}

/// What a hearing asks of the intergovernmental body: a recommendation, or a course
/// correction of the implementation it reviewed (paragraph 56 of the Cardoso report).
public struct HearingRecommendation: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case recommendation
        case courseCorrection = "course_correction"
    }
    public var kind: Kind
    public var text: String
    public init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
    }
}

/// How many speakers of each constituency spoke at a hearing.
public struct ConstituencyCount: Codable, Sendable, Equatable {
    public var constituency: String
    /// The constituency's name, when the directory was consulted.
    public var name: String?
    public var speakers: Int
    public init(constituency: String, name: String? = nil, speakers: Int) {
        self.constituency = constituency
        self.name = name
        self.speakers = speakers
    }
}

/// What concluding a forum records, by kind: a round-table summary; a conference's outcome
/// with its norms and targets; a partnership's progress report; a hearing's proceedings.
/// Stored as a JSON object (`json`) and read back with `init(kind:json:)`.
public enum ForumOutcome: Sendable, Equatable {
    case roundTable(summary: String)
    case conference(summary: String, norms: [String], targets: [ConferenceTarget])
    case partnership(progressReport: String)
    case hearing(summary: String, statements: [HearingStatement], recommendations: [HearingRecommendation])

    /// The fields each kind's outcome needs (`required`) and may have (`optional`).
    public static func fields(for kind: ForumKind) -> (required: Set<String>, optional: Set<String>) {
        switch kind {
        case .roundTable: (["summary"], [])
        case .conference: (["summary", "targets"], ["norms"])
        case .partnership: (["progressReport"], [])
        case .hearing: (["summary", "statements", "recommendations"], [])
        }
    }

    /// Reads the outcome of a forum of `kind` from its JSON fields, or throws every problem found.
    public init(kind: ForumKind, json fields: [String: JSONValue]) throws(Refusal) {
        var reader = OutcomeReader()
        let (required, optional) = Self.fields(for: kind)
        for unknown in Set(fields.keys).subtracting(required.union(optional)).sorted() {
            reader.problems.append(.init(field: unknown, message: "is not part of a \(kind.rawValue.replacingOccurrences(of: "_", with: " ")) outcome"))
        }
        let outcome: ForumOutcome?
        switch kind {
        case .roundTable:
            outcome = reader.text(fields["summary"], "summary", max: 20_000).map { .roundTable(summary: $0) }
        case .conference:
            let summary = reader.text(fields["summary"], "summary", max: 20_000)
            let norms = reader.list(fields["norms"], "norms", required: false, max: 100) { reader, value, field in
                reader.text(value, field, max: 2_000)
            }
            let targets = reader.list(fields["targets"], "targets", required: true, max: 200) { (reader: inout OutcomeReader, value: JSONValue, field: String) -> ConferenceTarget? in
                reader.object(value, field, keys: ["text", "indicator", "due"]) { (reader: inout OutcomeReader, object: [String: JSONValue]) -> ConferenceTarget? in
                    let text = reader.text(object["text"], field + ".text", max: 2_000)
                    let indicator = reader.text(object["indicator"], field + ".indicator", max: 1_000)
                    let due = reader.date(object["due"], field + ".due")
                    guard let text, let indicator, let due else { return nil }
                    return ConferenceTarget(text: text, indicator: indicator, due: due)
                }
            }
            if let summary, let norms, let targets { outcome = .conference(summary: summary, norms: norms, targets: targets) } else { outcome = nil }
        case .partnership:
            outcome = reader.text(fields["progressReport"], "progressReport", max: 20_000).map { .partnership(progressReport: $0) }
        case .hearing:
            let summary = reader.text(fields["summary"], "summary", max: 20_000)
            let statements = reader.list(fields["statements"], "statements", required: true, max: 500) { (reader: inout OutcomeReader, value: JSONValue, field: String) -> HearingStatement? in
                reader.object(value, field, keys: ["speaker", "organisation", "constituency", "text"]) { (reader: inout OutcomeReader, object: [String: JSONValue]) -> HearingStatement? in
                    let speaker = reader.text(object["speaker"], field + ".speaker", max: 300)
                    let organisation = object["organisation"].flatMap { $0 == .null ? nil : reader.text($0, field + ".organisation", max: 300) }
                    let constituency = reader.text(object["constituency"], field + ".constituency", max: 40)
                    let text = reader.text(object["text"], field + ".text", max: 20_000)
                    guard let speaker, let constituency, let text else { return nil }
                    return HearingStatement(speaker: speaker, organisation: organisation, constituency: constituency, text: text)
                }
            }
            let recommendations = reader.list(fields["recommendations"], "recommendations", required: true, max: 200) { (reader: inout OutcomeReader, value: JSONValue, field: String) -> HearingRecommendation? in
                reader.object(value, field, keys: ["kind", "text"]) { (reader: inout OutcomeReader, object: [String: JSONValue]) -> HearingRecommendation? in
                    let kindText = reader.text(object["kind"], field + ".kind", max: 40)
                    let kind = kindText.flatMap(HearingRecommendation.Kind.init(rawValue:))
                    if kindText != nil && kind == nil {
                        reader.problems.append(.init(field: field + ".kind", message: "must be recommendation or course_correction"))
                    }
                    let text = reader.text(object["text"], field + ".text", max: 5_000)
                    guard let kind, let text else { return nil }
                    return HearingRecommendation(kind: kind, text: text)
                }
            }
            if let summary, let statements, let recommendations {
                outcome = .hearing(summary: summary, statements: statements, recommendations: recommendations)
            } else {
                outcome = nil
            }
        }
        guard let outcome, reader.problems.isEmpty else { throw Refusal.invalid(reader.problems) }
        self = outcome
    }

    /// The constituency codes named in a hearing's statements (to be checked against the directory).
    public var constituencies: Set<String> {
        guard case .hearing(_, let statements, _) = self else { return [] }
        return Set(statements.map(\.constituency))
    }

    /// Who spoke at a hearing, by constituency: most speakers first, then by code. A speaker
    /// with several statements counts once.
    public var constituencyBreakdown: [ConstituencyCount] {
        guard case .hearing(_, let statements, _) = self else { return [] }
        var speakers: [String: Set<String>] = [:]
        for statement in statements { speakers[statement.constituency, default: []].insert(statement.speaker) }
        return speakers.map { ConstituencyCount(constituency: $0.key, speakers: $0.value.count) }
            .sorted { ($0.speakers, $1.constituency) > ($1.speakers, $0.constituency) }
    }

    /// The stored form (the fields it was read from); a hearing's adds its constituency breakdown.
    public var json: [String: JSONValue] {
        switch self {
        case .roundTable(let summary):
            return ["summary": .string(summary)]
        case .conference(let summary, let norms, let targets):
            return ["summary": .string(summary), "norms": .array(norms.map(JSONValue.string)),
                    "targets": .array(targets.map { .object(["text": .string($0.text), "indicator": .string($0.indicator), "due": .string($0.due)]) })]
        case .partnership(let report):
            return ["progressReport": .string(report)]
        case .hearing(let summary, let statements, let recommendations):
            return [
                "summary": .string(summary),
                "statements": .array(statements.map { statement in
                    .object(["speaker": .string(statement.speaker), "organisation": statement.organisation.map(JSONValue.string) ?? .null,
                             "constituency": .string(statement.constituency), "text": .string(statement.text)])
                }),
                "recommendations": .array(recommendations.map { .object(["kind": .string($0.kind.rawValue), "text": .string($0.text)]) }),
            ]
        }
    }

    /// What the API shows: the stored fields, and for a hearing who spoke by constituency.
    public var publicJSON: [String: JSONValue] {
        var fields = json
        if case .hearing = self {
            fields["constituencyBreakdown"] = .array(constituencyBreakdown.map {
                .object(["constituency": .string($0.constituency), "speakers": .number(Double($0.speakers))])
            })
        }
        return fields
    }
}

/// Reads JSON values into typed fields, collecting every problem rather than stopping at the first.
struct OutcomeReader {
    var problems: [FieldProblem] = []

    mutating func text(_ value: JSONValue?, _ field: String, max: Int) -> String? {
        guard let value, value != .null else {
            problems.append(.init(field: field, message: "is required"))
            return nil
        }
        guard case .string(let raw) = value else {
            problems.append(.init(field: field, message: "must be a string"))
            return nil
        }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= max else {
            problems.append(.init(field: field, message: "must be 1 to \(max) characters"))
            return nil
        }
        return text
    }

    mutating func date(_ value: JSONValue?, _ field: String) -> String? {
        guard let text = text(value, field, max: 10) else { return nil }
        guard CalendarDate(text) != nil else {
            problems.append(.init(field: field, message: "must be a date YYYY-MM-DD"))
            return nil
        }
        return text
    }

    /// A list of 1…`max` items (or absent and empty when not `required`), each read by `item`.
    mutating func list<Item>(_ value: JSONValue?, _ field: String, required: Bool, max: Int,
                             item: (inout OutcomeReader, JSONValue, String) -> Item?) -> [Item]? {
        guard let value, value != .null else {
            if required { problems.append(.init(field: field, message: "is required")) }
            return required ? nil : []
        }
        guard case .array(let values) = value, (required ? 1 : 0)...max ~= values.count else {
            problems.append(.init(field: field, message: "must be a list of \(required ? 1 : 0) to \(max) items"))
            return nil
        }
        let before = problems.count
        let items = values.enumerated().compactMap { index, value in item(&self, value, "\(field)[\(index)]") }
        return problems.count == before ? items : nil
    }

    mutating func object<Item>(_ value: JSONValue, _ field: String, keys: Set<String>,
                               read: (inout OutcomeReader, [String: JSONValue]) -> Item?) -> Item? {
        guard case .object(let object) = value else {
            problems.append(.init(field: field, message: "must be an object"))
            return nil
        }
        for unknown in Set(object.keys).subtracting(keys).sorted() {
            problems.append(.init(field: "\(field).\(unknown)", message: "is not a known field"))
        }
        return read(&self, object)
    }
}

/// A calendar date `YYYY-MM-DD`, checked to exist.
public struct CalendarDate: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Reads `YYYY-MM-DD`; nil when malformed or not a real date (2027-02-30).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard DateComponents(calendar: calendar, year: year, month: month, day: day).isValidDate else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}
