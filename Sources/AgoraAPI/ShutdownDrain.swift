import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The moments between a stop being asked for (SIGTERM) and the listener closing, during
/// which the server still answers everything but lets its clients go one by one.
///
/// Closing an idle keep-alive connection races with a load balancer that has just sent a
/// request on it: the request is lost unanswered, and nginx, which does not retry a POST,
/// answers it with 502. While draining, each answer says `Connection: close` and its
/// connection ends after it, so a client stops using a connection before the server closes
/// it, and `/readyz` answers 503 so active health checks stop sending new requests. When the
/// drain is over the graceful stop begins (the listener closes, requests in flight finish).
/// A connection that carries no request during the drain is still closed then: the drain
/// makes the race rare, not impossible.
public final class ShutdownDrain: Sendable {
    private let draining = Atomic<Bool>(false)

    /// Creates a drain that has not begun.
    public init() {}

    /// Starts draining: from now on every answer closes its connection.
    public func begin() { draining.store(true, ordering: .relaxed) }

    /// Whether the server is draining.
    public var isDraining: Bool { draining.load(ordering: .relaxed) }
}

/// While the server drains, makes each connection end after its current answer.
///
/// A request read then is marked `Connection: close`, so Hummingbird ends the connection the
/// way it ends any client's last request (after the whole answer, with a half-close); every
/// answer written then says `Connection: close`; and a request that comes after such an
/// answer is not served (RFC 9112 §9.6: the client sends it elsewhere).
///
/// The quiesce event at the end of the drain is left to Hummingbird, which closes a
/// connection at once, or right after its answer's end is written (it must: a connection
/// it accepted but never handed to the application would otherwise trap). So an answer still
/// waiting for a slow reader when the drain ends can lose its tail; the drain is there so that
/// few answers are under way by then.
final class DrainingConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let drain: ShutdownDrain
    /// An answer said `Connection: close`: no further request is served.
    private var closeAnnounced = false
    /// A request came after that: it and its parts are dropped.
    private var ignoringRequests = false

    init(drain: ShutdownDrain) {
        self.drain = drain
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(var head):
            guard !closeAnnounced else {
                ignoringRequests = true
                return
            }
            guard drain.isDraining else {
                context.fireChannelRead(data)
                return
            }
            head.headerFields[.connection] = "close"
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body, .end:
            guard !ignoringRequests else { return }
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard drain.isDraining, case .head(var head) = unwrapOutboundIn(data), head.status.kind != .informational else {
            context.write(data, promise: promise)
            return
        }
        head.headerFields[.connection] = "close"
        closeAnnounced = true
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}
