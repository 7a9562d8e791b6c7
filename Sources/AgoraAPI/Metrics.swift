import Hummingbird
import Metrics
import Prometheus

/// The process's metrics registry, exposed at `GET /metrics` in Prometheus text format.
public enum AgoraMetrics {
    /// The registry every swift-metrics metric of the process ends up in.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Installs the Prometheus backend (once per process). Call it before creating anything
    /// that records metrics (the connection pool), or those metrics go nowhere.
    public static func bootstrap() {
        _ = registry
    }
}

struct MetricsController {
    func addRoutes(to routes: AccessControlledRoutes) {
        routes.get("/metrics", rule: .everyone) { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: AgoraMetrics.registry.emitToBuffer()))
            )
        }
    }
}
