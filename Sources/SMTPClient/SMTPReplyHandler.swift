import NIOCore
import NIOSSL
import Synchronization

/// The first failure of a connection, kept outside the pipeline: when the channel closes, NIO
/// removes its handlers, and a request written afterwards never reaches the reply handler.
final class SMTPConnectionFailure: Sendable {
    private let value = Mutex<SMTPError?>(nil)

    /// The first failure recorded, if any.
    var error: SMTPError? { value.withLock { $0 } }

    /// Records `error` unless a failure was recorded before; returns the one that stands.
    @discardableResult
    func record(_ error: SMTPError) -> SMTPError {
        value.withLock { current in
            if let current { return current }
            current = error
            return error
        }
    }
}

/// A command for the server and the promise of its reply.
///
/// `bytes` is `nil` when nothing is sent and the next reply is awaited (the greeting).
struct SMTPRequest: Sendable {
    var bytes: ByteBuffer?
    /// Names the command in errors; never holds credentials.
    var what: String
    var reply: EventLoopPromise<SMTPReply>
}

/// Pairs the server's replies with the commands written, one at a time, and bounds every wait.
///
/// A reply that arrives with no command waiting is kept only if it is the first (the greeting may
/// come before the session asks for it). A later one is a server speaking out of turn: a 421 means
/// it is closing, anything else is a protocol violation. Once the connection has failed (timeout,
/// error, close), every waiting and later request fails with the same error, so a caller can never
/// wait on a dead connection.
final class SMTPReplyHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = SMTPRequest
    typealias OutboundOut = ByteBuffer

    private struct Waiter {
        var what: String
        var reply: EventLoopPromise<SMTPReply>
        var deadline: Scheduled<Void>
    }

    let decoder: SMTPLineDecoder
    private let timeout: TimeAmount
    private let connectionFailure: SMTPConnectionFailure
    private var assembler = SMTPReplyAssembler()
    private var waiters = CircularBuffer<Waiter>()
    private var greeting: SMTPReply?
    private var repliesSeen = 0
    private var failure: SMTPError?

    init(decoder: SMTPLineDecoder, timeout: TimeAmount, failure: SMTPConnectionFailure) {
        self.decoder = decoder
        self.timeout = timeout
        self.connectionFailure = failure
    }

    /// Whether a reply arrived that no command has taken yet.
    var hasUnclaimedReply: Bool { greeting != nil }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.reply.fail(failure)
            promise?.fail(failure)
            return
        }
        if request.bytes == nil, let greeting {
            self.greeting = nil
            request.reply.succeed(greeting)
            promise?.succeed()
            return
        }
        let timeout = self.timeout
        let deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            fail(.connection("no reply to \(request.what) within \(Self.describe(timeout))"), context: context)
        }
        waiters.append(Waiter(what: request.what, reply: request.reply, deadline: deadline))
        if let bytes = request.bytes {
            context.writeAndFlush(wrapOutboundOut(bytes), promise: promise)
        } else {
            promise?.succeed()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard failure == nil else { return }
        let line = unwrapInboundIn(data)
        do {
            guard let reply = try assembler.add(Array(line.readableBytesView)) else { return }
            repliesSeen += 1
            deliver(reply, context: context)
        } catch {
            fail(Self.smtpError(error), context: context)
        }
    }

    private func deliver(_ reply: SMTPReply, context: ChannelHandlerContext) {
        if let waiter = waiters.popFirst() {
            waiter.deadline.cancel()
            waiter.reply.succeed(reply)
        } else if repliesSeen == 1 {
            greeting = reply
        } else if reply.code == 421 {
            fail(SMTPError(.rejected(code: reply.code, text: reply.text), "the session (server closing)"), context: context)
        } else {
            fail(.protocolViolation("unexpected reply \(reply.code) \(reply.text) with no command waiting"), context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(Self.smtpError(error), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.connection("the server closed the connection"), context: context)
        context.fireChannelInactive()
    }

    /// Records the first failure, fails every waiter with it and closes the connection.
    private func fail(_ error: SMTPError, context: ChannelHandlerContext) {
        let failure = connectionFailure.record(error)
        self.failure = failure
        while let waiter = waiters.popFirst() {
            waiter.deadline.cancel()
            waiter.reply.fail(failure)
        }
        if context.channel.isActive { context.close(promise: nil) }
    }

    /// Maps what the pipeline reports (our own errors, TLS errors, socket errors) to ``SMTPError``.
    static func smtpError(_ error: any Error) -> SMTPError {
        switch error {
        case let error as SMTPError: error
        case let error as NIOSSLError: .connection("TLS failed: \(error)")
        case let error as BoringSSLError: .connection("TLS failed: \(error)")
        case let error as NIOSSLExtraError: .connection("TLS failed: \(error)")
        case let error as ChannelError: .connection("connection lost: \(error)")
        default: .connection(String(describing: error))
        }
    }

    static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}

@available(*, unavailable)
extension SMTPReplyHandler: Sendable {}
