import Logging
import Synchronization

/// A log handler that keeps what it is given, so a test can look at it.
public struct RecordingLogHandler: LogHandler {
    /// Where the messages go.
    public final class Store: Sendable {
        let messages = Mutex<[(Logger.Level, String)]>([])
        /// Every message so far, with its level and metadata rendered after it.
        public var all: [(Logger.Level, String)] { messages.withLock { $0 } }
        public init() {}
    }
    let store: Store
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    /// A handler writing into `store`.
    public init(store: Store) { self.store = store }

    /// A logger whose messages land in `store`.
    public static func logger(into store: Store) -> Logger {
        Logger(label: "recording") { _ in RecordingLogHandler(store: store) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let metadata = (event.metadata ?? [:]).merging(self.metadata) { event, _ in event }
        let rendered = metadata.isEmpty ? "" : " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        store.messages.withLock { $0.append((event.level, event.message.description + rendered)) }
    }
}
