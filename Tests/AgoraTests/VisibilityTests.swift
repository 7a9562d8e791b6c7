import Agora
import Foundation
import Testing

/// Who sees what (DESIGN §7), written out as tables: each row is a caller, the state of the
/// object, and what that caller is shown. The tables are the specification; `Visibility`
/// must agree with every row.
@Suite("Visibility (who sees what)")
struct VisibilityTests {
    static let ourNetwork = UUID()
    static let otherNetwork = UUID()
    static let ourOrganisation = UUID()
    static let otherOrganisation = UUID()
    static let ecosoc = "Economic and Social Council"

    /// The callers of the tables, named so a failing row says who it was about.
    enum Caller {
        case anonymous, participant, bureau, network, organisation, secretariat
        /// The bureau of another body than the one the object's issue reports to.
        case otherBureau
        /// A bureau role that serves no body.
        case bureauWithoutBody

        /// The callers every table covers.
        static let everyone: [Caller] = [.anonymous, .participant, .bureau, .otherBureau, .network, .organisation, .secretariat]

        var actor: Actor {
            switch self {
            case .anonymous: Actor.anonymous
            case .participant: Self.account([RoleGrant(.participant)])
            case .bureau: Self.account([.bureau(VisibilityTests.ecosoc)])
            case .network: Self.account([.network(VisibilityTests.ourNetwork)])
            case .organisation: Self.account([.organisation(VisibilityTests.ourOrganisation)])
            case .secretariat: Self.account([RoleGrant(.secretariat)])
            case .otherBureau: Self.account([.bureau("Human Rights Council")])
            case .bureauWithoutBody: Self.account([RoleGrant(.bureau)])
            }
        }

        static func account(_ grants: Set<RoleGrant>) -> Actor {
            Actor(accountID: UUID(), tokenName: "t", grants: grants)
        }
    }

    // MARK: Unpublished objects

    @Test func forumsInDraftAreSeenOnlyByTheSecretariatAndTheBureauOfTheIssuesBody() {
        var rows: [(caller: Caller, state: ForumStatus, expected: Bool)] = [
            (.anonymous, .draft, false),
            (.otherBureau, .draft, false),
            (.bureauWithoutBody, .draft, false),
            (.participant, .draft, false),
            (.network, .draft, false),
            (.organisation, .draft, false),
            (.bureau, .draft, true),
            (.secretariat, .draft, true),
        ]
        let published: [ForumStatus] = [.announced, .nominationsOpen, .nominationsClosed, .agendaPublished, .held, .concluded]
        for status in published {
            for caller in Caller.everyone { rows.append((caller, status, true)) }
        }
        #expect(Set(rows.map { $0.state }) == Set(ForumStatus.allCases), "the table covers every forum status")
        for (caller, state, expected) in rows {
            #expect(Visibility.seesForum(status: state, issueReportsTo: Self.ecosoc, viewer: caller.actor) == expected, "\(caller) \(state)")
        }
    }

    @Test func slatesAreSeenBeforeApprovalOnlyByTheSecretariatAndTheBureau() {
        let rows: [(caller: Caller, state: Slate.Status, expected: Bool)] = [
            (.anonymous, .proposed, false), (.anonymous, .approved, true), (.anonymous, .returned, false),
            (.participant, .proposed, false), (.participant, .approved, true), (.participant, .returned, false),
            (.network, .proposed, false), (.network, .approved, true), (.network, .returned, false),
            (.organisation, .proposed, false), (.organisation, .approved, true), (.organisation, .returned, false),
            (.bureau, .proposed, true), (.bureau, .approved, true), (.bureau, .returned, true),
            (.otherBureau, .proposed, false), (.otherBureau, .approved, true), (.otherBureau, .returned, false),
            (.secretariat, .proposed, true), (.secretariat, .approved, true), (.secretariat, .returned, true),
        ]
        for (caller, state, expected) in rows {
            #expect(Visibility.seesSlate(status: state, issueReportsTo: Self.ecosoc, viewer: caller.actor) == expected, "\(caller) \(state)")
        }
    }

