/// An error from PostgreSQL or from the client itself, with a stable ``Code`` to branch on.
///
/// `description` is short and never contains parameter values or row data, so it is safe to
/// log and to show; `debugDescription` adds the server's detail and hint.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A stable classification of the failure. Compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The name of the code, for logs and metrics labels.
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// SQLSTATE 23505.
        public static let uniqueViolation = Code("unique_violation")
        /// SQLSTATE 23P01 (an exclusion constraint, e.g. overlapping ranges).
        public static let exclusionViolation = Code("exclusion_violation")
        /// SQLSTATE 23503.
        public static let foreignKeyViolation = Code("foreign_key_violation")
        /// SQLSTATE 23514.
        public static let checkViolation = Code("check_violation")
        /// SQLSTATE 23502.
        public static let notNullViolation = Code("not_null_violation")
        /// SQLSTATE 40001: retry the whole transaction.
        public static let serializationFailure = Code("serialization_failure")
        /// SQLSTATE 40P01: retry the whole transaction.
        public static let deadlockDetected = Code("deadlock_detected")
        /// SQLSTATE 57014 after a cancel request (task cancellation).
        public static let queryCancelled = Code("query_cancelled")
        /// SQLSTATE 57014 caused by a statement timeout (server- or client-side).
        public static let statementTimeout = Code("statement_timeout")
        /// SQLSTATE 55P03 (`lock_timeout`, `NOWAIT`).
        public static let lockNotAvailable = Code("lock_not_available")
        /// SQLSTATE class 22 (invalid input for a type, value out of range, …).
        public static let invalidData = Code("invalid_data")
        /// SQLSTATE class 42 (syntax error, undefined table or column, …): a programming error.
        public static let syntaxOrAccess = Code("syntax_or_access")
        /// The server ended the session (SQLSTATE 57P01–57P03, class 08) or the socket closed.
        public static let connectionLost = Code("connection_lost")
        /// A connection could not be established.
        public static let connectionFailed = Code("connection_failed")
        /// No connection of the pool became free within the pool's acquire timeout.
        public static let poolTimeout = Code("pool_timeout")
        /// The pool is shut down.
        public static let poolClosed = Code("pool_closed")
        /// Any other error reported by the server; see ``PostgresError/sqlState``.
        public static let server = Code("server")
        /// The client could not make sense of what it received, or libpq refused a call.
        public static let client = Code("client")
    }

    /// The stable classification.
    public var code: Code
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// The server's (or client's) primary message.
    public var message: String
    /// The server's detail line. May contain row values: shown only in `debugDescription`.
    public var detail: String?
    /// The server's hint.
    public var hint: String?
    /// The constraint that was violated, if any.
    public var constraint: String?
    /// The table concerned, if any.
    public var table: String?

    /// Creates an error; used by the client and by tests.
    public init(code: Code, sqlState: String? = nil, message: String, detail: String? = nil,
                hint: String? = nil, constraint: String? = nil, table: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
    }

    /// The code a SQLSTATE maps to.
    public static func code(forSQLState state: String, message: String = "") -> Code {
        switch state {
        case "23505": return .uniqueViolation
        case "23P01": return .exclusionViolation
        case "23503": return .foreignKeyViolation
        case "23514": return .checkViolation
        case "23502": return .notNullViolation
        case "40001": return .serializationFailure
        case "40P01": return .deadlockDetected
        case "55P03": return .lockNotAvailable
        // The server uses one SQLSTATE for both; its message tells them apart.
        case "57014": return message.contains("statement timeout") ? .statementTimeout : .queryCancelled
        case "57P01", "57P02", "57P03": return .connectionLost
        default:
            if state.hasPrefix("08") { return .connectionLost }
            if state.hasPrefix("22") { return .invalidData }
            if state.hasPrefix("42") { return .syntaxOrAccess }
            return .server
        }
    }

    /// Whether a constraint or a value's type refused the data (SQLSTATE classes 23 and 22):
    /// the data's fault, not the server's.
    public var isConstraintViolation: Bool {
        [.uniqueViolation, .exclusionViolation, .foreignKeyViolation, .checkViolation, .notNullViolation, .invalidData].contains(code)
    }

    /// The column a constraint names, as PostgreSQL names a column's constraint
    /// (`TABLE_COLUMN_check`, `TABLE_COLUMN_fkey`); "body" when it names none.
    public var constraintField: String {
        guard let constraint, let table, constraint.hasPrefix(table + "_") else { return "body" }
        var column = String(constraint.dropFirst(table.count + 1))
        for suffix in ["_check", "_fkey", "_key", "_excl", "_not_null"] where column.hasSuffix(suffix) {
            column = String(column.dropLast(suffix.count))
        }
        guard !column.isEmpty, !column.contains(where: \.isNumber) else { return "body" }
        let parts = column.split(separator: "_")
        return String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Whether retrying the whole transaction may succeed: a serialization failure, a
    /// deadlock, or a session the server ended (whose transaction it rolled back).
    public var isTransient: Bool {
        code == .serializationFailure || code == .deadlockDetected || isSessionTerminated
    }

    /// The server ended the session with a FATAL report (`pg_terminate_backend`, shutdown)
    /// in answer to the statement: the statement did not commit, so it may run again elsewhere.
    public var isSessionTerminated: Bool {
        code == .connectionLost && ["57P01", "57P02", "57P03"].contains(sqlState ?? "")
    }

    public var description: String {
        var text = "PostgresError(\(code)"
        if let sqlState { text += ", sqlState: \(sqlState)" }
        if let constraint { text += ", constraint: \(constraint)" }
        return text + "): \(message)"
    }

    public var debugDescription: String {
        var text = description
        if let detail { text += "\nDETAIL: \(detail)" }
        if let hint { text += "\nHINT: \(hint)" }
        return text
    }
}

/// Raised when a column's value cannot be decoded into the requested Swift type.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    /// The column's name as the query returned it.
    public var column: String
    /// The Swift type that was asked for.
    public var swiftType: String
    /// The PostgreSQL type of the column.
    public var postgresType: PostgresDataType
    /// What went wrong, without the value itself.
    public var reason: String

    public var description: String {
        "cannot decode column '\(column)' of type \(postgresType) as \(swiftType): \(reason)"
    }
}
