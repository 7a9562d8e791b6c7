import Agora
import Foundation

// Times SelectionSolver.solve on seeded random instances, as the speaker-selection issue
// asks: a global conference (5,000 nominations from 500 networks in 12 constituencies,
// 40 slots, every rule on) and a hearing (200 nominations, 12 slots). Median of 10 instances
// each (different seeds), after one warm-up. Arguments: [instances (default 10)] [hearing|conference].

/// SplitMix64: the same instances on every run.
struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let constituencies = ["ngo", "women", "children_youth", "indigenous_peoples", "local_authorities", "workers_trade_unions",
                      "business_industry", "scientific_technological", "farmers", "persons_with_disabilities", "older_persons", "volunteers"]

func instance(nominations: Int, networks: Int, slots: Int, minutes: Int, seed: UInt64) -> SelectionInstance {
    var random = Seeded(state: seed)
    let networkList = (0..<networks).map { index in
        SelectionInstance.Network(id: "n\(index)", constituency: constituencies[index % constituencies.count],
                                  members: Int.random(in: 1...2_000, using: &random))
    }
    var nextRank = Array(repeating: 1, count: networks)
    let start = Date(timeIntervalSince1970: 1_793_000_000)
    let formatter = ISO8601DateFormatter()
    let nominationList = (0..<nominations).map { index -> SelectionInstance.Nomination in
        let network = index < networks ? index : Int.random(in: 0..<networks, using: &random)
        defer { nextRank[network] += 1 }
        let gender = Double.random(in: 0..<1, using: &random)
        return .init(id: "a\(index)", network: "n\(network)", rank: nextRank[network], developing: Bool.random(using: &random),
                     gender: gender < 0.46 ? "woman" : gender < 0.92 ? "man" : gender < 0.96 ? "non-binary" : nil,
                     submittedAt: formatter.string(from: start.addingTimeInterval(Double(Int.random(in: 0..<1_209_600, using: &random)))))
    }
    return SelectionInstance(slots: slots, speakingMinutes: minutes,
                             rules: .init(maxPerNetwork: 2, minConstituencies: 3, maxConstituencyShare: 0.4, minDevelopingShare: 0.5, genderBalance: true),
                             networks: networkList, nominations: nominationList)
}

func measure(_ name: String, nominations: Int, networks: Int, slots: Int, minutes: Int, target: Double, count: Int) {
    var times: [Double] = []
    var objective = 0.0
    for round in 0...count {
        let problem = instance(nominations: nominations, networks: networks, slots: slots, minutes: minutes, seed: UInt64(round + 1))
        let clock = ContinuousClock()
        let started = clock.now
        guard let result = try? SelectionSolver.solve(problem, forum: "bench") else { fatalError("instance refused") }
        let elapsed = started.duration(to: clock.now)
        if round > 0 { times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) }
        objective = result.objective
        precondition(result.selected.count == slots)
    }
    times.sort()
    let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
    print("selection/\(name): \(nominations) nominations, \(networks) networks, \(slots) slots: median \(ms(median)) (min \(ms(times.first!)), max \(ms(times.last!))) over \(times.count); target < \(ms(target)): \(median < target ? "met" : "NOT met"); last objective \(objective)")
}

let arguments = CommandLine.arguments.dropFirst()
let count = arguments.first.flatMap(Int.init) ?? 10
let only = arguments.dropFirst().first
if only == nil || only == "hearing" {
    measure("hearing", nominations: 200, networks: 40, slots: 12, minutes: 90, target: 0.010, count: count)
}
if only == nil || only == "conference" {
    measure("conference", nominations: 5_000, networks: 500, slots: 40, minutes: 180, target: 1.0, count: count)
}
