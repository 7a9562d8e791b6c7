import Agora
import Foundation
import Testing

/// A small deterministic generator (SplitMix64), so failures can be replayed by seed.
struct SeededGenerator: RandomNumberGenerator {
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

/// The model of the issue, solved by enumerating every slate: the reference the solver must match.
enum BruteForce {
    struct Answer {
        var objective: Double
        var minConstituencies: Int
        var maxPerConstituency: Int
        var minDeveloping: Int
        var genderGap: Int?
    }

    struct Slate {
        var members: [Int]
        var constituencies: Int
        var largestConstituency: Int
        var developing: Int
        var gap: Int
        var value: Double
    }

    static func solve(_ instance: SelectionInstance) -> Answer {
        let rules = instance.rules
        let network = Dictionary(uniqueKeysWithValues: instance.networks.map { ($0.id, $0) })
        let nominations = instance.nominations
        let perNetwork = Dictionary(grouping: nominations, by: \.network).values.map { min(rules.maxPerNetwork, $0.count) }
        let size = min(instance.slots, perNetwork.reduce(0, +))
        var slates: [Slate] = []
        for mask in 0..<(1 << nominations.count) where mask.nonzeroBitCount == size {
            let members = nominations.indices.filter { mask & (1 << $0) != 0 }
            let chosen = members.map { nominations[$0] }
            guard (Dictionary(grouping: chosen, by: \.network).values.map(\.count).max() ?? 0) <= rules.maxPerNetwork else { continue }
            let byConstituency = Dictionary(grouping: chosen, by: { network[$0.network]!.constituency })
            let women = chosen.filter { $0.gender == "woman" }.count
            let men = chosen.filter { $0.gender == "man" }.count
            slates.append(Slate(members: members, constituencies: byConstituency.count,
                                largestConstituency: byConstituency.values.map(\.count).max() ?? 0,
                                developing: chosen.filter(\.developing).count, gap: abs(women - men),
                                value: chosen.reduce(0.0) { $0 + 1.0 / Double($1.rank) }))
        }
        let requestedCap = max(1, Int((rules.maxConstituencyShare * Double(size) + 1e-9).rounded(.down)))
        let requestedDeveloping = Int((rules.minDevelopingShare * Double(size) - 1e-9).rounded(.up))
        // Each rule in turn at its strictest feasible value, given the ones fixed before it.
        let k = (0...rules.minConstituencies).reversed().first { k in slates.contains { $0.constituencies >= k } } ?? 0
        var pool = slates.filter { $0.constituencies >= k }
        let cap = (requestedCap...max(requestedCap, size)).first { c in pool.contains { $0.largestConstituency <= c } } ?? requestedCap
        pool = pool.filter { $0.largestConstituency <= cap }
        let developing = (0...requestedDeveloping).reversed().first { d in pool.contains { $0.developing >= d } } ?? 0
        pool = pool.filter { $0.developing >= developing }
        var gap: Int?
        if rules.genderBalance {
            gap = (1...max(1, size)).first { g in pool.contains { $0.gap <= g } } ?? 1
            pool = pool.filter { $0.gap <= gap! }
        }
        return Answer(objective: pool.map(\.value).max() ?? 0, minConstituencies: k, maxPerConstituency: cap,
                      minDeveloping: developing, genderGap: gap)
    }

    static func randomInstance(_ random: inout SeededGenerator) -> SelectionInstance {
        let constituencies = ["ngo", "women", "farmers", "youth"].prefix(Int.random(in: 1...4, using: &random))
        let networkCount = Int.random(in: 1...6, using: &random)
        let networks = (0..<networkCount).map { index in
            SelectionInstance.Network(id: "n\(index)", constituency: constituencies.randomElement(using: &random)!,
                                      members: [1, 9, 120, 5000].randomElement(using: &random)!)
        }
        var nominations: [SelectionInstance.Nomination] = []
        var nextRank = Dictionary(uniqueKeysWithValues: networks.map { ($0.id, 1) })
        for index in 0..<Int.random(in: 1...14, using: &random) {
            let network = networks.randomElement(using: &random)!.id
            let rank = nextRank[network]!
            nextRank[network] = rank + Int.random(in: 1...2, using: &random)   // ranks with gaps
            nominations.append(.init(id: "a\(index)", network: network, rank: rank, developing: Bool.random(using: &random),
                                     gender: ["woman", "man", "non-binary", nil].randomElement(using: &random)!,
                                     submittedAt: "2026-11-0\(Int.random(in: 1...3, using: &random))T09:00:00Z"))
        }
        let rules = SelectionInstance.Rules(
            maxPerNetwork: Int.random(in: 1...3, using: &random), minConstituencies: Int.random(in: 0...4, using: &random),
            maxConstituencyShare: [0.25, 0.34, 0.4, 0.5, 1.0].randomElement(using: &random)!,
            minDevelopingShare: [0, 0.3, 0.5, 0.8, 1.0].randomElement(using: &random)!, genderBalance: Bool.random(using: &random))
        let slots = Int.random(in: 1...8, using: &random)
        return SelectionInstance(slots: slots, speakingMinutes: slots * 7, rules: rules, networks: networks, nominations: nominations)
    }
}

@Suite("Speaker selection solver (no database)")
struct SelectionSolverTests {
    let everything = SelectionInstance.Rules(maxPerNetwork: 2, minConstituencies: 1, maxConstituencyShare: 1, minDevelopingShare: 0, genderBalance: false)

