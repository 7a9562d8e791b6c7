#if canImport(Glibc)
import Glibc
#endif
import CLibPQ
import Foundation
import Logging
import NIOPosix
import Synchronization

/// One libpq connection in non-blocking mode, driven by a ``PostgresEventLoop``.
///
/// A connection is used by one task at a time: the pool leases it exclusively, and every call
/// that touches libpq runs on the connection's event loop (calls from elsewhere hop there).
/// Statements are prepared once per connection, keyed by their SQL text, and reused.
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked Sendable: `handle`, `statements`, `isBroken` and the counters are used only by
    // the single task that holds the connection, on `loop`'s thread. `cancelState` (the PGcancel
    // object, under its mutex) and the atomics `runningQuery` and `cancelRequested` are the
    // pieces touched from other threads (a cancellation handler, the blocking pool).

    /// The loop whose thread makes every libpq call of this connection.
    public let loop: PostgresEventLoop
    /// The server process serving this connection (for `pg_cancel_backend` and logs).
    public let backendPID: Int32

    let handle: OpaquePointer
    private let socket: Int32
    private let blockingPool: NIOThreadPool
    private let metrics: PostgresMetrics
    private let notices: Unmanaged<NoticeLogger>
    private let cancelState: Mutex<CancelState>
    /// The statement now running (0: none), so a cancel request for one that has finished is not sent.
    private let runningQuery = Atomic<UInt64>(0)
    /// The last statement a cancel request was made for. The loop thread never waits for a
    /// cancel request being sent (that opens a connection to the server and may take seconds);
    /// instead a statement that had one asked for gives its connection up, so a late request
    /// cannot hit the next statement.
    private let cancelRequested = Atomic<UInt64>(0)
    private var statements: [String: String] = [:]
    private var statementCounter = 0
    private var queryCounter: UInt64 = 0
    private(set) var isBroken = false
    /// When the last statement finished; the pool checks long-idle connections before use.
    private var lastUsed = ContinuousClock.now

    /// Statement texts beyond this many are run unprepared, so SQL built at run time cannot
    /// grow the server's memory without bound.
    private static let statementCacheLimit = 1000

    // @unchecked Sendable: the PGcancel object is only used under `cancelState`'s lock, which
    // only `requestCancel` (on the blocking pool) and `close` take — never a statement.
    private struct CancelState: @unchecked Sendable {
        var cancel: OpaquePointer?
    }

    private init(handle: OpaquePointer, loop: PostgresEventLoop, blockingPool: NIOThreadPool, metrics: PostgresMetrics, notices: Unmanaged<NoticeLogger>) {
        self.handle = handle
        self.loop = loop
        self.blockingPool = blockingPool
        self.metrics = metrics
        self.notices = notices
        self.socket = PQsocket(handle)
        self.backendPID = PQbackendPID(handle)
        self.cancelState = Mutex(CancelState(cancel: PQgetCancel(handle)))
    }

    deinit {
        close()
    }

    /// Opens a connection. The blocking connection handshake runs on `blockingPool`, never on
    /// an event loop or Swift's cooperative pool.
    static func connect(
        configuration: PostgresConfiguration,
        loop: PostgresEventLoop,
        blockingPool: NIOThreadPool,
        logger: Logger,
        metrics: PostgresMetrics
    ) async throws -> PostgresConnection {
        // Keywords before `dbname` are defaults that the connection string may override; the
        // session options come after it so values are always decoded the same way.
        let parameters = [
            ("fallback_application_name", configuration.applicationName),
            ("connect_timeout", "10"),
            ("dbname", configuration.connectionString),
            ("options", configuration.sessionOptions),
        ]
        let opened = try await blockingPool.runIfActive { () -> SendableHandle in
            SendableHandle(pointer: withCStringArrays(parameters.map(\.0), parameters.map(\.1)) { keywords, values in
                PQconnectdbParams(keywords, values, 1)
            })
        }
        guard let handle = opened.pointer else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = errorMessage(handle)
            PQfinish(handle)
            throw PostgresError(code: .connectionFailed, message: message)
        }
        guard PQsetnonblocking(handle, 1) == 0 else {
            let message = errorMessage(handle)
            PQfinish(handle)
            throw PostgresError(code: .connectionFailed, message: message)
        }
        let notices = Unmanaged.passRetained(NoticeLogger(logger: logger))
        PQsetNoticeReceiver(handle, { context, result in
            guard let context, let result else { return }
            Unmanaged<NoticeLogger>.fromOpaque(context).takeUnretainedValue().log(result)
        }, notices.toOpaque())
        return PostgresConnection(handle: handle, loop: loop, blockingPool: blockingPool, metrics: metrics, notices: notices)
    }

    /// Closes the connection. The server rolls back an open transaction.
    func close() {
        let freed: Bool? = cancelState.withLockIfAvailable { state in
            if let cancel = state.cancel { PQfreeCancel(cancel) }
            state.cancel = nil
            return true
        }
        if freed == nil {
            // A cancel request is being sent with the PGcancel object: free it after that, on
            // the blocking pool, instead of making this thread wait.
            blockingPool.submit { [self] _ in
                cancelState.withLock { state in
                    if let cancel = state.cancel { PQfreeCancel(cancel) }
                    state.cancel = nil
                }
            }
        }
        if !closed {
            closed = true
            PQfinish(handle)
            notices.release()
        }
    }
    private var closed = false

    // MARK: Statements

    /// Runs one statement with bound parameters and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        guard loop.isPreferredByCurrentTask else {
            return try await withTaskExecutorPreference(loop) { try await self.query(query) }
        }
        try Task.checkCancellation()
        metrics.queries.increment()
        do {
            let rows = try await runPrepared(query)
            return rows
        } catch let error as PostgresError {
            metrics.recordError(error.code)
            throw error
        }
    }

    /// Runs one statement and returns how many rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    /// Runs SQL text as it is, through the simple protocol: several statements separated by
    /// semicolons are allowed, parameters are not. For migrations and fixed maintenance SQL
    /// only — never with text that came from a request.
    @discardableResult
    public func unsafeSimpleQuery(_ sql: String, timeout: Duration? = nil) async throws -> PostgresRows {
        guard loop.isPreferredByCurrentTask else {
            return try await withTaskExecutorPreference(loop) { try await self.unsafeSimpleQuery(sql, timeout: timeout) }
        }
        try checkUsable()
        try await send(PQsendQuery(handle, sql))
        return try await collectResults(timeout: timeout)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    public func withTransaction<Result>(
        isolation: PostgresIsolationLevel = .readCommitted,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await unsafeSimpleQuery("BEGIN ISOLATION LEVEL \(isolation.sql)")
        let result: Result
        do {
            result = try await body(self)
        } catch {
            await rollback()
            throw error
        }
        try await unsafeSimpleQuery("COMMIT")
        return result
    }

    /// Rolls back, even when the task is cancelled; a connection that cannot roll back is
    /// marked broken so the pool closes it (which rolls back on the server).
    private func rollback() async {
        guard !isBroken, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        do {
            try await withTaskExecutorPreference(loop) {
                try await self.send(PQsendQuery(self.handle, "ROLLBACK"))
                _ = try await self.collectResults(timeout: .seconds(10), cancellable: false)
            }
        } catch {
            isBroken = true
        }
    }

    private func runPrepared(_ query: PostgresQuery) async throws -> PostgresRows {
        try checkUsable()
        let started = ContinuousClock.now
        var timeout = query.timeout
        let name: String
        if let prepared = statements[query.sql] {
            name = prepared
        } else if statements.count < Self.statementCacheLimit {
            statementCounter += 1
            let newName = "agora_\(statementCounter)"
            try await send(PQsendPrepare(handle, newName, query.sql, Int32(query.bindings.count), nil))
            _ = try await collectResults(timeout: timeout)
            statements[query.sql] = newName
            name = newName
            // A prepare that outlasted the timeout but completed before the cancel request
            // reached the server leaves that request in flight: it would cancel the statement
            // sent next ("due to user request"). The connection is given up (the pool opens
            // another), and the query has timed out.
            if isBroken { throw PostgresError(code: .statementTimeout, message: "the statement was not prepared within its timeout") }
            // The timeout is the query's, prepare and execution together.
            timeout = timeout.map { $0 - started.duration(to: .now) }
        } else {
            try Self.refuseNULs(in: query.bindings)
            try await send(withCStrings(query.bindings) { values in
                PQsendQueryParams(handle, query.sql, Int32(values.count), nil, values, nil, nil, 0)
            })
            return try await collectResults(timeout: query.timeout)
        }
        try Self.refuseNULs(in: query.bindings)
        try await send(withCStrings(query.bindings) { values in
            PQsendQueryPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
        })
        return try await collectResults(timeout: timeout)
    }

    // MARK: Health

    /// Whether the pool may hand the connection to the next task.
    var isReusable: Bool {
        !closed && !isBroken && PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// Reads whatever arrived while the connection sat idle; a server that ended the session
    /// (`pg_terminate_backend`, restart) shows up here as a bad connection, before a statement
    /// is sent on it. Non-blocking.
    func checkIdleConnectionAlive() -> Bool {
        guard isReusable else { return false }
        // A connection handed straight back (a busy pool) skips the check's system call: a
        // session ended in that instant is no different from one ended just after the check.
        guard ContinuousClock.now - lastUsed > .milliseconds(5) else { return true }
        // An idle connection has nothing to read unless the server spoke first. A terminated
        // session sends its FATAL message (libpq passes it to the notice receiver) and then
        // closes; the close is seen by the next read, hence the loop.
        for _ in 0..<4 {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { return true }
            if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK
                || notices.takeUnretainedValue().sessionEnded.load(ordering: .relaxed) {
                isBroken = true
                return false
            }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    private func checkUsable() throws {
        loop.assertInLoop()
        guard !isBroken, !closed, PQstatus(handle) == CONNECTION_OK else {
            isBroken = true
            throw PostgresError(code: .connectionLost, message: "the connection to the server is lost")
        }
    }

    /// Asks the server for an empty answer and waits at most `limit` for it. A connection whose
    /// peer vanished without closing it (a crashed host, a dropped route) shows up only as
    /// silence, which TCP alone would notice minutes later.
    /// Returns false when the task was cancelled meanwhile (the caller is shutting down).
    func ping(within limit: Duration) async throws -> Bool {
        loop.assertInLoop()
        try checkUsable()
        try await send(PQsendQuery(handle, ""))
        let deadline = ContinuousClock.now + limit
        while PQisBusy(handle) != 0 {
            switch await loop.wait(fd: socket, for: Int16(POLLIN), deadline: deadline, cancellable: true) {
            case .timedOut:
                isBroken = true
                throw PostgresError(code: .connectionLost, message: "the server did not answer a ping within \(limit)")
            case .cancelled:
                // The empty query is still on its way: this connection is out of step now.
                isBroken = true
                return false
            case .ready:
                if PQconsumeInput(handle) == 0 { throw connectionError() }
            }
        }
        while let result = PQgetResult(handle) { PQclear(result) }
        return true
    }

    // MARK: The protocol, non-blocking

    private func send(_ accepted: Int32) async throws {
        guard accepted == 1 else { throw connectionError() }
        while true {
            let pending = PQflush(handle)
            if pending == 0 { return }
            if pending < 0 { throw connectionError() }
            let result = await loop.wait(fd: socket, for: Int16(POLLOUT | POLLIN), cancellable: false)
            if case .ready(let events) = result, events & Int16(POLLIN | POLLHUP | POLLERR) != 0,
               PQconsumeInput(handle) == 0 {
                throw connectionError()
            }
        }
    }

    /// Reads every result of the statement just sent. A task cancellation or the timeout sends
    /// a cancel request to the server and keeps reading, so the connection stays in sync.
    func collectResults(timeout: Duration?, cancellable: Bool = true) async throws -> PostgresRows {
        queryCounter &+= 1
        let queryID = queryCounter
        runningQuery.store(queryID, ordering: .sequentiallyConsistent)
        defer {
            // Sequentially consistent with `requestCancel`'s store-then-load: either it sees this
            // statement finished and sends nothing, or this sees its request and gives the
            // connection up — never neither (acquire/release alone would allow that).
            runningQuery.store(0, ordering: .sequentiallyConsistent)
            // A cancel request asked for this statement may still be on its way: it must not
            // reach the next statement, so this connection is given up (the pool opens another).
            if cancelRequested.load(ordering: .sequentiallyConsistent) == queryID { isBroken = true }
        }

        let read = { () async throws -> PostgresRows in
            var deadline = timeout.map { ContinuousClock.now + $0 }
            var timedOut = false
            var rows = PostgresRows.empty
            var failure: PostgresError?
            while true {
                while PQisBusy(self.handle) != 0 {
                    switch await self.loop.wait(fd: self.socket, for: Int16(POLLIN), deadline: deadline, cancellable: false) {
                    case .timedOut where !timedOut:
                        timedOut = true
                        self.requestCancel(of: queryID)
                        // If the server does not answer the cancel request, give the connection up.
                        deadline = .now + .seconds(10)
                        continue
                    case .timedOut:
                        self.isBroken = true
                        throw PostgresError(code: .connectionLost, message: "the server did not answer a cancel request")
                    case .ready, .cancelled:
                        break
                    }
                    // On failure libpq reports through PQgetResult below: the server's FATAL
                    // report (with its SQLSTATE) if it sent one before closing, else its own error.
                    if PQconsumeInput(self.handle) == 0 { break }
                }
                guard let result = PQgetResult(self.handle) else { break }
                switch PQresultStatus(result) {
                case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                    rows = PostgresRows(result: PostgresResult(result))
                case PGRES_FATAL_ERROR:
                    if failure == nil { failure = Self.serverError(result) }
                    PQclear(result)
                case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                    // COPY is not supported; leaving the protocol in COPY state would wedge it.
                    PQclear(result)
                    self.isBroken = true
                    throw PostgresError(code: .client, message: "COPY is not supported")
                default:
                    PQclear(result)
                }
            }
            if PQstatus(self.handle) != CONNECTION_OK {
                self.isBroken = true
                if failure?.sqlState == nil {
                    failure = PostgresError(code: .connectionLost, message: failure?.message ?? Self.errorMessage(self.handle))
                }
            }
            self.lastUsed = .now
            if var failure {
                if timedOut && failure.code == .queryCancelled { failure.code = .statementTimeout }
                throw failure
            }
            return rows
        }
        guard cancellable else { return try await read() }
        return try await withTaskCancellationHandler(operation: read) {
            self.requestCancel(of: queryID)
        }
    }

    /// Asks the server to cancel the statement `queryID`, if it is still the one running.
    /// `PQcancel` opens a new connection to the server, so it runs on the blocking pool.
    private func requestCancel(of queryID: UInt64) {
        cancelRequested.store(queryID, ordering: .sequentiallyConsistent)
        blockingPool.submit { [self] work in
            // A stopped pool runs the item at once on this thread, marked cancelled: then send
            // nothing rather than open a connection from the event loop (the statement's own
            // deadline still gives up on it).
            guard work == .active else { return }
            cancelState.withLock { state in
                guard runningQuery.load(ordering: .sequentiallyConsistent) == queryID, let cancel = state.cancel else { return }
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(cancel, &buffer, Int32(buffer.count))
            }
        }
    }

    private func connectionError() -> PostgresError {
        let bad = PQstatus(handle) != CONNECTION_OK
        if bad { isBroken = true }
        return PostgresError(code: bad ? .connectionLost : .client, message: Self.errorMessage(handle))
    }

    static func errorMessage(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func serverError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let state = field("C")
        let message = field("M") ?? String(cString: PQresultErrorMessage(result))
        return PostgresError(
            code: state.map { PostgresError.code(forSQLState: $0, message: message) } ?? .server,
            sqlState: state, message: message, detail: field("D"), hint: field("H"),
            constraint: field("n"), table: field("t")
        )
    }
}

/// How strictly a transaction is isolated from concurrent ones.
public enum PostgresIsolationLevel: Sendable {
    case readCommitted, repeatableRead, serializable
    var sql: String {
        switch self {
        case .readCommitted: "READ COMMITTED"
        case .repeatableRead: "REPEATABLE READ"
        case .serializable: "SERIALIZABLE"
        }
    }
}

/// Sends server notices (`RAISE NOTICE`, warnings) to the logger instead of stderr.
final class NoticeLogger: Sendable {
    let logger: Logger
    /// Set when the server sent FATAL while the connection was idle (libpq hands such a
    /// message to the notice receiver): the session is over even if the socket is not closed yet.
    let sessionEnded = Atomic<Bool>(false)
    init(logger: Logger) { self.logger = logger }

    func log(_ result: OpaquePointer) {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let severity = field("V") ?? "NOTICE"
        if severity == "FATAL" || severity == "PANIC" { sessionEnded.store(true, ordering: .relaxed) }
        let level: Logger.Level = switch severity {
        case "DEBUG": .debug
        case "WARNING", "ERROR", "FATAL", "PANIC": .warning
        default: .info
        }
        logger.log(level: level, "postgres \(severity.lowercased()): \(field("M") ?? "")",
                   metadata: ["postgres.sqlstate": .string(field("C") ?? "")])
    }
}

/// Carries a `PGconn *` out of the blocking pool; it is used by one thread at a time.
private struct SendableHandle: @unchecked Sendable {
    let pointer: OpaquePointer?
}

extension PostgresConnection {
    /// Parameters go to libpq as C strings, which end at the first NUL: a value holding one would
    /// be cut short without a word. PostgreSQL's text cannot hold NUL either, so such a value
    /// is refused as PostgreSQL refuses it (SQLSTATE 22021), before anything is sent.
    static func refuseNULs(in bindings: [String?]) throws {
        for (index, binding) in bindings.enumerated() where binding?.utf8.contains(0) == true {
            throw PostgresError(code: .invalidData, sqlState: "22021",
                                message: "parameter $\(index + 1) contains a NUL character, which PostgreSQL text cannot hold")
        }
    }
}

/// Passes Swift strings to C as `const char *const *`; the copies live only during `body`.
func withCStrings<Result>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> Result) -> Result {
    let copies = strings.map { $0.map { UnsafePointer(strdup($0)!) } }
    defer { for copy in copies { free(UnsafeMutablePointer(mutating: copy)) } }
    return body(copies)
}

/// Two NUL-terminated string arrays, as `PQconnectdbParams` wants them.
func withCStringArrays<Result>(_ first: [String], _ second: [String], _ body: ([UnsafePointer<CChar>?], [UnsafePointer<CChar>?]) -> Result) -> Result {
    withCStrings(first.map(Optional.some) + [nil]) { keywords in
        withCStrings(second.map(Optional.some) + [nil]) { values in body(keywords, values) }
    }
}
