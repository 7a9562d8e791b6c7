/// Where and how to reach the SMTP server that relays Agora's mail.
public struct SMTPConfiguration: Sendable, Equatable {
    /// Whether the session upgrades to TLS with STARTTLS (RFC 3207).
    public enum Security: String, Sendable {
        /// Never send STARTTLS; credentials, if any, travel in clear (a deliberate choice for a local relay).
        case none
        /// Send STARTTLS when the server offers it, else go on unencrypted (but never send credentials then).
        case startTLSIfAvailable
        /// Fail unless the server offers STARTTLS and the upgrade succeeds.
        case startTLSRequired
    }

    /// The server's host name or IP address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The AUTH user name; `nil` for no authentication.
    public var username: String?
    /// The AUTH password (used only with a `username`).
    public var password: String?
    /// Whether STARTTLS is used.
    public var security: Security
    /// A PEM file of root certificates to trust instead of the system's (e.g. a test's self-signed one).
    public var trustRootsFile: String?
    /// The name this client gives in EHLO.
    public var heloName: String
    /// The longest wait for connecting and for each reply.
    public var timeout: Duration

    /// The port of `smtp://` URLs without one: the SMTP relay port.
    public static let defaultPort = 25
    /// The wait per connection attempt and per reply unless a URL says otherwise.
    public static let defaultTimeout = Duration.seconds(15)

    /// Creates a configuration from its parts.
    public init(
        host: String,
        port: Int = SMTPConfiguration.defaultPort,
        username: String? = nil,
        password: String? = nil,
        security: Security = .startTLSIfAvailable,
        trustRootsFile: String? = nil,
        heloName: String = "localhost",
        timeout: Duration = SMTPConfiguration.defaultTimeout
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.security = security
        self.trustRootsFile = trustRootsFile
        self.heloName = heloName
        self.timeout = timeout
    }

    /// Parses `smtp://user:pass@host:port?starttls=required&ca=/path&helo=name&timeout=seconds`.
    ///
    /// User and password are percent-decoded. `starttls` is `required`, `optional` (the default:
    /// use it if offered) or `never`. Throws ``SMTPError`` of kind `.configuration`, naming the
    /// problem, for a wrong scheme, a missing host, a bad port, a path or fragment, and an unknown,
    /// repeated or invalid query item.
    public init(url: String) throws {
        let schemeEnd = url.range(of: "://")
        guard let schemeEnd, url[..<schemeEnd.lowerBound].lowercased() == "smtp" else {
            let scheme = schemeEnd.map { String(url[..<$0.lowerBound]) } ?? ""
            throw SMTPError.configuration(
                scheme.isEmpty
                    ? "SMTP URL must start with smtp://"
                    : "SMTP URL scheme '\(scheme)' is not supported (use smtp://, with starttls=required for TLS)")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        guard !rest.contains("#") else { throw SMTPError.configuration("SMTP URL must not have a fragment") }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else {
                throw SMTPError.configuration("SMTP URL must not have a path ('\(rest[slash...])')")
            }
            rest = rest[..<slash]
        }
        self.init(host: "")
        try parseAuthority(rest)
        try parseQuery(query)
    }

    private mutating func parseAuthority(_ authority: Substring) throws {
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            let user: Substring
            if let colon = userInfo.firstIndex(of: ":") {
                user = userInfo[..<colon]
                password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], what: "password")
            } else {
                user = userInfo
            }
            guard !user.isEmpty else { throw SMTPError.configuration("SMTP URL has credentials without a user name") }
            username = try Self.percentDecoded(user, what: "user name")
        }
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw SMTPError.configuration("SMTP URL has an unclosed IPv6 address")
            }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw SMTPError.configuration("SMTP URL has junk after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty else { throw SMTPError.configuration("SMTP URL has no host") }
        guard host.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "%" }) else {
            throw SMTPError.configuration("SMTP URL host '\(host)' is not a valid host name")
        }
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy(\.isASCII), let value = Int(portText), (1...65535).contains(value) else {
                throw SMTPError.configuration("SMTP URL port '\(portText)' is not a number from 1 to 65535")
            }
            port = value
        }
    }

    private mutating func parseQuery(_ query: Substring) throws {
        var seen: Set<String> = []
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = item.firstIndex(of: "=") else {
                throw SMTPError.configuration("SMTP URL query item '\(item)' has no value")
            }
            let name = String(item[..<equals])
            let value = try Self.percentDecoded(item[item.index(after: equals)...], what: "query item \(name)")
            guard seen.insert(name).inserted else {
                throw SMTPError.configuration("SMTP URL query item '\(name)' is given twice")
            }
            try apply(queryItem: name, value: value)
        }
    }

    private mutating func apply(queryItem name: String, value: String) throws {
        switch name {
        case "starttls":
            switch value {
            case "required": security = .startTLSRequired
            case "optional": security = .startTLSIfAvailable
            case "never": security = .none
            default: throw SMTPError.configuration("SMTP URL starttls='\(value)' must be required, optional or never")
            }
        case "ca":
            guard !value.isEmpty else { throw SMTPError.configuration("SMTP URL ca= needs a file path") }
            trustRootsFile = value
        case "helo":
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw SMTPError.configuration("SMTP URL helo='\(value)' must be a non-empty name of printable ASCII")
            }
            heloName = value
        case "timeout":
            guard let seconds = Double(value), seconds.isFinite, seconds > 0, seconds <= 86_400 else {
                throw SMTPError.configuration("SMTP URL timeout='\(value)' must be a positive number of seconds")
            }
            timeout = .milliseconds(Int64((seconds * 1000).rounded()))
        default:
            throw SMTPError.configuration("SMTP URL query item '\(name)' is unknown (known: starttls, ca, helo, timeout)")
        }
    }

    /// Decodes `%XX` escapes as UTF-8; a malformed escape or invalid UTF-8 is a configuration error.
    static func percentDecoded(_ text: Substring, what: String) throws -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw SMTPError.configuration("SMTP URL \(what) has a malformed %-escape")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw SMTPError.configuration("SMTP URL \(what) is not UTF-8 once decoded")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