    func nomination(_ id: String, _ network: String, _ rank: Int, developing: Bool = false, gender: String? = nil,
                    at time: String = "2026-11-01T09:00:00Z") -> SelectionInstance.Nomination {
        .init(id: id, network: network, rank: rank, developing: developing, gender: gender, submittedAt: time)
    }

    func ids(_ result: SelectionResult) -> Set<String> { Set(result.selected.map(\.nomination)) }

    @Test func greedyByRankBreaksTheDevelopingRuleTheSolverDoesNot() throws {
        var rules = everything
        rules.minDevelopingShare = 1
        let instance = SelectionInstance(slots: 2, speakingMinutes: 10, rules: rules,
                                         networks: [.init(id: "A", constituency: "ngo", members: 10), .init(id: "B", constituency: "women", members: 10)],
                                         nominations: [nomination("a1", "A", 1), nomination("a2", "A", 2, developing: true),
                                                       nomination("b1", "B", 1, developing: true), nomination("b2", "B", 2)])
        let result = try SelectionSolver.solve(instance)
        // Greedy by rank takes a1 and b1 (1 + 1) and breaks the rule; the optimum keeps it at 1.5.
        #expect(ids(result) == ["a2", "b1"])
        #expect(result.objective == 1.5)
        #expect(result.relaxed.isEmpty)
    }

    @Test func greedyByRankBreaksGenderBalanceTheSolverDoesNot() throws {
        var rules = everything
        rules.genderBalance = true
        rules.maxPerNetwork = 1
        let networks = (1...5).map { SelectionInstance.Network(id: "n\($0)", constituency: "ngo", members: 50) }
        let instance = SelectionInstance(slots: 4, speakingMinutes: 20, rules: rules, networks: networks, nominations: [
            nomination("w1", "n1", 1, gender: "woman"), nomination("w2", "n2", 1, gender: "woman"), nomination("w3", "n3", 1, gender: "woman"),
            nomination("m1", "n4", 1, gender: "man"), nomination("m2", "n5", 2, gender: "man"), nomination("w4", "n5", 1, gender: "woman"),
        ])
        let result = try SelectionSolver.solve(instance)
        // The four rank-1 nominees are three women and one man; balance needs m2 (rank 2) in place of a woman.
        #expect(result.selected.count == 4)
        #expect(ids(result).isSuperset(of: ["m1", "m2"]))
        #expect(result.objective == 3.5)
        // Equally good women: the tie hash decides, and the same input always gives the same slate.
        #expect(try SelectionSolver.solve(instance) == result)
    }

    @Test func theConstituencyMaximumBindsBeforeRank() throws {
        var rules = everything
        rules.maxConstituencyShare = 0.5
        rules.maxPerNetwork = 1
        let networks = [SelectionInstance.Network(id: "x", constituency: "ngo", members: 1), .init(id: "y", constituency: "ngo", members: 1),
                        .init(id: "z", constituency: "women", members: 1), .init(id: "q", constituency: "women", members: 1)]
        let instance = SelectionInstance(slots: 2, speakingMinutes: 10, rules: rules, networks: networks, nominations: [
            nomination("x1", "x", 1), nomination("y1", "y", 1), nomination("z3", "z", 3), nomination("q2", "q", 2),
        ])
        let result = try SelectionSolver.solve(instance)
        #expect(result.objective == 1.5)
        #expect(ids(result).contains("q2"))
        let refused = try #require(result.decisions.first { $0.nomination == (ids(result).contains("x1") ? "y1" : "x1") })
        #expect(refused.outcome == .reserve)
    }

