import Foundation
import PostgresClient
import Synchronization
import Testing
import TestSupport

@Suite("LISTEN/NOTIFY")
struct ListenerTests {
    static let database = SuiteDatabase("listener")

    /// Collects a listener's events in the background so the test can wait for them with a deadline.
    final class Collector: Sendable {
        private final class Store: Sendable {
            let received = Mutex<[PostgresListenerEvent]>([])
        }
        private let store = Store()
        private let task: Task<Void, Never>

        init(_ events: AsyncStream<PostgresListenerEvent>) {
            let store = self.store
            task = Task { for await event in events { store.received.withLock { $0.append(event) } } }
        }
        var events: [PostgresListenerEvent] { store.received.withLock { $0 } }
        func stop() { task.cancel() }
    }

    @Test func aConnectionThatFallsSilentIsNoticedByItsPingAndReplaced() async throws {
        let url = try await Self.database.url.value
        let listener = PostgresListener(
            configuration: .init(connectionString: url), channels: ["silent_\(UUID().uuidString.prefix(8))"],
            reconnectDelay: .milliseconds(20), pingInterval: .milliseconds(300), logger: TestDatabase.logger
        )
        let collector = Collector(listener.events())
        defer { collector.stop() }
        try await waitUntil("the listener to listen") { collector.events.count == 1 }
        guard case .listening(let pid, afterGap: false) = collector.events[0] else {
            Issue.record("expected .listening first, got \(collector.events)"); return
        }
        // Freeze the listener's backend: the socket stays open, nothing answers (a vanished peer).
        #expect(kill(pid, SIGSTOP) == 0)
        defer {
            kill(pid, SIGCONT)
        }
        try await waitUntil(timeout: .seconds(8), "the ping to notice and the listener to reconnect") { collector.events.count == 2 }
        guard case .listening(let replacement, afterGap: true) = collector.events[1] else {
            Issue.record("expected .listening(afterGap: true), got \(collector.events)"); return
        }
        #expect(replacement != pid)
    }

    @Test func notificationsArriveAndSurviveALostConnection() async throws {
        let url = try await Self.database.url.value
        let channel = "agenda_changed_\(UUID().uuidString.prefix(8))"
        let listener = PostgresListener(
            configuration: .init(connectionString: url), channels: [channel],
            reconnectDelay: .milliseconds(20), logger: TestDatabase.logger
        )
        let collector = Collector(listener.events())
        defer { collector.stop() }
        try await withPool(Self.database) { (pool: PostgresConnectionPool) async throws in
            try await waitUntil("the listener to listen") { collector.events.count == 1 }
            guard case .listening(let firstPID, afterGap: false) = collector.events[0] else {
                Issue.record("expected .listening(afterGap: false) first, got \(collector.events)"); return
            }
            try await pool.execute("SELECT pg_notify(\(channel), 'forum 1')")
            try await waitUntil("the first notification") { collector.events.count == 2 }
            guard case .notification(let first) = collector.events[1] else {
                Issue.record("expected a notification, got \(collector.events[1])"); return
            }
            #expect(first.channel == channel)
            #expect(first.payload == "forum 1")

            // Kill the listener's backend: it reconnects, listens again, and reports the gap.
            _ = try await pool.query("SELECT pg_terminate_backend(\(firstPID))")
            try await waitUntil("the listener to reconnect") { collector.events.count == 3 }
            guard case .listening(let secondPID, afterGap: true) = collector.events[2] else {
                Issue.record("expected .listening(afterGap: true), got \(collector.events[2])"); return
            }
            #expect(secondPID != firstPID)

            try await pool.execute("SELECT pg_notify(\(channel), 'forum 2')")
            try await waitUntil("the notification after reconnecting") { collector.events.count == 4 }
            guard case .notification(let second) = collector.events[3] else {
                Issue.record("expected a notification, got \(collector.events[3])"); return
            }
            #expect(second.payload == "forum 2")
        }
    }
}
