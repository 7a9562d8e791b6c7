/// A country (ISO 3166-1) with its UN M49 grouping.
public struct Country: Codable, Sendable, Equatable {
    /// ISO 3166-1 alpha-2 code, e.g. `KE`; the identifier used everywhere else.
    public var alpha2: String
    /// ISO 3166-1 alpha-3 code, e.g. `KEN`.
    public var alpha3: String
    /// ISO 3166-1 numeric code, which is also the M49 code, e.g. `404`.
    public var numericCode: String
    /// The ISO short name.
    public var name: String
    /// M49 region (Africa, Americas, Asia, Europe, Oceania); nil for Antarctica and a few territories.
    public var region: String?
    /// M49 sub-region, e.g. "Sub-Saharan Africa".
    public var subRegion: String?
    /// M49 intermediate region where M49 has one, e.g. "Eastern Africa".
    public var intermediateRegion: String?
    /// Whether the country counts as developing for balance rules (M49 common practice by
    /// default; the secretariat may change it).
    public var developing: Bool

    /// Creates a country.
    public init(alpha2: String, alpha3: String, numericCode: String, name: String, region: String?,
                subRegion: String?, intermediateRegion: String?, developing: Bool) {
        self.alpha2 = alpha2
        self.alpha3 = alpha3
        self.numericCode = numericCode
        self.name = name
        self.region = region
        self.subRegion = subRegion
        self.intermediateRegion = intermediateRegion
        self.developing = developing
    }
}

/// A category of actors (a major group): NGOs, business and industry, women, …
public struct Constituency: Codable, Sendable, Equatable {
    /// Stable short code, e.g. `ngo`, used in selection instances and filters.
    public var code: String
    /// The name people read.
    public var name: String

    /// Creates a constituency.
    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
}
