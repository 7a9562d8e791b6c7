import NIOPosix

/// Runs CPU-heavy work (decoding or encoding a stored solver instance or a slate's answer) on
/// NIO's shared blocking thread pool: never on a PostgresClient event-loop thread, whose every
/// connection it would stall, nor on Swift's cooperative pool.
public func offLoop<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await NIOThreadPool.singleton.runIfActive(work)
}

/// The speaker-selection solver's own thread, so that solver runs (which may take a second at
/// a global conference) queue behind each other and never behind, or in front of, the short
/// encoding work of ``offLoop(_:)`` that requests wait for inside their transactions.
private let solverThread: NIOThreadPool = {
    let pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
    return pool
}()

/// Runs the selection solver (a run, a preview, a replacement) on its own thread.
public func solving<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await solverThread.runIfActive(work)
}
