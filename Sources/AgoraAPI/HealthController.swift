import AgoraStore
import Hummingbird
import PostgresClient
import Synchronization

/// `/healthz` (the process answers) and `/readyz` (the database answers too).
struct HealthController {
    let pool: PostgresConnectionPool
    let readinessTimeout: Duration

    struct Status: ResponseEncodable {
        var status: String
    }

    func addRoutes(to routes: AccessControlledRoutes) {
        routes.get("/healthz", rule: .everyone) { _, _ in
            Status(status: "alive")
        }
        routes.get("/readyz", rule: .everyone) { _, _ in
            try await checkDatabase()
            return Status(status: "ready")
        }
    }

    /// Answers within `readinessTimeout` even when opening a connection would take longer
    /// (an unreachable host): the check goes on in the background and its answer is dropped.
    private func checkDatabase() async throws {
        let health = HealthStore(pool: pool)
        let outcome = FirstOutcome()
        let check = Task {
            do {
                try await health.ping(timeout: readinessTimeout)
                outcome.resolve(nil)
            } catch {
                outcome.resolve(error)
            }
        }
        let timer = Task {
            guard (try? await Task.sleep(for: readinessTimeout)) != nil else { return }
            outcome.resolve(PostgresError(code: .poolTimeout, message: "the database did not answer within \(readinessTimeout)"))
            check.cancel()
        }
        defer { timer.cancel() }
        if let error = await outcome.value {
            throw error is PostgresError ? Problem.databaseUnavailable : error
        }
    }
}

/// The first of several racing results; later ones are ignored.
final class FirstOutcome: Sendable {
    private let state = Mutex<(error: (any Error)?, resolved: Bool, waiter: CheckedContinuation<(any Error)?, Never>?)>((nil, false, nil))

    func resolve(_ error: (any Error)?) {
        let waiter = state.withLock { state -> CheckedContinuation<(any Error)?, Never>? in
            guard !state.resolved else { return nil }
            state.resolved = true
            state.error = error
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: error)
    }

    var value: (any Error)? {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> (Bool, (any Error)?) in
                    if state.resolved { return (true, state.error) }
                    state.waiter = continuation
                    return (false, nil)
                }
                if ready.0 { continuation.resume(returning: ready.1) }
            }
        }
    }
}
