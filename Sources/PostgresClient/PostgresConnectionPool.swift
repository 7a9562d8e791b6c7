import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A fixed-size pool of PostgreSQL connections, the way the application talks to the database.
///
/// ## How the connections work
/// Every connection is a libpq connection in **non-blocking** mode that belongs to one
/// ``PostgresEventLoop``: a thread that polls the connections' sockets and is also the Swift
/// task executor of the tasks using them. ``withConnection(_:)`` leases a connection and runs
/// its body with the connection's loop as task executor preference, so sending a statement,
/// waiting for the socket and resuming the task happen on that one thread without hand-offs.
/// The only blocking libpq calls — opening a connection and `PQcancel` — run on a small
/// dedicated `NIOThreadPool`. Nothing blocks an event loop or Swift's cooperative pool.
///
/// ## The rules
/// - At most ``PostgresConfiguration/maximumConnections`` connections; a caller waits for a
///   free one for at most ``PostgresConfiguration/acquireTimeout``, then gets
///   ``PostgresError/Code/poolTimeout``. Waiters are served first come, first served.
/// - A connection is leased to one task at a time and comes back when the body returns.
/// - A connection found dead when leased (the server ended the session) is closed and replaced
///   without the caller noticing; one that broke while leased is closed when it comes back.
/// - Every statement is prepared once per connection and reused (see ``PostgresConnection``).
/// - The decisions live in a plain state machine (`PoolStateMachine`), tested without I/O.
///
/// The pool is a `Service`: in a `ServiceGroup` it closes its connections on graceful
/// shutdown, after the services started after it (the HTTP server) have finished.
public final class PostgresConnectionPool: Service, Sendable {
    /// The pool's configuration.
    public let configuration: PostgresConfiguration
    /// The event loops that drive the connections. A task issuing many statements can run on
    /// one with `withTaskExecutorPreference` to avoid hopping threads per statement.
    public let eventLoops: [PostgresEventLoop]

    private typealias Machine = PoolStateMachine<PostgresConnection>

    private enum Waiter {
        case suspended(CheckedContinuation<PostgresConnection, any Error>)
        /// Resolved before the waiter suspended.
        case resolved(Result<PostgresConnection, any Error>)
        /// Gave up while a connection was already on its way; that connection goes back.
        case abandoned
    }

    private struct State: ~Copyable {
        var machine: Machine
        var waiters: [Machine.WaiterID: Waiter] = [:]
        var nextWaiterID: Machine.WaiterID = 0
        var nextLoop = 0
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    private let blockingPool: NIOThreadPool
    private let logger: Logger
    private let metrics = PostgresMetrics()

