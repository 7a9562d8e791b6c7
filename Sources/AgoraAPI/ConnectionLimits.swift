import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// What one connection may hold of the server: the size and number of its headers, how long
/// it may sit idle, and how long it may take to send one request.
public struct ConnectionLimits: Sendable, Equatable {
    /// How long a connection may stay open with no request under way (and how long a client
    /// may take to send a request's headers: nothing counts as activity until they are all in).
    public var idleTimeout: Duration
    /// How long a client may take to send a request's body once its headers are in: a client
    /// trickling a body byte by byte loses its connection after this.
    public var requestReadTimeout: Duration
    /// The largest single header line, in bytes.
    public var maximumHeaderFieldSize: Int
    /// The largest header block, in bytes.
    public var maximumHeaderListSize: Int
    /// The most header fields in one request.
    public var maximumHeaderCount: Int

    /// Creates limits; the defaults fit every client Agora expects (browsers send about 20
    /// headers of a few kilobytes together).
    public init(idleTimeout: Duration = .seconds(60), requestReadTimeout: Duration = .seconds(30),
                maximumHeaderFieldSize: Int = 16 * 1024, maximumHeaderListSize: Int = 64 * 1024, maximumHeaderCount: Int = 100) {
        self.idleTimeout = idleTimeout
        self.requestReadTimeout = requestReadTimeout
        self.maximumHeaderFieldSize = maximumHeaderFieldSize
        self.maximumHeaderListSize = maximumHeaderListSize
        self.maximumHeaderCount = maximumHeaderCount
    }

    /// The HTTP/1.1 server with these limits. Headers beyond them are answered 400 and the
    /// connection closed, by the HTTP decoder, before any of Agora runs. While `drain` is
    /// draining, each answer closes its connection.
    func server(drain: ShutdownDrain) -> HTTPServerBuilder {
        let readTimeout = TimeAmount(requestReadTimeout)
        return .http1(configuration: .init(
            additionalChannelHandlers: [RequestReadDeadlineHandler(timeout: readTimeout), DrainingConnectionHandler(drain: drain)],
            idleTimeout: TimeAmount(idleTimeout),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: maximumHeaderFieldSize, maxHeaderListSize: maximumHeaderListSize,
                                            maxHeaderFieldCount: maximumHeaderCount)
        ))
    }
}

/// Closes a connection whose request body does not arrive in time. Hummingbird's idle timer
/// counts every body part as activity, so without this a client sending one byte every few
/// seconds would hold a connection (and a task) for as long as it likes.
final class RequestReadDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: timeout) {
                loopBound.value.close(promise: nil)
            }
        case .body:
            break
        case .end:
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }
}
