import AgoraStore
import Hummingbird
import Logging
import PostgresClient
import ServiceLifecycle

/// Builds the HTTP application. The pool is not among its services: the caller runs the pool
/// in the same `ServiceGroup`, before the application, so connections close only after the
/// server has finished its in-flight requests. The token revocation listener is one of its
/// services.
public func buildApplication(
    configuration: AppConfiguration,
    pool: PostgresConnectionPool,
    logger: Logger,
    tokenCache: TokenCache = TokenCache()
) -> some ApplicationProtocol {
    let routes = buildRoutes(configuration: configuration, pool: pool, tokenCache: tokenCache)
    return Application(
        router: routes.router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.serverName),
        services: [TokenRevocationListener(database: pool.configuration, cache: tokenCache, logger: logger)],
        logger: logger
    )
}

/// Every route, each with its access rule, behind the middleware every request goes through.
public func buildRoutes(configuration: AppConfiguration, pool: PostgresConnectionPool, tokenCache: TokenCache) -> AccessControlledRoutes {
    AgoraMetrics.bootstrap()
    let router = Router(context: AgoraRequestContext.self)
    // The routes are registered below; the 405 middleware reads them when requests come.
    let routes = AccessControlledRoutes(router: router)
    // Order matters: metrics outermost so error answers are counted and timed too; problems
    // next so every error below becomes problem+json; then 405s, limits, logging, and the caller.
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: MethodNotAllowedMiddleware(routes: routes))
    router.add(middleware: RequestLimitsMiddleware(maximumBodySize: configuration.maximumBodySize))
    router.add(middleware: LogRequestsMiddleware(.info))
    let accessStore = AccessStore(pool: pool)
    router.add(middleware: TokenAuthenticationMiddleware(store: accessStore, cache: tokenCache))
    HealthController(pool: pool, readinessTimeout: configuration.readinessTimeout).addRoutes(to: routes)
    MetricsController().addRoutes(to: routes)
    TokenController(store: accessStore, cache: tokenCache).addRoutes(to: routes)
    let idempotency = Idempotency(store: IdempotencyStore(pool: pool))
    OrganisationController(store: OrganisationStore(pool: pool), idempotency: idempotency).addRoutes(to: routes)
    NetworkController(store: NetworkStore(pool: pool), idempotency: idempotency).addRoutes(to: routes)
    PersonController(store: PersonStore(pool: pool), idempotency: idempotency).addRoutes(to: routes)
    ReferenceController(store: DirectoryStore(pool: pool), idempotency: idempotency).addRoutes(to: routes)
    AccountController(store: accessStore, cache: tokenCache, idempotency: idempotency).addRoutes(to: routes)
    AuditController(store: AuditStore(pool: pool)).addRoutes(to: routes)
    IssueController(store: IssueStore(pool: pool), idempotency: idempotency).addRoutes(to: routes)
    let forums = ForumStore(pool: pool)
    let proceedings = ProceedingsStore(pool: pool)
    ForumController(store: forums, proceedings: proceedings, idempotency: idempotency).addRoutes(to: routes)
    ParticipationController(store: ParticipationStore(pool: pool), forums: forums, idempotency: idempotency).addRoutes(to: routes)
    PartnershipController(store: PartnershipStore(pool: pool), forums: forums, idempotency: idempotency).addRoutes(to: routes)
    ProceedingsController(store: proceedings).addRoutes(to: routes)
    NominationController(store: NominationStore(pool: pool), forums: forums, idempotency: idempotency).addRoutes(to: routes)
    SelectionController(store: SelectionStore(pool: pool), forums: forums, idempotency: idempotency).addRoutes(to: routes)
    OpenAPIController().addRoutes(to: routes)
    return routes
}
