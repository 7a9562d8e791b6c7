import AgoraAPI
import AgoraStore
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresClient
import ServiceLifecycle
import Testing
import TestSupport

@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    @Test func inFlightRequestsFinishBeforeConnectionsClose() async throws {
        AgoraMetrics.bootstrap()
        let url = try await TestDatabase.shared.createMigratedDatabase("shutdown")
        let pool = PostgresConnectionPool(configuration: .init(connectionString: url, maximumConnections: 2), logger: TestDatabase.logger)
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)

        let router = buildRoutes(configuration: AppConfiguration(port: 0), stores: Stores(pool: pool), tokenCache: TokenCache()).router
        router.get("/probe/slow") { _, _ in
            startedContinuation.yield()
            try await pool.query("SELECT pg_sleep(0.3)")
            return "finished"
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: TestDatabase.logger
        )
        // The same order as `agora serve`: the pool first, so it stops last.
        let group = ServiceGroup(configuration: .init(services: [pool, app], logger: TestDatabase.logger))
        let running = Task { try await group.run() }

        var portIterator = ports.makeAsyncIterator()
        let port = try #require(await portIterator.next())
        let client = TestClient(host: "127.0.0.1", port: port)
        client.connect()
        async let response = client.get("/probe/slow")
        var startedIterator = started.makeAsyncIterator()
        _ = await startedIterator.next()

        await group.triggerGracefulShutdown()
        let answer = try await response
        #expect(answer.status == .ok)
        #expect(answer.body.map { String(buffer: $0) } == "finished")
        try await running.value
        #expect(pool.statistics.connections == 0)
        try await client.shutdown()
    }
}