    @Test func proceedingsAreSeenBeforeTransmissionOnlyByTheSecretariatAndTheBureau() {
        let rows: [(caller: Caller, transmitted: Bool, expected: Bool)] = [
            (.anonymous, false, false), (.anonymous, true, true),
            (.participant, false, false), (.participant, true, true),
            (.network, false, false), (.network, true, true),
            (.organisation, false, false), (.organisation, true, true),
            (.bureau, false, true), (.bureau, true, true),
            (.otherBureau, false, false), (.otherBureau, true, true),
            (.secretariat, false, true), (.secretariat, true, true),
        ]
        for (caller, transmitted, expected) in rows {
            #expect(Visibility.seesProceedings(transmitted: transmitted, issueReportsTo: Self.ecosoc, viewer: caller.actor) == expected,
                    "\(caller) transmitted: \(transmitted)")
        }
    }

    // MARK: People

    /// A person as the personal-data rule sees them: their organisation, and whether one of
    /// the viewer's networks currently nominates them.
    enum DataSubject {
        case ofOurOrganisation, ofAnotherOrganisation, withoutOrganisation
        case ofAnotherOrganisationNominatedByViewer, withoutOrganisationNominatedByViewer

        var organisation: UUID? {
            switch self {
            case .ofOurOrganisation: VisibilityTests.ourOrganisation
            case .ofAnotherOrganisation, .ofAnotherOrganisationNominatedByViewer: VisibilityTests.otherOrganisation
            case .withoutOrganisation, .withoutOrganisationNominatedByViewer: nil
            }
        }

        var nominatedByViewer: Bool {
            self == .ofAnotherOrganisationNominatedByViewer || self == .withoutOrganisationNominatedByViewer
        }
    }

    @Test func personalDataIsSeenByTheSecretariatTheOwnOrganisationAndANominatingNetwork() {
        let rows: [(caller: Caller, state: DataSubject, expected: Bool)] = [
            (.organisation, .ofOurOrganisation, true),
            (.organisation, .ofAnotherOrganisation, false),
            (.organisation, .withoutOrganisation, false),
            (.network, .ofAnotherOrganisationNominatedByViewer, true),
            (.network, .withoutOrganisationNominatedByViewer, true),
            (.network, .ofAnotherOrganisation, false),
            (.network, .ofOurOrganisation, false),
            (.network, .withoutOrganisation, false),
            (.secretariat, .ofOurOrganisation, true),
            (.secretariat, .ofAnotherOrganisation, true),
            (.secretariat, .withoutOrganisation, true),
            (.bureau, .ofOurOrganisation, false),
            (.bureau, .ofAnotherOrganisation, false),
            (.bureau, .withoutOrganisation, false),
            (.participant, .ofOurOrganisation, false),
            (.participant, .withoutOrganisation, false),
            (.anonymous, .ofOurOrganisation, false),
            (.anonymous, .withoutOrganisation, false),
        ]
        for (caller, state, expected) in rows {
            let sees = Visibility.seesPersonalData(personOrganisation: state.organisation, nominatedByViewer: state.nominatedByViewer,
                                                   viewer: caller.actor)
            #expect(sees == expected, "\(caller) \(state)")
        }
    }

    /// The network that nominated a speaker, as seen from the caller.
    enum SpeakerNetwork {
        case ours, another

        var id: UUID { self == .ours ? VisibilityTests.ourNetwork : VisibilityTests.otherNetwork }
    }

    @Test func aSpeakersGenderIsSeenByItsNetworkTheSecretariatAndTheBureau() {
        let rows: [(caller: Caller, state: SpeakerNetwork, expected: Bool)] = [
            (.network, .ours, true),
            (.network, .another, false),
            (.secretariat, .ours, true), (.secretariat, .another, true),
            (.bureau, .ours, true), (.bureau, .another, true),
            (.otherBureau, .ours, false), (.otherBureau, .another, false),
            (.organisation, .ours, false), (.organisation, .another, false),
            (.participant, .ours, false), (.participant, .another, false),
            (.anonymous, .ours, false), (.anonymous, .another, false),
        ]
        for (caller, state, expected) in rows {
            #expect(Visibility.seesSpeakerGender(network: state.id, issueReportsTo: Self.ecosoc, viewer: caller.actor) == expected, "\(caller) \(state)")
        }
    }

    @Test func participantListsAreScopedToTheViewersOrganisations() {
        let rows: [(caller: Caller, expected: Set<UUID>?)] = [
            (.secretariat, nil),
            (.bureau, nil),
            (.otherBureau, []),
            (.organisation, [Self.ourOrganisation]),
            (.network, []),
            (.participant, []),
            (.anonymous, []),
        ]
        for (caller, expected) in rows {
            #expect(Visibility.participantScope(caller.actor, issueReportsTo: Self.ecosoc) == expected, "\(caller)")
        }
        let contactOfTwo = Caller.account([.organisation(Self.ourOrganisation), .organisation(Self.otherOrganisation)])
        #expect(Visibility.participantScope(contactOfTwo, issueReportsTo: Self.ecosoc) == [Self.ourOrganisation, Self.otherOrganisation])
    }

    @Test func nominationListsShowAllToTheSecretariatAndTheBureauAndOwnNetworksBeforeTheyArePublic() {
        let rows: [(caller: Caller, isPublic: Bool, expected: Visibility.NominationList)] = [
            (.secretariat, false, .all), (.secretariat, true, .all),
            (.bureau, false, .all), (.bureau, true, .all),
            (.otherBureau, false, .own([])), (.otherBureau, true, .publicList),
            (.network, false, .own([Self.ourNetwork])), (.network, true, .publicList),
            (.organisation, false, .own([])), (.organisation, true, .publicList),
            (.participant, false, .own([])), (.participant, true, .publicList),
            (.anonymous, false, .own([])), (.anonymous, true, .publicList),
        ]
        for (caller, isPublic, expected) in rows {
            #expect(Visibility.nominationList(isPublic: isPublic, issueReportsTo: Self.ecosoc, viewer: caller.actor) == expected, "\(caller) public: \(isPublic)")
        }
    }

    // MARK: Audit and review

    @Test func onlyTheSecretariatSeesTheWholeAuditLog() {
        let rows: [(caller: Caller, expected: Visibility.AuditView)] = [
            (.secretariat, .everything),
            (.bureau, .publicEntriesByRole),
            (.network, .publicEntriesByRole),
            (.organisation, .publicEntriesByRole),
            (.participant, .publicEntriesByRole),
            (.anonymous, .publicEntriesByRole),
        ]
        for (caller, expected) in rows {
            #expect(Visibility.audit(caller.actor) == expected, "\(caller)")
        }
        #expect(Visibility.audit(.commandLine) == .everything)
    }

    @Test func onlyTheBureauOfTheBodyAnIssueReportsToReviewsItsSlates() {
        let rows: [(caller: Caller, state: String, expected: Bool)] = [
            (.bureau, Self.ecosoc, true),
            (.bureau, "General Assembly", false),
            (.bureauWithoutBody, Self.ecosoc, false),
            (.secretariat, Self.ecosoc, false),
            (.network, Self.ecosoc, false),
            (.anonymous, Self.ecosoc, false),
        ]
        for (caller, state, expected) in rows {
            #expect(Visibility.mayReviewSlate(issueReportsTo: state, viewer: caller.actor) == expected, "\(caller) \(state)")
        }
    }

    // MARK: Roles in public views

    @Test func publicViewsNameTheMostSeniorRole() {
        let secretariatAndNetwork = Caller.account([RoleGrant(.secretariat), .network(Self.ourNetwork)])
        #expect(secretariatAndNetwork.publicRole == "secretariat")
        #expect(Caller.account([.organisation(Self.ourOrganisation), .bureau(Self.ecosoc)]).publicRole == "bureau")
        #expect(Caller.network.actor.publicRole == "network")
        #expect(Actor(accountID: nil, tokenName: "scheduler", grants: []).publicRole == "system")
        #expect(Actor.commandLine.publicRole == "secretariat")
    }
}
