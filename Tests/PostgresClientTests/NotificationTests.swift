import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

@Suite("LISTEN and NOTIFY", .freshDatabase(), .timeLimit(.minutes(1)))
struct NotificationTests {
    @Test("a notification and its payload reach another connection")
    func deliversAcrossConnections() async throws {
        try await withConnection { listener in
            try await withConnection { sender in
                let channel = "Orders_订单_" + uniqueName("ch")  // mixed case and non-ASCII: must be quoted right
                try await listener.listen(channel)
                let payloads = ["淘宝订单，退款！", "", "it's \"quoted\" \\ 🚀\ttab\nnewline", String(repeating: "x", count: 7000)]
                for payload in payloads {
                    try await sender.notify(channel, payload: payload)
                }
                let senderPID = await sender.backendPID
                for payload in payloads {
                    let notification = try #require(try await listener.nextNotification(timeout: .seconds(5)))
                    #expect(notification.channel == channel)
                    #expect(utf8Bytes(notification.payload) == utf8Bytes(payload))
                    #expect(notification.senderPID == senderPID)
                }
                // Nothing else is pending, and other channels are not delivered.
                try await sender.notify(channel + "_other", payload: "not for us")
                #expect(try await listener.nextNotification(timeout: .milliseconds(200)) == nil)
            }
        }
    }

    @Test("nextNotification returns nil once the timeout has passed")
    func timesOut() async throws {
        try await withConnection { listener in
            try await listener.listen(uniqueName("quiet"))
            let (notification, seconds) = try await measure {
                try await listener.nextNotification(timeout: .milliseconds(400))
            }
            #expect(notification == nil)
            #expect(seconds >= 0.39, "returned after \(seconds) s, before the timeout")
            #expect(seconds < 1.5, "returned after \(seconds) s, long after the timeout")
            #expect(try await listener.scalar(Int.self, "SELECT 1") == 1)
        }
    }

    @Test("a notification is delivered only when its transaction commits")
    func rolledBackNotifyIsNotDelivered() async throws {
        try await withConnection { listener in
            try await withConnection { sender in
                let channel = uniqueName("tx")
                try await listener.listen(channel)
                await #expect(throws: DeliberateFailure.self) {
                    try await sender.transaction { tx in
                        try tx.notify(channel, payload: "rolled back")
                        throw DeliberateFailure(tag: "rollback")
                    }
                }
                #expect(try await listener.nextNotification(timeout: .milliseconds(400)) == nil)

                // A committed one is delivered, so the listener was really listening.
                try await sender.transaction { tx in try tx.notify(channel, payload: "committed") }
                let delivered = try await listener.nextNotification(timeout: .seconds(5))
                #expect(delivered?.payload == "committed")
                #expect(try await listener.nextNotification(timeout: .milliseconds(100)) == nil)
            }
        }
    }

    @Test("cancelling a task waiting for a notification ends the wait at once")
    func cancellation() async throws {
        try await withConnection { listener in
            let channel = uniqueName("cancel")
            try await listener.listen(channel)
            let started = ContinuousClock.now
            let waiter = Task { try await listener.nextNotification(timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(200))
            waiter.cancel()
            let result = await waiter.result
            let seconds = (ContinuousClock.now - started).seconds
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(seconds < 2, "the cancelled wait took \(seconds) s")

            // The connection is fine afterwards and still listening.
            #expect(await !listener.isBroken)
            #expect(try await listener.scalar(Int.self, "SELECT 7") == 7)
            try await withConnection { sender in try await sender.notify(channel, payload: "after cancel") }
            #expect(try await listener.nextNotification(timeout: .seconds(5))?.payload == "after cancel")

            // A task cancelled before it starts waiting does not wait either.
            let early = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await listener.nextNotification(timeout: .seconds(30))
            }
            let (earlyResult, earlySeconds) = await measure { await early.result }
            #expect(throws: CancellationError.self) { try earlyResult.get() }
            #expect(earlySeconds < 2)
        }
    }

    @Test("PostgresListener reconnects after its backend is terminated and keeps receiving")
    func listenerReconnects() async throws {
        let database = try SuiteDatabase.get()
        var configuration = database.configuration
        configuration.applicationName = uniqueName("listener")
        let listener = PostgresListener(configuration: configuration)
        let channel = uniqueName("jobs")
        try await listener.listen(channel)

        try await withConnection { sender in
            try await sender.notify(channel, payload: "before")
            #expect(try await listener.next(timeout: .seconds(5))?.payload == "before")

            let oldPID = try #require(try await listenerPIDs(sender, configuration.applicationName).first)
            try await terminateBackend(oldPID)

            // The loss is noticed promptly and reported as "nothing yet" rather than an error.
            let (lost, seconds) = try await measure { try await listener.next(timeout: .seconds(3)) }
            #expect(lost == nil)
            #expect(seconds < 2.5, "noticing the lost connection took \(seconds) s")

            // The next wait reconnects and LISTENs again; notifications sent from then on arrive.
            let senderPID = await sender.backendPID
            let ticker = Task {
                var n = 0
                while !Task.isCancelled {
                    n += 1
                    try await sender.notify(channel, payload: "after-\(n)")
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            var received: PostgresNotification?
            let deadline = ContinuousClock.now + .seconds(10)
            while received == nil, ContinuousClock.now < deadline {
                received = try await listener.next(timeout: .milliseconds(500))
            }
            ticker.cancel()
            _ = await ticker.result
            let notification = try #require(received)
            #expect(notification.channel == channel)
            #expect(notification.payload.hasPrefix("after-"))
            #expect(notification.senderPID == senderPID)

            let newPIDs = try await listenerPIDs(sender, configuration.applicationName)
            #expect(newPIDs.count == 1, "exactly one listener connection expected, found \(newPIDs)")
            #expect(!newPIDs.contains(oldPID))
        }
        await listener.close()
    }

    @Test("PostgresListener.listen after a lost connection reconnects and listens on every channel")
    func listenerListenAfterLoss() async throws {
        let database = try SuiteDatabase.get()
        var configuration = database.configuration
        configuration.applicationName = uniqueName("listener")
        let listener = PostgresListener(configuration: configuration)
        let first = uniqueName("first"), second = uniqueName("second")
        try await listener.listen(first)
        try await withConnection { sender in
            let oldPID = try #require(try await listenerPIDs(sender, configuration.applicationName).first)
            try await terminateBackend(oldPID)

            // Subscribing to another channel is "the next call": it reconnects instead of failing.
            try await listener.listen(second)
            let newPIDs = try await listenerPIDs(sender, configuration.applicationName)
            #expect(newPIDs.count == 1 && !newPIDs.contains(oldPID), "\(newPIDs)")

            try await sender.notify(first, payload: "one")
            try await sender.notify(second, payload: "two")
            let a = try await listener.next(timeout: .seconds(5))
            let b = try await listener.next(timeout: .seconds(5))
            #expect(a?.channel == first && a?.payload == "one")
            #expect(b?.channel == second && b?.payload == "two")
        }
        await listener.close()
    }

    private func listenerPIDs(_ connection: PostgresConnection, _ applicationName: String) async throws -> [Int32] {
        try await connection.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [applicationName])
            .map { try $0.decode(Int32.self, at: 0) }
    }
}
