import Foundation

/// Why a request is not carried out: the one error the domain, the stores and the API throw
/// for anything the caller can correct (or must wait for).
///
/// `code` is stable and is what clients branch on; the API turns a refusal into an RFC 9457
/// problem in one place (`Problem(_:)`), where each code has its status and title.
/// `detail` explains this occurrence, in words for people.
public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of refusal.
    public var code: Code
    /// What went wrong this time.
    public var detail: String?
    /// The fields refused, each with why (a `validation` refusal has at least one).
    public var errors: [FieldProblem]?
    /// What the caller may do instead: the stages or statuses a move may go to, the methods a
    /// path serves.
    public var allowed: [String]?
    /// The sessions of the agenda a change would collide with (a room or a speaker taken).
    public var conflictingSessions: [UUID]?
    /// Free slots offered instead of a workspace booking refused for a conflict.
    public var alternatives: [BookingAlternative]?
    /// A refusal of kind `code`.
    public init(_ code: Code, _ detail: String? = nil, errors: [FieldProblem]? = nil, allowed: [String]? = nil,
                conflictingSessions: [UUID]? = nil, alternatives: [BookingAlternative]? = nil) {
        self.code = code
        self.detail = detail
        self.errors = errors
        self.allowed = allowed
        self.conflictingSessions = conflictingSessions
        self.alternatives = alternatives
    }

    /// Nothing there, or nothing the caller may see: the two are answered alike.
    public static func notFound(_ detail: String = "There is nothing at this address.") -> Refusal {
        Refusal(.notFound, detail)
    }

    /// Values refused, each named by its field path (`targets[2].due`).
    public static func invalid(_ problems: [FieldProblem]) -> Refusal {
        Refusal(.validation, "Some fields are not valid: " + problems.map(\.field).joined(separator: ", ") + ".", errors: problems)
    }

    /// One value refused.
    public static func invalid(_ field: String, _ message: String) -> Refusal {
        invalid([FieldProblem(field: field, message: message)])
    }

    /// The object changed since the caller read it (`If-Match` no longer holds).
    public static func stale(currentVersion: Int) -> Refusal {
        Refusal(.stale, "The object changed since you read it (now at version \(currentVersion)); read it again and reapply your change.")
    }

    /// The database did not answer: nothing was changed, try again.
    public static let databaseUnavailable = Refusal(.databaseUnavailable, "The database did not answer in time. Try again shortly.")
    /// `/readyz` of a server that is stopping.
    public static let shuttingDown = Refusal(.shuttingDown, "This server is stopping; send requests to another one.")

    /// Contention or a statement that ran too long: nothing was changed, try again.
    public static let databaseBusy = Refusal(.databaseBusy, "The change met concurrent changes or took too long and was not made. Try again shortly.")

    public var description: String {
        ([code.rawValue, detail].compactMap { $0 } + (errors ?? []).map(\.description)).joined(separator: ": ")
    }

    /// Every kind of refusal Agora answers. The raw value is the problem type's last path
    /// segment (`/problems/not-found`), never changed once published.
    public enum Code: String, Sendable, CaseIterable {
        // The request itself.
        case notFound = "not-found"
        case validation
        case unknownFields = "unknown-fields"
        case malformedBody = "malformed-body"
        case payloadTooLarge = "payload-too-large"
        case unsupportedMediaType = "unsupported-media-type"
        case methodNotAllowed = "method-not-allowed"
        case invalidQuery = "invalid-query"
        case invalidLimit = "invalid-limit"
        case invalidCursor = "invalid-cursor"
        case invalidIfMatch = "invalid-if-match"
        case stale
        case invalidIdempotencyKey = "invalid-idempotency-key"
        case idempotencyMismatch = "idempotency-mismatch"
        case idempotencyInProgress = "idempotency-in-progress"
        // Who is asking.
        case unauthenticated
        case forbidden
        case notYourNetwork = "not-your-network"
        // Issues and forums.
        case transitionNotAllowed = "transition-not-allowed"
        case forumNotConcluded = "forum-not-concluded"
        case issueClosed = "issue-closed"
        case statusNotAllowed = "status-not-allowed"
        case nominationsDeadlinePassed = "nominations-deadline-passed"
        case forumNotHeld = "forum-not-held"
        // Participation and partnerships.
        case wrongParticipationMode = "wrong-participation-mode"
        case participationClosed = "participation-closed"
        case alreadyParticipating = "already-participating"
        case participantCapReached = "participant-cap-reached"
        case notAPartnership = "not-a-partnership"
        case alreadyAPartner = "already-a-partner"
        // Proceedings.
        case notConcludedHearing = "not-concluded-hearing"
        case alreadyTransmitted = "already-transmitted"
        case notTransmitted = "not-transmitted"
        case alreadyAcknowledged = "already-acknowledged"
        // Nominations and selection.
        case nominationsClosed = "nominations-closed"
        case committeeMember = "committee-member"
        case alreadyNominated = "already-nominated"
        case rankTaken = "rank-taken"
        case forumNotReady = "forum-not-ready"
        case nominationsNotClosed = "nominations-not-closed"
        case slateStatus = "slate-status"
        case tooFewConstituencies = "too-few-constituencies"
        case forumStarted = "forum-started"
        case cannotSelect = "cannot-select"
        // The agenda.
        case roomTaken = "room-taken"
        case speakerDoubleBooked = "speaker-double-booked"
        case sessionCancelled = "session-cancelled"
        case agendaUnchanged = "agenda-unchanged"
        case forumNotAnnounced = "forum-not-announced"
        // Notices and subscriptions.
        case noticeNotDead = "notice-not-dead"
        case invalidCode = "invalid-code"
        // Workspace.
        case bookingConflict = "booking-conflict"
        case bookingNotOpen = "booking-not-open"
        case bookingClosed = "booking-closed"
        case priorityWindow = "priority-window"
        case bookingQuotaExceeded = "booking-quota-exceeded"
        case organisationNotParticipating = "organisation-not-participating"
        case bookingNotActive = "booking-not-active"
        case checkInNotOpen = "check-in-not-open"
        case workspaceRoomBooked = "workspace-room-booked"
        /// Too many requests from one address or account; `Retry-After` says when to come back.
        case rateLimited = "rate-limited"
        // The server's side: nothing was changed, try again.
        case databaseBusy = "database-busy"
        case databaseUnavailable = "database-unavailable"
        /// The server is stopping (`/readyz` while it drains); another one answers.
        case shuttingDown = "shutting-down"
        case internalError = "internal-error"
    }
}

