import Agora
import PostgresClient
import Synchronization

/// Whether the database answers, for readiness checks.
public struct HealthStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// Runs a trivial statement; throws if the database does not answer within `timeout`.
    public func ping(timeout: Duration) async throws {
        try await pool.query(PostgresQuery("SELECT 1").timeout(timeout))
    }

    /// Returns when the database answers; refuses with `database-unavailable` when it does not
    /// within `timeout`, even when opening a connection would take longer (an unreachable host):
    /// the check goes on in the background and its answer is dropped.
    public func checkReady(timeout: Duration) async throws {
        let outcome = FirstOutcome()
        let check = Task {
            do {
                try await ping(timeout: timeout)
                outcome.resolve(nil)
            } catch {
                outcome.resolve(error)
            }
        }
        let timer = Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            outcome.resolve(PostgresError(code: .poolTimeout, message: "the database did not answer within \(timeout)"))
            check.cancel()
        }
        defer { timer.cancel() }
        if let error = await outcome.value {
            throw error is PostgresError ? Refusal.databaseUnavailable : error
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
