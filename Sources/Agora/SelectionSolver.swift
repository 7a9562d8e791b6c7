import Foundation

/// Chooses a forum's speakers from the nominations: the slate of `S` speakers that maximises
/// the sum of `1 / rank` under the balance rules, relaxing the rules in their order of
/// importance only as far as no slate can meet them (DESIGN §3; the semantics are those of the
/// speaker-selection issue, item by item).
///
/// ## Method: exact dynamic programming over networks, then constituencies
///
/// Every rule except the per-network cap counts speakers by attributes that are fixed within a
/// constituency (the constituency itself) or by the speaker's type (developing or not; woman,
/// man or neither). So the solver
/// 1. lists, per network, the best choice of up to `maxPerNetwork` nominees for each *signature*
///    (speakers `k`, developing `d`, women minus men `g`): within a network, nominees of one
///    type are interchangeable but for their value, so the best `x` of each type are taken;
/// 2. combines the networks of each constituency into a table `best(k, d, g)`, `k` at most the
///    applied constituency maximum (a knapsack over networks);
/// 3. combines the constituencies into `best(n, d, g, u)` over the whole slate, where `u`
///    counts constituencies with a speaker (saturated at the applied minimum) and `d` is
///    saturated at the requested developing minimum;
/// 4. reads the applied developing minimum, the applied gender gap and the optimum from the
///    slates of size `S`, then walks the tables back to the chosen nominations.
/// Every table holds, for each state, the best value of any selection reaching it, so the
/// result is the true optimum (no greedy step). The cost grows with `S`, the constituency
/// maximum and the number of constituencies, hardly with the number of nominations.
///
/// ## Value and ties, in one integer
/// A nomination's value is `1 / rank` scaled by the least common multiple of the ranks, so sums
/// are exact integers (when that multiple is too large, by 2^k: then values differ from `1 / rank`
/// by less than one part in 10^9). Below it sits the tie-break: among slates of equal value, the
/// one whose nominations come earliest in the order of `submittedAt`, then a hash of
/// (forum, nomination id), summed, wins; the hash, not the alphabet, settles equal times.
public enum SelectionSolver {
    /// Solves `instance` for `forum` (the forum's identifier seeds the tie hash; empty on the
    /// command line).
    public static func solve(_ instance: SelectionInstance, forum: String = "") throws(SelectionInstanceError) -> SelectionResult {
        try solveWithRules(instance, forum: forum).result
    }

    /// Solves and also returns the rules as applied.
    public static func solveWithRules(_ instance: SelectionInstance, forum: String = "") throws(SelectionInstanceError) -> (result: SelectionResult, rules: AppliedRules) {
        let problem = try Problem(instance, forum: forum)
        let (chosen, rules) = problem.solve()
        return (problem.result(chosen: chosen, rules: rules), rules)
    }

    /// The slate after `declined` withdrew: the first reserve whose entry keeps `rules` takes the
    /// place, minutes are shared again, and the decisions say so. Nil when `declined` was not
    /// selected; a slate one speaker short when no reserve keeps the rules.
    public static func replacing(_ declined: String, in result: SelectionResult, rules: AppliedRules,
                                 instance: SelectionInstance, forum: String = "") throws(SelectionInstanceError) -> SelectionResult? {
        let problem = try Problem(instance, forum: forum)
        guard let out = problem.index[declined], result.selected.contains(where: { $0.nomination == declined }) else { return nil }
        var slate = result.selected.compactMap { problem.index[$0.nomination] }.filter { $0 != out }
        var reserves = result.reserves.compactMap { problem.index[$0] }
        if let entering = reserves.firstIndex(where: { problem.keeps(rules, slate + [$0]) }) {
            slate.append(reserves.remove(at: entering))
        }
        var replaced = problem.result(chosen: slate, rules: rules, reserves: reserves, declined: [out])
        replaced.relaxed = result.relaxed
        return replaced
    }

    /// The weight of a network's speakers in sharing minutes: `min(1.5, 1 + 0.15 log10(max(1, members)))`.
    public static func weight(members: Int) -> Double {
        min(1.5, 1 + 0.15 * log10(Double(max(1, members))))
    }

