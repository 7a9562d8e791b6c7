import AgoraStore
import Foundation
import PostgresClient
import Testing
import TestSupport

@Suite("Migrations")
struct MigratorTests {
    let migrations = [
        Migration(version: 1, name: "forums", sql: "CREATE TABLE forum (id int PRIMARY KEY, title text NOT NULL);"),
        // Not idempotent on purpose: applying it twice would fail or double the row.
        Migration(version: 2, name: "first_forum", sql: "CREATE TABLE speaker (id int); INSERT INTO forum VALUES (1, 'Round table');"),
    ]

    private func withEmptyDatabase(_ body: (String) async throws -> Void) async throws {
        try await body(try await TestDatabase.shared.createEmptyDatabase("migrations"))
    }

    private func pool(_ url: String) -> PostgresConnectionPool {
        PostgresConnectionPool(configuration: .init(connectionString: url, maximumConnections: 2), logger: TestDatabase.logger)
    }

    @Test func twoRunnersAtOnceApplyEveryFileExactlyOnce() async throws {
        try await withEmptyDatabase { url in
            let first = pool(url)
            let second = pool(url)
            async let appliedByFirst = Migrator(pool: first, migrations: migrations, logger: TestDatabase.logger).migrate()
            async let appliedBySecond = Migrator(pool: second, migrations: migrations, logger: TestDatabase.logger).migrate()
            let applied = try await (appliedByFirst.count, appliedBySecond.count)
            #expect(applied.0 + applied.1 == 2)
            #expect([0, 2].contains(applied.0))
            let forums = try await first.query("SELECT count(*)::int AS n FROM forum")[0].decode("n", as: Int.self)
            let recorded = try await first.query("SELECT array_agg(version ORDER BY version) AS versions FROM agora_migrations")[0]
                .decode("versions", as: [Int].self)
            #expect(forums == 1)
            #expect(recorded == [1, 2])
            await first.close()
            await second.close()
        }
    }

    @Test func pendingListsWhatIsNotYetApplied() async throws {
        try await withEmptyDatabase { url in
            let pool = pool(url)
            try await Migrator(pool: pool, migrations: Array(migrations.prefix(1)), logger: TestDatabase.logger).migrate()
            let pending = try await Migrator(pool: pool, migrations: migrations, logger: TestDatabase.logger).pending()
            #expect(pending.map(\.version) == [2])
            await pool.close()
        }
    }

    @Test func aServerRefusesASchemaWithPendingMigrations() async throws {
        try await withEmptyDatabase { url in
            let pool = pool(url)
            try await Migrator(pool: pool, migrations: Array(migrations.prefix(1)), logger: TestDatabase.logger).migrate()
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(pool: pool, migrations: migrations, logger: TestDatabase.logger).requireUpToDate()
            }
            #expect(error?.description.contains("2_first_forum") == true)
            try await Migrator(pool: pool, migrations: migrations, logger: TestDatabase.logger).migrate()
            try await Migrator(pool: pool, migrations: migrations, logger: TestDatabase.logger).requireUpToDate()
            await pool.close()
        }
    }

    @Test func aFileChangedAfterItWasAppliedIsRefused() async throws {
        try await withEmptyDatabase { url in
            let pool = pool(url)
            try await Migrator(pool: pool, migrations: migrations, logger: TestDatabase.logger).migrate()
            var edited = migrations
            edited[0] = Migration(version: 1, name: "forums", sql: edited[0].sql + " -- edited")
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(pool: pool, migrations: edited, logger: TestDatabase.logger).migrate()
            }
            #expect(error?.description.contains("1_forums.sql changed") == true)
            await pool.close()
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await withEmptyDatabase { url in
            let pool = pool(url)
            let broken = [migrations[0], Migration(version: 2, name: "broken", sql: "CREATE TABLE half_done (id int); SELECT 1/0;")]
            await #expect(throws: MigrationError.self) {
                try await Migrator(pool: pool, migrations: broken, logger: TestDatabase.logger).migrate()
            }
            let halfDone = try await pool.query("SELECT to_regclass('half_done') IS NULL AS absent")[0].decode("absent", as: Bool.self)
            let versions = try await pool.query("SELECT array_agg(version) AS versions FROM agora_migrations")[0].decode("versions", as: [Int].self)
            #expect(halfDone)
            #expect(versions == [1])
            // The lock was released: a corrected run succeeds.
            try await Migrator(pool: pool, migrations: migrations, logger: TestDatabase.logger).migrate()
            await pool.close()
        }
    }

    @Test func theRepositoryMigrationsLoadInOrderAndApply() async throws {
        let loaded = try Migrator.loadMigrations(from: Migrator.defaultDirectory())
        #expect(!loaded.isEmpty)
        #expect(loaded.map(\.version) == loaded.map(\.version).sorted())
        #expect(loaded.allSatisfy { $0.sql.hasPrefix("--") }) // each file starts by saying why
        try await withEmptyDatabase { url in
            let pool = pool(url)
            let applied = try await Migrator(pool: pool, migrations: loaded, logger: TestDatabase.logger).migrate()
            #expect(applied.count == loaded.count)
            #expect(try await Migrator(pool: pool, migrations: loaded, logger: TestDatabase.logger).pending().isEmpty)
            await pool.close()
        }
    }
}