// The refusals of the domain, with the words that explain them, made in one place so every
// store that refuses the same thing says it the same way.
extension Refusal {
    // MARK: Issues and forums

    /// Not the forum's next status; `allowed` lists what is.
    public static func statusNotAllowed(allowed: [ForumStatus]) -> Refusal {
        Refusal(.statusNotAllowed,
                "The forum may move to: " + (allowed.isEmpty ? "nothing here (concluding records its outcome)" : allowed.map(\.rawValue).joined(separator: ", ")) + ".",
                allowed: allowed.map(\.rawValue))
    }

    /// Nominations cannot open: their deadline has passed.
    public static func nominationsDeadlinePassed(_ deadline: Date) -> Refusal {
        Refusal(.nominationsDeadlinePassed,
                "The nominations deadline (\(deadline.formatted(.iso8601))) has passed; move it with PATCH /forums/{id} first.")
    }

    /// A forum is concluded once it has been held.
    public static func forumNotHeld(status: ForumStatus) -> Refusal {
        Refusal(.forumNotHeld, "A forum is concluded with its outcome once it has been held (it is \(status.rawValue)).")
    }

    // MARK: Participation and partnerships

    /// A round table invites; the other kinds register.
    public static func wrongParticipationMode(expected: ParticipationMode) -> Refusal {
        Refusal(.wrongParticipationMode,
                expected == .invitation ? "A round table takes participants by invitation." : "This forum takes registrations from organisations; only round tables invite.")
    }

    /// The forum does not take participants at this status.
    public static func participationClosed(_ status: ForumStatus) -> Refusal {
        Refusal(.participationClosed,
                "The forum is \(status.rawValue); invitations run until it is held, registrations from its announcement until it is held.")
    }

