import Agora
import AgoraStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// Valid tokens this server has seen, so checking a token costs no database round trip once
/// seen. Revocations reach it through ``TokenRevocationListener`` within about a second; an
/// entry also expires after ``maximumAge`` (about a minute), so a notification that was
/// missed cannot keep a revoked token or a disabled account alive for long. Unknown tokens
/// are remembered too, briefly and in bounded number, so a flood of made-up tokens does not
/// cost a database query each.
public final class TokenCache: Sendable {
    struct Entry {
        var token: AuthenticatedToken
        var insertedAt: ContinuousClock.Instant
        var lastTouched: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Data: Entry] = [:]
        /// Hashes the database did not know, with when that was learnt.
        var unknown: [Data: ContinuousClock.Instant] = [:]
        /// Bumped by every removal, so a lookup that raced with a revocation does not put the
        /// revoked token back (see ``insert(_:hash:ifGeneration:)``).
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    /// A bound on memory: when full, the cache starts afresh.
    private let capacity: Int
    /// A bound on the memory of unknown tokens.
    private let unknownCapacity: Int
    /// How long a valid token is trusted without asking the database again.
    let maximumAge: Duration
    /// How long an unknown token is refused without asking the database again.
    let unknownAge: Duration

    /// Creates an empty cache.
    public init(capacity: Int = 100_000, unknownCapacity: Int = 10_000, maximumAge: Duration = .seconds(60), unknownAge: Duration = .seconds(10)) {
        self.capacity = capacity
        self.unknownCapacity = unknownCapacity
        self.maximumAge = maximumAge
        self.unknownAge = unknownAge
    }

    var generation: UInt64 { state.withLock { $0.generation } }

    /// The cached token, if it was learnt less than ``maximumAge`` ago.
    func lookup(_ hash: Data, now: ContinuousClock.Instant = .now) -> Entry? {
        state.withLock { state in
            guard let entry = state.entries[hash] else { return nil }
            guard now - entry.insertedAt < maximumAge else {
                state.entries[hash] = nil
                return nil
            }
            return entry
        }
    }

    func insert(_ token: AuthenticatedToken, hash: Data, ifGeneration generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll() }
            state.entries[hash] = Entry(token: token, insertedAt: .now, lastTouched: .now)
        }
    }

    /// Whether the database said recently that it does not know this token.
    func isKnownUnknown(_ hash: Data, now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            guard let learnt = state.unknown[hash] else { return false }
            guard now - learnt < unknownAge else {
                state.unknown[hash] = nil
                return false
            }
            return true
        }
    }

    /// Remembers that the database does not know this token (unknown, revoked, expired or of
    /// a disabled account).
    func rememberUnknown(_ hash: Data, ifGeneration generation: UInt64, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            // An account re-enabled meanwhile: its tokens are no longer unknown.
            guard state.generation == generation else { return }
            if state.unknown.count >= unknownCapacity { state.unknown.removeAll() }
            state.unknown[hash] = now
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

    /// Forgets every token of an account (disabled, re-enabled, or its roles changed), and
    /// what it knew of unknown tokens (a re-enabled account's tokens work again).
    public func remove(account: UUID) {
        state.withLock { state in
            state.entries = state.entries.filter { $0.value.token.actor.accountID != account }
            state.unknown.removeAll()
            state.generation &+= 1
        }
    }

    /// Forgets every token (revocations may have been missed).
    public func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.unknown.removeAll()
            state.generation &+= 1
        }
    }

    /// Applies a revocation announced by any server.
    public func apply(_ revocation: AccessStore.Revocation) {
        switch revocation {
        case .token(let hash): remove(hash: hash)
        case .account(let account): remove(account: account)
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
            throw Refusal.unauthenticated("The Authorization header must be `Bearer agora_…`.")
        }
        let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        // Refused without a database query: anything that is not shaped like a token we issue.
        guard TokenSecret.isWellFormed(secret) else {
            throw Refusal.unauthenticated("The token is not an Agora token.")
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
                throw Refusal.unauthenticated("The token has expired.")
            }
            if cache.shouldTouch(hash) {
                let store = store
                let id = entry.token.tokenID
                Task { try? await store.touchToken(id) }
            }
            return entry.token
        }
        guard !cache.isKnownUnknown(hash) else {
            throw Refusal.unauthenticated("The token is unknown, revoked or expired.")
        }
        let generation = cache.generation
        guard let token = try await store.authenticate(tokenHash: hash) else {
            cache.rememberUnknown(hash, ifGeneration: generation)
            throw Refusal.unauthenticated("The token is unknown, revoked or expired.")
        }
        try? await store.touchToken(token.tokenID)
        cache.insert(token, hash: hash, ifGeneration: generation)
        return token
    }
}

/// Drops revoked tokens from this server's cache as soon as any server revokes them, and
/// clears the cache after a lost connection (a revocation may have been missed meanwhile).
public struct TokenRevocationListener: Service {
    private let stores: Stores
    private let cache: TokenCache
    private let logger: Logger

    /// Listens with a connection of its own to the stores' database.
    public init(stores: Stores, cache: TokenCache, logger: Logger) {
        self.stores = stores
        self.cache = cache
        self.logger = logger
    }

    public func run() async throws {
        let events = stores.revocationEvents(logger: logger)
        let cache = cache
        await cancelWhenGracefulShutdown {
            for await event in events {
                switch event {
                case .listening:
                    // Revocations made before LISTEN took effect (or during a gap) were not
                    // heard: forget every cached token and check them again.
                    cache.removeAll()
                case .revoked(let revocation):
                    cache.apply(revocation)
                }
            }
        }
    }
}
