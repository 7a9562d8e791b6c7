// swift-tools-version: 6.0
import PackageDescription

/// Agora: multi-stakeholder forums and public hearings, a Swift server over PostgreSQL.
///
/// Imports flow one way: CLibPQ ← PostgresClient ← AgoraStore → Agora ← AgoraAPI, AgoraScheduler, AgoraDemo ← agora.
/// AgoraAPI never imports PostgresClient: the stores turn database errors into refusals.
let package = Package(
    name: "agora",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "agora", targets: ["agora"]),
        .library(name: "PostgresClient", targets: ["PostgresClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // NIOHTTPTypes: the request parts the connection limits watch (already under Hummingbird).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // libpq, the PostgreSQL C client (Debian: libpq-dev). Imported only by PostgresClient.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "PostgresClient",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "Agora"),
        // A small SMTP client on SwiftNIO (EHLO, STARTTLS, AUTH PLAIN/LOGIN, dot-stuffing) and the
        // MIME message writer: no SMTP client package is in the mirror.
        .target(
            name: "SMTPClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "AgoraStore",
            dependencies: [
                "Agora", "PostgresClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The demo data `agora dev` loads into an empty database: a story along an issue's life cycle.
        .target(name: "AgoraDemo", dependencies: ["Agora", "AgoraStore", "PostgresClient"]),
        .target(
            name: "AgoraAPI",
            dependencies: [
                "Agora", "AgoraStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // Compiled into the binary, so a deployment has nothing to ship next to it.
            resources: [.embedInCode("Resources/openapi.yaml")]
        ),
        .target(
            name: "AgoraScheduler",
            dependencies: [
                "Agora", "AgoraStore", "PostgresClient", "SMTPClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "agora",
            dependencies: [
                "AgoraAPI", "AgoraDemo", "AgoraScheduler", "AgoraStore", "PostgresClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // bench/postgres-client: the PostgresClient side of the pgbench comparison (run by hand, release build).
        .executableTarget(
            name: "postgres-client-bench",
            dependencies: ["PostgresClient"],
            path: "bench/postgres-client/Sources"
        ),
        // bench/selection: times the speaker-selection solver on seeded random instances (release build).
        .executableTarget(
            name: "selection-bench",
            dependencies: ["Agora"],
            path: "bench/selection/Sources"
        ),

        // Shared by the test targets: a throwaway database per suite, cloned from a migrated template.
        .target(
            name: "TestSupport",
            dependencies: [
                "Agora", "PostgresClient", "AgoraStore", .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "PostgresClientTests", dependencies: ["PostgresClient", "TestSupport"]),
        .testTarget(name: "AgoraTests", dependencies: ["Agora"]),
        .testTarget(name: "AgoraStoreTests", dependencies: ["AgoraStore", "AgoraDemo", "TestSupport"]),
        .testTarget(
            name: "AgoraAPITests",
            dependencies: [
                "AgoraAPI", "AgoraDemo", "AgoraScheduler", "SMTPClient", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "AgoraSchedulerTests", dependencies: ["Agora", "AgoraScheduler", "SMTPClient", "TestSupport"]),
        .testTarget(name: "SMTPClientTests", dependencies: ["SMTPClient", "TestSupport"]),
        // Runs the built `agora` binary (make test builds it and names it in AGORA_BINARY).
        .testTarget(name: "AgoraCommandTests", dependencies: ["AgoraStore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
