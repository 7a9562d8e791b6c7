import Agora
import AgoraStore
import Hummingbird

/// `/healthz` (the process answers) and `/readyz` (the database answers too).
struct HealthController {
    let health: HealthStore
    let readinessTimeout: Duration
    let drain: ShutdownDrain

    struct Status: ResponseEncodable {
        var status: String
    }

    func addRoutes(to routes: AccessControlledRoutes) {
        routes.get("/healthz", rule: .everyone) { _, _ in
            Status(status: "alive")
        }
        routes.get("/readyz", rule: .everyone) { _, _ in
            // A stopping server is not ready, whatever the database says: balancers move on.
            if drain.isDraining { throw Refusal.shuttingDown }
            try await health.checkReady(timeout: readinessTimeout)
            return Status(status: "ready")
        }
    }
}
