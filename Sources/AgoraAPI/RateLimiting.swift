import Agora
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// How many requests one caller may make: `perSecond` on average, with bursts of up to
/// `burst` at once.
public struct RateLimit: Sendable, Equatable {
    /// The sustained rate.
    public var perSecond: Double
    /// How many requests may come at once after a quiet spell.
    public var burst: Int

    /// Creates a limit; `burst` defaults to ten seconds' worth of requests.
    public init(perSecond: Double, burst: Int? = nil) {
        self.perSecond = perSecond
        self.burst = max(1, burst ?? Int((perSecond * 10).rounded(.up)))
    }

    /// The rates a setting may name: from one request in 1,000 seconds to a million a second
    /// (beyond either, the arithmetic of waits and bursts would leave its range).
    public static let settableRates: ClosedRange<Double> = 0.001...1_000_000
    /// The largest burst a setting may name.
    public static let largestBurst = 10_000_000

    /// Reads `RATE` or `RATE/BURST` (`20`, `20/200`); `0` means no limit (nil).
    public static func parse(_ text: String) -> RateLimit?? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count), let rate = Double(parts[0]), rate.isFinite else { return .none }
        if rate == 0 { return .some(nil) }
        guard settableRates.contains(rate) else { return .none }
        guard parts.count == 2 else { return .some(RateLimit(perSecond: rate)) }
        guard let burst = Int(parts[1]), (1...largestBurst).contains(burst) else { return .none }
        return .some(RateLimit(perSecond: rate, burst: burst))
    }
}

/// Counts requests per caller with the generic cell rate algorithm: one instant per key
/// (when the caller's bucket is empty again), so a key costs a few bytes and a check is one
/// dictionary look-up under a lock. Each server counts on its own: behind a load balancer
/// spreading over N servers, a caller gets up to N times the limit.
public final class RateLimiter: Sendable {
    private struct State {
        /// For each key, the instant (seconds on the limiter's clock) its bucket is empty.
        var emptyAt: [String: Double] = [:]
        var checksSinceSweep = 0
    }

    private let state = Mutex(State())
    /// A bound on memory: beyond it, keys whose buckets are empty are forgotten first.
    private let capacity: Int
    private let start = ContinuousClock.now

    /// Creates a limiter remembering at most `capacity` callers.
    public init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    /// Seconds since the limiter was made: the clock every decision is taken on.
    func now() -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// Takes one request from `key`'s bucket. Returns nil if the request may go on, else how
    /// many seconds to wait before the next one will be accepted.
    public func take(_ key: String, limit: RateLimit, at now: Double? = nil) -> Double? {
        let now = now ?? self.now()
        return state.withLock { state in
            state.checksSinceSweep += 1
            if state.emptyAt.count >= capacity || state.checksSinceSweep >= 10_000 { Self.sweep(&state, now: now, capacity: capacity) }
            let (next, wait) = Self.verdict(emptyAt: state.emptyAt[key], now: now, limit: limit)
            if wait == nil { state.emptyAt[key] = next }
            return wait
        }
    }

    /// Whether `key`'s bucket would refuse a request now, without taking one.
    public func isExhausted(_ key: String, limit: RateLimit, at now: Double? = nil) -> Double? {
        let now = now ?? self.now()
        return state.withLock { Self.verdict(emptyAt: $0.emptyAt[key], now: now, limit: limit).wait }
    }

    /// When the bucket would be empty after one more request, and how long to wait if that
    /// is beyond the burst (nil: the request may go on).
    private static func verdict(emptyAt: Double?, now: Double, limit: RateLimit) -> (next: Double, wait: Double?) {
        let interval = 1 / limit.perSecond
        let tolerance = interval * Double(limit.burst)
        let next = max(emptyAt ?? now, now) + interval
        return (next, next - now <= tolerance ? nil : next - tolerance - now)
    }

    /// How many callers are remembered.
    var count: Int { state.withLock { $0.emptyAt.count } }

    /// Forgets callers whose buckets are full again (they would start afresh anyway). If the
    /// limiter is still full — more distinct callers than it may remember, all active — it
    /// starts afresh, so a flood of addresses costs bounded memory rather than refusals.
    private static func sweep(_ state: inout State, now: Double, capacity: Int) {
        state.checksSinceSweep = 0
        state.emptyAt = state.emptyAt.filter { $0.value > now }
        if state.emptyAt.count >= capacity { state.emptyAt.removeAll(keepingCapacity: true) }
    }
}

/// A request refused by a rate limit: 429 `rate-limited`, with `Retry-After`.
struct RateLimited: Error {
    /// Whole seconds until a request will be accepted (at least 1).
    var retryAfter: Int
    var refusal: Refusal

    init(waiting seconds: Double, who: String) {
        // At most a day, so an extreme limit cannot overflow the conversion.
        retryAfter = seconds.isFinite ? Int(min(86_400, max(1, seconds.rounded(.up)))) : 86_400
        refusal = Refusal(.rateLimited, "Too many requests from \(who); try again in \(retryAfter) s.")
    }
}

