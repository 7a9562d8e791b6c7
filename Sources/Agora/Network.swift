import Foundation

/// A network of organisations of one constituency, which nominates speakers through its
/// focal points. Its breadth (`members`) is derived from its memberships, never typed in.
public struct Network: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var constituency: String
    public var description: String
    public var website: String?
    /// How many member organisations it has.
    public var members: Int
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, name: String, constituency: String, description: String, website: String?, members: Int,
                version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.constituency = constituency
        self.description = description
        self.website = website
        self.members = members
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The fields of a network that can be set.
    public struct Fields: Sendable, Equatable {
        public var name: String?
        public var constituency: String?
        public var description: String?
        public var website: String??
        public init() {}

        public var names: Set<String> {
            var names = Set<String>()
            if name != nil { names.insert("name") }
            if constituency != nil { names.insert("constituency") }
            if description != nil { names.insert("description") }
            if website != nil { names.insert("website") }
            return names
        }
    }

    /// Fields a network's own focal points may change; the rest is the secretariat's.
    public static let fieldsFocalPointsMaySet: Set<String> = ["description", "website"]

    public func snapshot(_ fields: Set<String>) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for field in fields {
            switch field {
            case "name": result[field] = .string(name)
            case "constituency": result[field] = .string(constituency)
            case "description": result[field] = .string(description)
            case "website": result[field] = website.map(JSONValue.string) ?? .null
            default: break
            }
        }
        return result
    }
}
