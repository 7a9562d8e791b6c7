import Hummingbird
import Logging
import PostgresClient
import ServiceLifecycle

/// Builds the HTTP application. The pool is not among its services: the caller runs the pool
/// in the same `ServiceGroup`, before the application, so connections close only after the
/// server has finished its in-flight requests.
public func buildApplication(
    configuration: AppConfiguration,
    pool: PostgresConnectionPool,
    logger: Logger
) -> some ApplicationProtocol {
    let router = buildRouter(configuration: configuration, pool: pool)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.serverName),
        logger: logger
    )
}

/// The router with every route and the middleware every route goes through. Tests use it to
/// add probe routes that exercise the conventions.
public func buildRouter(configuration: AppConfiguration, pool: PostgresConnectionPool) -> Router<AgoraRequestContext> {
    AgoraMetrics.bootstrap()
    let router = Router(context: AgoraRequestContext.self)
    // Order matters: metrics outermost so error answers are counted and timed too; problems
    // next so every error below becomes problem+json; limits and logging innermost.
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: RequestLimitsMiddleware(maximumBodySize: configuration.maximumBodySize))
    router.add(middleware: LogRequestsMiddleware(.info))
    HealthController(pool: pool, readinessTimeout: configuration.readinessTimeout).addRoutes(to: router)
    MetricsController().addRoutes(to: router)
    return router
}
