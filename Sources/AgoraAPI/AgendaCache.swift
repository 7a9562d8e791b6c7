import Agora
import AgoraStore
import CompressNIO
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Encoded agenda representations, kept in memory per forum, version, format and filter.
///
/// A published version never changes, so a representation of version n stays right for good;
/// only which version is the latest changes. That pointer is what a publish invalidates, on
/// every server, through LISTEN/NOTIFY (``AgendaPublishListener``). Only unfiltered
/// representations are kept (a bounded set per version); a filtered answer is rendered from the
/// version kept in memory, so filters chosen by callers neither grow the cache nor flush it.
public final class AgendaCache: Sendable {
    /// One cached representation: its bytes, its gzip form once a client asked for it, its ETag.
    struct Entry: Sendable {
        var body: ByteBuffer
        var gzip: ByteBuffer?
        var etag: String
        var contentType: String
    }

    struct Key: Hashable, Sendable {
        var forum: UUID
        var version: Int
        var representation: String
    }

    private struct State {
        /// The latest published version of each forum seen (0: none yet).
        var latest: [UUID: Int] = [:]
        /// Bumped by every invalidation, so a lookup that raced one does not store a stale latest.
        var epoch: UInt64 = 0
        var entries: [Key: Entry] = [:]
        /// Published versions as read, for filtered answers, which are built from them but not kept.
        var agendas: [Key: Agenda] = [:]
    }

    private let state = Mutex(State())
    private let capacity: Int

    /// A cache of at most `capacity` representations (0: none, every read builds; for benchmarks).
    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The latest version known for `forum`, and the epoch to remember a looked-up one with.
    func latest(of forum: UUID) -> (version: Int?, epoch: UInt64) {
        state.withLock { ($0.latest[forum], $0.epoch) }
    }

    /// Remembers `version` as `forum`'s latest, unless an invalidation came since `epoch`.
    func remember(latest version: Int, of forum: UUID, since epoch: UInt64) {
        state.withLock { state in
            guard state.epoch == epoch else { return }
            state.latest[forum] = version
        }
    }

    /// A published version read before (its key's representation is empty).
    func agenda(forum: UUID, version: Int) -> Agenda? {
        state.withLock { $0.agendas[Key(forum: forum, version: version, representation: "")] }
    }

    func store(_ agenda: Agenda, forum: UUID, version: Int) {
        guard capacity > 0 else { return }
        state.withLock { state in
            if state.agendas.count >= max(1, capacity / 16) { state.agendas.removeAll(keepingCapacity: true) }
            state.agendas[Key(forum: forum, version: version, representation: "")] = agenda
        }
    }

    func entry(_ key: Key) -> Entry? {
        state.withLock { $0.entries[key] }
    }

    func store(_ entry: Entry, for key: Key) {
        guard capacity > 0 else { return }
        state.withLock { state in
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = entry
        }
    }

    /// The gzip form of a cached entry, compressed once and kept.
    func gzip(_ key: Key, _ entry: Entry) throws -> ByteBuffer {
        if let gzip = entry.gzip { return gzip }
        var body = entry.body
        let compressed = try body.compress(with: .gzip())
        state.withLock { state in
            if state.entries[key]?.etag == entry.etag { state.entries[key]?.gzip = compressed }
        }
        return compressed
    }

    /// A version of `forum` was published: its latest is looked up again.
    public func published(forum: UUID) {
        state.withLock { state in
            state.latest[forum] = nil
            state.epoch &+= 1
        }
    }

    /// Forgets which versions are latest (after a gap in listening, when publishes may have been missed).
    public func forgetLatest() {
        state.withLock { state in
            state.latest.removeAll()
            state.epoch &+= 1
        }
    }
}

/// Keeps every server's ``AgendaCache`` in step with publishes made by any server.
public struct AgendaPublishListener: Service {
    private let stores: Stores
    private let cache: AgendaCache
    private let logger: Logger

    /// Listens with a connection of its own to the stores' database.
    public init(stores: Stores, cache: AgendaCache, logger: Logger) {
        self.stores = stores
        self.cache = cache
        self.logger = logger
    }

    public func run() async throws {
        let events = stores.agendaEvents(logger: logger)
        let cache = cache
        await cancelWhenGracefulShutdown {
            for await event in events {
                switch event {
                case .listening:
                    // Publishes made before LISTEN took effect (or during a gap) were not heard.
                    cache.forgetLatest()
                case .published(let forum, _):
                    cache.published(forum: forum)
                }
            }
        }
    }
}