/// Which load balancers may say who the client is (`X-Forwarded-For`), and the client's
/// address seen through them.
public struct TrustedProxies: Sendable, Equatable {
    struct Network: Sendable, Equatable {
        var bytes: [UInt8]
        var prefixLength: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var remaining = prefixLength
            for (a, b) in zip(address, bytes) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if a & mask != b & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    var networks: [Network]

    /// None: `X-Forwarded-For` is ignored and the peer's address is the client's.
    public static let none = TrustedProxies(networks: [])

    private init(networks: [Network]) { self.networks = networks }

    /// Reads a comma-separated list of addresses and CIDR networks (`127.0.0.1, 10.0.0.0/8, ::1`).
    public init(list: String) throws {
        var networks: [Network] = []
        for item in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = Self.bytes(parts[0]) else { throw ConfigurationError("\(item) is not an IP address or a CIDR network") }
            // An IPv4-mapped entry (`::ffff:10.0.0.0/104`) is its IPv4 network: its prefix
            // counts the 96 bits of the mapping.
            let mapped = bytes.count == 4 && parts[0].contains(":")
            var length = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            if mapped, parts.count == 2 { length = length.flatMap { $0 >= 96 ? $0 - 96 : nil } }
            guard let length, (0...bytes.count * 8).contains(length) else { throw ConfigurationError("\(item) has an invalid prefix length") }
            networks.append(Network(bytes: bytes, prefixLength: length))
        }
        self.networks = networks
    }

    /// The address's bytes (4 or 16), or nil if it is not a literal IP address. An
    /// IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack listener sees of an
    /// IPv4 peer) is its IPv4 address: it matches IPv4 proxies and is counted on its own,
    /// not in one /64 with every other IPv4 client.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes.prefix(10).allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff { return Array(bytes.suffix(4)) }
        return bytes
    }

    func isTrusted(_ bytes: [UInt8]) -> Bool { networks.contains { $0.contains(bytes) } }

    /// Whether the peer is a trusted proxy, whose `X-Request-ID` may be kept.
    func trusts(peer: SocketAddress?) -> Bool {
        guard let text = peer?.ipAddress, let bytes = Self.bytes(text) else { return false }
        return isTrusted(bytes)
    }

    /// The client's address: the peer's, or — when the peer is a trusted proxy — the
    /// right-most address of `X-Forwarded-For` that is not itself a trusted proxy (the
    /// left-most entries are whatever the client wrote, so they are never believed).
    /// An IPv6 client is counted by its /64, which is what one subscriber usually holds.
    func client(peer: SocketAddress?, forwardedFor: [String]) -> String {
        guard let peerText = peer?.ipAddress, var bytes = Self.bytes(peerText) else { return "unknown" }
        if isTrusted(bytes) {
            let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            for hop in hops.reversed() {
                guard let hopBytes = Self.bytes(hop) else { break }
                bytes = hopBytes
                if !isTrusted(hopBytes) { break }
            }
        }
        if bytes.count == 16 {
            return bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        }
        return bytes.map(String.init).joined(separator: ".")
    }
}

/// An invalid setting, named in the message.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension HTTPField.Name {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}

/// Limits anonymous callers per address (on by default), and callers presenting a token
/// that turns out unknown the same way, so neither reading in a loop nor guessing tokens
/// can take the server from everyone else. Runs before authentication: a request with a
/// valid token is counted afterwards, per account, by ``AccountRateLimitMiddleware``.
struct AddressRateLimitMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    let limiter: RateLimiter
    let anonymous: RateLimit?
    let trustedProxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let anonymous else { return try await next(request, context) }
        // Worked out here, only when a limit applies: nothing else needs the client's address.
        let address = trustedProxies.client(peer: context.peer, forwardedFor: request.headers[values: .forwardedFor])
        guard request.headers[.authorization] != nil else {
            if let wait = limiter.take("address " + address, limit: anonymous) {
                throw RateLimited(waiting: wait, who: "this address")
            }
            return try await next(request, context)
        }
        // A valid token is not held back by its neighbours' anonymous reading; only failed
        // authentications from the address count here.
        let failures = "failed authentication " + address
        if let wait = limiter.isExhausted(failures, limit: anonymous) {
            throw RateLimited(waiting: wait, who: "this address")
        }
        do {
            return try await next(request, context)
        } catch let refusal as Refusal where refusal.code == .unauthenticated {
            _ = limiter.take(failures, limit: anonymous)
            throw refusal
        }
    }
}

/// Limits each account (all its tokens together, so making more tokens gains nothing);
/// off unless configured.
struct AccountRateLimitMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    let limiter: RateLimiter
    let perAccount: RateLimit?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let perAccount, let account = context.actor.accountID,
           let wait = limiter.take("account " + account.uuidString, limit: perAccount) {
            throw RateLimited(waiting: wait, who: "this account")
        }
        return try await next(request, context)
    }
}
