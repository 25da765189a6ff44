import CLibPQ
import Glibc

/// Owns a `PGconn`. `PQfinish` runs exactly once: from ``close()`` or, failing that, `deinit`.
final class ConnectionHandle: @unchecked Sendable {
    private(set) var pointer: OpaquePointer?

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    func close() {
        if let pointer {
            PQfinish(pointer)
            self.pointer = nil
        }
    }

    deinit { close() }
}

/// A self-pipe that interrupts a `poll()` on the connection's thread from any other thread;
/// used to cancel a notification wait without spinning or sleeping.
final class WakeupPipe: @unchecked Sendable {
    let readFD: Int32
    let writeFD: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readFD, &buffer, buffer.count) > 0 {}
    }

    deinit {
        if readFD >= 0 { Glibc.close(readFD) }
        if writeFD >= 0 { Glibc.close(writeFD) }
    }
}
