import Agora
import AgoraDemo
import AgoraAPI
import AgoraScheduler
import AgoraStore
import ArgumentParser
import Foundation
import Logging
import PostgresClient
import ServiceLifecycle
import UnixSignals

/// Puts the libraries' services together for each command.
struct Runner {
    let database: PostgresConfiguration
    let logger: Logger
    /// How long a graceful stop may take (in-flight requests finishing, a notice being sent)
    /// before what is left is cancelled (`AGORA_SHUTDOWN_TIMEOUT`).
    var shutdownTimeout: Duration = .seconds(30)
    /// How long `agora serve` drains after SIGTERM before it stops accepting
    /// (`AGORA_SHUTDOWN_DRAIN`; see ``ShutdownDrain``).
    var drainDuration: Duration = .seconds(2)

    /// Serves the API (and, in local mode, the scheduler) until SIGTERM or SIGINT. The pool
    /// is the application's first service, so it shuts down last: in-flight requests finish,
    /// then connections close.
    func serve(app configuration: AppConfiguration, migrate: Bool, withScheduler: Bool, demoData: Bool = false) async throws {
        AgoraMetrics.bootstrap()
        let pool = PostgresConnectionPool(configuration: database, logger: logger)
        var demoToken: String?
        do {
            try await prepareSchema(pool: pool, migrate: migrate)
            if demoData { demoToken = try await DemoData.loadIfEmpty(pool: pool) }
        } catch {
            await pool.close()
            throw error
        }
        var services: [any Service] = [pool]
        if withScheduler {
            services += try schedulerServices(pool: pool)
        }
        let stores = Stores(pool: pool, noticeQuietPeriod: configuration.noticeQuietPeriod)
        let drain = ShutdownDrain()
        var configuration = configuration
        configuration.drain = drain
        let app = buildApplication(configuration: configuration, stores: stores, logger: logger, services: services)
        // Trapped before the server says it is serving: a SIGTERM from then on drains.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let url = "http://\(configuration.host):\(configuration.port)"
        logger.info("Agora is serving on \(url) — try \(url)/readyz")
        print("Agora is serving on \(url) — try: curl \(url)/readyz   (Ctrl-C stops)")
        if let demoToken {
            print("""
                Demo data loaded. A secretariat token, shown this once (only its hash is kept):
                  export AGORA_TOKEN=\(demoToken)
                  curl \(url)/organisations
                  curl -H "Authorization: Bearer $AGORA_TOKEN" \(url)/accounts/me
                """)
        }
        fflush(nil)
        try await run([app], signals: signals, drain: drain)
    }

    /// The scheduler: notices, the speakers' confirmation deadlines, and the purge of old idempotency keys.
    func scheduler() async throws {
        let pool = PostgresConnectionPool(configuration: database, logger: logger)
        try await run([pool] + schedulerServices(pool: pool), signals: await UnixSignalsSequence(trapping: .sigterm, .sigint))
    }

    /// Notice delivery and the periodic jobs, configured from the environment.
    private func schedulerServices(pool: PostgresConnectionPool) throws -> [any Service] {
        let configuration: SchedulerConfiguration
        do { configuration = try SchedulerConfiguration(environment: ProcessInfo.processInfo.environment) } catch {
            throw ValidationError("\(error)")
        }
        return [try NoticeService(pool: pool, configuration: configuration, logger: logger),
                PeriodicJob.confirmationDeadlines(store: SelectionStore(pool: pool), logger: logger),
                PeriodicJob.nominationDeadlineReminders(store: NoticeStore(pool: pool), logger: logger),
                PeriodicJob.workspaceReleases(store: WorkspaceStore(pool: pool), logger: logger),
                PeriodicJob.idempotencyKeyPurge(store: IdempotencyStore(pool: pool), logger: logger),
                PeriodicJob.mailOptOutCodePurge(store: MailOptOutStore(pool: pool), logger: logger)]
    }

