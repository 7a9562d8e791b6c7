#if canImport(Glibc)
import Glibc
#endif
import CLibPQ
import Logging
import NIOPosix
import Foundation

/// A notification sent with `NOTIFY channel, 'payload'` or `pg_notify`.
public struct PostgresNotification: Sendable, Equatable {
    /// The channel it was sent on.
    public var channel: String
    /// The payload, possibly empty.
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int32
}

/// What a ``PostgresListener`` reports.
public enum PostgresListenerEvent: Sendable, Equatable {
    /// The listener is connected and listening on every channel. When `afterGap` is true the
    /// connection had been lost: notifications sent meanwhile are gone, so the consumer must
    /// re-read the state it follows.
    case listening(backendPID: Int32, afterGap: Bool)
    /// A notification arrived.
    case notification(PostgresNotification)
}

/// Listens on PostgreSQL channels over a dedicated connection and delivers notifications as an
/// `AsyncSequence` that survives lost connections.
///
/// ```swift
/// for await event in listener.events() {
///     switch event {
///     case .listening(_, let afterGap): if afterGap { reloadEverything() }
///     case .notification(let notification): handle(notification)
///     }
/// }
/// ```
public final class PostgresListener: Sendable {
    private let configuration: PostgresConfiguration
    private let channels: [String]
    private let logger: Logger
    private let reconnectDelay: Duration
    private let pingInterval: Duration

    /// Creates a listener for `channels`; nothing connects until ``events()`` is iterated.
    /// After `pingInterval` of silence it pings the server, and a ping unanswered for 3 s
    /// counts as a lost connection.
    public init(configuration: PostgresConfiguration, channels: [String], reconnectDelay: Duration = .milliseconds(250),
                pingInterval: Duration = .seconds(5), logger: Logger) {
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        self.reconnectDelay = reconnectDelay
        self.pingInterval = pingInterval
    }

    /// Connects, listens, and yields events until the consumer stops iterating (or its task is
    /// cancelled). A lost connection is re-opened with a growing delay (at most 5 s) and the
    /// channels listened to again, followed by `.listening(afterGap: true)`.
    public func events() -> AsyncStream<PostgresListenerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: PostgresListenerEvent.self, bufferingPolicy: .bufferingNewest(10_000))
        let loop = PostgresEventLoop()
        let blockingPool = NIOThreadPool(numberOfThreads: 1)
        blockingPool.start()
        let task = Task(executorPreference: loop) { [self] in
            await listen(loop: loop, blockingPool: blockingPool, into: continuation)
            continuation.finish()
            // The loop cannot stop itself; its shutdown waits for this task to leave it.
            try? await blockingPool.runIfActive { loop.shutdown() }
            try? await blockingPool.shutdownGracefully()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func listen(loop: PostgresEventLoop, blockingPool: NIOThreadPool, into continuation: AsyncStream<PostgresListenerEvent>.Continuation) async {
        var afterGap = false
        var delay = reconnectDelay
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, loop: loop, blockingPool: blockingPool, logger: logger, metrics: PostgresMetrics()
                )
                defer { connection.close() }
                for channel in channels {
                    try await connection.unsafeSimpleQuery("LISTEN \(Self.quoteIdentifier(channel))")
                }
                continuation.yield(.listening(backendPID: connection.backendPID, afterGap: afterGap))
                afterGap = true
                delay = reconnectDelay
                try await connection.receiveNotifications(pingInterval: pingInterval, pingTimeout: min(pingInterval, .seconds(3))) {
                    continuation.yield(.notification($0))
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("listener connection lost; reconnecting", metadata: ["error": "\(error)"])
            }
            afterGap = true
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// Quotes a channel name as an SQL identifier (`LISTEN` takes no parameters).
    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension PostgresConnection {
    /// Delivers notifications until the connection fails (throws) or the task is cancelled
    /// (returns). After `pingInterval` without traffic it pings the server, so a dead
    /// connection is noticed within seconds (and the listener reconnects and reports the gap).
    func receiveNotifications(pingInterval: Duration = .seconds(5), pingTimeout: Duration = .seconds(3),
                              _ deliver: (PostgresNotification) -> Void) async throws {
        loop.assertInLoop()
        let socket = PQsocket(handle)
        while true {
            while let raw = PQnotifies(handle) {
                let notify = raw.pointee
                deliver(PostgresNotification(
                    channel: String(cString: notify.relname),
                    payload: String(cString: notify.extra),
                    senderPID: notify.be_pid
                ))
                PQfreemem(raw)
            }
            switch await loop.wait(fd: socket, for: Int16(POLLIN), deadline: .now + pingInterval, cancellable: true) {
            case .cancelled: return
            case .timedOut:
                guard try await ping(within: pingTimeout) else { return }
                continue
            case .ready: break
            }
            if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK {
                throw PostgresError(code: .connectionLost, message: Self.errorMessage(handle))
            }
        }
    }
}
