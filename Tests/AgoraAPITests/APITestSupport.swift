import AgoraAPI
import AgoraStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresClient
import TestSupport

/// Runs `test` against the real application on a loopback port, backed by a fresh migrated
/// database.
func withApp(
    configuration: AppConfiguration = AppConfiguration(port: 0),
    cache: TokenCache = TokenCache(),
    statementTimeout: Duration? = nil,
    _ test: @Sendable (any TestClientProtocol, PostgresConnectionPool, String) async throws -> Void
) async throws {
    AgoraMetrics.bootstrap()
    let url = try await TestDatabase.shared.createMigratedDatabase("api")
    // Up to 5 s to get a connection (the library's default): two schedulers' rounds sharing 4
    // connections outwaited 1 s once on the loaded CI machine.
    let pool = PostgresConnectionPool(
        configuration: .init(connectionString: url, maximumConnections: 4, acquireTimeout: .seconds(5), statementTimeout: statementTimeout),
        logger: TestDatabase.logger
    )
    let app = buildApplication(configuration: configuration, stores: Stores(pool: pool), logger: TestDatabase.logger, tokenCache: cache)
    do {
        try await app.test(.live) { client in try await test(client, pool, url) }
    } catch {
        await pool.close()
        throw error
    }
    await pool.close()
}

/// Decodes a problem+json body.
func problem(_ body: ByteBuffer) throws -> ProblemBody {
    try JSONDecoder().decode(ProblemBody.self, from: Data(buffer: body))
}

struct ProblemBody: Decodable {
    var type: String
    var title: String
    var status: Int
    var detail: String?
    var instance: String?
    var errors: [FieldError]?
    var allowed: [String]?

    struct FieldError: Decodable {
        var field: String
        var message: String
    }
}