    /// The person is already invited or registered.
    public static let alreadyParticipating = Refusal(.alreadyParticipating, "This person is already on the forum's list.")

    /// Every place of the round table is taken.
    public static func participantCapReached(_ cap: Int) -> Refusal {
        Refusal(.participantCapReached, "All \(cap) places have been accepted.")
    }

    /// Partners and commitments belong to partnership forums.
    public static func notAPartnership(_ kind: ForumKind) -> Refusal {
        Refusal(.notAPartnership,
                "Partners and commitments belong to partnership forums; this one is a \(kind.rawValue.replacingOccurrences(of: "_", with: " ")).")
    }

    /// The organisation is already a partner.
    public static let alreadyAPartner = Refusal(.alreadyAPartner, "This organisation is already a partner of the partnership.")

    // MARK: Proceedings

    /// Only a concluded hearing's proceedings are transmitted.
    public static func notConcludedHearing(kind: ForumKind, status: ForumStatus) -> Refusal {
        Refusal(.notConcludedHearing,
                "Proceedings of a concluded hearing are transmitted; this is a \(status.rawValue) \(kind.rawValue.replacingOccurrences(of: "_", with: " ")).")
    }

    /// Proceedings are transmitted once.
    public static func alreadyTransmitted(_ transmission: Transmission) -> Refusal {
        Refusal(.alreadyTransmitted, "These proceedings were transmitted on \(transmission.transmittedOn) as \(transmission.documentReference).")
    }

    /// An acknowledgement needs a transmission first.
    public static let notTransmitted = Refusal(.notTransmitted, "An acknowledgement is recorded after the proceedings are transmitted.")

    /// Receipt was acknowledged already.
    public static func alreadyAcknowledged(_ transmission: Transmission) -> Refusal {
        Refusal(.alreadyAcknowledged, "Receipt was acknowledged on \(transmission.acknowledgedOn ?? "").")
    }

    // MARK: Nominations and selection

    /// The forum is not taking nominations (status or deadline).
    public static func nominationsClosed(status: ForumStatus, deadline: Date?) -> Refusal {
        Refusal(.nominationsClosed,
                "Nominations are taken while the forum is nominations_open and before its deadline"
                    + (deadline.map { " (\($0.formatted(.iso8601)))" } ?? "") + "; it is \(status.rawValue).")
    }

    /// The caller is not a focal point of the network.
    public static let notYourNetwork = Refusal(.notYourNetwork, "Only a focal point of the network nominates for it.")

    /// The person sits on the forum's selection committee.
    public static let committeeMember = Refusal(.committeeMember, "Members of the forum's selection committee cannot be nominated for it.")

    /// The network already nominated this person.
    public static let alreadyNominated = Refusal(.alreadyNominated, "The network has already nominated this person for the forum.")

    /// Another of the network's nominations holds the rank.
    public static func rankTaken(_ rank: Int) -> Refusal {
        Refusal(.rankTaken, "Another of the network's nominations has rank \(rank); change that one's rank (a change swaps ranks) or withdraw it.")
    }

    /// The slate is not at the status the step needs.
    public static func slateStatus(_ status: Slate.Status) -> Refusal {
        Refusal(.slateStatus,
                status == .approved ? "The forum already has an approved slate; approved slates are not changed by hand."
                    : "The slate is \(status.rawValue); this step needs another status.")
    }

    /// A hearing's slate needs speakers from at least three constituencies.
    public static func tooFewConstituencies(_ count: Int) -> Refusal {
        Refusal(.tooFewConstituencies,
                "A hearing's slate needs speakers from at least \(Slate.hearingMinimumConstituencies) constituencies; this one has \(count).")
    }

    /// The forum has started: its speakers no longer change.
    public static let forumStarted = Refusal(.forumStarted, "Speakers confirm or decline before the forum starts; after that the slate no longer changes.")

    // MARK: The agenda

    /// Another session holds the room at that time.
    public static func roomTaken(by sessions: [UUID]) -> Refusal {
        Refusal(.roomTaken, "The room is used by another session at that time: " + sessions.map(\.uuidString).joined(separator: ", ") + ".",
                conflictingSessions: sessions)
    }

