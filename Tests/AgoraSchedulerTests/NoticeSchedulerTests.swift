import AgoraScheduler
import Logging
import PostgresClient
import ServiceLifecycle
import Testing
import TestSupport

@Suite("Notice scheduler")
struct NoticeSchedulerTests {
    @Test func listensForNoticeSignalsAndStopsOnGracefulShutdown() async throws {
        let url = try await TestDatabase.shared.createMigratedDatabase("scheduler")
        let store = RecordingLogHandler.Store()
        let scheduler = NoticeScheduler(database: .init(connectionString: url), delivery: nil, logger: RecordingLogHandler.logger(into: store))
        let group = ServiceGroup(configuration: .init(services: [scheduler], logger: TestDatabase.logger))
        let running = Task { try await group.run() }

        try await waitUntil("the scheduler to listen") { store.all.contains { $0.1.hasPrefix("scheduler listening") } }
        let pool = PostgresConnectionPool(configuration: .init(connectionString: url), logger: TestDatabase.logger)
        try await pool.execute("SELECT pg_notify(\(NoticeScheduler.channel), 'notice 42 due')")
        try await waitUntil("the signal to be received") {
            store.all.contains { $0.1.contains("notice signal received") && $0.1.contains("notice 42 due") }
        }
        await pool.close()

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(store.all.contains { $0.1 == "scheduler stopped" })
    }
}
