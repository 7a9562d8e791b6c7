import Foundation

/// A person who may speak or take part. Name, organisation, country and constituency are
/// public; the rest is personal data.
public struct Person: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var organisation: UUID?
    public var country: String
    /// The constituency of the person's organisation.
    public var constituency: String?
    /// Personal: languages spoken (ISO 639 codes or names).
    public var languages: [String]
    /// Personal and optional: self-described (`woman`, `man`, another word); nil when not stated.
    public var gender: String?
    /// Personal.
    public var email: String?
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, name: String, organisation: UUID?, country: String, constituency: String?, languages: [String],
                gender: String?, email: String?, version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.organisation = organisation
        self.country = country
        self.constituency = constituency
        self.languages = languages
        self.gender = gender
        self.email = email
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The fields holding personal data: shown only to those who may see them, redacted in the audit log.
    public static let personalFields: Set<String> = ["languages", "gender", "email"]

    /// The fields of a person that can be set.
    public struct Fields: Sendable, Equatable {
        public var name: String?
        public var organisation: UUID??
        public var country: String?
        public var languages: [String]?
        public var gender: String??
        public var email: String??
        public init() {}

        public var names: Set<String> {
            var names = Set<String>()
            if name != nil { names.insert("name") }
            if organisation != nil { names.insert("organisation") }
            if country != nil { names.insert("country") }
            if languages != nil { names.insert("languages") }
            if gender != nil { names.insert("gender") }
            if email != nil { names.insert("email") }
            return names
        }
    }

    public func snapshot(_ fields: Set<String>) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for field in fields {
            switch field {
            case "name": result[field] = .string(name)
            case "organisation": result[field] = organisation.map { .string($0.uuidString) } ?? .null
            case "country": result[field] = .string(country)
            case "languages": result[field] = .array(languages.map(JSONValue.string))
            case "gender": result[field] = gender.map(JSONValue.string) ?? .null
            case "email": result[field] = email.map(JSONValue.string) ?? .null
            default: break
            }
        }
        return result
    }
}
