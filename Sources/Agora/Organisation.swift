import Foundation

/// An organisation of civil society, business, local government, academia, …
public struct Organisation: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    /// ISO 3166-1 alpha-2 code.
    public var country: String
    /// Constituency code, e.g. `ngo`.
    public var constituency: String
    /// e.g. "ECOSOC consultative status (special)"; nil when not accredited.
    public var accreditation: String?
    /// The date of accreditation, `YYYY-MM-DD`.
    public var accreditedOn: String?
    /// The networks it is a member of.
    public var networks: [UUID]
    /// Counts changes; the ETag.
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, name: String, country: String, constituency: String, accreditation: String?, accreditedOn: String?,
                networks: [UUID], version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.country = country
        self.constituency = constituency
        self.accreditation = accreditation
        self.accreditedOn = accreditedOn
        self.networks = networks
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The fields of an organisation that can be set, as a change lists them.
    public struct Fields: Sendable, Equatable {
        public var name: String?
        public var country: String?
        public var constituency: String?
        /// `.some(nil)` clears it.
        public var accreditation: String??
        public var accreditedOn: String??
        public init() {}

        /// The names of the fields set.
        public var names: Set<String> {
            var names = Set<String>()
            if name != nil { names.insert("name") }
            if country != nil { names.insert("country") }
            if constituency != nil { names.insert("constituency") }
            if accreditation != nil { names.insert("accreditation") }
            if accreditedOn != nil { names.insert("accreditedOn") }
            return names
        }
    }

    /// Fields an organisation's own contacts may change; the rest is the secretariat's.
    public static let fieldsContactsMaySet: Set<String> = ["name"]

    /// The audit snapshot of `fields` (only those named).
    public func snapshot(_ fields: Set<String>) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for field in fields {
            switch field {
            case "name": result[field] = .string(name)
            case "country": result[field] = .string(country)
            case "constituency": result[field] = .string(constituency)
            case "accreditation": result[field] = accreditation.map(JSONValue.string) ?? .null
            case "accreditedOn": result[field] = accreditedOn.map(JSONValue.string) ?? .null
            default: break
            }
        }
        return result
    }
}
