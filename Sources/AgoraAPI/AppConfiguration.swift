import Agora
import Logging

/// What the HTTP server needs to know to start.
public struct AppConfiguration: Sendable {
    /// Address to bind.
    public var host: String
    /// Port to bind; 0 picks a free one.
    public var port: Int
    /// Largest accepted request body, in bytes; larger bodies get 413.
    public var maximumBodySize: Int
    /// How long `/readyz` waits for the database before answering 503.
    public var readinessTimeout: Duration
    /// The server's name in logs.
    public var serverName: String
    /// Where clients reach this server (`https://agora.example.org`), for the absolute links of
    /// iCalendar and frab exports; nil: `http://host:port`.
    public var publicURL: String?
    /// How many encoded agenda representations the server keeps in memory (0: none).
    public var agendaCacheEntries: Int
    /// How long an "agenda changed" notice waits after the last publish that concerns its
    /// reader, so a run of publishes makes one notice (seconds; `AGORA_NOTICE_QUIET_PERIOD`).
    public var noticeQuietPeriod: Double
    /// Which special addresses webhook subscriptions may name anyway (`AGORA_WEBHOOK_ALLOW`).
    public var webhookPolicy: WebhookAddressPolicy
    /// How often one address may call without a token (`AGORA_RATE_LIMIT_ANONYMOUS`); nil: no limit.
    public var anonymousRateLimit: RateLimit?
    /// How often one account may call, all its tokens together (`AGORA_RATE_LIMIT_ACCOUNT`); nil: no limit.
    public var accountRateLimit: RateLimit?
    /// The load balancers whose `X-Forwarded-For` and `X-Request-ID` are believed (`AGORA_TRUSTED_PROXIES`).
    public var trustedProxies: TrustedProxies
    /// Header sizes, idle and slow-client timeouts.
    public var connectionLimits: ConnectionLimits
    /// Begun when the server is asked to stop: answers then close their connections and
    /// `/readyz` answers 503 (the command begins it on SIGTERM).
    public var drain: ShutdownDrain

    /// 20 requests a second per address, in bursts of up to 200: far above what a person or
    /// an agenda app polling with ETags needs, even for a venue's delegates behind one NAT
    /// address, and far below what would slow the server for everyone.
    public static let defaultAnonymousRateLimit = RateLimit(perSecond: 20, burst: 200)

    /// The base of absolute links, without a trailing slash.
    public var baseURL: String {
        var url = publicURL ?? "http://\(host):\(port)"
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// Creates a configuration; the defaults suit local use.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maximumBodySize: Int = 1 << 20,
        readinessTimeout: Duration = .seconds(2),
        serverName: String = "agora",
        publicURL: String? = nil,
        agendaCacheEntries: Int = 4096,
        noticeQuietPeriod: Double = 600,
        webhookPolicy: WebhookAddressPolicy = .strict,
        anonymousRateLimit: RateLimit? = AppConfiguration.defaultAnonymousRateLimit,
        accountRateLimit: RateLimit? = nil,
        trustedProxies: TrustedProxies = .none,
        connectionLimits: ConnectionLimits = ConnectionLimits(),
        drain: ShutdownDrain = ShutdownDrain()
    ) {
        self.drain = drain
        self.anonymousRateLimit = anonymousRateLimit
        self.accountRateLimit = accountRateLimit
        self.trustedProxies = trustedProxies
        self.connectionLimits = connectionLimits
        self.webhookPolicy = webhookPolicy
        self.noticeQuietPeriod = noticeQuietPeriod
        self.publicURL = publicURL
        self.agendaCacheEntries = agendaCacheEntries
        self.host = host
        self.port = port
        self.maximumBodySize = maximumBodySize
        self.readinessTimeout = readinessTimeout
        self.serverName = serverName
    }
}