    /// Creates a pool; connections are opened on first use.
    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "postgres")) {
        self.configuration = configuration
        self.logger = logger
        self.eventLoops = (0..<max(1, configuration.eventLoopCount)).map { _ in PostgresEventLoop() }
        self.state = Mutex(State(machine: Machine(maximum: configuration.maximumConnections)))
        self.blockingPool = NIOThreadPool(numberOfThreads: 2)
        blockingPool.start()
    }

    /// The current number of connections, leased connections and waiters.
    public var statistics: PostgresPoolStatistics {
        state.withLock { $0.machine.statistics }
    }

    // MARK: Using connections

    /// Leases a connection, runs `body` with it on the connection's event loop, and returns it
    /// to the pool — also when `body` throws.
    @discardableResult
    public func withConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let connection = try await leaseLiveConnection()
        defer { release(connection) }
        // A task that already prefers the connection's loop (see `lease`) needs no new
        // preference: setting one costs a status-record update per statement.
        if connection.loop.isPreferredByCurrentTask {
            return try await body(connection)
        }
        return try await withTaskExecutorPreference(connection.loop) {
            try await body(connection)
        }
    }

    /// Runs one statement on a pooled connection. If the server had ended the connection's
    /// session (the statement got its FATAL report and so did not run), it runs once more on
    /// a new connection.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        do {
            return try await withConnection { try await $0.query(query) }
        } catch let error as PostgresError where error.isSessionTerminated {
            logger.debug("statement met a terminated session; running it on a new connection")
            return try await withConnection { try await $0.query(query) }
        }
    }

    /// Runs one statement and returns how many rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await withConnection { try await $0.execute(query) }
    }

    /// Runs `body` in a transaction on one pooled connection: committed when it returns,
    /// rolled back when it throws.
    @discardableResult
    public func withTransaction<Result>(
        isolation: PostgresIsolationLevel = .readCommitted,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { try await $0.withTransaction(isolation: isolation, body) }
    }

    /// Runs `body` in a transaction and runs the whole transaction again when PostgreSQL
    /// reports a serialization failure (40001) or a deadlock (40P01), at most `maxAttempts`
    /// times, waiting a random ("full jitter") backoff between attempts so the competitors
    /// do not collide again. `body` must be safe to run more than once.
    @discardableResult
    public func withRetryingTransaction<Result>(
        isolation: PostgresIsolationLevel = .serializable,
        maxAttempts: Int = 5,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await withTransaction(isolation: isolation, body)
            } catch let error as PostgresError where error.isTransient && attempt < maxAttempts {
                let ceiling = 5 << min(attempt, 6) // 10 ms, 20 ms, … capped at 320 ms
                logger.debug("retrying transaction", metadata: ["attempt": "\(attempt)", "code": "\(error.code)"])
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...ceiling)))
                attempt += 1
            }
        }
    }

    // MARK: Leasing

    private func leaseLiveConnection() async throws -> PostgresConnection {
        // An idle connection whose server session ended is replaced; the replacement is new,
        // so a bounded number of rounds always suffices.
        for _ in 0...configuration.maximumConnections {
            let connection = try await lease()
            if connection.checkIdleConnectionAlive() { return connection }
            logger.debug("replacing a connection the server closed", metadata: ["backend": "\(connection.backendPID)"])
            release(connection)
        }
        throw PostgresError(code: .connectionLost, message: "no live connection could be leased")
    }

    private func lease() async throws -> PostgresConnection {
        let currentLoop = eventLoops.first { $0.isPreferredByCurrentTask }
        let (id, action, statistics) = state.withLock { state in
            state.nextWaiterID += 1
            let id = state.nextWaiterID
            let action = state.machine.leaseRequested(waiter: id) { $0.loop === currentLoop }
            return (id, action, state.machine.statistics)
        }
        metrics.record(statistics)
        switch action {
        case .lease(let connection):
            return connection
        case .fail(let error):
            throw error
        case .connect:
            do {
                let connection = try await openConnection(on: currentLoop)
                state.withLock { $0.machine.connected() }
                return connection
            } catch {
                perform(connectFailed())
                throw error
            }
        case .wait:
            return try await waitForConnection(id)
        }
    }

    private func waitForConnection(_ id: Machine.WaiterID) async throws -> PostgresConnection {
        let timeout = configuration.acquireTimeout
        let timer = Task { [self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            giveUp(id, error: PostgresError(code: .poolTimeout, message: "no database connection became free within \(timeout)"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let early = state.withLock { state -> Result<PostgresConnection, any Error>? in
                    if case .resolved(let result) = state.waiters.removeValue(forKey: id) { return result }
                    state.waiters[id] = .suspended(continuation)
                    return nil
                }
                if let early { continuation.resume(with: early) }
            }
        } onCancel: {
            giveUp(id, error: CancellationError())
        }
    }

    /// Hands a connection (or a failure) to a waiter, whether or not it has suspended yet.
    private func deliver(_ result: Result<PostgresConnection, any Error>, to id: Machine.WaiterID) {
        let (continuation, returnConnection) = state.withLock { state -> (CheckedContinuation<PostgresConnection, any Error>?, Bool) in
            switch state.waiters.removeValue(forKey: id) {
            case .suspended(let continuation): return (continuation, false)
            case .abandoned: return (nil, true)
            case .resolved(let earlier):
                state.waiters[id] = .resolved(earlier)
                return (nil, true)
            case nil:
                state.waiters[id] = .resolved(result)
                return (nil, false)
            }
        }
        if let continuation {
            continuation.resume(with: result)
        } else if returnConnection, case .success(let connection) = result {
            release(connection)
        }
        recordStatistics()
    }

    /// A waiter's timeout passed or its task was cancelled.
    private func giveUp(_ id: Machine.WaiterID, error: any Error) {
        let continuation = state.withLock { state -> CheckedContinuation<PostgresConnection, any Error>? in
            let queued = state.machine.waiterGaveUp(id)
            switch state.waiters[id] {
            case .suspended(let continuation):
                // Not queued means a connection is already on its way: return it when it comes.
                if queued { state.waiters.removeValue(forKey: id) } else { state.waiters[id] = .abandoned }
                return continuation
            case nil where queued:
                state.waiters[id] = .resolved(.failure(error))
                return nil
            default:
                return nil
            }
        }
        continuation?.resume(throwing: error)
        recordStatistics()
    }

    private func release(_ connection: PostgresConnection) {
        let reusable = connection.isReusable
        let (action, statistics, drained) = state.withLock { state in
            let action = state.machine.released(connection, reusable: reusable)
            return (action, state.machine.statistics, Self.takeDrainedWaiters(&state))
        }
        metrics.record(statistics)
        perform(action)
        drained.forEach { $0.resume() }
    }

    /// The waiters of `close()` to wake, once the closed pool holds no connection. Called after
    /// every event that can bring the count to zero (a release, a failed connect).
    private static func takeDrainedWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.machine.isClosed && state.machine.statistics.connections == 0 else { return [] }
        defer { state.drained.removeAll() }
        return state.drained
    }

    private func connectFailed() -> Machine.ConnectFailedAction {
        let (action, drained) = state.withLock { state in
            (state.machine.connectFailed(), Self.takeDrainedWaiters(&state))
        }
        drained.forEach { $0.resume() }
        return action
    }

    private func perform(_ action: Machine.ReleaseAction) {
        switch action {
        case .none:
            break
        case .handOver(let connection, let id):
            deliver(.success(connection), to: id)
        case .close(let connection):
            connection.close()
        case .closeAndConnect(let connection, let id):
            connection.close()
            connect(for: id)
        }
    }

    private func perform(_ action: Machine.ConnectFailedAction) {
        if case .connect(let id) = action { connect(for: id) }
    }

    /// Opens a connection for a queued waiter whose slot freed up.
    private func connect(for id: Machine.WaiterID) {
        Task { [self] in
            do {
                let connection = try await openConnection()
                state.withLock { $0.machine.connected() }
                deliver(.success(connection), to: id)
            } catch {
                let next = connectFailed()
                deliver(.failure(error), to: id)
                perform(next)
            }
        }
    }

    /// Opens a connection on `loop`, or on the next loop in turn.
    private func openConnection(on loop: PostgresEventLoop? = nil) async throws -> PostgresConnection {
        let loop = loop ?? state.withLock { state in
            state.nextLoop += 1
            return eventLoops[state.nextLoop % eventLoops.count]
        }
        return try await PostgresConnection.connect(
            configuration: configuration, loop: loop, blockingPool: blockingPool, logger: logger, metrics: metrics
        )
    }

    private func recordStatistics() {
        metrics.record(statistics)
    }

    // MARK: Shutdown

    /// Runs until graceful shutdown, then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Refuses new leases, fails waiters, closes idle connections, waits for leased ones to
    /// come back and close, then stops the event loops.
    public func close() async {
        let action = state.withLock { $0.machine.close() }
        guard case .close(let idle, let waiters) = action else { return }
        idle.forEach { $0.close() }
        for id in waiters {
            deliver(.failure(PostgresError(code: .poolClosed, message: "the connection pool is closed")), to: id)
        }
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.machine.statistics.connections == 0 { return true }
                state.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        let loops = eventLoops
        try? await blockingPool.runIfActive { loops.forEach { $0.shutdown() } }
        try? await blockingPool.shutdownGracefully()
        recordStatistics()
    }
}
