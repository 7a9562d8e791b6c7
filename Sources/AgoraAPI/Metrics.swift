import AgoraStore
import Foundation
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
    let notices: NoticeStore

    func addRoutes(to routes: AccessControlledRoutes) {
        routes.get("/metrics", rule: .everyone) { _, _ in
            var text = AgoraMetrics.registry.emitToBuffer()
            // The outbox is shared by every scheduler: its gauges come from the database, so any
            // server tells the same. Without the database the rest is still served.
            if let outbox = try? await Self.outbox(notices) { text.append(contentsOf: outbox.utf8) }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text))
            )
        }
    }

    /// `agora_notices{state,channel}` and `agora_notice_oldest_due_seconds`, in Prometheus text.
    static func outbox(_ notices: NoticeStore) async throws -> String {
        let health = try await notices.health(now: Date())
        var lines = ["# HELP agora_notices Notices in the outbox by state and channel.", "# TYPE agora_notices gauge"]
        for entry in health.counts {
            lines.append("agora_notices{state=\"\(entry.state)\",channel=\"\(entry.channel)\"} \(entry.count)")
        }
        lines.append("# HELP agora_notice_oldest_due_seconds Age of the oldest notice due and not yet delivered.")
        lines.append("# TYPE agora_notice_oldest_due_seconds gauge")
        lines.append("agora_notice_oldest_due_seconds \(health.oldestDueAge)")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Query parameters whose values never reach the request log: credentials and personal data.
private let redactedQueryParameters: Set<String> = ["code", "address"]

/// Logs each request (method and path, at info) like Hummingbird's `LogRequestsMiddleware`,
/// but with the values of `code` and `address` query parameters replaced: unsubscribe links
/// carry their credential in the URL (RFC 8058 one-click), the secretariat looks opt-outs up
/// by e-mail address, and logs are read by more people than either is for.
struct RedactingRequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.logger.info("Request", metadata: [
            "hb.request.path": .string(Self.redacted(path: request.uri.path, query: request.uri.query)),
            "hb.request.method": .string(request.method.rawValue),
        ])
        return try await next(request, context)
    }

    static func redacted(path: String, query: String?) -> String {
        guard let query, !query.isEmpty else { return path }
        let items = query.split(separator: "&").map { item -> String in
            let name = item.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return redactedQueryParameters.contains(name.lowercased()) ? "\(name)=[redacted]" : String(item)
        }
        return path + "?" + items.joined(separator: "&")
    }
}
