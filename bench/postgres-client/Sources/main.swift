// The PostgresClient side of bench/postgres-client/run.sh: the pgbench -S statement
// (`SELECT abalance FROM pgbench_accounts WHERE aid = $1`, random aid) from N concurrent tasks
// for a fixed time, through the connection pool. Prints one line: "postgres-client: <q/s>".
import Foundation
import PostgresClient
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: postgres-client-bench DATABASE_URL [tasks=16] [seconds=10] [event-loops=2] [scale=10] [connections=tasks]")
    exit(2)
}
let url = arguments[1]
let tasks = arguments.count > 2 ? Int(arguments[2])! : 16
let seconds = arguments.count > 3 ? Int(arguments[3])! : 10
let loops = arguments.count > 4 ? Int(arguments[4])! : 2
let scale = arguments.count > 5 ? Int(arguments[5])! : 10
let accounts = 100_000 * scale
let connections = arguments.count > 6 ? Int(arguments[6])! : tasks

let pool = PostgresConnectionPool(configuration: PostgresConfiguration(
    connectionString: url, maximumConnections: connections, eventLoopCount: loops, applicationName: "postgres-client-bench"
))

/// One client: lookups until the deadline; returns how many it completed.
@Sendable func client(until deadline: ContinuousClock.Instant) async throws -> Int {
    var completed = 0
    // A cheap generator, as pgbench has: the system one costs a syscall per number.
    var generator = SplitMix64(seed: UInt64.random(in: 1...UInt64.max))
    while ContinuousClock.now < deadline {
        let aid = Int.random(in: 1...accounts, using: &generator)
        let rows = try await pool.query("SELECT abalance FROM pgbench_accounts WHERE aid = \(aid)")
        _ = try rows[0].decode(at: 0, as: Int.self)
        completed += 1
    }
    return completed
}

// Open every connection and prepare the statement before timing.
try await withThrowingTaskGroup(of: Int.self) { group in
    for index in 0..<tasks {
        group.addTask(executorPreference: pool.eventLoops[index % loops]) { try await client(until: .now + .milliseconds(300)) }
    }
    try await group.waitForAll()
}

let started = ContinuousClock.now
let deadline = started + .seconds(seconds)
let total = try await withThrowingTaskGroup(of: Int.self) { group in
    for index in 0..<tasks {
        // Each client task runs on an event loop, so a lookup never changes threads.
        group.addTask(executorPreference: pool.eventLoops[index % loops]) { try await client(until: deadline) }
    }
    var sum = 0
    for try await completed in group { sum += completed }
    return sum
}
let elapsed = ContinuousClock.now - started
let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
await pool.close()
print("postgres-client: \(String(format: "%.0f", Double(total) / elapsedSeconds))")

/// SplitMix64: fast, good enough to spread lookups over the table.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
