import Agora
import PostgresClient

/// Database errors as refusals: the store layer's word on what a PostgreSQL error means for
/// the caller, so that nothing above the stores needs to know PostgreSQL's error codes.
public enum DatabaseRefusals {
    /// The refusal `error` stands for, if it is a database error; nil for any other error.
    /// Contention and timeouts are `database-busy` and an unreachable database is
    /// `database-unavailable` (nothing was changed: try again); a constraint that no check
    /// of ours caught is still the client's value, refused naming its field.
    public static func refusal(for error: any Error) -> Refusal? {
        guard let error = error as? PostgresError else { return nil }
        switch error.code {
        case .poolTimeout, .connectionFailed, .connectionLost, .poolClosed:
            return .databaseUnavailable
        case .serializationFailure, .deadlockDetected, .statementTimeout, .lockNotAvailable:
            return .databaseBusy
        default:
            return error.isConstraintViolation ? .invalid(error.constraintField, "is not valid") : nil
        }
    }
}

/// Turns constraint violations into errors about the API field concerned.
func mapViolations<Result>(_ body: () async throws -> Result) async throws -> Result {
    do {
        return try await body()
    } catch let error as PostgresError {
        switch (error.code, error.constraint ?? "") {
        case (.foreignKeyViolation, let name) where name.hasSuffix("country_fkey"):
            throw Refusal.invalid("country", "is not a known ISO 3166-1 alpha-2 country code")
        case (.foreignKeyViolation, let name) where name.hasSuffix("constituency_fkey"):
            throw Refusal.invalid("constituency", "is not a known constituency code")
        case (.foreignKeyViolation, "person_organisation_id_fkey"):
            throw Refusal.invalid("organisation", "is not a known organisation")
        case (.foreignKeyViolation, "selection_committee_account_id_fkey"):
            throw Refusal.invalid("accounts", "names an account that does not exist")
        case (.foreignKeyViolation, "account_role_network_id_fkey"), (.foreignKeyViolation, "account_role_organisation_id_fkey"):
            throw Refusal.invalid("roles", "names a network or organisation that does not exist")
        case (.checkViolation, "slate_review_comment_check"):
            throw Refusal.invalid("comment", "is too long")
        case (.checkViolation, "slate_speaker_override_justification_check"):
            throw Refusal.invalid("justification", "is too long")
        case (.checkViolation, "issue_transition_reason_check"):
            throw Refusal.invalid("reason", "must be 1 to 5000 characters")
        case (.checkViolation, "organisation_check"):
            throw Refusal.invalid("accreditedOn", "needs an accreditation")
        case (.foreignKeyViolation, "forum_venue_id_fkey"):
            throw Refusal.invalid("venue.id", "is not a known venue")
        case (.foreignKeyViolation, "agenda_session_room_id_fkey"):
            throw Refusal.invalid("room", "is not a known room")
        case (.foreignKeyViolation, "agenda_session_chair_id_fkey"):
            throw Refusal.invalid("chair", "is not a known person")
        case (.checkViolation, "agenda_session_within_forum"):
            throw Refusal.invalid([FieldProblem(field: "startsAt", message: "the session must lie within the forum's dates"),
                                   FieldProblem(field: "endsAt", message: "the session must lie within the forum's dates")])
        case (.exclusionViolation, "agenda_session_room_booked"):
            throw Refusal(.roomTaken, "The room is booked as civil-society workspace at that time; the booking is cancelled first, or another room is chosen.",
                          conflictingSessions: [])
        case (.checkViolation, "agenda_session_room_at_venue"):
            throw Refusal.invalid("room", "is not a room of the forum's venue")
        case (.checkViolation, "agenda_session_forum_fixed"):
            throw Refusal.invalid("forum", "a session stays in its forum")
        case (.checkViolation, "agenda_session_ends_after_start"):
            throw Refusal.invalid("endsAt", "must be after startsAt")
        case (.checkViolation, "forum_workspace_at_venue"):
            throw Refusal.invalid("venue", "the forum offers rooms of its venue as workspace; withdraw them from the offer first")
        case (.checkViolation, "forum_sessions_at_venue"):
            throw Refusal.invalid("venue", "the forum has sessions in rooms of its venue; it stays there")
        case (.checkViolation, "forum_sessions_within"):
            throw Refusal.invalid([FieldProblem(field: "startsAt", message: "the forum has sessions outside these dates; move them first"),
                                   FieldProblem(field: "endsAt", message: "the forum has sessions outside these dates; move them first")])
        case (.checkViolation, _):
            // PostgreSQL names a column's check TABLE_COLUMN_check.
            throw Refusal.invalid(error.constraintField, "is not valid")
        case (.uniqueViolation, "venue_name_city_key"):
            throw Refusal.invalid([FieldProblem(field: "name", message: "is taken by another venue in this city"),
                                   FieldProblem(field: "city", message: "has another venue of this name")])
        case (.uniqueViolation, "room_venue_id_name_key"):
            throw Refusal.invalid("name", "is taken by another room of this venue")
        case (.uniqueViolation, "policy_issue_slug_key"):
            throw Refusal.invalid("slug", "is already taken")
        case (.uniqueViolation, let name) where name.hasSuffix("name_key"):
            throw Refusal.invalid("name", "is already taken")
        case (.uniqueViolation, let name) where name.hasSuffix("pkey"):
            throw Refusal.invalid(name.hasPrefix("constituency") ? "code" : "id", "is already taken")
        default:
            throw error
        }
    }
}