    @Test func eachRelaxationStepIsReportedWithItsAppliedValue() throws {
        // Three constituencies asked for, two nominate.
        var rules = SelectionInstance.Rules(maxPerNetwork: 2, minConstituencies: 3, maxConstituencyShare: 1, minDevelopingShare: 0, genderBalance: false)
        var instance = SelectionInstance(slots: 2, speakingMinutes: 10, rules: rules,
                                         networks: [.init(id: "A", constituency: "ngo", members: 1), .init(id: "B", constituency: "women", members: 1)],
                                         nominations: [nomination("a1", "A", 1), nomination("b1", "B", 1)])
        #expect(try SelectionSolver.solve(instance).relaxed == [.init(rule: "minConstituencies", required: 3, applied: 2)])

        // One constituency fills four places: at most 1 (40 % of 4) would leave the slate empty.
        rules = .init(maxPerNetwork: 1, minConstituencies: 1, maxConstituencyShare: 0.4, minDevelopingShare: 0, genderBalance: false)
        instance = SelectionInstance(slots: 4, speakingMinutes: 20, rules: rules,
                                     networks: (1...4).map { .init(id: "n\($0)", constituency: "ngo", members: 1) } + [.init(id: "w", constituency: "women", members: 1)],
                                     nominations: (1...4).map { nomination("a\($0)", "n\($0)", 1) } + [nomination("w1", "w", 1)])
        var result = try SelectionSolver.solve(instance)
        #expect(result.relaxed == [.init(rule: "maxConstituencyShare", required: 1, applied: 3)])
        #expect(ids(result).contains("w1"))

        // One developing-country nominee where three are asked for.
        rules = .init(maxPerNetwork: 3, minConstituencies: 1, maxConstituencyShare: 1, minDevelopingShare: 1, genderBalance: false)
        instance = SelectionInstance(slots: 3, speakingMinutes: 9, rules: rules, networks: [.init(id: "A", constituency: "ngo", members: 1)],
                                     nominations: [nomination("a1", "A", 1), nomination("a2", "A", 2), nomination("a3", "A", 3, developing: true), nomination("a4", "A", 4)])
        result = try SelectionSolver.solve(instance)
        #expect(result.relaxed == [.init(rule: "minDevelopingShare", required: 3, applied: 1)])
        #expect(ids(result) == ["a1", "a2", "a3"])

        // Only women nominated: the gap cannot be under 3.
        rules = .init(maxPerNetwork: 3, minConstituencies: 1, maxConstituencyShare: 1, minDevelopingShare: 0, genderBalance: true)
        instance = SelectionInstance(slots: 3, speakingMinutes: 9, rules: rules, networks: [.init(id: "A", constituency: "women", members: 1)],
                                     nominations: (1...3).map { nomination("a\($0)", "A", $0, gender: "woman") })
        #expect(try SelectionSolver.solve(instance).relaxed == [.init(rule: "genderBalance", required: 1, applied: 3)])
    }

