import PostgresClient

/// A constraint that refused a value, reported against the API field it concerns.
public struct FieldViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// The API field (camelCase).
    public var field: String
    /// Why its value was refused.
    public var message: String
    /// A refusal of `field`.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field) \(message)" }
}

/// Turns constraint violations into errors about the API field concerned.
func mapViolations<Result>(_ body: () async throws -> Result) async throws -> Result {
    do {
        return try await body()
    } catch let error as PostgresError {
        switch (error.code, error.constraint ?? "") {
        case (.foreignKeyViolation, let name) where name.hasSuffix("country_fkey"):
            throw FieldViolation(field: "country", message: "is not a known ISO 3166-1 alpha-2 country code")
        case (.foreignKeyViolation, let name) where name.hasSuffix("constituency_fkey"):
            throw FieldViolation(field: "constituency", message: "is not a known constituency code")
        case (.foreignKeyViolation, "person_organisation_id_fkey"):
            throw FieldViolation(field: "organisation", message: "is not a known organisation")
        case (.foreignKeyViolation, "selection_committee_account_id_fkey"):
            throw FieldViolation(field: "accounts", message: "names an account that does not exist")
        case (.foreignKeyViolation, "account_role_network_id_fkey"), (.foreignKeyViolation, "account_role_organisation_id_fkey"):
            throw FieldViolation(field: "roles", message: "names a network or organisation that does not exist")
        case (.checkViolation, "slate_review_comment_check"):
            throw FieldViolation(field: "comment", message: "is too long")
        case (.checkViolation, "slate_speaker_override_justification_check"):
            throw FieldViolation(field: "justification", message: "is too long")
        case (.checkViolation, "issue_transition_reason_check"):
            throw FieldViolation(field: "reason", message: "must be 1 to 5000 characters")
        case (.checkViolation, "organisation_check"):
            throw FieldViolation(field: "accreditedOn", message: "needs an accreditation")
        case (.checkViolation, _):
            // PostgreSQL names a column's check TABLE_COLUMN_check.
            throw FieldViolation(field: error.constraintField, message: "is not valid")
        case (.uniqueViolation, "policy_issue_slug_key"):
            throw FieldViolation(field: "slug", message: "is already taken")
        case (.uniqueViolation, let name) where name.hasSuffix("name_key"):
            throw FieldViolation(field: "name", message: "is already taken")
        case (.uniqueViolation, let name) where name.hasSuffix("pkey"):
            throw FieldViolation(field: name.hasPrefix("constituency") ? "code" : "id", message: "is already taken")
        default:
            throw error
        }
    }
}
