import Agora
import Testing

@Suite("Issue life cycle (no database)")
struct IssueLifeCycleTests {
    /// The cycle of DESIGN.md §1, written out independently of the implementation.
    static let cycle: [IssueStage: [IssueStage: IssueLifeCycle.TransitionKind]] = [
        .emerging: [.normSetting: .forward],
        .normSetting: [.implementation: .forward],
        .implementation: [.review: .forward],
        .review: [.implementation: .courseCorrection, .normSetting: .normRevision, .closed: .closure],
        .closed: [:],
    ]

    @Test(arguments: IssueStage.allCases, IssueStage.allCases)
    func everyRequestedMoveIsDecidedAsTheCycleSays(from stage: IssueStage, to target: IssueStage) {
        let action = IssueLifeCycle.decide(at: stage, .requestTransition(to: target, reason: "Hearing found targets missed", stageForumConcluded: true))
        if let kind = Self.cycle[stage]![target] {
            #expect(action == .transition(from: stage, to: target, kind: kind, reason: "Hearing found targets missed"))
        } else {
            let allowed = IssueStage.allCases.filter { Self.cycle[stage]![$0] != nil }
            guard case .refuse(.moveNotAllowed(stage, target, let named)) = action else {
                Issue.record("\(stage) → \(target) should be refused, got \(action)"); return
            }
            #expect(Set(named) == Set(allowed))
        }
    }

    @Test(arguments: IssueStage.allCases, IssueStage.allCases)
    func leavingAStageNeedsItsForumConcluded(from stage: IssueStage, to target: IssueStage) {
        let action = IssueLifeCycle.decide(at: stage, .requestTransition(to: target, reason: "ready", stageForumConcluded: false))
        guard Self.cycle[stage]![target] != nil else { return } // refused as a move, above
        #expect(action == .refuse(.forumNotConcluded(stage: stage, kind: stage.forumKind!)))
    }

    @Test(arguments: IssueStage.allCases, IssueStage.allCases)
    func everyTransitionNeedsAReason(from stage: IssueStage, to target: IssueStage) {
        for reason in ["", "   ", "\n"] {
            let action = IssueLifeCycle.decide(at: stage, .requestTransition(to: target, reason: reason, stageForumConcluded: true))
            if Self.cycle[stage]![target] != nil {
                #expect(action == .refuse(.reasonMissing))
            } else if case .refuse(.moveNotAllowed) = action {
                // The move itself is refused first.
            } else {
                Issue.record("\(stage) → \(target) without a reason: \(action)")
            }
        }
    }

    @Test func eachStageIsServedByItsKindOfForum() {
        #expect(IssueStage.emerging.forumKind == .roundTable)
        #expect(IssueStage.normSetting.forumKind == .conference)
        #expect(IssueStage.implementation.forumKind == .partnership)
        #expect(IssueStage.review.forumKind == .hearing)
        #expect(IssueStage.closed.forumKind == nil)
        #expect(IssueStage.normSetting.rawValue == "norm_setting")
    }
}
