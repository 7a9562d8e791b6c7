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

    @Test func onboardingAndTrustBackfillsConclusionTimesAndRolesFromTheAuditLog() async throws {
        try await withEmptyDatabase { url in
            let pool = pool(url)
            let all = try Migrator.loadMigrations(from: Migrator.defaultDirectory())
            _ = try await Migrator(pool: pool, migrations: all.filter { $0.version < 11 }, logger: TestDatabase.logger).migrate()
            // A forum concluded a year ago and edited since, and an account that made a public entry.
            try await pool.execute("""
                WITH issue AS (INSERT INTO policy_issue (slug, title, reports_to) VALUES ('old', 'Old', 'Body') RETURNING id),
                     forum AS (INSERT INTO forum (issue_id, kind, title, venue_name, venue_city, venue_country, time_zone, starts_at, ends_at, status, outcome, updated_at)
                               SELECT id, 'round_table', 'Old', 'Hall', 'Nairobi', 'KE', 'Africa/Nairobi', now() - interval '2 years',
                                      now() - interval '2 years' + interval '1 hour', 'concluded', '{}'::jsonb, now() FROM issue RETURNING id),
                     account AS (INSERT INTO account (name) VALUES ('A bureau member') RETURNING id),
                     role AS (INSERT INTO account_role (account_id, role) SELECT id, 'bureau' FROM account)
                INSERT INTO audit_entry (at, account_id, token_name, action, object_type, object_id, public)
                SELECT now() - interval '1 year', NULL, 'command line', 'forum.conclude', 'forum', upper(forum.id::text), true FROM forum
                UNION ALL SELECT now(), account.id, 'laptop', 'slate.approve', 'slate', 's', true FROM account
                """)
            _ = try await Migrator(pool: pool, migrations: all, logger: TestDatabase.logger).migrate()
            let concluded = try await pool.query("SELECT concluded_at < now() - interval '360 days' AS old FROM forum")[0]
            #expect(try concluded.decode("old", as: Bool.self))
            let roles = try await pool.query("SELECT action, actor_role FROM audit_entry ORDER BY action").map {
                "\(try $0.decode("action", as: String.self)):\(try $0.decode("actor_role", as: String.self))"
            }
            #expect(roles == ["forum.conclude:secretariat", "slate.approve:bureau"])
            await pool.close()
        }
    }

    @Test func theVenuesForumsNameBecomeVenuesOnceEach() async throws {
        try await withEmptyDatabase { url in
            let pool = pool(url)
            let all = try Migrator.loadMigrations(from: Migrator.defaultDirectory())
            _ = try await Migrator(pool: pool, migrations: all.filter { $0.version < 12 }, logger: TestDatabase.logger).migrate()
            // Two forums at one venue, one at another.
            try await pool.execute("""
                WITH issue AS (INSERT INTO policy_issue (slug, title, reports_to) VALUES ('venues', 'Venues', 'Body') RETURNING id)
                INSERT INTO forum (issue_id, kind, title, venue_name, venue_city, venue_country, time_zone, starts_at, ends_at, created_at)
                SELECT id, kind, title, hall, city, country, zone, now() + interval '30 days', now() + interval '30 days 1 hour', now() - age::interval
                FROM issue, (VALUES ('round_table', 'First', 'Hall', 'Nairobi', 'KE', 'Africa/Nairobi', '2 days'),
                                    ('conference', 'Second', 'Hall', 'Nairobi', 'KE', 'Africa/Kampala', '1 day'),
                                    ('partnership', 'Third', 'Palais', 'Geneva', 'CH', 'Europe/Zurich', '0 days')) AS v(kind, title, hall, city, country, zone, age)
                """)
            _ = try await Migrator(pool: pool, migrations: all, logger: TestDatabase.logger).migrate()
            let venues = try await pool.query("SELECT name, city, country, time_zone FROM venue ORDER BY name").map {
                "\(try $0.decode("name", as: String.self)) \(try $0.decode("city", as: String.self)) \(try $0.decode("country", as: String.self)) \(try $0.decode("time_zone", as: String.self))"
            }
            // One venue per name and city; where its forums disagree, the earliest forum's zone.
            #expect(venues == ["Hall Nairobi KE Africa/Nairobi", "Palais Geneva CH Europe/Zurich"])
            await pool.close()
        }
    }
}
