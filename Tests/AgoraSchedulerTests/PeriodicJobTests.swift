import AgoraScheduler
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

@Suite("Periodic jobs")
struct PeriodicJobTests {
    final class Rounds: Sendable {
        let count = Mutex(0)
    }

    @Test func aFailedRoundIsLoggedAndTheNextRunsUntilGracefulShutdown() async throws {
        let log = RecordingLogHandler.Store()
        let rounds = Rounds()
        let job = PeriodicJob(every: .milliseconds(10), done: "handled things", logger: RecordingLogHandler.logger(into: log)) {
            let round = rounds.count.withLock { count in
                count += 1
                return count
            }
            struct Flaky: Error {}
            if round == 1 { throw Flaky() }
            return 2
        }
        let group = ServiceGroup(configuration: .init(services: [job], logger: TestDatabase.logger))
        let running = Task { try await group.run() }
        try await waitUntil("a round after the failed one to log what it did") { log.all.contains { $0.1.hasPrefix("handled things count=2") } }
        #expect(log.all.contains { $0.1.hasPrefix("a round failed: handled things") })
        // Graceful shutdown ends the job: the group's run returns.
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(rounds.count.withLock { $0 } >= 2)
    }
}
