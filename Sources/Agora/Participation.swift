import Foundation

/// How people take part in a forum: a round table invites them (with a cap); the other kinds
/// take registrations from organisations for their people (DESIGN §1).
public enum ParticipationMode: String, Sendable {
    case invitation
    case registration

    public init(kind: ForumKind) {
        self = kind == .roundTable ? .invitation : .registration
    }

    /// Whether people may be invited or registered, or answer, while the forum is at `status`:
    /// invitations from the draft on (the secretariat prepares them), registrations once the
    /// forum is announced; both end when it has been held.
    public func isOpen(at status: ForumStatus) -> Bool {
        switch self {
        case .invitation: status < .held
        case .registration: status >= .announced && status < .held
        }
    }
}

/// An invitation's answer.
public enum InvitationStatus: String, Codable, Sendable, CaseIterable {
    case invited, accepted, declined
}

/// A person invited to a round table.
public struct Invitation: Codable, Sendable, Equatable {
    public var id: UUID
    public var forum: UUID
    public var person: UUID
    /// The person's name (personal data: shown to those who may see the person).
    public var name: String
    public var organisation: UUID?
    public var status: InvitationStatus
    public var invitedAt: Date
    public var answeredAt: Date?

    public init(id: UUID, forum: UUID, person: UUID, name: String, organisation: UUID?, status: InvitationStatus, invitedAt: Date, answeredAt: Date?) {
        self.id = id
        self.forum = forum
        self.person = person
        self.name = name
        self.organisation = organisation
        self.status = status
        self.invitedAt = invitedAt
        self.answeredAt = answeredAt
    }
}

/// Where a registration stands.
public enum RegistrationStatus: String, Codable, Sendable, CaseIterable {
    case registered, approved
}

/// A person an organisation registered for a conference, partnership or hearing.
public struct Registration: Codable, Sendable, Equatable {
    public var id: UUID
    public var forum: UUID
    public var person: UUID
    public var name: String
    public var organisation: UUID
    public var status: RegistrationStatus
    public var registeredAt: Date
    public var approvedAt: Date?

    public init(id: UUID, forum: UUID, person: UUID, name: String, organisation: UUID, status: RegistrationStatus, registeredAt: Date, approvedAt: Date?) {
        self.id = id
        self.forum = forum
        self.person = person
        self.name = name
        self.organisation = organisation
        self.status = status
        self.registeredAt = registeredAt
        self.approvedAt = approvedAt
    }
}

/// A partner organisation of a partnership forum.
public struct Partner: Codable, Sendable, Equatable {
    public var forum: UUID
    public var organisation: UUID
    public var organisationName: String
    /// Its role in the partnership, e.g. "lead implementer", "funder".
    public var role: String

    public init(forum: UUID, organisation: UUID, organisationName: String, role: String) {
        self.forum = forum
        self.organisation = organisation
        self.organisationName = organisationName
        self.role = role
    }
}

/// Where a commitment stands.
public enum CommitmentStatus: String, Codable, Sendable, CaseIterable {
    case planned
    case onTrack = "on_track"
    case delayed, done, dropped
}

/// What a partner committed to deliver in a partnership, and how it is going.
public struct Commitment: Codable, Sendable, Equatable {
    public var id: UUID
    public var forum: UUID
    public var organisation: UUID
    public var organisationName: String
    public var deliverable: String
    /// `YYYY-MM-DD`.
    public var due: String
    public var status: CommitmentStatus
    /// A link to the evidence of progress.
    public var evidence: String?
    public var updatedAt: Date
    public var version: Int

    public init(id: UUID, forum: UUID, organisation: UUID, organisationName: String, deliverable: String, due: String,
                status: CommitmentStatus, evidence: String?, updatedAt: Date, version: Int) {
        self.id = id
        self.forum = forum
        self.organisation = organisation
        self.organisationName = organisationName
        self.deliverable = deliverable
        self.due = due
        self.status = status
        self.evidence = evidence
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// A hearing's proceedings as sent to the intergovernmental body the issue reports to.
public struct Transmission: Codable, Sendable, Equatable {
    public var forum: UUID
    /// The body, as the issue named it when the proceedings were sent.
    public var body: String
    /// The body's document symbol, e.g. `E/2027/L.12`.
    public var documentReference: String
    /// `YYYY-MM-DD`.
    public var transmittedOn: String
    /// The account that sent them (nil for the command line).
    public var transmittedBy: UUID?
    public var recordedAt: Date
    /// `YYYY-MM-DD`, once the body acknowledged receipt.
    public var acknowledgedOn: String?
    public var acknowledgement: String?

    public init(forum: UUID, body: String, documentReference: String, transmittedOn: String, transmittedBy: UUID?,
                recordedAt: Date, acknowledgedOn: String?, acknowledgement: String?) {
        self.forum = forum
        self.body = body
        self.documentReference = documentReference
        self.transmittedOn = transmittedOn
        self.transmittedBy = transmittedBy
        self.recordedAt = recordedAt
        self.acknowledgedOn = acknowledgedOn
        self.acknowledgement = acknowledgement
    }
}

/// The proceedings document of a hearing: what was said, by whom, what it recommends, the
/// partnership commitments it reviewed as evidence, and where it was sent.
public struct Proceedings: Codable, Sendable, Equatable {
    public struct IssueSummary: Codable, Sendable, Equatable {
        public var id: UUID
        public var slug: String
        public var title: String
        public var reportsTo: String
        public init(id: UUID, slug: String, title: String, reportsTo: String) {
            self.id = id
            self.slug = slug
            self.title = title
            self.reportsTo = reportsTo
        }
    }

    public var issue: IssueSummary
    public var forum: UUID
    public var title: String
    public var chair: String
    public var venue: Forum.Venue
    public var startsAt: Date
    public var endsAt: Date
    public var summary: String
    public var statements: [HearingStatement]
    public var constituencyBreakdown: [ConstituencyCount]
    public var recommendations: [HearingRecommendation]
    /// The commitments of the issue's partnerships, with their status when the document was read.
    public var evidence: [Commitment]
    public var transmission: Transmission?

    public init(issue: IssueSummary, forum: Forum, outcome: ForumOutcome, evidence: [Commitment], transmission: Transmission?) {
        self.issue = issue
        self.forum = forum.id
        self.title = forum.title
        self.chair = forum.chair ?? ""
        self.venue = forum.venue
        self.startsAt = forum.startsAt
        self.endsAt = forum.endsAt
        if case .hearing(let summary, let statements, let recommendations) = outcome {
            self.summary = summary
            self.statements = statements
            self.recommendations = recommendations
        } else {
            self.summary = ""
            self.statements = []
            self.recommendations = []
        }
        self.constituencyBreakdown = outcome.constituencyBreakdown
        self.evidence = evidence
        self.transmission = transmission
    }
}
