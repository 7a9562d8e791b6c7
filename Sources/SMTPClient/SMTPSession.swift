import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One SMTP connection after its handshake: greeting, EHLO, STARTTLS, AUTH done.
///
/// Commands are sent one at a time (no PIPELINING): a relay for notices gains little from it, and
/// one command in flight keeps every reply unambiguous.
actor SMTPSession {
    private let channel: any Channel
    private let configuration: SMTPConfiguration
    private let failure: SMTPConnectionFailure
    /// EHLO keywords, upper-cased, with their parameters (e.g. "AUTH" → "PLAIN LOGIN").
    private(set) var extensions: [String: String] = [:]
    /// Whether STARTTLS succeeded on this connection.
    private(set) var isEncrypted = false
    /// Whether the current (or last) transaction's data, up to the final ".", has been written: after
    /// that the server may have accepted the message, and sending it again could duplicate it.
    private(set) var dataWritten = false
    /// Whether a MAIL command was sent, so the next transaction starts with RSET.
    private var transactionStarted = false

    private init(channel: any Channel, failure: SMTPConnectionFailure, configuration: SMTPConfiguration) {
        self.channel = channel
        self.failure = failure
        self.configuration = configuration
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Whether the connection can still carry a transaction.
    nonisolated var isActive: Bool { channel.isActive }

    /// Connects and runs the handshake; on any failure the connection is closed.
    static func open(
        configuration: SMTPConfiguration,
        eventLoopGroup: any EventLoopGroup,
        tlsContext: NIOSSLContext?
    ) async throws -> SMTPSession {
        let failure = SMTPConnectionFailure()
        let channel = try await connect(configuration: configuration, eventLoopGroup: eventLoopGroup, failure: failure)
        let session = SMTPSession(channel: channel, failure: failure, configuration: configuration)
        do {
            try await session.handshake(tlsContext: tlsContext)
            return session
        } catch {
            // The connection's own failure (a protocol violation, say) explains more than the
            // error of a step that found the connection closed because of it.
            var error = SMTPReplyHandler.smtpError(error)
            if error.kind == .connection, let cause = failure.error { error = cause }
            await session.abandon(after: error)
            throw error
        }
    }

    private static func connect(
        configuration: SMTPConfiguration,
        eventLoopGroup: any EventLoopGroup,
        failure: SMTPConnectionFailure
    ) async throws -> any Channel {
        let timeout = TimeAmount(configuration.timeout)
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let decoder = SMTPLineDecoder()
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(decoder),
                        SMTPReplyHandler(decoder: decoder, timeout: timeout, failure: failure)
                    )
                }
            }
        do {
            return try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw SMTPError.connection("cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
    }

    // MARK: Handshake

    private func handshake(tlsContext: NIOSSLContext?) async throws {
        try await expect([220], try await request(nil, what: "the greeting"), what: "the greeting")
        try await hello()
        try await startTLSIfWanted(tlsContext: tlsContext)
        try await authenticate()
    }

    /// EHLO, falling back to HELO for a server that does not know EHLO (RFC 5321 4.1.4).
    private func hello() async throws {
        let reply = try await command("EHLO \(configuration.heloName)", what: "EHLO")
        if reply.code == 500 || reply.code == 502 {
            extensions = [:]
            try await expect([250], try await command("HELO \(configuration.heloName)", what: "HELO"), what: "HELO")
            return
        }
        try await expect([250], reply, what: "EHLO")
        // The first line is the server's greeting name; each further line is a keyword and its parameters.
        extensions = [:]
        for line in reply.lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard let keyword = parts.first else { continue }
            extensions[keyword.uppercased()] = parts.count > 1 ? String(parts[1]) : ""
        }
    }

    private func startTLSIfWanted(tlsContext: NIOSSLContext?) async throws {
        guard configuration.security != .none else { return }
        guard extensions["STARTTLS"] != nil else {
            guard configuration.security != .startTLSRequired else {
                throw SMTPError.configuration(
                    "\(configuration.host):\(configuration.port) does not offer STARTTLS, and starttls=required")
            }
            return
        }
        guard let context = tlsContext else { throw SMTPError.configuration("STARTTLS without a TLS context") }
        let reply = try await command("STARTTLS", what: "STARTTLS")
        guard reply.code == 220 else {
            // "If available" tolerates a server that cannot start TLS now (454); "required" does not.
            if configuration.security == .startTLSRequired { try await expect([220], reply, what: "STARTTLS") }
            return
        }
        try await insertTLSHandler(context: context)
        // RFC 3207 4.2: forget what was learnt before TLS and ask again.
        try await hello()
        isEncrypted = true
    }

    private func insertTLSHandler(context: NIOSSLContext) async throws {
        let host = configuration.host
        // An IP address is not a valid SNI name; NIOSSL then verifies the certificate against the peer's IP.
        let serverHostname: String? = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
        let channel = self.channel
        let failure = self.failure
        try await channel.eventLoop.submit {
            if let error = failure.error { throw error }
            let handler = try channel.pipeline.syncOperations.handler(type: SMTPReplyHandler.self)
            // RFC 3207 5: bytes after the 220 arrived in clear and must not be taken as if from TLS.
            guard handler.decoder.unprocessedBytes == 0, !handler.hasUnclaimedReply else {
                throw SMTPError.protocolViolation("server sent data after its 220 reply to STARTTLS")
            }
            let tls = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
            try channel.pipeline.syncOperations.addHandler(tls, position: .first)
        }.get()
    }

    /// AUTH PLAIN (preferred) or LOGIN, only when a user name is configured and only over TLS,
    /// unless the configuration chose `.none` explicitly.
    private func authenticate() async throws {
        guard let username = configuration.username else { return }
        let password = configuration.password ?? ""
        guard isEncrypted || configuration.security == .none else {
            throw SMTPError.configuration(
                "refusing to send credentials to \(configuration.host) unencrypted: it did not offer STARTTLS "
                    + "(starttls=never allows plain-text credentials deliberately)")
        }
        guard let offered = extensions["AUTH"] else {
            throw SMTPError.configuration("\(configuration.host) does not offer AUTH, but a user name is configured")
        }
        let mechanisms = Set(offered.uppercased().split(separator: " ").map(String.init))
        if mechanisms.contains("PLAIN") {
            let token = base64(Array("\0\(username)\0\(password)".utf8))
            try await expect([235], try await command("AUTH PLAIN \(token)", what: "AUTH PLAIN"), what: "AUTH PLAIN")
        } else if mechanisms.contains("LOGIN") {
            try await expect([334], try await command("AUTH LOGIN", what: "AUTH LOGIN"), what: "AUTH LOGIN")
            try await expect([334], try await command(base64(Array(username.utf8)), what: "AUTH LOGIN user name"), what: "AUTH LOGIN user name")
            try await expect([235], try await command(base64(Array(password.utf8)), what: "AUTH LOGIN password"), what: "AUTH LOGIN password")
        } else {
            throw SMTPError.configuration("\(configuration.host) offers AUTH \(offered), but neither PLAIN nor LOGIN")
        }
    }

    // MARK: Transactions

    /// One mail transaction: (RSET,) MAIL FROM, RCPT TO for every recipient (all must be accepted),
    /// DATA, the dot-stuffed message and its final ".".
    func send(from sender: String, to recipients: [String], payload: [UInt8]) async throws {
        dataWritten = false
        if transactionStarted {
            try await expect([250], try await command("RSET", what: "RSET"), what: "RSET")
        }
        transactionStarted = true
        var mail = "MAIL FROM:<\(sender)>"
        if let limit = extensions["SIZE"].flatMap({ Int($0) }) {
            // SIZE=0 (or none) means no fixed limit (RFC 1870).
            if limit > 0, payload.count > limit {
                throw SMTPError.invalidMessage("message of \(payload.count) octets exceeds the server's limit of \(limit)")
            }
            mail += " SIZE=\(payload.count)"
        }
        try await expect([250], try await command(mail, what: "MAIL FROM:<\(sender)>"), what: "MAIL FROM:<\(sender)>")
        for recipient in recipients {
            let what = "RCPT TO:<\(recipient)>"
            try await expect([250, 251], try await command("RCPT TO:<\(recipient)>", what: what), what: what)
        }
        try await expect([354], try await command("DATA", what: "DATA"), what: "DATA")
        dataWritten = true
        var buffer = channel.allocator.buffer(capacity: payload.count)
        buffer.writeBytes(payload)
        try await expect([250], try await request(buffer, what: "the message data"), what: "the message data")
    }

    /// QUIT, politely but briefly, then close whatever the answer.
    func quit() async {
        if channel.isActive {
            _ = try? await command("QUIT", what: "QUIT")
        }
        try? await channel.close()
    }

    /// Closes after a failed handshake; a configuration error still deserves a QUIT.
    private func abandon(after error: SMTPError) async {
        if error.kind == .configuration {
            await quit()
        } else {
            try? await channel.close()
        }
    }

    // MARK: Commands and replies

    private func command(_ line: String, what: String) async throws -> SMTPReply {
        var buffer = channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeString("\r\n")
        return try await request(buffer, what: what)
    }

    private func request(_ bytes: ByteBuffer?, what: String) async throws -> SMTPReply {
        let promise = channel.eventLoop.makePromise(of: SMTPReply.self)
        let channel = self.channel
        // Once the pipeline is torn down the request never reaches the reply handler; the failed
        // write then fails the reply instead (a second completion of a promise is ignored).
        let written = channel.eventLoop.makePromise(of: Void.self)
        let failure = self.failure
        written.futureResult.whenFailure { promise.fail(failure.error ?? SMTPReplyHandler.smtpError($0)) }
        channel.writeAndFlush(SMTPRequest(bytes: bytes, what: what, reply: promise), promise: written)
        do {
            return try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch let error as SMTPError {
            throw error
        } catch {
            throw failure.error ?? SMTPReplyHandler.smtpError(error)
        }
    }

    /// Throws unless the reply's code is one of `codes`: a rejection for 4xx/5xx, a protocol
    /// violation for an unexpected positive code. A 421 also closes the connection, as the
    /// server is about to (RFC 5321 3.8).
    private func expect(_ codes: Set<Int>, _ reply: SMTPReply, what: String) async throws {
        guard !codes.contains(reply.code) else { return }
        if reply.code >= 400 {
            if reply.code == 421 { try? await channel.close() }
            throw SMTPError(.rejected(code: reply.code, text: reply.text), what)
        }
        throw SMTPError.protocolViolation("unexpected reply \(reply.code) \(reply.text) to \(what)")
    }

    private func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}
