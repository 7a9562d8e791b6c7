/// How to reach PostgreSQL and how the pool behaves.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection string: a URL (`postgresql://user@host:5432/db?sslmode=require`) or
    /// keyword form (`host=… dbname=…`). TLS follows libpq's `sslmode` and related parameters.
    public var connectionString: String
    /// The most connections the pool opens.
    public var maximumConnections: Int
    /// How long a caller waits for a free connection before ``PostgresError/Code/poolTimeout``.
    public var acquireTimeout: Duration
    /// Server-side `statement_timeout` for every statement of the pool; `nil` for none.
    public var statementTimeout: Duration?
    /// How many event-loop threads share the pool's connections (default: two, or one for a
    /// one-connection pool). Two keep both cores of a small machine busy.
    public var eventLoopCount: Int
    /// `application_name` reported to the server (visible in `pg_stat_activity`).
    public var applicationName: String

    /// Creates a configuration.
    public init(
        connectionString: String,
        maximumConnections: Int = 10,
        acquireTimeout: Duration = .seconds(5),
        statementTimeout: Duration? = nil,
        eventLoopCount: Int? = nil,
        applicationName: String = "agora"
    ) {
        self.connectionString = connectionString
        self.maximumConnections = maximumConnections
        self.acquireTimeout = acquireTimeout
        self.statementTimeout = statementTimeout
        self.eventLoopCount = eventLoopCount ?? min(2, maximumConnections)
        self.applicationName = applicationName
    }

    /// Session settings every connection starts with, so values read back are independent of
    /// the server's defaults: times in UTC and ISO format, `bytea` as hex.
    var sessionOptions: String {
        var options = "-c TimeZone=UTC -c DateStyle=ISO -c bytea_output=hex -c client_encoding=UTF8"
        if let statementTimeout {
            options += " -c statement_timeout=\(statementTimeout.milliseconds)"
        }
        return options
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