    /// A speaker already speaks in an overlapping session.
    public static func speakerDoubleBooked(person: UUID, in sessions: [UUID]) -> Refusal {
        Refusal(.speakerDoubleBooked,
                "Person \(person.uuidString) speaks in an overlapping session: " + sessions.map(\.uuidString).joined(separator: ", ") + ".",
                conflictingSessions: sessions)
    }

    /// A cancelled session stays as it was cancelled.
    public static let sessionCancelled = Refusal(.sessionCancelled, "The session is cancelled; it stays in the agenda as it was. Add a new session instead.")

    /// Nothing changed since the last published version.
    public static func agendaUnchanged(version: Int) -> Refusal {
        Refusal(.agendaUnchanged, "Nothing changed since version \(version); a version is published when something changed.")
    }

    /// Only a dead notice is sent again by hand.
    public static func noticeNotDead(state: String) -> Refusal {
        Refusal(.noticeNotDead, "Only a dead notice can be sent again; this one is \(state).")
    }

    /// A subscription's confirmation or unsubscribe code that does not hold (wrong, used up,
    /// expired, or for another subscription): all answered alike.
    public static let invalidCode = Refusal(.invalidCode, "This code does not confirm or end this subscription (it may have expired); no change was made.",
                                            errors: [FieldProblem(field: "code", message: "is not a valid code for this subscription")])

    /// A draft forum's agenda cannot be public.
    public static let forumNotAnnounced = Refusal(.forumNotAnnounced, "The forum is a draft; announce it before publishing its agenda.")

    // MARK: Workspace

    /// The room is taken then; `alternatives` are free slots instead.
    public static func bookingConflict(alternatives: [BookingAlternative]) -> Refusal {
        Refusal(.bookingConflict, "The room is booked, or holds a session of the agenda, at that time. Free slots are listed in `alternatives`.",
                alternatives: alternatives)
    }

    /// Booking has not opened yet.
    public static func bookingNotOpen(opensAt: Date) -> Refusal {
        Refusal(.bookingNotOpen, "Booking workspace for this forum opens at \(ISOInstant.string(opensAt)).")
    }

    /// Booking has closed.
    public static func bookingClosed(closedAt: Date) -> Refusal {
        Refusal(.bookingClosed, "Booking workspace for this forum closed at \(ISOInstant.string(closedAt)).")
    }

    /// The priority window keeps the organisation out for now.
    public static func priorityWindow(opensForEveryoneAt: Date) -> Refusal {
        Refusal(.priorityWindow, "For now only organisations from developing countries or from under-represented constituencies may book; booking opens for everyone at \(ISOInstant.string(opensForEveryoneAt)).")
    }

    /// The organisation's day is full.
    public static func bookingQuotaExceeded(limit: Int, booked: Int) -> Refusal {
        Refusal(.bookingQuotaExceeded, "An organisation books at most \(limit) minutes a day at this forum; it has \(booked) booked that day, so \(max(0, limit - booked)) are left.")
    }

    /// The organisation takes no part in the forum.
    public static let organisationNotParticipating = Refusal(.organisationNotParticipating,
        "The organisation takes no part in this forum (none of its people is registered or invited); the secretariat can book for it.")

    /// The booking was cancelled or released, or is over.
    public static func bookingNotActive(_ status: BookingStatus) -> Refusal {
        Refusal(.bookingNotActive, "The booking is \(status.rawValue.replacingOccurrences(of: "_", with: " ")); it no longer changes.")
    }

    /// The booking's time is over.
    public static let bookingOver = Refusal(.bookingNotActive, "The booking's time is over; it no longer changes.")

    /// Check-in is open from 10 minutes before the start to 15 minutes after it.
    public static func checkInNotOpen(opensAt: Date, closesAt: Date) -> Refusal {
        Refusal(.checkInNotOpen, "Check-in is open from \(ISOInstant.string(opensAt)) to \(ISOInstant.string(closesAt)).")
    }

    /// A room still booked cannot leave the offer.
    public static func workspaceRoomBooked(_ rooms: [UUID]) -> Refusal {
        Refusal(.workspaceRoomBooked, "These rooms have active bookings and stay offered until they are cancelled: " + rooms.map(\.uuidString).joined(separator: ", ") + ".")
    }
}
