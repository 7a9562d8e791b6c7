@testable import PostgresClient
import Testing

/// The pool's rules, without a database.
@Suite("Pool state machine")
struct PoolStateMachineTests {
    final class FakeConnection {}
    typealias Machine = PoolStateMachine<FakeConnection>

    @Test func opensConnectionsUpToTheMaximumThenQueues() {
        var machine = Machine(maximum: 2)
        guard case .connect = machine.leaseRequested(waiter: 1) else { Issue.record("expected connect"); return }
        machine.connected()
        guard case .connect = machine.leaseRequested(waiter: 2) else { Issue.record("expected connect"); return }
        machine.connected()
        guard case .wait = machine.leaseRequested(waiter: 3) else { Issue.record("expected wait"); return }
        #expect(machine.statistics == PostgresPoolStatistics(connections: 2, leased: 2, waiters: 1))
    }

    @Test func aReleasedConnectionGoesToTheLongestWaiter() {
        var machine = Machine(maximum: 1)
        _ = machine.leaseRequested(waiter: 1)
        machine.connected()
        _ = machine.leaseRequested(waiter: 2)
        _ = machine.leaseRequested(waiter: 3)
        let connection = FakeConnection()
        guard case .handOver(let handed, to: 2) = machine.released(connection, reusable: true) else {
            Issue.record("expected hand-over to waiter 2"); return
        }
        #expect(handed === connection)
        #expect(machine.statistics == PostgresPoolStatistics(connections: 1, leased: 1, waiters: 1))
    }

    @Test func aNewcomerDoesNotJumpTheQueue() {
        var machine = Machine(maximum: 1)
        _ = machine.leaseRequested(waiter: 1)
        machine.connected()
        _ = machine.leaseRequested(waiter: 2)
        _ = machine.released(FakeConnection(), reusable: true) // to waiter 2
        guard case .wait = machine.leaseRequested(waiter: 3) else { Issue.record("expected wait"); return }
    }

    @Test func aBrokenConnectionIsClosedAndReplacedForAWaiter() {
        var machine = Machine(maximum: 1)
        _ = machine.leaseRequested(waiter: 1)
        machine.connected()
        _ = machine.leaseRequested(waiter: 2)
        guard case .closeAndConnect(_, for: 2) = machine.released(FakeConnection(), reusable: false) else {
            Issue.record("expected close and reconnect for waiter 2"); return
        }
        #expect(machine.statistics == PostgresPoolStatistics(connections: 1, leased: 0, waiters: 0))
        machine.connected()
        #expect(machine.statistics.leased == 1)
    }

    @Test func aBrokenConnectionWithoutWaitersFreesItsSlot() {
        var machine = Machine(maximum: 1)
        _ = machine.leaseRequested(waiter: 1)
        machine.connected()
        guard case .close = machine.released(FakeConnection(), reusable: false) else { Issue.record("expected close"); return }
        #expect(machine.statistics.connections == 0)
        guard case .connect = machine.leaseRequested(waiter: 2) else { Issue.record("expected connect"); return }
    }

    @Test func aFailedConnectLetsAWaiterTryInItsPlace() {
        var machine = Machine(maximum: 1)
        _ = machine.leaseRequested(waiter: 1)
        _ = machine.leaseRequested(waiter: 2)
        guard case .connect(for: 2) = machine.connectFailed() else { Issue.record("expected connect for waiter 2"); return }
    }

    @Test func aWaiterThatGivesUpLeavesTheQueue() {
        var machine = Machine(maximum: 1)
        _ = machine.leaseRequested(waiter: 1)
        machine.connected()
        _ = machine.leaseRequested(waiter: 2)
        let first = machine.waiterGaveUp(2)
        let second = machine.waiterGaveUp(2)
        #expect(first)
        #expect(!second)
        guard case .none = machine.released(FakeConnection(), reusable: true) else { Issue.record("expected idle"); return }
        #expect(machine.idle.count == 1)
    }

    @Test func closingFailsWaitersAndClosesConnectionsAsTheyReturn() {
        var machine = Machine(maximum: 2)
        _ = machine.leaseRequested(waiter: 1)
        machine.connected()
        _ = machine.leaseRequested(waiter: 2)
        machine.connected()
        _ = machine.released(FakeConnection(), reusable: true)
        _ = machine.leaseRequested(waiter: 3) // takes the idle one
        _ = machine.leaseRequested(waiter: 4) // waits
        guard case .close(let idle, let waiters) = machine.close() else { return }
        #expect(idle.isEmpty)
        #expect(waiters == [4])
        guard case .close = machine.released(FakeConnection(), reusable: true) else { Issue.record("expected close"); return }
        guard case .fail = machine.leaseRequested(waiter: 5) else { Issue.record("expected fail"); return }
    }
}
