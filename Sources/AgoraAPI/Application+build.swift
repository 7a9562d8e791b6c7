import AgoraStore
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the HTTP application over `stores`, running `services` beside the server (the pool
/// first among them, then background jobs) and the token revocation listener. Hummingbird
/// stops the server first and its services after it, in reverse order, so connections close
/// only after the server has finished its in-flight requests.
public func buildApplication(
    configuration: AppConfiguration,
    stores: Stores,
    logger: Logger,
    tokenCache: TokenCache = TokenCache(),
    agendaCache: AgendaCache? = nil,
    services: [any Service] = []
) -> some ApplicationProtocol {
    let agendaCache = agendaCache ?? AgendaCache(capacity: configuration.agendaCacheEntries)
    let routes = buildRoutes(configuration: configuration, stores: stores, tokenCache: tokenCache, agendaCache: agendaCache)
    return Application(
        router: routes.router,
        server: configuration.connectionLimits.server(drain: configuration.drain),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.serverName),
        services: services + [TokenRevocationListener(stores: stores, cache: tokenCache, logger: logger),
                              AgendaPublishListener(stores: stores, cache: agendaCache, logger: logger)],
        logger: logger
    )
}

/// Every route, each with its access rule, behind the middleware every request goes through.
public func buildRoutes(configuration: AppConfiguration, stores: Stores, tokenCache: TokenCache,
                        agendaCache: AgendaCache = AgendaCache()) -> AccessControlledRoutes {
    AgoraMetrics.bootstrap()
    let router = Router(context: AgoraRequestContext.self)
    // The routes are registered below; the 405 middleware reads them when requests come.
    let routes = AccessControlledRoutes(router: router)
    // Order matters: the request id first, so every answer and log line below carries the
    // proxy's id; metrics so error answers are counted and timed too; problems next so every
    // error below becomes problem+json; then 405s, limits, the address's rate limit (before
    // the token is checked, so failed authentications count), logging, the caller, and the
    // account's rate limit.
    router.add(middleware: RequestIDMiddleware(trustedProxies: configuration.trustedProxies))
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: MethodNotAllowedMiddleware(routes: routes))
    router.add(middleware: RequestLimitsMiddleware(maximumBodySize: configuration.maximumBodySize))
    let limiter = RateLimiter()
    router.add(middleware: AddressRateLimitMiddleware(limiter: limiter, anonymous: configuration.anonymousRateLimit,
                                                        trustedProxies: configuration.trustedProxies))
    router.add(middleware: RedactingRequestLogMiddleware())
    router.add(middleware: TokenAuthenticationMiddleware(store: stores.access, cache: tokenCache))
    router.add(middleware: AccountRateLimitMiddleware(limiter: limiter, perAccount: configuration.accountRateLimit))
    HealthController(health: stores.health, readinessTimeout: configuration.readinessTimeout, drain: configuration.drain).addRoutes(to: routes)
    MetricsController(notices: stores.notices).addRoutes(to: routes)
    TokenController(store: stores.access, cache: tokenCache).addRoutes(to: routes)
    let idempotency = Idempotency(store: stores.idempotency)
    OrganisationController(store: stores.organisations, idempotency: idempotency).addRoutes(to: routes)
    NetworkController(store: stores.networks, idempotency: idempotency).addRoutes(to: routes)
    PersonController(store: stores.people, idempotency: idempotency).addRoutes(to: routes)
    ReferenceController(store: stores.directory, idempotency: idempotency).addRoutes(to: routes)
    AccountController(store: stores.access, cache: tokenCache, idempotency: idempotency).addRoutes(to: routes)
    AuditController(store: stores.audit).addRoutes(to: routes)
    IssueController(store: stores.issues, idempotency: idempotency).addRoutes(to: routes)
    ForumController(store: stores.forums, venues: stores.venues, proceedings: stores.proceedings, idempotency: idempotency).addRoutes(to: routes)
    ParticipationController(store: stores.participation, forums: stores.forums, idempotency: idempotency).addRoutes(to: routes)
    PartnershipController(store: stores.partnerships, forums: stores.forums, idempotency: idempotency).addRoutes(to: routes)
    ProceedingsController(store: stores.proceedings).addRoutes(to: routes)
    NominationController(store: stores.nominations, forums: stores.forums, idempotency: idempotency).addRoutes(to: routes)
    SelectionController(store: stores.selection, forums: stores.forums, idempotency: idempotency).addRoutes(to: routes)
    VenueController(store: stores.venues, idempotency: idempotency).addRoutes(to: routes)
    WorkspaceController(store: stores.workspaces, forums: stores.forums, idempotency: idempotency).addRoutes(to: routes)
    NoticeController(notices: stores.notices, subscriptions: stores.subscriptions, mailOptOuts: stores.mailOptOuts, webhookPolicy: configuration.webhookPolicy,
                     idempotency: idempotency).addRoutes(to: routes)
    AgendaController(store: stores.agenda, forums: stores.forums, people: stores.people, cache: agendaCache,
                     idempotency: idempotency, baseURL: configuration.baseURL).addRoutes(to: routes)
    OpenAPIController().addRoutes(to: routes)
    return routes
}
