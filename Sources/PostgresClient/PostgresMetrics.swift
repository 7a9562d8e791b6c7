import Metrics
import Synchronization

/// The client's metrics, reported through swift-metrics (Prometheus in the server).
final class PostgresMetrics: Sendable {
    /// Statements sent.
    let queries = Counter(label: "postgres_queries_total")
    /// Connections the pool holds (idle, leased or being opened).
    let poolSize = Gauge(label: "postgres_pool_connections")
    /// Connections leased to tasks.
    let poolInUse = Gauge(label: "postgres_pool_connections_in_use")
    /// Tasks waiting for a connection.
    let poolWaiters = Gauge(label: "postgres_pool_waiters")

    private let errors = Mutex<[PostgresError.Code: Counter]>([:])

    func recordError(_ code: PostgresError.Code) {
        let counter = errors.withLock { counters in
            if let counter = counters[code] { return counter }
            let counter = Counter(label: "postgres_query_errors_total", dimensions: [("code", code.name)])
            counters[code] = counter
            return counter
        }
        counter.increment()
    }

    func record(_ statistics: PostgresPoolStatistics) {
        poolSize.record(statistics.connections)
        poolInUse.record(statistics.leased)
        poolWaiters.record(statistics.waiters)
    }
}
