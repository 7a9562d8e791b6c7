import Foundation

/// Where forums take place: a building in a city, with its time zone (local times of the
/// agenda are read in it) and its rooms.
public struct Venue: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var city: String
    /// ISO 3166-1 alpha-2.
    public var country: String
    /// IANA time zone, e.g. `Europe/Zurich`.
    public var timeZone: String
    /// How many rooms it has.
    public var rooms: Int
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, name: String, city: String, country: String, timeZone: String, rooms: Int,
                version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.city = city
        self.country = country
        self.timeZone = timeZone
        self.rooms = rooms
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The fields of a venue that can be set; nil leaves a field as it is.
    public struct Fields: Sendable, Equatable {
        public var name: String?
        public var city: String?
        public var country: String?
        public var timeZone: String?
        public init(name: String? = nil, city: String? = nil, country: String? = nil, timeZone: String? = nil) {
            self.name = name
            self.city = city
            self.country = country
            self.timeZone = timeZone
        }

        /// The names of the fields set.
        public var names: Set<String> {
            Set([name.map { _ in "name" }, city.map { _ in "city" }, country.map { _ in "country" }, timeZone.map { _ in "timeZone" }].compactMap { $0 })
        }
    }

    /// The audited values of `fields`.
    public func snapshot(_ fields: Set<String>) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for field in fields {
            switch field {
            case "name": result[field] = .string(name)
            case "city": result[field] = .string(city)
            case "country": result[field] = .string(country)
            case "timeZone": result[field] = .string(timeZone)
            default: break
            }
        }
        return result
    }
}

/// A room of a venue: sessions of the agenda take place in rooms, and bookable rooms are
/// offered to civil society as workspace (DESIGN §4).
public struct Room: Codable, Sendable, Equatable {
    public var id: UUID
    public var venue: UUID
    public var name: String
    /// How many people it seats.
    public var capacity: Int
    /// Step-free access, hearing loops, … in words.
    public var accessibility: String
    /// Whether forums may offer it as workspace.
    public var bookable: Bool
    /// What it has for people working in it.
    public var equipment: [Equipment]
    /// When it is open as workspace, in the venue's time zone.
    public var openingHours: OpeningHours

    public init(id: UUID, venue: UUID, name: String, capacity: Int, accessibility: String,
                bookable: Bool = false, equipment: [Equipment] = [], openingHours: OpeningHours = OpeningHours()) {
        self.id = id
        self.venue = venue
        self.name = name
        self.capacity = capacity
        self.accessibility = accessibility
        self.bookable = bookable
        self.equipment = equipment
        self.openingHours = openingHours
    }

    /// The fields of a room that can be set; nil leaves a field as it is.
    public struct Fields: Sendable, Equatable {
        public var name: String?
        public var capacity: Int?
        public var accessibility: String?
        public var bookable: Bool?
        public var equipment: [Equipment]?
        public var openingHours: OpeningHours?

        public init(name: String? = nil, capacity: Int? = nil, accessibility: String? = nil, bookable: Bool? = nil,
                    equipment: [Equipment]? = nil, openingHours: OpeningHours? = nil) {
            self.name = name
            self.capacity = capacity
            self.accessibility = accessibility
            self.bookable = bookable
            self.equipment = equipment
            self.openingHours = openingHours
        }
    }

    /// The audited values of the room.
    public var snapshot: [String: JSONValue] {
        var hours: [String: JSONValue] = [:]
        for (day, span) in openingHours.days { hours[day] = .object(["opens": .string(span.opens), "closes": .string(span.closes)]) }
        return ["room": .string(id.uuidString), "name": .string(name), "capacity": .number(Double(capacity)),
                "accessibility": .string(accessibility), "bookable": .bool(bookable),
                "equipment": .array(equipment.map { .string($0.rawValue) }), "openingHours": .object(hours)]
    }
}