    /// Whole minutes proportional to `weights`, each at least 1, summing to `total`: speakers
    /// whose share is under a minute get one, the rest share what is left, and largest
    /// remainders (ties by slate order) round it.
    public static func minutes(weights: [Double], total: Int) -> [Int] {
        guard !weights.isEmpty else { return [] }
        var minutes = Array(repeating: 0, count: weights.count)
        var open = Array(weights.indices)
        var left = total
        while true {
            let sum = open.reduce(0.0) { $0 + weights[$1] }
            let short = open.filter { Double(left) * weights[$0] / sum < 1 }
            if short.isEmpty { break }
            for speaker in short { minutes[speaker] = 1 }
            left -= short.count
            open.removeAll { short.contains($0) }
            if open.isEmpty { return minutes }
        }
        let sum = open.reduce(0.0) { $0 + weights[$1] }
        let quotas = open.map { Double(left) * weights[$0] / sum }
        for (position, speaker) in open.enumerated() { minutes[speaker] = Int(quotas[position].rounded(.down)) }
        let remainder = left - open.reduce(0) { $0 + minutes[$1] }
        let order = open.indices.sorted { a, b in
            let (ra, rb) = (quotas[a] - quotas[a].rounded(.down), quotas[b] - quotas[b].rounded(.down))
            return ra != rb ? ra > rb : a < b
        }
        for position in order.prefix(remainder) { minutes[open[position]] += 1 }
        return minutes
    }

