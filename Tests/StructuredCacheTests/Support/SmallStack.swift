// Runs code on a thread with a small stack, where a recursion as deep as the input would crash.

import Foundation

/// Runs `body` on a thread with a 256 KiB stack and returns what it returns.
///
/// 256 KiB is less than the 512 KiB of Darwin's secondary and cooperative-pool threads, so code that
/// recursed once per nesting level would crash here in a debug build well before the default depth limit.
/// The test waits on a semaphore: the thread is a plain thread, not one of the cooperative pool.
func onSmallStack<Value: Sendable>(_ body: @escaping @Sendable () -> Value) -> Value {
    let outcome = Outcome<Value>()
    let finished = DispatchSemaphore(value: 0)
    let thread = Thread {
        outcome.value = body()
        finished.signal()
    }
    thread.stackSize = 256 * 1024
    thread.start()
    finished.wait()
    return outcome.value!
}

/// What `onSmallStack` hands back: written by the thread before it signals, read after the wait.
private final class Outcome<Value>: @unchecked Sendable {
    var value: Value?
}
