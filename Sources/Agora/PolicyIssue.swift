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

extension PolicyIssue {
    /// A change to an issue's description: each field nil when unchanged. The slug (its
    /// address) and the stage (moved only by transitions) do not change this way.
    public struct Changes: Sendable, Equatable {
        /// A new title.
        public var title: String?
        /// A new summary (may be empty).
        public var summary: String?
        /// Another intergovernmental body to report to (its bureau then reviews the issue's slates).
        public var reportsTo: String?
        /// New tags.
        public var goals: [String]?
        /// No change.
        public init() {}

        /// The fields the change names.
        public var names: Set<String> {
            var names = Set<String>()
            if title != nil { names.insert("title") }
            if summary != nil { names.insert("summary") }
            if reportsTo != nil { names.insert("reportsTo") }
            if goals != nil { names.insert("goals") }
            return names
        }
    }

    /// The issue with `changes` applied; a closed issue no longer changes.
    public func applying(_ changes: Changes) -> Result<PolicyIssue, Refusal> {
        guard stage != .closed else {
            return .failure(.invalid(changes.names.sorted().map { FieldProblem(field: $0, message: "can no longer change: the issue is closed") }))
        }
        var changed = self
        if let title = changes.title { changed.title = title }
        if let summary = changes.summary { changed.summary = summary }
        if let reportsTo = changes.reportsTo { changed.reportsTo = reportsTo }
        if let goals = changes.goals { changed.goals = goals }
        return .success(changed)
    }

    /// The named fields as audit values.
    public func snapshot(_ fields: Set<String>) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        if fields.contains("title") { result["title"] = .string(title) }
        if fields.contains("summary") { result["summary"] = .string(summary) }
        if fields.contains("reportsTo") { result["reportsTo"] = .string(reportsTo) }
        if fields.contains("goals") { result["goals"] = .array(goals.map(JSONValue.string)) }
        return result
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
