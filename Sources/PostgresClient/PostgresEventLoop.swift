#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// One thread that both waits on libpq sockets (`poll`) and runs the tasks waiting on them.
///
/// Each connection belongs to one loop. A task that uses a connection runs with the loop as its
/// task executor preference (see ``PostgresConnectionPool/withConnection(_:)``), so libpq's
/// non-blocking calls, the wait for the socket and the task's resumption all happen on this
/// thread with no hand-off to another: on a two-core machine every hand-off costs microseconds
/// and context switches, which is what keeps a thread pool of blocking calls at about 60 % of
/// the C client (measurements in `shared/PLATFORM.md`). Nothing here ever blocks except `poll`
/// itself, and only when there is no job to run.
public final class PostgresEventLoop: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: `shared` is protected by its mutex; `waiters`, `nextWaiterID` and
    // `pollDescriptors` are touched only on the loop's own thread (asserted by `assertInLoop`).

    /// The outcome of waiting for a socket.
    enum WaitResult: Sendable {
        /// The socket is ready; `events` holds poll's `revents`.
        case ready(events: Int16)
        /// The deadline passed first.
        case timedOut
        /// The waiting task was cancelled.
        case cancelled
    }

    private struct Shared {
        var jobs: [UnownedJob] = []
        var closures: [@Sendable () -> Void] = []
        var sleeping = false
        var stopping = false
        /// The thread has ended; jobs can no longer run here.
        var stopped = false
    }

    private struct Waiter {
        var id: UInt64
        var fd: Int32
        var events: Int16
        var deadline: ContinuousClock.Instant?
        var continuation: UnsafeContinuation<WaitResult, Never>
    }

    private let shared = Mutex(Shared())
    private let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    private let threadID = Atomic<UInt>(0)
    private var thread = pthread_t()
    private var waiters: [Waiter] = []
    private var nextWaiterID: UInt64 = 0
    private var pollDescriptors: [pollfd] = []

    /// Starts the loop's thread.
    public init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "cannot create the event loop's wake-up pipe")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeReadFD = fds[0]
        wakeWriteFD = fds[1]
        let unmanaged = Unmanaged.passRetained(self)
        let created = pthread_create(&thread, nil, { argument in
            let loop = Unmanaged<PostgresEventLoop>.fromOpaque(argument!).takeRetainedValue()
            loop.run()
            return nil
        }, unmanaged.toOpaque())
        precondition(created == 0, "cannot start the event loop's thread")
    }

    /// Whether the caller is on this loop's thread.
    public var inLoop: Bool { threadID.load(ordering: .relaxed) == UInt(bitPattern: Int(bitPattern: pthread_self())) }

    /// Whether the current task prefers this loop as its executor, so it runs here and comes
    /// back here after every suspension. Being on the loop's thread is not enough: a task stays
    /// on the thread for a moment after leaving a `withTaskExecutorPreference` scope, and its
    /// next resumption would then happen elsewhere.
    public var isPreferredByCurrentTask: Bool {
        let executor = asUnownedTaskExecutor()
        return withUnsafeCurrentTask { task in task?.unownedTaskExecutor == executor }
    }

    func assertInLoop(_ file: StaticString = #fileID, line: UInt = #line) {
        assert(inLoop, "libpq used off its event loop", file: file, line: line)
    }

    // MARK: TaskExecutor

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let (wake, stopped) = shared.withLock { state -> (Bool, Bool) in
            if state.stopped { return (false, true) }
            state.jobs.append(unowned)
            defer { state.sleeping = false }
            return (state.sleeping, false)
        }
        if wake { wakeUp() }
        // A task that still prefers a loop that has stopped must not hang: it runs elsewhere.
        if stopped {
            let executor = asUnownedTaskExecutor()
            Thread.detachNewThread { unowned.runSynchronously(on: executor) }
        }
    }

    /// Runs `closure` on the loop's thread soon; callable from any thread.
    func execute(_ closure: @escaping @Sendable () -> Void) {
        let wake = shared.withLock { state -> Bool in
            state.closures.append(closure)
            defer { state.sleeping = false }
            return state.sleeping
        }
        if wake { wakeUp() }
    }

    /// Stops the thread once no task waits on it any more, and waits for it to end.
    /// Must not be called from the loop's own thread.
    public func shutdown() {
        precondition(!inLoop, "an event loop cannot shut itself down")
        let alreadyStopping = shared.withLock { state -> Bool in
            defer { state.stopping = true }
            return state.stopping
        }
        guard !alreadyStopping else { return }
        wakeUp()
        pthread_join(thread, nil)
        close(wakeReadFD)
        close(wakeWriteFD)
    }

    // MARK: Waiting for sockets (loop thread only)

    /// Suspends the calling task until `fd` is ready for `events` or the deadline passes.
    /// When `cancellable`, cancelling the task ends the wait with `.cancelled`; statements
    /// wait non-cancellably because they answer cancellation with a cancel request instead.
    /// Must be called from a task running on this loop.
    func wait(fd: Int32, for events: Int16, deadline: ContinuousClock.Instant? = nil, cancellable: Bool) async -> WaitResult {
        assertInLoop()
        nextWaiterID &+= 1
        let id = nextWaiterID
        guard cancellable else {
            return await withUnsafeContinuation { continuation in
                waiters.append(Waiter(id: id, fd: fd, events: events, deadline: deadline, continuation: continuation))
            }
        }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: .cancelled)
                } else {
                    waiters.append(Waiter(id: id, fd: fd, events: events, deadline: deadline, continuation: continuation))
                }
            }
        } onCancel: {
            // The registering job is running on the loop right now, so this closure runs after it.
            self.execute { self.resumeWaiter(id: id, with: .cancelled) }
        }
    }

    private func resumeWaiter(id: UInt64, with result: WaitResult) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: result)
    }

    private func wakeUp() {
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)
    }

    // MARK: The loop

    private func run() {
        threadID.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .relaxed)
        let executor = asUnownedTaskExecutor()
        while true {
            let (jobs, closures, stopping) = shared.withLock { state in
                defer { state.jobs.removeAll(keepingCapacity: true); state.closures.removeAll(keepingCapacity: true) }
                return (state.jobs, state.closures, state.stopping)
            }
            for closure in closures { closure() }
            for job in jobs { job.runSynchronously(on: executor) }

            let idle = shared.withLock { state -> Bool in
                let idle = state.jobs.isEmpty && state.closures.isEmpty
                state.sleeping = idle
                return idle
            }
            if stopping && idle && waiters.isEmpty {
                let leftover = shared.withLock { state -> [UnownedJob] in
                    state.stopped = true
                    defer { state.jobs.removeAll() }
                    return state.jobs
                }
                for job in leftover { job.runSynchronously(on: executor) }
                return
            }
            pollOnce(timeoutMilliseconds: idle ? nextTimeout() : 0)
        }
    }

    private func nextTimeout() -> Int32 {
        guard let deadline = waiters.compactMap(\.deadline).min() else { return -1 }
        let remaining = ContinuousClock.now.duration(to: deadline)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        // Round up so the loop does not wake a moment early and spin.
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    private func pollOnce(timeoutMilliseconds: Int32) {
        pollDescriptors.removeAll(keepingCapacity: true)
        pollDescriptors.append(pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0))
        for waiter in waiters {
            pollDescriptors.append(pollfd(fd: waiter.fd, events: waiter.events, revents: 0))
        }
        let count = poll(&pollDescriptors, nfds_t(pollDescriptors.count), timeoutMilliseconds)
        // Awake again: the resumptions below enqueue jobs from this very thread, which must
        // not write to the wake-up pipe.
        shared.withLock { $0.sleeping = false }
        if count < 0 { return } // EINTR: go round again.
        if pollDescriptors[0].revents != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            while read(wakeReadFD, &buffer, buffer.count) > 0 {}
        }
        let now = ContinuousClock.now
        var index = 0
        var descriptor = 1
        // Waiters registered during this pass are not in pollDescriptors; they sit at the end.
        let polledCount = pollDescriptors.count - 1
        while index < waiters.count && descriptor <= polledCount {
            let revents = pollDescriptors[descriptor].revents
            descriptor += 1
            if revents != 0 {
                waiters.remove(at: index).continuation.resume(returning: .ready(events: revents))
            } else if let deadline = waiters[index].deadline, deadline <= now {
                waiters.remove(at: index).continuation.resume(returning: .timedOut)
            } else {
                index += 1
            }
        }
    }
}