    /// A 64-bit FNV-1a hash of `forum` and `nomination`: the last tie-break.
    public static func tieHash(forum: String, nomination: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in forum.utf8 + [0] + nomination.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// "Minus infinity" for unreachable states: far below any sum (values stay under 2^59 in
/// magnitude), and safe to add one value to. Anything under `reachableFloor` is unreachable.
private let unreachable = Int64.min / 2
private let reachableFloor = Int64.min / 4

/// One instance, prepared: nominations indexed, with their types and integer values.
private struct Problem {
    struct Nominee {
        var id: String
        var network: Int
        var constituency: Int
        var rank: Int
        var developing: Bool
        var gender: String?
        /// +1 woman, -1 man, 0 otherwise (0 for all when gender balance is off).
        var sign: Int
        /// 1 when developing and the developing rule is on.
        var counts: Int
        /// Seconds since 1970 (only their order matters).
        var submittedAt: Double
        var hash: UInt64
        /// Value and tie-break in one: larger is better.
        var key: Int64
    }

    let instance: SelectionInstance
    var nominees: [Nominee] = []
    var index: [String: Int] = [:]
    /// Nominee indices per network, and network indices per constituency.
    var networkNominees: [[Int]] = []
    var constituencyNetworks: [[Int]] = []
    var constituencyNames: [String] = []
    var size = 0
    var requested = AppliedRules(size: 0, maxPerNetwork: 0, minConstituencies: 0, maxPerConstituency: 0, minDeveloping: 0, maxGenderGap: nil)

    init(_ instance: SelectionInstance, forum: String) throws(SelectionInstanceError) {
        self.instance = instance
        let rules = instance.rules
        guard instance.slots >= 0, rules.maxPerNetwork >= 1, rules.minConstituencies >= 0,
              (0...1).contains(rules.maxConstituencyShare), (0...1).contains(rules.minDevelopingShare) else {
            throw SelectionInstanceError("rules: slots ≥ 0, maxPerNetwork ≥ 1, minConstituencies ≥ 0 and shares between 0 and 1")
        }
        var networkIndex: [String: Int] = [:]
        var constituencyIndex: [String: Int] = [:]
        var networkConstituency: [Int] = []
        for network in instance.networks {
            guard networkIndex[network.id] == nil else { throw SelectionInstanceError("network \(network.id) is listed twice") }
            networkIndex[network.id] = networkNominees.count
            networkNominees.append([])
            if constituencyIndex[network.constituency] == nil {
                constituencyIndex[network.constituency] = constituencyNames.count
                constituencyNames.append(network.constituency)
                constituencyNetworks.append([])
            }
            networkConstituency.append(constituencyIndex[network.constituency]!)
        }
        var ranksSeen: Set<String> = []
        for nomination in instance.nominations {
            guard index[nomination.id] == nil else { throw SelectionInstanceError("nomination \(nomination.id) is listed twice") }
            guard let network = networkIndex[nomination.network] else {
                throw SelectionInstanceError("nomination \(nomination.id) names unknown network \(nomination.network)")
            }
            guard nomination.rank >= 1 else { throw SelectionInstanceError("nomination \(nomination.id): rank must be 1 or more") }
            guard ranksSeen.insert("\(nomination.rank)|\(nomination.network)").inserted else {
                throw SelectionInstanceError("network \(nomination.network) gives rank \(nomination.rank) twice")
            }
            guard let submitted = InternetTime.seconds(nomination.submittedAt) else {
                throw SelectionInstanceError("nomination \(nomination.id): submittedAt must be an ISO 8601 time")
            }
            index[nomination.id] = nominees.count
            networkNominees[network].append(nominees.count)
            nominees.append(Nominee(
                id: nomination.id, network: network, constituency: networkConstituency[network], rank: nomination.rank,
                developing: nomination.developing, gender: nomination.gender,
                sign: rules.genderBalance ? (nomination.gender == "woman" ? 1 : nomination.gender == "man" ? -1 : 0) : 0,
                counts: 0, submittedAt: submitted, hash: SelectionSolver.tieHash(forum: forum, nomination: nomination.id), key: 0))
        }
        for (network, members) in networkNominees.enumerated() where !members.isEmpty {
            constituencyNetworks[networkConstituency[network]].append(network)
        }

        size = min(instance.slots, networkNominees.reduce(0) { $0 + min(rules.maxPerNetwork, $1.count) })
        guard instance.speakingMinutes >= size else {
            throw SelectionInstanceError("speakingMinutes (\(instance.speakingMinutes)) must give each of the \(size) speakers a minute")
        }
        requested = AppliedRules(
            size: size, maxPerNetwork: rules.maxPerNetwork, minConstituencies: rules.minConstituencies,
            maxPerConstituency: max(1, Int((rules.maxConstituencyShare * Double(size) + 1e-9).rounded(.down))),
            minDeveloping: Int((rules.minDevelopingShare * Double(size) - 1e-9).rounded(.up)),
            maxGenderGap: rules.genderBalance ? 1 : nil)
        for position in nominees.indices where requested.minDeveloping > 0 && nominees[position].developing {
            nominees[position].counts = 1
        }
        assignKeys()
    }

    /// Value (1/rank, scaled to integers) above the tie-break (sum of positions in the order of
    /// submission, then hash; earlier is better).
    mutating func assignKeys() {
        let order = nominees.indices.sorted { precedes(nominees[$0], nominees[$1]) }
        var position = Array(repeating: 0, count: nominees.count)
        for (place, nominee) in order.enumerated() { position[nominee] = place }
        let tieRange = Int64(max(1, nominees.count)) * Int64(max(1, size)) + 1
        let shift = Int64(64 - tieRange.leadingZeroBitCount)
        let budget = (Int64(1) << (59 - shift)) / Int64(max(1, size))
        var multiple: Int64 = 1
        for rank in Set(nominees.map(\.rank)) {
            let divisor = gcd(multiple, Int64(rank))
            let (product, overflow) = (multiple / divisor).multipliedReportingOverflow(by: Int64(rank))
            multiple = overflow || product > budget ? 0 : product
            if multiple == 0 { break }
        }
        let scale = multiple > 0 ? multiple : budget
        for nominee in nominees.indices {
            nominees[nominee].key = (scale / Int64(nominees[nominee].rank)) << shift - Int64(position[nominee])
        }
    }

    func precedes(_ a: Nominee, _ b: Nominee) -> Bool {
        a.submittedAt != b.submittedAt ? a.submittedAt < b.submittedAt : a.hash != b.hash ? a.hash < b.hash : a.id < b.id
    }

    /// Slate and reserve order: better rank, then earlier submission, then hash.
    func ranksBefore(_ a: Int, _ b: Int) -> Bool {
        nominees[a].rank != nominees[b].rank ? nominees[a].rank < nominees[b].rank : precedes(nominees[a], nominees[b])
    }

    // MARK: Solving

    /// The chosen nominees and the rules as applied.
    func solve() -> ([Int], AppliedRules) {
        var rules = requested
        guard size > 0 else {
            rules.minConstituencies = 0
            rules.minDeveloping = 0
            return ([], rules)
        }
        // 1. Distinct constituencies: any number up to those nominating (and the slate size).
        rules.minConstituencies = min(requested.minConstituencies, constituencyNetworks.filter { !$0.isEmpty }.count, size)
        // 2. Constituency maximum: the smallest cap under which the networks still fill the slate.
        let capacities = constituencyNetworks.map { $0.reduce(0) { $0 + min(requested.maxPerNetwork, networkNominees[$1].count) } }
        while capacities.reduce(0, { $0 + min(rules.maxPerConstituency, $1) }) < size { rules.maxPerConstituency += 1 }
        // 3 and 4 come from the slates the tables can reach.
        let tables = constituencyNetworks.indices.map { ConstituencyTable(problem: self, constituency: $0, cap: rules.maxPerConstituency) }
        let slate = SlateTable(problem: self, tables: tables, minConstituencies: rules.minConstituencies)
        let reachable = slate.finalStates()
        rules.minDeveloping = reachable.map(\.developing).max() ?? 0
        if requested.maxGenderGap != nil {
            let gap = reachable.filter { $0.developing >= rules.minDeveloping }.map { abs($0.gender) }.min() ?? 0
            rules.maxGenderGap = max(1, gap)
        }
        let best = reachable.filter { $0.developing >= rules.minDeveloping && abs($0.gender) <= (rules.maxGenderGap ?? Int.max) }
            .max { $0.value < $1.value }
        guard let best else { return ([], rules) }
        return (slate.walkBack(from: best), rules)
    }

    /// Whether the slate keeps `rules`.
    func keeps(_ rules: AppliedRules, _ slate: [Int]) -> Bool {
        rules.hold(networks: slate.map { "\(nominees[$0].network)" }, constituencies: slate.map { constituencyNames[nominees[$0].constituency] },
                   developing: slate.map { nominees[$0].developing }, genders: slate.map { nominees[$0].gender })
    }

    // MARK: The answer

    func result(chosen: [Int], rules: AppliedRules, reserves given: [Int]? = nil, declined: [Int] = []) -> SelectionResult {
        let slate = chosen.sorted(by: ranksBefore)
        let chosenSet = Set(slate)
        let reserves = given ?? Array(nominees.indices.filter { !chosenSet.contains($0) }.sorted(by: ranksBefore).prefix(rules.size))
        let weights = slate.map { SelectionSolver.weight(members: instance.networks[nominees[$0].network].members) }
        let minutes = SelectionSolver.minutes(weights: weights, total: instance.speakingMinutes)
        var relaxed: [SelectionResult.Relaxation] = []
        if rules.minConstituencies != requested.minConstituencies {
            relaxed.append(.init(rule: "minConstituencies", required: requested.minConstituencies, applied: rules.minConstituencies))
        }
        if rules.maxPerConstituency != requested.maxPerConstituency {
            relaxed.append(.init(rule: "maxConstituencyShare", required: requested.maxPerConstituency, applied: rules.maxPerConstituency))
        }
        if rules.minDeveloping != requested.minDeveloping {
            relaxed.append(.init(rule: "minDevelopingShare", required: requested.minDeveloping, applied: rules.minDeveloping))
        }
        if let gap = rules.maxGenderGap, gap != requested.maxGenderGap {
            relaxed.append(.init(rule: "genderBalance", required: 1, applied: gap))
        }
        let decisions = instance.nominations.map { nomination in
            decision(for: index[nomination.id]!, slate: slate, reserves: reserves, rules: rules, declined: declined)
        }
        return SelectionResult(
            selected: zip(slate, minutes).map { .init(nomination: nominees[$0].id, minutes: $1) },
            reserves: reserves.map { nominees[$0].id }, relaxed: relaxed,
            objective: slate.reduce(0.0) { $0 + 1.0 / Double(nominees[$1].rank) }, decisions: decisions)
    }

    func decision(for nominee: Int, slate: [Int], reserves: [Int], rules: AppliedRules, declined: [Int]) -> SelectionResult.Decision {
        let id = nominees[nominee].id
        if let place = slate.firstIndex(of: nominee) {
            return .init(nomination: id, outcome: .selected, reason: "Selected: place \(place + 1) of \(slate.count) on the slate.")
        }
        if declined.contains(nominee) {
            return .init(nomination: id, outcome: .notSelected, reason: "Declined the place; the first reserve that keeps the rules took it.")
        }
        if let number = reserves.firstIndex(of: nominee) {
            return .init(nomination: id, outcome: .reserve,
                         reason: "Reserve number \(number + 1): takes a place if a chosen speaker declines and the rules still hold.")
        }
        let me = nominees[nominee]
        let sameNetwork = slate.filter { nominees[$0].network == me.network }
        if sameNetwork.count >= rules.maxPerNetwork {
            return .init(nomination: id, outcome: .notSelected,
                         reason: "Not selected: its network's cap of \(rules.maxPerNetwork) was reached by nominees it ranked \(sameNetwork.map { "\(nominees[$0].rank)" }.joined(separator: " and ")).")
        }
        let sameConstituency = slate.filter { nominees[$0].constituency == me.constituency }.count
        if sameConstituency >= rules.maxPerConstituency {
            return .init(nomination: id, outcome: .notSelected,
                         reason: "Not selected: the constituency maximum (\(rules.maxPerConstituency) speakers from \(constituencyNames[me.constituency])) was reached.")
        }
        if slate.contains(where: { nominees[$0].rank > me.rank }) {
            return .init(nomination: id, outcome: .notSelected,
                         reason: "Not selected although ranked higher than some chosen speakers: the balance rules (constituencies, developing share, gender) needed them.")
        }
        return .init(nomination: id, outcome: .notSelected,
                     reason: "Not selected: the \(slate.count) places went to nominations ranked as high or higher, or submitted earlier.")
    }
}

/// RFC 3339 times (`2026-11-01T09:00:00Z`, `…T09:00:00.250+01:00`) read by hand: the
/// Foundation formatter costs more than solving a hearing's selection.
public enum InternetTime {
    /// Seconds since 1970-01-01T00:00:00Z, or nil when `text` is not an RFC 3339 time.
    public static func seconds(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ length: Int) -> Int? {
            guard from + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[from..<(from + length)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 || bytes[10] == 116, bytes[13] == 58, bytes[16] == 58,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var position = 19
        var fraction = 0.0
        if bytes[position] == 46 {
            var scale = 0.1
            position += 1
            let start = position
            while position < bytes.count, (48...57).contains(bytes[position]) {
                fraction += Double(bytes[position] - 48) * scale
                scale /= 10
                position += 1
            }
            guard position > start else { return nil }
        }
        guard position < bytes.count else { return nil }
        var offset = 0
        switch bytes[position] {
        case 90, 122:
            guard position + 1 == bytes.count else { return nil }
        case 43, 45:
            guard position + 6 == bytes.count, bytes[position + 3] == 58, let hours = number(position + 1, 2), let minutes = number(position + 4, 2),
                  hours < 24, minutes < 60 else { return nil }
            offset = (hours * 60 + minutes) * 60 * (bytes[position] == 43 ? 1 : -1)
        default:
            return nil
        }
        let days = ICalendar.days(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction
    }
}

private func gcd(_ a: Int64, _ b: Int64) -> Int64 {
    b == 0 ? a : gcd(b, a % b)
}

/// The best choice of up to `maxPerNetwork` nominees of one network for each signature
/// (speakers, developing, women minus men).
private struct NetworkOption {
    var count: Int
    var developing: Int
    var gender: Int
    var value: Int64
    var nominees: [Int]

    static func options(of network: Int, in problem: Problem) -> [NetworkOption] {
        // Nominees by type (developing × woman/man/other), best first.
        var byType = Array(repeating: [Int](), count: 6)
        for nominee in problem.networkNominees[network] {
            let entry = problem.nominees[nominee]
            byType[entry.counts * 3 + (entry.sign == 1 ? 0 : entry.sign == -1 ? 1 : 2)].append(nominee)
        }
        for type in byType.indices { byType[type].sort { problem.nominees[$0].key > problem.nominees[$1].key } }
        struct Signature: Hashable {
            var count: Int
            var developing: Int
            var gender: Int
        }
        var best: [Signature: NetworkOption] = [:]
        var taking = Array(repeating: 0, count: 6)
        func visit(_ type: Int, _ left: Int) {
            if type == 6 {
                let chosen = (0..<6).flatMap { byType[$0].prefix(taking[$0]) }
                guard !chosen.isEmpty else { return }
                let option = NetworkOption(
                    count: chosen.count, developing: chosen.reduce(0) { $0 + problem.nominees[$1].counts },
                    gender: chosen.reduce(0) { $0 + problem.nominees[$1].sign },
                    value: chosen.reduce(0) { $0 + problem.nominees[$1].key }, nominees: chosen)
                let signature = Signature(count: option.count, developing: option.developing, gender: option.gender)
                if best[signature].map({ $0.value < option.value }) ?? true { best[signature] = option }
                return
            }
            for take in 0...min(left, byType[type].count) {
                taking[type] = take
                visit(type + 1, left - take)
            }
            taking[type] = 0
        }
        // Never more than the slate holds.
        visit(0, min(problem.requested.maxPerNetwork, problem.size))
        return best.values.sorted { ($0.count, $0.developing, $0.gender, $0.value) < ($1.count, $1.developing, $1.gender, $1.value) }
    }
}

/// `best(k, d, g)` for one constituency, after each of its networks (kept to walk back).
private struct ConstituencyTable {
    let cap: Int
    let developingCap: Int
    let genderSpan: Int
    let networks: [Int]
    let options: [[NetworkOption]]
    var layers: [[Int64]] = []

    init(problem: Problem, constituency: Int, cap requestedCap: Int) {
        networks = problem.constituencyNetworks[constituency]
        options = networks.map { NetworkOption.options(of: $0, in: problem) }
        let capacity = options.reduce(0) { $0 + ($1.map(\.count).max() ?? 0) }
        cap = min(requestedCap, capacity, problem.size)
        developingCap = problem.requested.minDeveloping
        genderSpan = problem.requested.maxGenderGap == nil ? 0 : cap
        var layer = Array(repeating: unreachable, count: (cap + 1) * (developingCap + 1) * (2 * genderSpan + 1))
        layer[at(0, 0, 0)] = 0
        layers.append(layer)
        for networkOptions in options {
            var next = layer
            for count in 0...cap {
                for developing in 0...developingCap {
                    for gender in -min(count, genderSpan)...min(count, genderSpan) {
                        let value = layer[at(count, developing, gender)]
                        guard value > unreachable else { continue }
                        for option in networkOptions where count + option.count <= cap {
                            let target = at(count + option.count, min(developingCap, developing + option.developing), gender + option.gender)
                            if value + option.value > next[target] { next[target] = value + option.value }
                        }
                    }
                }
            }
            layer = next
            layers.append(layer)
        }
    }

    func at(_ count: Int, _ developing: Int, _ gender: Int) -> Int {
        (count * (developingCap + 1) + developing) * (2 * genderSpan + 1) + gender + genderSpan
    }

    /// The entries of the whole constituency with one speaker or more, each the best value with
    /// *at least* `developing` developing-country speakers. An entry no better than the one with
    /// one more developing speaker is left out: that one serves every purpose it could.
    func entries() -> [Entry] {
        guard cap >= 1 else { return [] }
        var found: [Entry] = []
        let last = layers[layers.count - 1]
        for count in 1...cap {
            for gender in -min(count, genderSpan)...min(count, genderSpan) {
                var better = unreachable
                for developing in stride(from: developingCap, through: 0, by: -1) {
                    let value = max(last[at(count, developing, gender)], better)
                    if value > better && value > reachableFloor {
                        found.append(Entry(count: count, developing: developing, gender: gender, value: value))
                    }
                    better = value
                }
            }
        }
        return found
    }

    struct Entry {
        var count: Int
        var developing: Int
        var gender: Int
        var value: Int64
    }

    /// The nominees behind an entry: a selection of `count` with at least `developing`
    /// developing-country speakers, `gender` women minus men, worth `value`.
    func walkBack(count: Int, atLeast developing: Int, gender: Int, value: Int64) -> [Int] {
        let last = layers[layers.count - 1]
        let exact = (developing...developingCap).first { last[at(count, $0, gender)] == value } ?? developing
        return walkBack(count: count, developing: exact, gender: gender)
    }

    /// The nominees behind entry (count, developing, gender).
    func walkBack(count: Int, developing: Int, gender: Int) -> [Int] {
        var state = (count, developing, gender)
        var chosen: [Int] = []
        for network in stride(from: networks.count - 1, through: 0, by: -1) {
            let value = layers[network + 1][at(state.0, state.1, state.2)]
            if layers[network][at(state.0, state.1, state.2)] == value { continue }
            search: for option in options[network] where option.count <= state.0 {
                let gender = state.2 - option.gender
                guard abs(gender) <= min(state.0 - option.count, genderSpan) else { continue }
                let developments = state.1 == developingCap ? Array(max(0, developingCap - option.developing)...developingCap) : [state.1 - option.developing]
                for developing in developments where developing >= 0 && developing <= state.0 - option.count {
                    if layers[network][at(state.0 - option.count, developing, gender)] + option.value == value {
                        chosen += option.nominees
                        state = (state.0 - option.count, developing, gender)
                        break search
                    }
                }
            }
        }
        return chosen
    }
}

/// `best(n, d, g, u)` over the whole slate, after each constituency (kept to walk back): the
/// best value of `n` speakers with *at least* `d` from developing countries (saturated at the
/// requested minimum), women minus men `g`, and speakers from `u` constituencies (saturated at
/// the applied minimum). "At least" lets a row that gains nothing over the row with one more
/// developing speaker be skipped.
private struct SlateTable {
    struct State {
        var size: Int
        var developing: Int
        var gender: Int
        var constituencies: Int
        var value: Int64
    }

    let size: Int
    let developingCap: Int
    let genderSpan: Int
    let constituencyCap: Int
    let tables: [ConstituencyTable]
    let entries: [[ConstituencyTable.Entry]]
    var layers: [[Int64]] = []

    init(problem: Problem, tables: [ConstituencyTable], minConstituencies: Int) {
        size = problem.size
        developingCap = problem.requested.minDeveloping
        genderSpan = problem.requested.maxGenderGap == nil ? 0 : problem.size
        constituencyCap = minConstituencies
        self.tables = tables
        entries = tables.map { $0.entries() }
        let width = 2 * genderSpan + 1
        var layer = Array(repeating: unreachable, count: (size + 1) * (developingCap + 1) * (constituencyCap + 1) * width)
        layer[at(0, 0, 0, 0)] = 0
        layers.append(layer)
        for entries in entries {
            var next = layer
            layer.withUnsafeBufferPointer { source in
                next.withUnsafeMutableBufferPointer { target in
                    for count in 0..<size {
                        for developing in 0...developingCap {
                            for used in 0...min(count, constituencyCap) {
                                guard let (low, high) = span(source, count, developing, used) else { continue }
                                let row = at(count, developing, used, 0)
                                for entry in entries where count + entry.count <= size {
                                    let targetRow = at(count + entry.count, min(developingCap, developing + entry.developing),
                                                       min(constituencyCap, used + 1), entry.gender)
                                    let from = max(low, -genderSpan - entry.gender)
                                    let to = min(high, genderSpan - entry.gender)
                                    guard from <= to else { continue }
                                    Self.relax(target.baseAddress! + targetRow, from: source.baseAddress! + row, range: from...to, adding: entry.value)
                                }
                            }
                        }
                    }
                    atLeast(target)
                }
            }
            layer = next
            layers.append(layer)
        }
    }

    /// The genders of row (count, developing, used) worth extending: reachable, and better than
    /// the same gender with one more developing speaker. Nil when there are none.
    func span(_ layer: UnsafeBufferPointer<Int64>, _ count: Int, _ developing: Int, _ used: Int) -> (Int, Int)? {
        let row = at(count, developing, used, 0)
        let richer = developing < developingCap ? at(count, developing + 1, used, 0) : nil
        func worth(_ gender: Int) -> Bool {
            layer[row + gender] > reachableFloor && richer.map { layer[row + gender] > layer[$0 + gender] } ?? true
        }
        let reach = min(count, genderSpan)
        var low = -reach, high = reach
        while low <= high && !worth(low) { low += 1 }
        while high >= low && !worth(high) { high -= 1 }
        return low <= high ? (low, high) : nil
    }

    /// Turns exact developing counts into "at least": each row takes the better of itself and
    /// the row with one more developing speaker.
    func atLeast(_ layer: UnsafeMutableBufferPointer<Int64>) {
        guard developingCap > 0 else { return }
        for count in 0...size {
            for used in 0...constituencyCap {
                for developing in stride(from: developingCap - 1, through: 0, by: -1) {
                    let row = at(count, developing, used, 0), richer = at(count, developing + 1, used, 0)
                    for gender in -genderSpan...genderSpan where layer[richer + gender] > layer[row + gender] {
                        layer[row + gender] = layer[richer + gender]
                    }
                }
            }
        }
    }

    /// `target[g] = max(target[g], source[g] + value)` over `range`, without branches: an
    /// unreachable source stays below `reachableFloor` after the addition (every path adds at
    /// most one slate's value, under 2^59), so it never poses as reachable.
    @inline(__always)
    static func relax(_ target: UnsafeMutablePointer<Int64>, from source: UnsafePointer<Int64>, range: ClosedRange<Int>, adding value: Int64) {
        for gender in range {
            target[gender] = max(target[gender], source[gender] &+ value)
        }
    }

    func at(_ count: Int, _ developing: Int, _ used: Int, _ gender: Int) -> Int {
        ((count * (developingCap + 1) + developing) * (constituencyCap + 1) + used) * (2 * genderSpan + 1) + gender + genderSpan
    }

    /// Reachable slates of the full size with the constituency minimum met.
    func finalStates() -> [State] {
        let last = layers[layers.count - 1]
        var states: [State] = []
        for developing in 0...developingCap {
            for gender in -genderSpan...genderSpan {
                let value = last[at(size, developing, constituencyCap, gender)]
                if value > reachableFloor {
                    states.append(State(size: size, developing: developing, gender: gender, constituencies: constituencyCap, value: value))
                }
            }
        }
        return states
    }

    /// The nominees of the slate that reaches `state`.
    func walkBack(from state: State) -> [Int] {
        var (count, developing, used, gender) = (state.size, state.developing, state.constituencies, state.gender)
        var chosen: [Int] = []
        for constituency in stride(from: tables.count - 1, through: 0, by: -1) {
            let layer = layers[constituency + 1], before = layers[constituency]
            let value = layer[at(count, developing, used, gender)]
            // The value was written at the most developing speakers that hold it ("at least").
            while developing < developingCap && layer[at(count, developing + 1, used, gender)] == value { developing += 1 }
            if before[at(count, developing, used, gender)] == value { continue }
            search: for entry in entries[constituency] where entry.count <= count {
                let (rest, restGender) = (count - entry.count, gender - entry.gender)
                guard abs(restGender) <= min(rest, genderSpan) else { continue }
                let uses = used == constituencyCap ? Array(max(0, constituencyCap - 1)...constituencyCap) : [used - 1]
                for restDeveloping in 0...developingCap where min(developingCap, restDeveloping + entry.developing) == developing {
                    for restUsed in uses where restUsed >= 0 && restUsed <= rest {
                        if before[at(rest, restDeveloping, restUsed, restGender)] &+ entry.value == value {
                            chosen += tables[constituency].walkBack(count: entry.count, atLeast: entry.developing, gender: entry.gender, value: entry.value)
                            (count, developing, used, gender) = (rest, restDeveloping, restUsed, restGender)
                            break search
                        }
                    }
                }
            }
        }
        return chosen
    }
}
