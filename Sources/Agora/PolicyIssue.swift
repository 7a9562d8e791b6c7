import Foundation

/// A global policy issue, moving through its life cycle (``IssueLifeCycle``).
public struct PolicyIssue: Codable, Sendable, Equatable {
    public var id: UUID
    /// Lower-case words joined by hyphens, e.g. `urban-water-access`.
    public var slug: String
    public var title: String
    public var summary: String
    /// The intergovernmental body the issue reports to, e.g. "Economic and Social Council".
    public var reportsTo: String
    /// Free tags, e.g. an SDG code.
    public var goals: [String]
    public var stage: IssueStage
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, slug: String, title: String, summary: String, reportsTo: String, goals: [String], stage: IssueStage,
                version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.slug = slug
        self.title = title
        self.summary = summary
        self.reportsTo = reportsTo
        self.goals = goals
        self.stage = stage
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One move of an issue from stage to stage, as its history shows it.
public struct IssueTransition: Codable, Sendable, Equatable {
    public var from: IssueStage
    public var to: IssueStage
    public var kind: IssueLifeCycle.TransitionKind
    public var reason: String
    /// Who moved it (nil: the command line).
    public var account: UUID?
    public var tokenName: String?
    public var at: Date

    public init(from: IssueStage, to: IssueStage, kind: IssueLifeCycle.TransitionKind, reason: String, account: UUID?, tokenName: String?, at: Date) {
        self.from = from
        self.to = to
        self.kind = kind
        self.reason = reason
        self.account = account
        self.tokenName = tokenName
        self.at = at
    }
}
