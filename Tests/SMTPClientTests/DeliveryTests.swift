import Foundation
import SMTPClient
import Testing

/// The client against a real SMTP server (aiosmtpd, scripts/smtp-test-server.py) on loopback.
@Suite("SMTP delivery", .timeLimit(.minutes(2))) struct DeliveryTests {
    static let certificate = Task { try await TestCertificate.make() }

    private func tlsFlags() async throws -> [String] {
        let certificate = try await Self.certificate.value
        return ["--tls-cert", certificate.certificate, "--tls-key", certificate.key]
    }

    private func caQuery() async throws -> String {
        "ca=" + (try await Self.certificate.value.certificate)
    }

    /// Runs `body` and returns the SMTPError it threw, recording an issue if it threw none.
    private func smtpError(_ body: () async throws -> Void) async -> SMTPError? {
        do {
            try await body()
            Issue.record("no error was thrown")
            return nil
        } catch let error as SMTPError {
            return error
        } catch {
            Issue.record("not an SMTPError: \(error)")
            return nil
        }
    }

    @Test("plain delivery: no TLS, no AUTH; the server receives exactly the rendered message")
    func plain() async throws {
        let server = try await TestSMTPServer([])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(query: "starttls=never")))
        let message = try sampleMessage()
        try await client.send(message)
        await client.close()

        let received = try server.messages()
        try #require(received.count == 1)
        let sidecar = received[0].sidecar
        #expect(sidecar.mail_from == "notices@agora.example")
        #expect(sidecar.rcpt_tos == ["alice@example.org", "bob@example.org"])
        #expect(!sidecar.tls)
        #expect(sidecar.auth_user == nil)
        let parsed = try await parseWithPython(received[0].eml)
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(parsed.subject == message.subject)
        #expect(parsed.messageID == "<\(message.messageID)>")
        #expect(parsed.parts.map(\.content) == [message.text, message.html])
        #expect(parsed.header("List-Unsubscribe") == message.extraHeaders[0].value)
        #expect(parsed.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")
        #expect(parsed.header("Auto-Submitted") == "auto-generated")
        #expect(try server.commands() == ["1 EHLO", "1 MAIL", "1 RCPT", "1 RCPT", "1 DATA", "1 QUIT"])
    }

    @Test("STARTTLS required and AUTH PLAIN: the server saw TLS and the user")
    func startTLSAndPlain() async throws {
        let server = try await TestSMTPServer(try await tlsFlags() + ["--require-tls", "--auth", "agora@forum:s3cret!&"])
        defer { server.stop() }
        let url = server.url(userInfo: "agora%40forum:s3cret%21%26", query: "starttls=required&" + (try await caQuery()))
        let client = SMTPClient(configuration: try SMTPConfiguration(url: url))
        try await client.send(try sampleMessage())
        await client.close()
        let received = try server.messages()
        try #require(received.count == 1)
        #expect(received[0].sidecar.tls)
        #expect(received[0].sidecar.auth_user == "agora@forum")
        #expect(try server.commands() == ["1 EHLO", "1 STARTTLS", "1 EHLO", "1 AUTH", "1 MAIL", "1 RCPT", "1 RCPT", "1 DATA", "1 QUIT"])
    }

    @Test("STARTTLS against 'localhost' verifies the certificate by name (SNI)")
    func startTLSByName() async throws {
        let server = try await TestSMTPServer(try await tlsFlags())
        defer { server.stop() }
        let url = "smtp://localhost:\(server.port)?starttls=required&" + (try await caQuery())
        let client = SMTPClient(configuration: try SMTPConfiguration(url: url))
        try await client.send(try sampleMessage(html: nil))
        await client.close()
        #expect(try server.messages().map(\.sidecar.tls) == [true])
    }

    @Test("AUTH LOGIN when the server offers only LOGIN")
    func authLogin() async throws {
        let server = try await TestSMTPServer(try await tlsFlags() + ["--auth", "login-user:pässword", "--auth-mechanisms", "LOGIN"])
        defer { server.stop() }
        let url = server.url(userInfo: "login-user:p%C3%A4ssword", query: try await caQuery())
        let client = SMTPClient(configuration: try SMTPConfiguration(url: url))
        try await client.send(try sampleMessage())
        await client.close()
        let received = try server.messages()
        #expect(received.map(\.sidecar.auth_user) == ["login-user"])
        #expect(received.map(\.sidecar.tls) == [true])
    }

    @Test("a wrong password is a permanent 535 rejection, and no mail is sent")
    func wrongPassword() async throws {
        let server = try await TestSMTPServer(try await tlsFlags() + ["--auth", "user:right"])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(userInfo: "user:wrong", query: try await caQuery())))
        let error = await smtpError { try await client.send(try sampleMessage()) }
        #expect(error?.replyCode == 535)
        #expect(error?.isPermanent == true)
        #expect(try !server.commands().contains { $0.hasSuffix("MAIL") })
    }

    @Test("dot-stuffing: lines '.', '..x', '.hidden' arrive unchanged")
    func dotStuffing() async throws {
        let server = try await TestSMTPServer([])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(query: "starttls=never")))
        let text = ".\n..x\n.hidden\nend of notice\n.\n"
        try await client.send(try sampleMessage(text: text, html: "<p>\n.\n..</p>\n"))
        await client.close()
        let received = try server.messages()
        try #require(received.count == 1)
        let raw = String(decoding: try Data(contentsOf: received[0].eml), as: UTF8.self)
        #expect(raw.contains("\r\n.\r\n..x\r\n.hidden\r\nend of notice\r\n.\r\n"), "the server unstuffed the lines back")
        let parsed = try await parseWithPython(received[0].eml)
        #expect(parsed.parts.map(\.content) == [text, "<p>\n.\n..</p>\n"])
    }

    @Test("fifty messages over one connection, RSET between them")
    func manyMessagesOneConnection() async throws {
        let server = try await TestSMTPServer([])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(query: "starttls=never")))
        var ids: [String] = []
        for number in 0..<50 {
            var message = try sampleMessage(text: "Message \(number)\n", html: nil)
            message.subject = "Notice \(number)"
            ids.append(message.messageID)
            try await client.send(message)
        }
        await client.close()
        let received = try server.messages()
        #expect(received.count == 50)
        #expect(received.allSatisfy { $0.sidecar.connection == 1 && $0.sidecar.connections == 1 })
        #expect(received.map(\.sidecar.message_on_connection) == Array(1...50))
        let commands = try server.commands()
        #expect(commands.filter { $0 == "1 RSET" }.count == 49)
        #expect(commands.filter { $0.hasSuffix("EHLO") }.count == 1)
        #expect(commands.last == "1 QUIT")
        let last = try await parseWithPython(received[49].eml)
        #expect(last.subject == "Notice 49" && last.messageID == "<\(ids[49])>")
    }

    @Test("sends from concurrent tasks are serialised on one connection")
    func concurrentSends() async throws {
        let server = try await TestSMTPServer([])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(query: "starttls=never")))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for number in 0..<10 {
                group.addTask {
                    var message = try sampleMessage(html: nil)
                    message.subject = "Concurrent \(number)"
                    try await client.send(message)
                }
            }
            try await group.waitForAll()
        }
        await client.close()
        let received = try server.messages()
        #expect(received.count == 10)
        #expect(Set(received.map(\.sidecar.connection)) == [1])
    }

    @Test("a refused recipient is a permanent 550 and nothing is sent; the connection goes on")
    func refusedRecipient() async throws {
        let server = try await TestSMTPServer(["--reject-rcpt", "bob@example.org"])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(query: "starttls=never")))
        let error = await smtpError { try await client.send(try sampleMessage()) }
        #expect(error?.kind == .rejected(code: 550, text: "5.1.1 no such user here"))
        #expect(error?.isPermanent == true)
        #expect(error?.message.contains("bob@example.org") == true)
        #expect(try server.messages().isEmpty)
        #expect(try !server.commands().contains("1 DATA"))

        var message = try sampleMessage()
        message.to.removeLast()
        try await client.send(message)
        await client.close()
        #expect(try server.messages().map(\.sidecar.rcpt_tos) == [["alice@example.org"]])
        #expect(try server.messages().map(\.sidecar.connection) == [1])
    }

    @Test("451 is transient; sending again afterwards succeeds", arguments: ["mail", "data"])
    func temporaryFailure(stage: String) async throws {
        let server = try await TestSMTPServer(["--tempfail-first", "1", "--tempfail-at", stage])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(query: "starttls=never")))
        let message = try sampleMessage()
        let error = await smtpError { try await client.send(message) }
        #expect(error?.replyCode == 451)
        #expect(error?.isPermanent == false)
        #expect(try server.messages().isEmpty)
        try await client.send(message)
        await client.close()
        #expect(try server.messages().count == 1)
    }

    @Test("a server that never answers: a transient timeout within the configured second")
    func stalledServer() async throws {
        let server = try await TestSMTPServer(["--stall"])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(query: "starttls=never&timeout=1")))
        let clock = ContinuousClock()
        let start = clock.now
        let error = await smtpError { try await client.send(try sampleMessage()) }
        let elapsed = clock.now - start
        #expect(error?.kind == .connection)
        #expect(error?.isPermanent == false)
        #expect(error?.message.contains("within 1 s") == true, "\(String(describing: error))")
        // Not before the configured second; the upper bound only shows it does not hang (a
        // loaded machine running every suite at once can be slow to fire the timer).
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(30), "\(elapsed)")
        await client.close()
    }

    @Test("STARTTLS required but not offered: a configuration error, and no credentials sent")
    func startTLSRequiredNotOffered() async throws {
        let server = try await TestSMTPServer(["--auth", "user:secret", "--auth-without-tls"])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(userInfo: "user:secret", query: "starttls=required")))
        let error = await smtpError { try await client.send(try sampleMessage()) }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("does not offer STARTTLS") == true)
        #expect(try server.commands() == ["1 EHLO", "1 QUIT"])
        #expect(try server.messages().isEmpty)
    }

    @Test("STARTTLS if available, not offered, with credentials: refused rather than sent in clear")
    func noCredentialsInClear() async throws {
        let server = try await TestSMTPServer(["--auth", "user:secret", "--auth-without-tls"])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(userInfo: "user:secret", query: "")))
        let error = await smtpError { try await client.send(try sampleMessage()) }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("unencrypted") == true)
        #expect(try !server.commands().contains("1 AUTH"))

        // Chosen explicitly (a local relay), plain-text AUTH is allowed.
        let explicit = SMTPClient(configuration: try SMTPConfiguration(url: server.url(userInfo: "user:secret", query: "starttls=never")))
        try await explicit.send(try sampleMessage())
        await explicit.close()
        #expect(try server.messages().map(\.sidecar.auth_user) == ["user"])
    }

    @Test("a certificate the client does not trust fails the connection before any credentials")
    func untrustedCertificate() async throws {
        let server = try await TestSMTPServer(try await tlsFlags() + ["--auth", "user:secret"])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(userInfo: "user:secret", query: "starttls=required")))
        let error = await smtpError { try await client.send(try sampleMessage()) }
        #expect(error?.kind == .connection)
        #expect(error?.message.contains("TLS") == true, "\(String(describing: error))")
        #expect(try !server.commands().contains("1 AUTH"))
    }

    @Test("a missing CA file is a configuration error")
    func missingCAFile() async throws {
        let client = SMTPClient(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:9?ca=/nonexistent/ca.pem"))
        let error = await smtpError { try await client.send(try sampleMessage()) }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("/nonexistent/ca.pem") == true)
    }

    @Test("nothing listening: a transient connection error")
    func connectionRefused() async throws {
        // Start and stop a server to learn a port that is free now.
        let server = try await TestSMTPServer([])
        let port = server.port
        server.stop()
        let client = SMTPClient(configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(port)?starttls=never&timeout=2"))
        let error = await smtpError { try await client.send(try sampleMessage()) }
        #expect(error?.kind == .connection)
        #expect(error?.isPermanent == false)
    }

    @Test("a server that closes with 421 between messages: the client reconnects and resends once")
    func reconnectAfter421() async throws {
        let server = try await TestSMTPServer(["--close-after", "2"])
        defer { server.stop() }
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(query: "starttls=never")))
        for number in 0..<5 {
            var message = try sampleMessage(html: nil)
            message.subject = "Reconnect \(number)"
            try await client.send(message)
        }
        await client.close()
        let received = try server.messages()
        #expect(received.map(\.sidecar.connection) == [1, 1, 2, 2, 3])
        let subjects = try await received.asyncMap { try await parseWithPython($0.eml).subject }
        #expect(subjects == (0..<5).map { "Reconnect \($0)" })
    }

    @Test("a server that is not speaking SMTP properly is a protocol violation", arguments: [
        ("long-line", "longer than 4096 octets"),
        ("bare-lf", "bare LF"),
        ("mixed-codes", "mix codes 250 and 251"),
        ("starttls-injection", "unexpected reply 250 injected"),
        ("starttls-partial-injection", "data after its 220 reply to STARTTLS"),
    ])
    func hostileServer(mode: String, problem: String) async throws {
        let server = try await TestSMTPServer(["--hostile", mode])
        defer { server.stop() }
        let certificate = try await Self.certificate.value
        let client = SMTPClient(configuration: try SMTPConfiguration(url: server.url(query: "ca=\(certificate.certificate)&timeout=5")))
        let error = await smtpError { try await client.send(try sampleMessage()) }
        #expect(error?.kind == .protocolViolation, "\(String(describing: error))")
        #expect(error?.message.contains(problem) == true, "\(String(describing: error))")
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
