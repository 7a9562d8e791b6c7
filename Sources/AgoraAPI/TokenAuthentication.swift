import Agora
import AgoraStore
import Foundation
import Hummingbird
import Logging
import PostgresClient
import ServiceLifecycle
import Synchronization

/// Valid tokens this server has seen, so checking a token costs no database round trip once
/// seen. Revocations reach it through ``TokenRevocationListener`` within about a second.
public final class TokenCache: Sendable {
    struct Entry {
        var token: AuthenticatedToken
        var lastTouched: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Data: Entry] = [:]
        /// Bumped by every removal, so a lookup that raced with a revocation does not put the
        /// revoked token back (see ``insert(_:hash:ifGeneration:)``).
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    /// A bound on memory: when full, the cache starts afresh.
    private let capacity: Int

    /// Creates an empty cache.
    public init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    var generation: UInt64 { state.withLock { $0.generation } }

    func lookup(_ hash: Data) -> Entry? {
        state.withLock { $0.entries[hash] }
    }

    func insert(_ token: AuthenticatedToken, hash: Data, ifGeneration generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll() }
            state.entries[hash] = Entry(token: token, lastTouched: .now)
        }
    }

    /// Marks the entry used now; returns true when its last-used time should be written
    /// (at most once a minute per token).
    func shouldTouch(_ hash: Data, now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            guard let entry = state.entries[hash], now - entry.lastTouched > .seconds(60) else { return false }
            state.entries[hash]?.lastTouched = now
            return true
        }
    }

    /// Forgets one token (revoked).
    public func remove(hash: Data) {
        state.withLock { state in
            state.entries[hash] = nil
            state.generation &+= 1
        }
    }

    /// Forgets every token (revocations may have been missed).
    public func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.generation &+= 1
        }
    }
}

/// Reads `Authorization: Bearer agora_…` and sets the request's ``Actor``. No header: the
/// caller is anonymous. A header with an unknown, revoked or expired token: 401, whatever
/// the route, so a client never mistakes a dead token for anonymous access.
struct TokenAuthenticationMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    let store: AccessStore
    let cache: TokenCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            return try await next(request, context)
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Problem.unauthenticated("The Authorization header must be `Bearer agora_…`.")
        }
        let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard secret.hasPrefix(TokenSecret.prefix) else {
            throw Problem.unauthenticated("The token is not an Agora token.")
        }
        var context = context
        context.actor = try await authenticate(secret).actor
        return try await next(request, context)
    }

    private func authenticate(_ secret: String) async throws -> AuthenticatedToken {
        let hash = TokenSecret.hash(secret)
        if let entry = cache.lookup(hash) {
            if let expiry = entry.token.expiresAt, expiry <= Date() {
                cache.remove(hash: hash)
                throw Problem.unauthenticated("The token has expired.")
            }
            if cache.shouldTouch(hash) {
                let store = store
                let id = entry.token.tokenID
                Task { try? await store.touchToken(id) }
            }
            return entry.token
        }
        let generation = cache.generation
        guard let token = try await store.authenticate(tokenHash: hash) else {
            throw Problem.unauthenticated("The token is unknown, revoked or expired.")
        }
        try? await store.touchToken(token.tokenID)
        cache.insert(token, hash: hash, ifGeneration: generation)
        return token
    }
}

/// Drops revoked tokens from this server's cache as soon as any server revokes them, and
/// clears the cache after a lost connection (a revocation may have been missed meanwhile).
public struct TokenRevocationListener: Service {
    private let listener: PostgresListener
    private let cache: TokenCache
    private let logger: Logger

    /// Listens with its own connection to `database`.
    public init(database: PostgresConfiguration, cache: TokenCache, logger: Logger) {
        self.listener = PostgresListener(configuration: database, channels: [AccessStore.revocationChannel], logger: logger)
        self.cache = cache
        self.logger = logger
    }

    public func run() async throws {
        let listener = listener
        let cache = cache
        await cancelWhenGracefulShutdown {
            for await event in listener.events() {
                switch event {
                case .listening:
                    // Revocations made before LISTEN took effect (or during a gap) were not
                    // heard: forget every cached token and check them again.
                    cache.removeAll()
                case .notification(let notification):
                    guard let hash = Data(hexString: notification.payload) else { continue }
                    cache.remove(hash: hash)
                }
            }
        }
    }
}

extension Data {
    init?(hexString: String) {
        guard hexString.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(hexString.count / 2)
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2)
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
