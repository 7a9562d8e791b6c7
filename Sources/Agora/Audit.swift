import Foundation

/// A JSON value, for the before/after snapshots of audit entries.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// One change, as the audit log records it.
public struct AuditChange: Sendable, Equatable {
    /// What was done, e.g. `token.create`, `organisation.update`.
    public var action: String
    /// The kind of object, e.g. `token`, `organisation`.
    public var objectType: String
    /// The object's identifier.
    public var objectID: String
    /// The changed fields before the change (nil for a creation).
    public var before: [String: JSONValue]?
    /// The changed fields after the change (nil for a deletion).
    public var after: [String: JSONValue]?
    /// Whether anyone may read the entry (selection decisions and overrides).
    public var isPublic: Bool

    /// Creates a change; fields named in `personalFields` are redacted from both snapshots.
    public init(action: String, objectType: String, objectID: String, before: [String: JSONValue]? = nil,
                after: [String: JSONValue]? = nil, isPublic: Bool = false, personalFields: Set<String> = []) {
        self.action = action
        self.objectType = objectType
        self.objectID = objectID
        self.before = before.map { Self.redact($0, personalFields) }
        self.after = after.map { Self.redact($0, personalFields) }
        self.isPublic = isPublic
    }

    /// Personal data never enters the log: only the fact that it changed.
    static func redact(_ fields: [String: JSONValue], _ personal: Set<String>) -> [String: JSONValue] {
        fields.reduce(into: [:]) { result, field in
            result[field.key] = personal.contains(field.key) && field.value != .null ? .string("[redacted]") : field.value
        }
    }
}