    @Test func theSolverMatchesEnumerationOnHundredsOfSmallInstances() throws {
        var random = SeededGenerator(seed: 20261122)
        var relaxedRules: Set<String> = []
        for round in 0..<400 {
            let instance = BruteForce.randomInstance(&random)
            let expected = BruteForce.solve(instance)
            let (result, rules) = try SelectionSolver.solveWithRules(instance, forum: "forum-\(round)")
            #expect(abs(result.objective - expected.objective) < 1e-9, "round \(round): \(result.objective) vs \(expected.objective)")
            #expect(rules.minConstituencies == expected.minConstituencies, "round \(round)")
            #expect(rules.maxPerConstituency == expected.maxPerConstituency, "round \(round)")
            #expect(rules.minDeveloping == expected.minDeveloping, "round \(round)")
            #expect(rules.maxGenderGap == expected.genderGap, "round \(round)")
            // The slate has the size of the model and keeps the applied rules.
            let chosen = result.selected.map { id in instance.nominations.first { $0.id == id.nomination }! }
            #expect(chosen.count == rules.size, "round \(round)")
            let network = Dictionary(uniqueKeysWithValues: instance.networks.map { ($0.id, $0.constituency) })
            #expect(rules.hold(networks: chosen.map(\.network), constituencies: chosen.map { network[$0.network]! },
                               developing: chosen.map(\.developing), genders: chosen.map(\.gender)), "round \(round)")
            #expect(result.decisions.count == instance.nominations.count)
            relaxedRules.formUnion(result.relaxed.map(\.rule))
            #expect(result.selected.reduce(0) { $0 + $1.minutes } == (chosen.isEmpty ? 0 : instance.speakingMinutes), "round \(round)")
        }
        // The random instances exercise every relaxation step.
        #expect(relaxedRules == ["minConstituencies", "maxConstituencyShare", "minDevelopingShare", "genderBalance"])
    }

    @Test func minutesFollowNetworkWeightsAndAddUpExactly() {
        let weights = [1, 10, 100, 1000, 100_000].map(SelectionSolver.weight(members:))
        #expect(zip(weights, [1, 1.15, 1.3, 1.45, 1.5]).allSatisfy { abs($0 - $1) < 1e-12 })
        let minutes = SelectionSolver.minutes(weights: weights, total: 90)
        #expect(minutes.reduce(0, +) == 90)
        #expect(minutes == minutes.sorted())
        // 90 × 1/6.4 = 14.06…: whole minutes by largest remainder.
        #expect(minutes == [14, 16, 18, 21, 21])
        // Too few minutes for proportion: everyone still speaks a minute.
        #expect(SelectionSolver.minutes(weights: [1, 1.5, 1.5], total: 3) == [1, 1, 1])
        // Equal remainders: the earlier place on the slate gets the minute.
        #expect(SelectionSolver.minutes(weights: [1, 1.5, 1.5], total: 4) == [1, 2, 1])
    }

    @Test func aDeclinedPlaceGoesToTheFirstReserveThatKeepsTheRules() throws {
        var rules = everything
        rules.minDevelopingShare = 0.5
        rules.maxPerNetwork = 1
        let networks = (1...5).map { SelectionInstance.Network(id: "n\($0)", constituency: "ngo", members: 10) }
        let instance = SelectionInstance(slots: 2, speakingMinutes: 10, rules: rules, networks: networks, nominations: [
            nomination("d1", "n1", 1, developing: true), nomination("o1", "n2", 1),
            nomination("o2", "n3", 2, at: "2026-10-01T09:00:00Z"), nomination("d2", "n4", 3, developing: true), nomination("o3", "n5", 4),
        ])
        let (result, applied) = try SelectionSolver.solveWithRules(instance)
        #expect(ids(result) == ["d1", "o1"])
        #expect(result.reserves == ["o2", "d2"])
        let replaced = try #require(try SelectionSolver.replacing("d1", in: result, rules: applied, instance: instance))
        // o2 is the first reserve, but only d2 keeps one developing-country speaker of two.
        #expect(ids(replaced) == ["o1", "d2"])
        #expect(replaced.decisions.first { $0.nomination == "d1" }?.reason.contains("Declined") == true)
        #expect(replaced.reserves == ["o2"])
    }

    @Test func submissionTimesReadAsFoundationReadsThem() {
        let foundation = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for text in ["2026-11-01T09:00:00Z", "1999-12-31T23:59:59Z", "2028-02-29T12:30:00+05:30", "2026-03-29T01:59:59-07:00", "1970-01-01T00:00:00Z"] {
            #expect(InternetTime.seconds(text) == foundation.date(from: text)?.timeIntervalSince1970, "\(text)")
        }
        #expect(InternetTime.seconds("2026-11-01T09:00:00.250Z") == fractional.date(from: "2026-11-01T09:00:00.250Z")?.timeIntervalSince1970)
        for bad in ["2026-11-01 09:00:00", "2026-13-01T09:00:00Z", "2026-11-01T09:00:00", "2026-11-01T09:00:00+0100", "yesterday"] {
            #expect(InternetTime.seconds(bad) == nil, "\(bad)")
        }
    }

    @Test func badInstancesAreRefusedWithAReason() {
        let instance = SelectionInstance(slots: 2, speakingMinutes: 10, rules: everything,
                                         networks: [.init(id: "A", constituency: "ngo", members: 1)],
                                         nominations: [nomination("a1", "A", 1), nomination("a2", "B", 1)])
        #expect(throws: SelectionInstanceError("nomination a2 names unknown network B")) { try SelectionSolver.solve(instance) }
        var twice = instance
        twice.nominations[1].network = "A"
        #expect(throws: SelectionInstanceError("network A gives rank 1 twice")) { try SelectionSolver.solve(twice) }
    }

    @Test func theInstanceFormatReadsAndTheResultWritesAsDocumented() throws {
        let input = """
            {"slots": 12, "speakingMinutes": 90,
             "rules": {"maxPerNetwork": 2, "minConstituencies": 3, "maxConstituencyShare": 0.4, "minDevelopingShare": 0.5, "genderBalance": true},
             "networks": [{"id": "n1", "constituency": "ngo", "members": 120}],
             "nominations": [{"id": "a1", "network": "n1", "rank": 1, "developing": true, "gender": "woman", "submittedAt": "2026-11-01T09:00:00Z"}]}
            """
        let instance = try JSONDecoder().decode(SelectionInstance.self, from: Data(input.utf8))
        let result = try SelectionSolver.solve(instance)
        #expect(result.selected == [.init(nomination: "a1", minutes: 90)])
        let encoded = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        for key in ["\"selected\"", "\"reserves\"", "\"relaxed\"", "\"objective\"", "\"decisions\"", "\"outcome\":\"selected\""] {
            #expect(encoded.contains(key))
        }
    }
}
