import NIOPosix

/// Runs CPU-heavy work (the speaker-selection solver, decoding or encoding a stored solver
/// instance or a slate's answer) on NIO's shared blocking thread pool: never on a
/// PostgresClient event-loop thread, whose every connection it would stall, nor on Swift's
/// cooperative pool, which on a 2-core machine two solver runs would fill.
public func offLoop<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await NIOThreadPool.singleton.runIfActive(work)
}
