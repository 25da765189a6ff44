import Foundation
import ShopReconTestSupport
import Synchronization

/// Generates large Taobao-format order exports (GBK, `="…"` guards, CRLF) in a streaming way:
/// rows are assembled as bytes from pre-encoded GBK pieces and written in 4 MiB chunks, so the
/// generator's memory does not grow with the file.
enum BulkTaobaoFile {
    /// Order numbers are `prefix + n` (n from 1).
    static let numberBase: Int64 = 4_000_000_000_000_000_000

    /// Writes orders until the file reaches `targetBytes`; returns the number of orders written.
    static func write(to url: URL, targetBytes: Int64) throws -> Int {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        let pieces = try Pieces()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4 << 20 + 4096)
        buffer += pieces.header
        var written: Int64 = 0
        var rows = 0
        while written + Int64(buffer.count) < targetBytes {
            rows += 1
            pieces.appendRow(rows, to: &buffer)
            if buffer.count >= 4 << 20 {
                try handle.write(contentsOf: buffer)
                written += Int64(buffer.count)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        return rows
    }

    /// The GBK bytes of the constant parts of a row.
    struct Pieces {
        let header: [UInt8]
        let statuses: [[UInt8]]
        let message: [UInt8]
        let names: [[UInt8]]
        let address: [UInt8]
        let express: [UInt8]
        let titles: [[UInt8]]
        let courier: [UInt8]
        let memo: [UInt8]
        let shopName: [UInt8]
        let mobileOrder: [UInt8]

        init() throws {
            header = try SampleFiles.gbk(TaobaoLayout.header.joined(separator: ",") + "\r\n")
            statuses = try ["交易成功", "买家已付款，等待卖家发货", "卖家已发货，等待买家确认", "交易关闭"].map(SampleFiles.gbk)
            message = try SampleFiles.gbk("请尽快发货，谢谢！周末不在家请放快递柜或者门卫处，到了打电话")
            names = try ["张三", "李四", "王小五", "赵六", "欧阳晓明"].map(SampleFiles.gbk)
            address = try SampleFiles.gbk("浙江省 杭州市 西湖区 文三路 100号 华星科技大厦 3单元 1201室")
            express = try SampleFiles.gbk("快递")
            titles = try ["2024新款纯棉短袖T恤男士夏季宽松圆领半袖打底衫 白色 XL",
                          "陶瓷马克杯大容量办公室喝水杯子带盖勺 简约北欧风",
                          "帆布包女大容量单肩包学生上课百搭手提袋 米白色"].map(SampleFiles.gbk)
            courier = try SampleFiles.gbk("顺丰速运")
            memo = try SampleFiles.gbk("老客户，赠送小样一份；发顺丰，包装加固")
            shopName = try SampleFiles.gbk("旗舰店")
            mobileOrder = try SampleFiles.gbk("手机订单")
        }

        /// One order row (41 columns) for order `n`.
        func appendRow(_ n: Int, to out: inout [UInt8]) {
            var random = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
            random ^= random >> 29
            let goods = 1000 + Int64(random % 50_000)  // fen
            let shipping: Int64 = (random >> 20) % 3 == 0 ? 1000 : 0
            let total = goods + shipping
            let status = Int((random >> 8) % 4)
            let paid: Int64 = status == 3 ? 0 : total
            let day = 1 + n % 28
            let second = n % 86_400
            let comma = UInt8(ascii: ",")
            out += Array("=\"".utf8)
            appendInt(numberBase + Int64(n), &out)
            out += Array("\",tb_".utf8)
            appendInt(Int64(n), &out)
            out += Array(",b".utf8)
            appendInt(Int64(n), &out)
            out += Array("@example.com,".utf8)
            appendMoney(goods, &out); out.append(comma)
            appendMoney(shipping, &out); out += Array(",0,".utf8)
            appendMoney(total, &out); out += Array(",0,".utf8)
            appendMoney(paid, &out); out += Array(",0,".utf8)
            out += statuses[status]; out.append(comma)
            out += message; out.append(comma)
            out += names[n % names.count]; out.append(comma)
            out += address; out.append(comma)
            out += express; out += Array(",,138".utf8)
            appendPadded(Int64(n % 100_000_000), width: 8, &out); out.append(comma)
            appendTime(day: day, second: second, &out); out.append(comma)
            appendTime(day: day, second: min(second + 61, 86_399), &out); out.append(comma)
            out += titles[n % titles.count]; out += Array(",1,SF".utf8)
            appendInt(1_000_000_000 + Int64(n), &out); out.append(comma)
            out += courier; out.append(comma)
            out += memo; out.append(comma)
            appendInt(Int64(1 + n % 3), &out); out += Array(",12345,".utf8)
            out += shopName; out += Array(",,".utf8)
            appendMoney(goods / 100, &out); out += Array(",0.00,,".utf8)
            out += mobileOrder
            out += Array(",,,,,,,,,\r\n".utf8)
        }

        private func appendInt(_ value: Int64, _ out: inout [UInt8]) {
            if value >= 10 { appendInt(value / 10, &out) }
            out.append(UInt8(ascii: "0") + UInt8(value % 10))
        }

        private func appendPadded(_ value: Int64, width: Int, _ out: inout [UInt8]) {
            var digits: [UInt8] = []
            var v = value
            for _ in 0..<width {
                digits.append(UInt8(ascii: "0") + UInt8(v % 10))
                v /= 10
            }
            out += digits.reversed()
        }

        private func appendMoney(_ fen: Int64, _ out: inout [UInt8]) {
            appendInt(fen / 100, &out)
            out.append(UInt8(ascii: "."))
            appendPadded(fen % 100, width: 2, &out)
        }

        /// `2024-11-DD HH:MM:SS`.
        private func appendTime(day: Int, second: Int, _ out: inout [UInt8]) {
            out += Array("2024-11-".utf8)
            appendPadded(Int64(day), width: 2, &out)
            out.append(UInt8(ascii: " "))
            appendPadded(Int64(second / 3600), width: 2, &out)
            out.append(UInt8(ascii: ":"))
            appendPadded(Int64(second / 60 % 60), width: 2, &out)
            out.append(UInt8(ascii: ":"))
            appendPadded(Int64(second % 60), width: 2, &out)
        }
    }
}

/// Resident memory of this process from /proc/self/status.
enum ProcessMemory {
    /// `VmRSS` and `VmHWM` (peak) in bytes.
    static func current() throws -> (rss: Int64, peak: Int64) {
        let text = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        func value(_ key: String) throws -> Int64 {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }),
                  let kB = Int64(line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") else {
                throw TestFailure("no \(key) in /proc/self/status")
            }
            return kB * 1024
        }
        return (try value("VmRSS"), try value("VmHWM"))
    }

    /// Resets `VmHWM` to the current RSS (Linux ≥ 4.0: `echo 5 > /proc/self/clear_refs`).
    static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }

    /// Runs `body` and returns its value with the peak RSS growth over the RSS before it: the
    /// larger of VmHWM after `body` (reset before it where the kernel allows) and RSS sampled
    /// every 20 ms, minus RSS before.
    static func measureGrowth<T: Sendable>(_ body: () async throws -> T) async throws -> (value: T, growth: Int64, baseline: Int64) {
        let reset = resetPeak()
        let baseline = try current().rss
        let sampled = PeakBox(baseline)
        let sampler = Task.detached {
            while !Task.isCancelled {
                if let rss = try? current().rss { sampled.raise(to: rss) }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let value: T
        do {
            value = try await body()
        } catch {
            sampler.cancel()
            throw error
        }
        sampler.cancel()
        _ = await sampler.value
        let after = try current()
        var peak = sampled.value
        if reset { peak = max(peak, after.peak) }
        return (value, max(0, peak - baseline), baseline)
    }
}

/// The largest value seen, shared with the sampling task.
final class PeakBox: Sendable {
    private let state: Mutex<Int64>
    init(_ value: Int64) { state = Mutex(value) }
    var value: Int64 { state.withLock { $0 } }
    func raise(to candidate: Int64) { state.withLock { $0 = max($0, candidate) } }
}
