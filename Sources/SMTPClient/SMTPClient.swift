import NIOCore
import NIOPosix
import NIOSSL

/// An SMTP session reused for many messages, reconnecting when the server has closed it.
///
/// Calls are served one at a time, in order, even when several tasks share the client: SMTP is
/// one conversation per connection. A message is sent on the open connection (RSET between
/// messages); if that connection turns out dead (closed, 421, silent) before the message data
/// was written, the message is sent once more on a fresh connection. After the data was written
/// it is never resent: the server may have accepted it, and a resend could deliver it twice.
public actor SMTPClient {
    /// Where and how the client connects.
    public nonisolated let configuration: SMTPConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private var session: SMTPSession?
    private var tlsContext: NIOSSLContext?
    private var busy = false
    private var queue: [CheckedContinuation<Void, Never>] = []

    /// Creates a client; nothing connects until the first ``send(_:)``.
    public init(configuration: SMTPConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
    }

    /// Sends one message to all its recipients: MAIL FROM, RCPT TO for each (every recipient must
    /// be accepted, else nothing is sent), DATA, the dot-stuffed message.
    ///
    /// Throws ``SMTPError``; its ``SMTPError/isPermanent`` tells a queue whether to retry later.
    public func send(_ message: MailMessage) async throws {
        try message.validate()
        let payload = SMTPData.payload(message.rendered())
        let recipients = message.to.map(\.address)
        await acquire()
        defer { release() }
        var retried = false
        while true {
            let (session, reused) = try await openSession()
            do {
                try await session.send(from: message.from.address, to: recipients, payload: payload)
                return
            } catch let error as SMTPError {
                if !session.isActive { self.session = nil }
                let staleConnection = error.kind == .connection || error.replyCode == 421
                let dataWritten = await session.dataWritten
                guard reused, !retried, staleConnection, !dataWritten else { throw error }
                self.session = nil
                await session.quit()
                retried = true
            }
        }
    }

    /// Sends QUIT and closes the connection, if one is open. A later ``send(_:)`` connects again.
    public func close() async {
        await acquire()
        defer { release() }
        if let session {
            self.session = nil
            await session.quit()
        }
    }

    /// The open session, or a new one; `reused` tells whether it carried earlier messages.
    private func openSession() async throws -> (session: SMTPSession, reused: Bool) {
        if let session, session.isActive { return (session, true) }
        session = nil
        let configuration = self.configuration
        let context = try makeTLSContextIfNeeded()
        let session = try await SMTPSession.open(configuration: configuration, eventLoopGroup: eventLoopGroup, tlsContext: context)
        self.session = session
        return (session, false)
    }

    /// The TLS context, built once: the system's roots, or those of ``SMTPConfiguration/trustRootsFile``.
    private func makeTLSContextIfNeeded() throws -> NIOSSLContext? {
        guard configuration.security != .none else { return nil }
        if let tlsContext { return tlsContext }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.trustRootsFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
            } catch {
                throw SMTPError.configuration("cannot read trusted roots from '\(file)': \(error)")
            }
        }
        do {
            let context = try NIOSSLContext(configuration: tls)
            tlsContext = context
            return context
        } catch {
            throw SMTPError.configuration("cannot set up TLS: \(error)")
        }
    }

    // A FIFO gate: actor methods interleave at every await, and two transactions must not.
    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { queue.append($0) }
    }

    private func release() {
        if queue.isEmpty {
            busy = false
        } else {
            queue.removeFirst().resume()
        }
    }
}
