import Foundation

/// A speaker-selection problem, in the public instance format of `agora selection solve`
/// (DESIGN §3): the slots and minutes to fill, the balance rules, the nominating networks and
/// their nominations.
public struct SelectionInstance: Codable, Sendable, Equatable {
    /// The balance rules of a slate.
    public struct Rules: Codable, Sendable, Equatable {
        /// Most speakers from one network (never relaxed).
        public var maxPerNetwork: Int
        /// Fewest distinct constituencies among the speakers.
        public var minConstituencies: Int
        /// Largest share of the slate from one constituency: at most `max(1, floor(share × S))` speakers.
        public var maxConstituencyShare: Double
        /// Smallest share of speakers from developing countries: at least `ceil(share × S)`.
        public var minDevelopingShare: Double
        /// Whether women and men among the speakers differ by at most one.
        public var genderBalance: Bool

        public init(maxPerNetwork: Int, minConstituencies: Int, maxConstituencyShare: Double, minDevelopingShare: Double, genderBalance: Bool) {
            self.maxPerNetwork = maxPerNetwork
            self.minConstituencies = minConstituencies
            self.maxConstituencyShare = maxConstituencyShare
            self.minDevelopingShare = minDevelopingShare
            self.genderBalance = genderBalance
        }
    }

    /// A nominating network.
    public struct Network: Codable, Sendable, Equatable {
        public var id: String
        public var constituency: String
        /// Member organisations; weighs the network's speaking minutes.
        public var members: Int
        public init(id: String, constituency: String, members: Int) {
            self.id = id
            self.constituency = constituency
            self.members = members
        }
    }

    /// One nomination of a person by a network.
    public struct Nomination: Codable, Sendable, Equatable {
        public var id: String
        public var network: String
        /// 1 is the network's first choice.
        public var rank: Int
        public var developing: Bool
        /// `woman`, `man`, another word, or nil.
        public var gender: String?
        /// ISO 8601, e.g. `2026-11-01T09:00:00Z`.
        public var submittedAt: String

        public init(id: String, network: String, rank: Int, developing: Bool, gender: String?, submittedAt: String) {
            self.id = id
            self.network = network
            self.rank = rank
            self.developing = developing
            self.gender = gender
            self.submittedAt = submittedAt
        }
    }

    public var slots: Int
    public var speakingMinutes: Int
    public var rules: Rules
    public var networks: [Network]
    public var nominations: [Nomination]

    public init(slots: Int, speakingMinutes: Int, rules: Rules, networks: [Network], nominations: [Nomination]) {
        self.slots = slots
        self.speakingMinutes = speakingMinutes
        self.rules = rules
        self.networks = networks
        self.nominations = nominations
    }
}

/// What the solver chose and why.
public struct SelectionResult: Codable, Sendable, Equatable {
    /// A chosen speaker and their speaking minutes.
    public struct Speaker: Codable, Sendable, Equatable {
        public var nomination: String
        public var minutes: Int
        public init(nomination: String, minutes: Int) {
            self.nomination = nomination
            self.minutes = minutes
        }
    }

    /// A rule applied less strictly than requested, because no slate could meet it.
    public struct Relaxation: Codable, Sendable, Equatable {
        /// `minConstituencies`, `maxConstituencyShare`, `minDevelopingShare` or `genderBalance`.
        public var rule: String
        /// The requested value as a count: constituencies; speakers per constituency;
        /// developing-country speakers; largest difference between women and men.
        public var required: Int
        public var applied: Int
        public init(rule: String, required: Int, applied: Int) {
            self.rule = rule
            self.required = required
            self.applied = applied
        }
    }

    /// The outcome of one nomination with a reason a person can read.
    public struct Decision: Codable, Sendable, Equatable {
        public enum Outcome: String, Codable, Sendable {
            case selected
            case reserve
            case notSelected = "not_selected"
        }
        public var nomination: String
        public var outcome: Outcome
        public var reason: String
        public init(nomination: String, outcome: Outcome, reason: String) {
            self.nomination = nomination
            self.outcome = outcome
            self.reason = reason
        }
    }

    /// The slate in order: better rank first, then earlier submission, then the tie hash.
    public var selected: [Speaker]
    /// Who takes a declined place, in order.
    public var reserves: [String]
    public var relaxed: [Relaxation]
    /// The sum of `1 / rank` over the slate.
    public var objective: Double
    public var decisions: [Decision]

    public init(selected: [Speaker], reserves: [String], relaxed: [Relaxation], objective: Double, decisions: [Decision]) {
        self.selected = selected
        self.reserves = reserves
        self.relaxed = relaxed
        self.objective = objective
        self.decisions = decisions
    }
}

/// The rules as applied to a slate of `size` speakers: requested values, or the relaxed ones.
public struct AppliedRules: Codable, Sendable, Equatable {
    public var size: Int
    public var maxPerNetwork: Int
    public var minConstituencies: Int
    public var maxPerConstituency: Int
    public var minDeveloping: Int
    /// Largest difference between women and men; nil when gender balance is off.
    public var maxGenderGap: Int?

