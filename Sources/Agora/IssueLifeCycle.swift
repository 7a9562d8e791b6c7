import Foundation

/// The stage of a policy issue in its life cycle (DESIGN.md §1; the report's paragraphs 45–49).
public enum IssueStage: String, Codable, Sendable, CaseIterable {
    case emerging
    case normSetting = "norm_setting"
    case implementation
    case review
    case closed

    /// The kind of forum that serves the stage; a closed issue has none.
    public var forumKind: ForumKind? {
        switch self {
        case .emerging: .roundTable
        case .normSetting: .conference
        case .implementation: .partnership
        case .review: .hearing
        case .closed: nil
        }
    }

    /// Where the issue may go from here: forward through the cycle; from review back to
    /// implementation (course correction) or norm setting (revise norms), or to closed.
    public var allowedNextStages: [IssueStage] {
        switch self {
        case .emerging: [.normSetting]
        case .normSetting: [.implementation]
        case .implementation: [.review]
        case .review: [.implementation, .normSetting, .closed]
        case .closed: []
        }
    }
}

/// The four kinds of forum, one per stage.
public enum ForumKind: String, Codable, Sendable, CaseIterable {
    case roundTable = "round_table"
    case conference
    case partnership
    case hearing
}

/// The life cycle as a plain state machine: an event in, an action out, no I/O. The store
/// persists what it decides (the transition and its history entry); it decides nothing itself.
public enum IssueLifeCycle {
    /// What someone asks of the issue.
    public enum Event: Sendable, Equatable {
        /// Move to `stage`, for `reason`. `stageForumConcluded` says whether the current stage's
        /// forum has been concluded with its outcome (round-table summary, conference outcome,
        /// partnership progress report, hearing proceedings).
        case requestTransition(to: IssueStage, reason: String, stageForumConcluded: Bool)
    }

    /// Why a move is made, for the history.
    public enum TransitionKind: String, Codable, Sendable {
        case forward
        /// review → implementation.
        case courseCorrection = "course_correction"
        /// review → norm_setting.
        case normRevision = "norm_revision"
        /// review → closed.
        case closure
    }

    /// Why a move is refused.
    public enum Reason: Sendable, Equatable {
        /// The move is not part of the cycle; `allowed` lists the moves that are.
        case moveNotAllowed(from: IssueStage, to: IssueStage, allowed: [IssueStage])
        /// Every transition needs a reason.
        case reasonMissing
        /// The current stage's forum has not been concluded with its outcome.
        case forumNotConcluded(stage: IssueStage, kind: ForumKind)
    }

    /// The decision.
    public enum Action: Sendable, Equatable {
        /// Record the transition (who and when are the caller's to add).
        case transition(from: IssueStage, to: IssueStage, kind: TransitionKind, reason: String)
        case refuse(Reason)
    }

    /// Decides what `event` does to an issue at `stage`. Checks in order: the move is in the
    /// cycle, a reason is given, the stage's forum is concluded.
    public static func decide(at stage: IssueStage, _ event: Event) -> Action {
        switch event {
        case .requestTransition(let target, let reason, let concluded):
            guard stage.allowedNextStages.contains(target) else {
                return .refuse(.moveNotAllowed(from: stage, to: target, allowed: stage.allowedNextStages))
            }
            let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty else { return .refuse(.reasonMissing) }
            if let kind = stage.forumKind, !concluded {
                return .refuse(.forumNotConcluded(stage: stage, kind: kind))
            }
            return .transition(from: stage, to: target, kind: kind(from: stage, to: target), reason: reason)
        }
    }

    private static func kind(from stage: IssueStage, to target: IssueStage) -> TransitionKind {
        switch (stage, target) {
        case (.review, .implementation): .courseCorrection
        case (.review, .normSetting): .normRevision
        case (_, .closed): .closure
        default: .forward
        }
    }
}

extension IssueLifeCycle.Reason {
    /// The refusal a caller is answered with.
    public var refusal: Refusal {
        switch self {
        case .moveNotAllowed(let from, let to, let allowed):
            Refusal(.transitionNotAllowed,
                    "An issue at \(from.rawValue) cannot move to \(to.rawValue); it may move to: "
                        + (allowed.isEmpty ? "nothing (it is closed)" : allowed.map(\.rawValue).joined(separator: ", ")) + ".",
                    allowed: allowed.map(\.rawValue))
        case .reasonMissing:
            .invalid("reason", "every transition needs a reason")
        case .forumNotConcluded(let stage, let kind):
            Refusal(.forumNotConcluded,
                    "Leaving \(stage.rawValue) needs a \(kind.rawValue.replacingOccurrences(of: "_", with: " ")) concluded with its outcome since the issue last entered the stage.")
        }
    }
}
