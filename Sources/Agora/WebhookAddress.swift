import Foundation

/// Where a webhook may be sent. A URL whose host resolves to a loopback, private, link-local,
/// shared, multicast or otherwise special address is refused (server-side request forgery: a
/// subscriber must not make Agora call into its own network), unless the operator allows it
/// (`AGORA_WEBHOOK_ALLOW`: comma-separated CIDR blocks or host names, e.g. `127.0.0.0/8,::1`).
public struct WebhookAddressPolicy: Sendable, Equatable {
    /// Blocks the operator allows despite being special.
    public var allowedBlocks: [IPBlock]
    /// Host names the operator allows, whatever they resolve to (lower-cased).
    public var allowedHosts: Set<String>

    /// Nothing special allowed.
    public static let strict = WebhookAddressPolicy(allowedBlocks: [], allowedHosts: [])

    public init(allowedBlocks: [IPBlock], allowedHosts: Set<String>) {
        self.allowedBlocks = allowedBlocks
        self.allowedHosts = allowedHosts
    }

    /// Reads `AGORA_WEBHOOK_ALLOW`'s value; throws naming the first item it cannot read.
    public init(allowList: String) throws(WebhookAddressError) {
        var blocks: [IPBlock] = []
        var hosts: Set<String> = []
        for item in allowList.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            if let block = IPBlock(item) { blocks.append(block) }
            else if item.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) { hosts.insert(item.lowercased()) }
            else { throw .unreadableAllowList(item) }
        }
        self.init(allowedBlocks: blocks, allowedHosts: hosts)
    }

    /// The URL's parts a webhook needs, or why it cannot be one: http or https, a host, no
    /// user information, at most 2,000 characters.
    public static func parse(_ text: String) throws(WebhookAddressError) -> (url: URL, host: String, port: Int) {
        guard text.count <= 2000, let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let url = components.url else { throw .notHTTP }
        guard components.user == nil, components.password == nil else { throw .credentialsInURL }
        guard var host = components.host, !host.isEmpty else { throw .noHost }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (url, host.lowercased(), components.port ?? (scheme == "https" ? 443 : 80))
    }

    /// Whether every address `host` resolved to may be called.
    public func check(host: String, addresses: [IPAddress]) throws(WebhookAddressError) {
        if allowedHosts.contains(host.lowercased()) { return }
        guard !addresses.isEmpty else { throw .unresolvable(host) }
        for address in addresses where address.isSpecial && !allowedBlocks.contains(where: { $0.contains(address) }) {
            throw .specialAddress(host: host, address: address.description)
        }
    }
}

/// Why a webhook URL is refused.
public enum WebhookAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    case notHTTP, credentialsInURL, noHost
    case unresolvable(String)
    case specialAddress(host: String, address: String)
    case unreadableAllowList(String)

    public var description: String {
        switch self {
        case .notHTTP: "must be an http or https URL of at most 2000 characters"
        case .credentialsInURL: "must not carry a user name or password"
        case .noHost: "must name a host"
        case .unresolvable(let host): "names a host that does not resolve (\(host))"
        case .specialAddress(let host, let address):
            "resolves to a private, loopback, link-local or reserved address (\(host) → \(address)), which webhooks may not call"
        case .unreadableAllowList(let item): "AGORA_WEBHOOK_ALLOW: cannot read \"\(item)\" as a CIDR block or a host name"
        }
    }
}

/// An IPv4 or IPv6 address, as 4 or 16 bytes.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted IPv4 or textual IPv6.
    public init?(_ text: String) {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d); the deprecated
    /// IPv4-compatible form (::a.b.c.d) is refused whole, as ::/96 is special.
    var embeddedIPv4: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }) else { return nil }
        if bytes[10] == 0xFF, bytes[11] == 0xFF { return IPAddress(bytes: Array(bytes[12...])) }
        return nil
    }

    /// Not a public unicast address: what a webhook must not reach.
    public var isSpecial: Bool {
        if let v4 = embeddedIPv4 { return v4.isSpecial }
        return Self.specialBlocks.contains { $0.contains(self) }
    }

    /// RFC 6890's special-purpose blocks, and the rest that is not public unicast.
    static let specialBlocks: [IPBlock] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4",
        "::/96", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    ].compactMap(IPBlock.init)
}

/// A CIDR block such as `10.0.0.0/8` or `fe80::/10` (a bare address is a block of one).
public struct IPBlock: Sendable, Hashable {
    public let base: IPAddress
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let base = IPAddress(parts[0]) else { return nil }
        let bits = base.bytes.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
            self.prefix = prefix
        } else {
            self.prefix = bits
        }
        self.base = base
    }

    /// Whether `address` is in the block (an IPv4-mapped IPv6 address counts as its IPv4 one).
    public func contains(_ address: IPAddress) -> Bool {
        let address = (base.bytes.count == 4 ? address.embeddedIPv4 : nil) ?? address
        guard address.bytes.count == base.bytes.count else { return false }
        var remaining = prefix
        for (a, b) in zip(address.bytes, base.bytes) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if a & mask != b & mask { return false }
            remaining -= 8
        }
        return true
    }
}

/// Host name resolution for webhook checks. getaddrinfo blocks: callers run it on a pool for
/// blocking work (NIO's `NIOThreadPool`), never on an event loop or Swift's cooperative threads.
public enum HostResolver {
    /// Every address `host` resolves to (an address literal resolves to itself); empty when none.
    public static func addresses(of host: String) -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let sockaddr = entry.pointee.ai_addr {
                switch Int32(sockaddr.pointee.sa_family) {
                case AF_INET:
                    sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var address = pointer.pointee.sin_addr
                        if let ip = IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }) { addresses.append(ip) }
                    }
                case AF_INET6:
                    sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var address = pointer.pointee.sin6_addr
                        if let ip = IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }) { addresses.append(ip) }
                    }
                default:
                    break
                }
            }
            cursor = entry.pointee.ai_next
        }
        return Array(Set(addresses))
    }
}
