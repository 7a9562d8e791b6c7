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

/// Puts the libraries' services together for each command.
struct Runner {
    let database: PostgresConfiguration
    let logger: Logger

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
        let app = buildApplication(configuration: configuration, stores: stores, logger: logger, services: services)
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
        try await app.runService()
    }

    /// The scheduler: notices, the speakers' confirmation deadlines, and the purge of old idempotency keys.
    func scheduler() async throws {
        let pool = PostgresConnectionPool(configuration: database, logger: logger)
        try await run([pool] + schedulerServices(pool: pool))
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
                PeriodicJob.idempotencyKeyPurge(store: IdempotencyStore(pool: pool), logger: logger)]
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

    private func run(_ services: [any Service]) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}
