import Foundation

/// Who sees what: the one place the API asks (DESIGN §7). Pure decisions over the caller's
/// roles and the object's state, so they are tested as a table and no controller decides alone.
public enum Visibility {
    /// Drafts and what is not public yet of an issue reporting to `body`: forums in `draft`,
    /// slates before approval, a hearing's proceedings before they are transmitted, full
    /// nomination and participant lists. The secretariat, and the bureau of that body (a bureau
    /// of another body, or one whose body is not named, sees what the public sees).
    public static func seesUnpublished(_ viewer: Actor, issueReportsTo body: String?) -> Bool {
        viewer.has(.secretariat) || body.map(viewer.bureauBodies.contains) == true
    }

    /// Whether `viewer` sees a forum in `status` of an issue reporting to `body`.
    public static func seesForum(status: ForumStatus, issueReportsTo body: String?, viewer: Actor) -> Bool {
        status.isPublic || seesUnpublished(viewer, issueReportsTo: body)
    }

    /// Whether `viewer` reads a forum's draft agenda (sessions not yet published): the
    /// secretariat, which builds it. Published versions are public.
    public static func seesAgendaDraft(_ viewer: Actor) -> Bool {
        viewer.has(.secretariat)
    }

    /// Whether `viewer` sees a slate in `status` (approved slates are public).
    public static func seesSlate(status: Slate.Status, issueReportsTo body: String?, viewer: Actor) -> Bool {
        status == .approved || seesUnpublished(viewer, issueReportsTo: body)
    }

    /// Whether `viewer` reads a hearing's proceedings (public once transmitted).
    public static func seesProceedings(transmitted: Bool, issueReportsTo body: String?, viewer: Actor) -> Bool {
        transmitted || seesUnpublished(viewer, issueReportsTo: body)
    }

    /// Whether `viewer` sees a person's personal data (languages, gender, e-mail): the
    /// secretariat, the person's own organisation, and a network that currently nominates
    /// the person (`nominatedByViewer`: an active nomination by one of the viewer's networks).
    public static func seesPersonalData(personOrganisation: UUID?, nominatedByViewer: Bool, viewer: Actor) -> Bool {
        viewer.has(.secretariat) || personOrganisation.map(viewer.organisations.contains) == true || nominatedByViewer
    }

    /// Whether `viewer` sees the gender of a speaker on a slate, nominated by `network`: those
    /// who see unpublished slates, and the network for its own speakers. (The slate's balance
    /// counts are public; they are worked out before genders are hidden.)
    public static func seesSpeakerGender(network: UUID, issueReportsTo body: String?, viewer: Actor) -> Bool {
        seesUnpublished(viewer, issueReportsTo: body) || viewer.networks.contains(network)
    }

    /// Whose people `viewer` sees in a forum's invitation and registration lists: nil for
    /// everyone's (the secretariat and the issue's bureau), otherwise the viewer's
    /// organisations (empty for anyone else).
    public static func participantScope(_ viewer: Actor, issueReportsTo body: String?) -> Set<UUID>? {
        seesUnpublished(viewer, issueReportsTo: body) ? nil : viewer.organisations
    }

    /// What a list of a forum's nominations shows `viewer`.
    public enum NominationList: Equatable, Sendable {
        /// Every nomination with statements (the secretariat and the bureau).
        case all
        /// Every nomination, names, networks and constituencies only (public once nominations close).
        case publicList
        /// The viewer's own networks' nominations only.
        case own(Set<UUID>)
    }

    /// The nominations `viewer` sees while the forum's list `isPublic` (after the deadline) or not.
    public static func nominationList(isPublic: Bool, issueReportsTo body: String?, viewer: Actor) -> NominationList {
        if seesUnpublished(viewer, issueReportsTo: body) { return .all }
        if isPublic { return .publicList }
        return .own(viewer.networks)
    }

    /// What the audit log shows `viewer`.
    public enum AuditView: Equatable, Sendable {
        /// Every entry, with the account and token that made it (the secretariat).
        case everything
        /// Public entries only, naming the actor's role instead of the account.
        case publicEntriesByRole
    }

    /// The audit view of `viewer`.
    public static func audit(_ viewer: Actor) -> AuditView {
        viewer.has(.secretariat) ? .everything : .publicEntriesByRole
    }

    /// Whether `viewer` may review (approve or return) a slate of a forum whose issue reports
    /// to `body`: a bureau serving that body.
    public static func mayReviewSlate(issueReportsTo body: String, viewer: Actor) -> Bool {
        viewer.bureauBodies.contains(body)
    }
}
