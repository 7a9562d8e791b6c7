/// What the pool looks like at one instant.
public struct PostgresPoolStatistics: Sendable, Equatable {
    /// Connections open or being opened.
    public var connections: Int
    /// Connections leased to tasks.
    public var leased: Int
    /// Tasks waiting for a connection.
    public var waiters: Int
}

/// The connection pool's decisions, as a plain value: events in, actions out, no I/O.
///
/// The pool (``PostgresConnectionPool``) holds it under a lock and performs the actions it
/// returns. Keeping the decisions here means the rules — never more than `maximum`
/// connections, a free connection goes to the longest waiter first, a broken connection is
/// replaced, a closed pool refuses new work — are tested without a database.
struct PoolStateMachine<Connection: AnyObject> {
    typealias WaiterID = UInt64

    enum LeaseAction {
        /// Use this idle connection.
        case lease(Connection)
        /// Open a new connection and use it.
        case connect
        /// Wait for a connection to be handed over (or for the timeout).
        case wait
        /// The pool is closed.
        case fail(PostgresError)
    }

    enum ReleaseAction {
        /// Nothing to do; the connection went back to the idle list.
        case none
        /// Give the connection to this waiter.
        case handOver(Connection, to: WaiterID)
        /// Close the connection.
        case close(Connection)
        /// Close the broken connection and open a replacement for this waiter.
        case closeAndConnect(Connection, for: WaiterID)
    }

    enum ConnectFailedAction {
        case none
        /// Try again on behalf of this waiter, which would otherwise wait for a slot that freed.
        case connect(for: WaiterID)
    }

    enum CloseAction {
        case close(idle: [Connection], failWaiters: [WaiterID])
    }

    let maximum: Int
    private(set) var idle: [Connection] = []
    private(set) var leased = 0
    private(set) var connecting = 0
    private(set) var waiters: [WaiterID] = []
    private(set) var isClosed = false

    init(maximum: Int) {
        precondition(maximum > 0, "a pool needs at least one connection")
        self.maximum = maximum
    }

    var statistics: PostgresPoolStatistics {
        PostgresPoolStatistics(connections: idle.count + leased + connecting, leased: leased, waiters: waiters.count)
    }

    /// A task asks for a connection. With `.wait`, it is queued under `waiter`. Among idle
    /// connections, the most recently used one that `preferred` accepts is chosen (one on the
    /// caller's own event loop, so the task does not change threads), else the most recent.
    mutating func leaseRequested(waiter: WaiterID, preferred: (Connection) -> Bool = { _ in true }) -> LeaseAction {
        if isClosed { return .fail(PostgresError(code: .poolClosed, message: "the connection pool is closed")) }
        // Waiters already queued go first; a newcomer does not jump the queue.
        if waiters.isEmpty, !idle.isEmpty {
            let index = idle.lastIndex(where: preferred) ?? idle.count - 1
            leased += 1
            return .lease(idle.remove(at: index))
        }
        if waiters.isEmpty && statistics.connections < maximum {
            connecting += 1
            return .connect
        }
        waiters.append(waiter)
        return .wait
    }

    /// A connection opened by `.connect` (or `.closeAndConnect`) is ready and now leased.
    mutating func connected() {
        connecting -= 1
        leased += 1
    }

    /// Opening a connection failed.
    mutating func connectFailed() -> ConnectFailedAction {
        connecting -= 1
        // The failed attempt freed a slot: a queued waiter may use it.
        if !isClosed, let next = waiters.first, statistics.connections < maximum {
            waiters.removeFirst()
            connecting += 1
            return .connect(for: next)
        }
        return .none
    }

    /// A task is done with a connection; `reusable` is false when it is broken.
    mutating func released(_ connection: Connection, reusable: Bool) -> ReleaseAction {
        leased -= 1
        if isClosed { return .close(connection) }
        if !reusable {
            if let next = waiters.first {
                waiters.removeFirst()
                connecting += 1
                return .closeAndConnect(connection, for: next)
            }
            return .close(connection)
        }
        if let next = waiters.first {
            waiters.removeFirst()
            leased += 1
            return .handOver(connection, to: next)
        }
        idle.append(connection)
        return .none
    }

    /// A waiter gave up (timeout or cancellation). Returns whether it was still queued; if
    /// not, a connection is already on its way to it and must be released by the caller.
    mutating func waiterGaveUp(_ waiter: WaiterID) -> Bool {
        guard let index = waiters.firstIndex(of: waiter) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// The pool shuts down: idle connections close now, leased ones when they are released.
    mutating func close() -> CloseAction {
        isClosed = true
        let action = CloseAction.close(idle: idle, failWaiters: waiters)
        idle.removeAll()
        waiters.removeAll()
        return action
    }
}