    func migrate() async throws {
        let applied = try await withPool { try await migrator(pool: $0).migrate() }
        print(applied.isEmpty ? "The database is up to date." : "Applied \(applied.count) migration(s): " + applied.map { "\($0.version)_\($0.name)" }.joined(separator: ", "))
    }

    /// Creates an account holding `grants` and returns the secret of a new token for it.
    func createToken(accountName: String, grants: Set<RoleGrant>, tokenName: String) async throws -> String {
        try await withPool { pool in
            try await migrator(pool: pool).requireUpToDate()
            let store = AccessStore(pool: pool)
            let account = try await store.createAccount(name: accountName, grants: grants, by: .commandLine)
            return try await store.issueToken(account: account, name: tokenName, by: .commandLine).secret
        }
    }

    /// Runs `body` with a pool that is closed afterwards, whatever happens.
    private func withPool<Result>(_ body: (PostgresConnectionPool) async throws -> Result) async throws -> Result {
        let pool = PostgresConnectionPool(configuration: database, logger: logger)
        do {
            let result = try await body(pool)
            await pool.close()
            return result
        } catch {
            await pool.close()
            throw error
        }
    }

    private func prepareSchema(pool: PostgresConnectionPool, migrate: Bool) async throws {
        let migrator = try migrator(pool: pool)
        if migrate {
            try await migrator.migrate()
            return
        }
        try await migrator.requireUpToDate()
    }

    private func migrator(pool: PostgresConnectionPool) throws -> Migrator {
        let directory = Migrator.defaultDirectory()
        return Migrator(pool: pool, migrations: try Migrator.loadMigrations(from: directory), logger: logger)
    }

    /// Runs `services` until SIGTERM or SIGINT, then stops them gracefully: the server stops
    /// accepting, finishes its in-flight requests, and the process exits 0. With a `drain`,
    /// SIGTERM (a supervisor's stop) first drains for ``drainDuration`` — answers close their
    /// connections and `/readyz` is 503 — so a load balancer lets go of this server before
    /// its listener closes; SIGINT (Ctrl-C in a terminal) stops at once. A second signal (an
    /// operator who will not wait, or a supervisor's second try) ends the process at once.
    /// A graceful stop that outlasts ``shutdownTimeout`` cancels the work in flight (a request
    /// waiting on the database is answered 503 and the process then exits in order); work that
    /// ignores its cancellation for 5 s more ends the process (ServiceLifecycle's fatal error).
    /// Nothing accepted is lost either way: an answer is sent only after its commit.
    private func run(_ services: [any Service], signals: UnixSignalsSequence, drain: ShutdownDrain? = nil) async throws {
        var configuration = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            // The signals are handled below, so SIGTERM can drain first.
            gracefulShutdownSignals: [],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = shutdownTimeout
        configuration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        let signalHandling = Task { [logger, drainDuration] in
            await Self.handleSignals(signals, group: group, drain: drain, drainDuration: drainDuration, logger: logger)
        }
        defer { signalHandling.cancel() }
        try await group.run()
    }

    /// The first SIGTERM or SIGINT stops the group (SIGTERM after draining, if there is a
    /// drain); the second ends the process at once, with 128 + the signal.
    private static func handleSignals(_ signals: UnixSignalsSequence, group: ServiceGroup, drain: ShutdownDrain?,
                                      drainDuration: Duration, logger: Logger) async {
        var received = 0
        for await signal in signals {
            received += 1
            guard received == 1 else {
                logger.warning("second \(signal): stopping now, without waiting for in-flight work")
                fflush(nil)
                _exit(128 + signal.rawValue)
            }
            guard let drain, signal == .sigterm, drainDuration > .zero else {
                logger.info("\(signal): stopping")
                await group.triggerGracefulShutdown()
                continue
            }
            logger.info("\(signal): draining for \(drainDuration), then stopping")
            drain.begin()
            // Not awaited here, so a second signal during the drain is heard.
            Task {
                try? await Task.sleep(for: drainDuration)
                await group.triggerGracefulShutdown()
            }
        }
    }
}
