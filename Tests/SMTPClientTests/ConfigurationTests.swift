import SMTPClient
import Testing

@Suite("SMTP configuration URLs") struct ConfigurationTests {
    @Test("every part of a full URL is read, user and password percent-decoded")
    func fullURL() throws {
        let configuration = try SMTPConfiguration(
            url: "smtp://notices%40agora:p%3Ass%20w%C3%A9@mail.example.org:587?starttls=required&ca=/etc/agora/ca.pem&helo=agora.example&timeout=2.5")
        #expect(configuration.username == "notices@agora")
        #expect(configuration.password == "p:ss wé")
        #expect(configuration.host == "mail.example.org")
        #expect(configuration.port == 587)
        #expect(configuration.security == .startTLSRequired)
        #expect(configuration.trustRootsFile == "/etc/agora/ca.pem")
        #expect(configuration.heloName == "agora.example")
        #expect(configuration.timeout == .milliseconds(2500))
    }

    @Test("a bare URL takes the defaults: port 25, STARTTLS if available, helo localhost, 15 s")
    func defaults() throws {
        let configuration = try SMTPConfiguration(url: "smtp://relay.example.org/")
        #expect(configuration == SMTPConfiguration(host: "relay.example.org"))
        #expect(configuration.port == 25)
        #expect(configuration.security == .startTLSIfAvailable)
        #expect(configuration.heloName == "localhost")
        #expect(configuration.timeout == .seconds(15))
        #expect(configuration.username == nil && configuration.password == nil && configuration.trustRootsFile == nil)
    }

    @Test("starttls takes required, optional and never; IPv6 hosts are bracketed; a user needs no password")
    func variants() throws {
        #expect(try SMTPConfiguration(url: "smtp://h?starttls=never").security == .none)
        #expect(try SMTPConfiguration(url: "smtp://h?starttls=optional").security == .startTLSIfAvailable)
        let v6 = try SMTPConfiguration(url: "SMTP://[::1]:2525")
        #expect(v6.host == "::1" && v6.port == 2525)
        let user = try SMTPConfiguration(url: "smtp://agora@h")
        #expect(user.username == "agora" && user.password == nil)
    }

    @Test("anything else is a configuration error naming the problem", arguments: [
        ("http://relay", "scheme 'http'"),
        ("smtps://relay", "scheme 'smtps'"),
        ("relay:25", "must start with smtp://"),
        ("smtp://", "no host"),
        ("smtp://:25", "no host"),
        ("smtp://user:pw@", "no host"),
        ("smtp://relay:0", "port '0'"),
        ("smtp://relay:65536", "port '65536'"),
        ("smtp://relay:2x5", "port '2x5'"),
        ("smtp://relay:", "port ''"),
        ("smtp://relay/mail", "path"),
        ("smtp://relay#top", "fragment"),
        ("smtp://[::1", "IPv6"),
        ("smtp://:pw@relay", "without a user name"),
        ("smtp://u:%zz@relay", "malformed %-escape"),
        ("smtp://relay?starttls=maybe", "starttls='maybe'"),
        ("smtp://relay?starttls", "has no value"),
        ("smtp://relay?tls=required", "'tls' is unknown"),
        ("smtp://relay?timeout=0", "timeout='0'"),
        ("smtp://relay?timeout=soon", "timeout='soon'"),
        ("smtp://relay?ca=", "ca= needs a file path"),
        ("smtp://relay?helo=a%20b", "helo='a b'"),
        ("smtp://relay?starttls=never&starttls=required", "given twice"),
    ])
    func rejected(url: String, problem: String) {
        do {
            _ = try SMTPConfiguration(url: url)
            Issue.record("\(url) was accepted")
        } catch let error as SMTPError {
            #expect(error.kind == .configuration)
            #expect(error.isPermanent)
            #expect(error.message.contains(problem), "\(url): \(error.message)")
        } catch {
            Issue.record("\(url): unexpected \(error)")
        }
    }
}
