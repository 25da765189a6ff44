import Foundation
@testable import Ingest
import Testing

/// Streams a generated ~200 MB Taobao export (GBK) through the parser and checks that the
/// process's peak resident memory grows by less than 150 MB. Slow: run with
/// `SHOPRECON_SLOW_TESTS=1`.
@Suite("Bounded memory", .serialized, .enabled(if: ProcessInfo.processInfo.environment["SHOPRECON_SLOW_TESTS"] == "1"))
struct BoundedMemoryTests {
    /// A field of /proc/self/status in KiB (VmRSS, VmHWM).
    static func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        return nil
    }

    /// Resets VmHWM to the current RSS (Linux ≥ 4.0); `false` if not possible.
    static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    /// Writes `targetBytes` of Taobao order rows in GBK, chunk by chunk.
    static func generate(to url: URL, targetBytes: Int) throws -> (rows: Int, paidFen: Int64) {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        let header = TaobaoTests.header
        let encoder = try IconvConverter(from: "UTF-8", to: "GBK")
        try handle.write(contentsOf: Data(encoder.convert(Array((header.joined(separator: ",") + "\r\n").utf8))))
        var written = 0
        var rows = 0
        var paid: Int64 = 0
        while written < targetBytes {
            var chunk = ""
            chunk.reserveCapacity(1 << 20)
            for _ in 0..<2000 {
                rows += 1
                let fen = Int64(rows % 50_000 + 100)
                paid += fen
                let amount = "\(fen / 100).\(fen % 100 < 10 ? "0" : "")\(fen % 100)"
                let day = rows % 28 + 1
                chunk += Samples.csvLine(header, [
                    "订单编号": "=\"\(3_000_000_000_000_000_000 + rows)\"", "买家会员名": "买家\(rows % 9973)", "买家支付宝账号": "u\(rows)@example.com",
                    "买家应付货款": amount, "买家应付邮费": "0.00", "买家支付积分": "0", "总金额": amount, "返点积分": "0",
                    "买家实际支付金额": amount, "买家实际支付积分": "0", "订单状态": rows % 7 == 0 ? "交易关闭" : "交易成功",
                    "买家留言": rows % 5 == 0 ? "请尽快发货,谢谢\n周末不在家" : "", "收货人姓名": "收货人\(rows % 997)",
                    "收货地址 ": "浙江省 杭州市 西湖区 文三路 \(rows % 500)号, \(rows % 20)单元", "运送方式": "快递",
                    "联系手机": "138\(String(format: "%08d", rows % 100_000_000))", "订单创建时间": "2024-03-\(day < 10 ? "0" : "")\(day) 10:00:00",
                    "订单付款时间 ": "2024-03-\(day < 10 ? "0" : "")\(day) 10:01:00", "宝贝标题 ": "纯棉T恤,白色 XL 第\(rows % 300)款", "宝贝种类": "1",
                    "物流单号 ": "SF\(1_000_000_000 + rows)", "物流公司": "顺丰速运", "宝贝总数量": "\(rows % 3 + 1)", "店铺Id": "12345",
                    "店铺名称": "旗舰店", "卖家服务费": "0.00", "买家服务费": "0.00", "是否手机订单": "手机订单",
                ]) + "\r\n"
            }
            let bytes = encoder.convert(Array(chunk.utf8))
            try handle.write(contentsOf: Data(bytes))
            written += bytes.count
        }
        return (rows, paid)
    }

    @Test("a ~200 MB export streams through in bounded memory")
    func streamLargeFile() throws {
        let directory = Samples.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("big-taobao.csv")
        let (rows, paidFen) = try Self.generate(to: url, targetBytes: 200 * 1024 * 1024)
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber
        #expect((size?.intValue ?? 0) >= 200 * 1024 * 1024)

        let reset = Self.resetPeak()
        let before = try #require(reset ? Self.status("VmRSS") : Self.status("VmHWM"))
        var orders = 0
        var paid: Int64 = 0
        var lastLine = 0
        let started = Date()
        let report = try Ingest.parse(.file(url), format: nil) { record in
            guard case .order(let order) = record else { return }
            orders += 1
            paid += order.paidAmount?.minorUnits ?? 0
            lastLine = order.position.line
        }
        let elapsed = Date().timeIntervalSince(started)
        let peak = try #require(Self.status("VmHWM"))
        let growthMB = Double(peak - before) / 1024
        print("bounded-memory: \(rows) rows, \(report.byteCount / 1_048_576) MiB in \(String(format: "%.1f", elapsed)) s, peak RSS growth \(String(format: "%.1f", growthMB)) MiB (peak reset: \(reset))")
        #expect(report.format == .taobao)
        #expect(report.encoding == .gb18030)
        #expect(orders == rows)
        #expect(paid == paidFen)
        #expect(lastLine > rows)  // multi-line messages push line numbers past the row count
        #expect(report.sha256?.count == 64)
        #expect(growthMB < 150, "peak RSS grew by \(growthMB) MiB")
    }

    @Test("a large camt.053 streams through the XML parser in bounded memory")
    func streamLargeCamt() throws {
        let directory = Samples.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("big-camt053.xml")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        try handle.write(contentsOf: Data("""
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>
        <Stmt><Id>S</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>

        """.utf8))
        var entries = 0
        var written = 0
        while written < 80 * 1024 * 1024 {
            var chunk = ""
            for _ in 0..<1000 {
                entries += 1
                chunk += """
                <Ntry><NtryRef>\(entries)</NtryRef><Amt Ccy="EUR">\(entries % 1000).\(entries % 10)5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
                <BookgDt><Dt>2024-03-19</Dt></BookgDt><NtryDtls><TxDtls><Refs><EndToEndId>E2E-\(entries)</EndToEndId></Refs>\
                <RltdPties><Dbtr><Nm>Customer \(entries)</Nm></Dbtr></RltdPties><RmtInf><Ustrd>Invoice \(entries)</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>

                """
            }
            let data = Data(chunk.utf8)
            try handle.write(contentsOf: data)
            written += data.count
        }
        try handle.write(contentsOf: Data("</Stmt></BkToCstmrStmt></Document>\n".utf8))
        try handle.close()

        let reset = Self.resetPeak()
        let before = try #require(reset ? Self.status("VmRSS") : Self.status("VmHWM"))
        var lines = 0
        let report = try Ingest.parse(.file(url)) { record in
            if case .bankLine = record { lines += 1 }
        }
        let peak = try #require(Self.status("VmHWM"))
        let growthMB = Double(peak - before) / 1024
        print("bounded-memory camt: \(entries) entries, peak RSS growth \(String(format: "%.1f", growthMB)) MiB")
        #expect(report.format == .camt053)
        #expect(lines == entries)
        #expect(growthMB < 150, "peak RSS grew by \(growthMB) MiB")
    }
}