    /// Whether a slate, described by its speakers' networks, constituencies, developing flags
    /// and genders, keeps these rules.
    public func hold(networks: [String], constituencies: [String], developing: [Bool], genders: [String?]) -> Bool {
        let perNetwork = Dictionary(grouping: networks, by: { $0 }).values.map(\.count).max() ?? 0
        let perConstituency = Dictionary(grouping: constituencies, by: { $0 }).mapValues(\.count)
        let women = genders.filter { $0 == "woman" }.count
        let men = genders.filter { $0 == "man" }.count
        return perNetwork <= maxPerNetwork
            && perConstituency.count >= minConstituencies
            && (perConstituency.values.max() ?? 0) <= maxPerConstituency
            && developing.filter { $0 }.count >= minDeveloping
            && maxGenderGap.map { abs(women - men) <= $0 } ?? true
    }
}

/// Why an instance cannot be solved.
public struct SelectionInstanceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) {
        self.description = description
    }
}

/// A kept run of the solver for a forum, with its review and its speakers as they stand.
public struct Slate: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case proposed, approved, returned
    }

    /// A place on the slate.
    public struct Speaker: Codable, Sendable, Equatable {
        public enum State: String, Codable, Sendable {
            case chosen, confirmed, declined
        }
        public var place: Int
        public var nomination: UUID
        public var name: String
        public var organisationName: String?
        public var country: String
        public var network: UUID
        public var networkName: String
        public var constituency: String
        public var developing: Bool
        public var gender: String?
        public var minutes: Int
        public var state: State
        /// Why the secretariat put this speaker in by hand (public), if it did.
        public var overrideJustification: String?
        /// The declined speaker this one replaced.
        public var replaced: UUID?
        /// When the speaker is to have answered by (set once the slate is approved).
        public var confirmBy: Date?

        public init(place: Int, nomination: UUID, name: String, organisationName: String?, country: String, network: UUID, networkName: String,
                    constituency: String, developing: Bool, gender: String?, minutes: Int, state: State, overrideJustification: String?, replaced: UUID?,
                    confirmBy: Date? = nil) {
            self.place = place
            self.nomination = nomination
            self.name = name
            self.organisationName = organisationName
            self.country = country
            self.network = network
            self.networkName = networkName
            self.constituency = constituency
            self.developing = developing
            self.gender = gender
            self.minutes = minutes
            self.state = state
            self.overrideJustification = overrideJustification
            self.replaced = replaced
            self.confirmBy = confirmBy
        }
    }

    /// The slate's balance, for everyone to check.
    public struct Balance: Codable, Sendable, Equatable {
        public var speakers: Int
        public var constituencies: [String: Int]
        public var developing: Int
        public var developingShare: Double
        public var women: Int
        public var men: Int
        public var otherOrUnstated: Int
    }

    public var id: UUID
    public var forum: UUID
    public var number: Int
    public var status: Status
    public var requestedRules: SelectionInstance.Rules
    public var appliedRules: AppliedRules
    public var relaxed: [SelectionResult.Relaxation]
    public var objective: Double
    public var speakers: [Speaker]
    public var reserves: [UUID]
    public var decisions: [SelectionResult.Decision]
    public var reviewComment: String?
    public var reviewedAt: Date?
    public var confirmBy: Date?
    public var createdAt: Date
    public var revision: Int
    /// The intergovernmental body the forum's issue reports to (whose bureau reviews the slate).
    public var issueReportsTo: String?

    public init(id: UUID, forum: UUID, number: Int, status: Status, requestedRules: SelectionInstance.Rules, appliedRules: AppliedRules,
                relaxed: [SelectionResult.Relaxation], objective: Double, speakers: [Speaker], reserves: [UUID],
                decisions: [SelectionResult.Decision], reviewComment: String?, reviewedAt: Date?, confirmBy: Date?, createdAt: Date, revision: Int,
                issueReportsTo: String? = nil) {
        self.issueReportsTo = issueReportsTo
        self.id = id
        self.forum = forum
        self.number = number
        self.status = status
        self.requestedRules = requestedRules
        self.appliedRules = appliedRules
        self.relaxed = relaxed
        self.objective = objective
        self.speakers = speakers
        self.reserves = reserves
        self.decisions = decisions
        self.reviewComment = reviewComment
        self.reviewedAt = reviewedAt
        self.confirmBy = confirmBy
        self.createdAt = createdAt
        self.revision = revision
    }

    /// The speakers holding places (not those who declined).
    public var holding: [Speaker] { speakers.filter { $0.state != .declined } }

    /// Constituencies, developing share and gender counts of the speakers holding places.
    public var balance: Balance {
        let holding = holding
        let developing = holding.filter(\.developing).count
        return Balance(speakers: holding.count, constituencies: Dictionary(grouping: holding, by: \.constituency).mapValues(\.count),
                       developing: developing, developingShare: holding.isEmpty ? 0 : Double(developing) / Double(holding.count),
                       women: holding.filter { $0.gender == "woman" }.count, men: holding.filter { $0.gender == "man" }.count,
                       otherOrUnstated: holding.filter { $0.gender != "woman" && $0.gender != "man" }.count)
    }

    /// Whether the speakers holding places keep the applied rules (an override may break them).
    public var rulesHold: Bool {
        let holding = holding
        return appliedRules.hold(networks: holding.map(\.network.uuidString), constituencies: holding.map(\.constituency),
                                 developing: holding.map(\.developing), genders: holding.map(\.gender))
    }

    /// A hearing's slate is approved only with at least three constituencies among its speakers (DESIGN §1).
    public static let hearingMinimumConstituencies = 3
}
