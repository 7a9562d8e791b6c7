import Foundation

/// A person nominated by a network to speak at a forum.
public struct Nomination: Codable, Sendable, Equatable {
    public var id: UUID
    public var forum: UUID
    public var network: UUID
    public var networkName: String
    public var constituency: String
    public var person: UUID
    public var name: String
    public var organisation: UUID?
    public var organisationName: String?
    public var country: String
    /// 1 is the network's first choice.
    public var rank: Int
    /// The statement of expertise (not shown to the public).
    public var statement: String?
    public var submittedAt: Date
    public var withdrawn: Bool
    public var version: Int

    public init(id: UUID, forum: UUID, network: UUID, networkName: String, constituency: String, person: UUID, name: String,
                organisation: UUID?, organisationName: String?, country: String, rank: Int, statement: String?, submittedAt: Date,
                withdrawn: Bool, version: Int) {
        self.id = id
        self.forum = forum
        self.network = network
        self.networkName = networkName
        self.constituency = constituency
        self.person = person
        self.name = name
        self.organisation = organisation
        self.organisationName = organisationName
        self.country = country
        self.rank = rank
        self.statement = statement
        self.submittedAt = submittedAt
        self.withdrawn = withdrawn
        self.version = version
    }

    /// Longest statement of expertise, in characters.
    public static let statementLimit = 2_000
}

/// When a forum takes nominations and when the list becomes public (DESIGN §3).
public enum NominationWindow {
    /// Networks nominate, re-rank and withdraw while nominations are open and before the
    /// deadline (an instant: the venue-local deadline converted when the forum was set up).
    public static func isOpen(status: ForumStatus, deadline: Date?, now: Date) -> Bool {
        status == .nominationsOpen && deadline.map { now < $0 } ?? true
    }

    /// The list is public once the deadline has passed or nominations were closed.
    public static func isPublic(status: ForumStatus, deadline: Date?, now: Date) -> Bool {
        status >= .nominationsClosed || (status == .nominationsOpen && deadline.map { now >= $0 } ?? false)
    }
}

/// What the solver needs to know of one active nomination.
public struct Candidate: Sendable, Equatable {
    public var nomination: UUID
    public var person: UUID
    public var network: UUID
    public var constituency: String
    public var networkMembers: Int
    public var rank: Int
    public var developing: Bool
    public var gender: String?
    public var submittedAt: Date

    public init(nomination: UUID, person: UUID, network: UUID, constituency: String, networkMembers: Int, rank: Int,
                developing: Bool, gender: String?, submittedAt: Date) {
        self.nomination = nomination
        self.person = person
        self.network = network
        self.constituency = constituency
        self.networkMembers = networkMembers
        self.rank = rank
        self.developing = developing
        self.gender = gender
        self.submittedAt = submittedAt
    }
}

extension SelectionInstance.Rules {
    /// The rules a forum's slate starts from (DESIGN §3): two per network, half from developing
    /// countries, women and men balanced; a hearing also needs three constituencies and no
    /// constituency above 40 % of the slots, other forums one constituency and no share cap.
    public static func defaults(for kind: ForumKind) -> SelectionInstance.Rules {
        SelectionInstance.Rules(maxPerNetwork: 2, minConstituencies: kind == .hearing ? 3 : 1,
                                maxConstituencyShare: kind == .hearing ? 0.4 : 1, minDevelopingShare: 0.5, genderBalance: true)
    }
}

extension SelectionInstance {
    /// The instance for a forum's active nominations. A person nominated by several networks is
    /// on the slate once: only their best nomination (rank, then submission, then tie hash)
    /// enters the instance.
    public init(candidates: [Candidate], slots: Int, speakingMinutes: Int, rules: Rules, forum: UUID) {
        let formatter = ISO8601DateFormatter()
        func hash(_ candidate: Candidate) -> UInt64 {
            SelectionSolver.tieHash(forum: forum.uuidString, nomination: candidate.nomination.uuidString)
        }
        let best = Dictionary(grouping: candidates, by: \.person).values.map { nominations in
            nominations.min { ($0.rank, $0.submittedAt, hash($0)) < ($1.rank, $1.submittedAt, hash($1)) }!
        }
        let kept = best.sorted { ($0.submittedAt, hash($0)) < ($1.submittedAt, hash($1)) }
        let networks = Dictionary(grouping: kept, by: \.network).values.map { $0[0] }
            .sorted { $0.network.uuidString < $1.network.uuidString }
            .map { Network(id: $0.network.uuidString, constituency: $0.constituency, members: $0.networkMembers) }
        self.init(slots: slots, speakingMinutes: speakingMinutes, rules: rules, networks: networks, nominations: kept.map {
            Nomination(id: $0.nomination.uuidString, network: $0.network.uuidString, rank: $0.rank, developing: $0.developing,
                       gender: $0.gender, submittedAt: Self.microseconds($0.submittedAt, formatter: formatter))
        })
    }

    /// The nominations left out because the same person has a better one from another network:
    /// (left out, kept).
    public static func duplicates(among candidates: [Candidate], forum: UUID) -> [(UUID, UUID)] {
        func hash(_ candidate: Candidate) -> UInt64 {
            SelectionSolver.tieHash(forum: forum.uuidString, nomination: candidate.nomination.uuidString)
        }
        return Dictionary(grouping: candidates, by: \.person).values.flatMap { nominations -> [(UUID, UUID)] in
            let kept = nominations.min { ($0.rank, $0.submittedAt, hash($0)) < ($1.rank, $1.submittedAt, hash($1)) }!
            return nominations.filter { $0.nomination != kept.nomination }.map { ($0.nomination, kept.nomination) }
        }
    }

    /// RFC 3339 in UTC with microseconds, as PostgreSQL keeps times (Foundation's formatter stops at milliseconds).
    static func microseconds(_ date: Date, formatter: ISO8601DateFormatter) -> String {
        let whole = date.timeIntervalSince1970.rounded(.down)
        let micros = Int(((date.timeIntervalSince1970 - whole) * 1_000_000).rounded())
        let base = formatter.string(from: Date(timeIntervalSince1970: whole + (micros == 1_000_000 ? 1 : 0)))
        return String(base.dropLast()) + "." + String(format: "%06d", micros % 1_000_000) + "Z"
    }
}
