import PostgresClient
import Testing

@Suite("Event loop")
struct EventLoopTests {
    @Test func tasksPreferringTheLoopRunOnItsThread() async {
        let loop = PostgresEventLoop()
        let onLoop = await withTaskExecutorPreference(loop) { loop.inLoop }
        #expect(onLoop)
        #expect(!loop.inLoop)
        loop.shutdown()
    }

    @Test func aTaskPreferringAStoppedLoopStillRuns() async {
        let loop = PostgresEventLoop()
        loop.shutdown()
        let answer = await withTaskExecutorPreference(loop) { 42 }
        #expect(answer == 42)
    }
}
