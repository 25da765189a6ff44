import Foundation
@testable import Ingest
import Testing

@Suite("Encoding detection and decoding")
struct EncodingTests {
    let chinese = "订单编号,买家会员名,收货地址\n1001,张三,\"浙江省杭州市西湖区文三路, 1号\"\n1002,李四,北京市朝阳区\n"

    func decodeAll<S: ByteSource>(_ source: S, encoding: EncodingChoice = .auto, window: Int = defaultChunkSize) throws
        -> (String, TextEncoding?) {
        var decoder = DecodingByteSource(source, encoding: encoding, detectionWindow: window)
        var bytes: [UInt8] = []
        while let chunk = try decoder.nextChunk() { bytes.append(contentsOf: chunk) }
        return (String(decoding: bytes, as: UTF8.self), decoder.encoding)
    }

    @Test("UTF-8, UTF-8 with BOM and GBK are told apart")
    func detection() throws {
        let utf8 = Array(Samples.bytes(chinese, .utf8))
        let bom = Array(Samples.bytes(chinese, .utf8BOM))
        let gbk = Array(Samples.bytes(chinese, .gbk))
        #expect(gbk != utf8)
        #expect(EncodingDetector.detect(utf8, isComplete: true) == DetectedEncoding(encoding: .utf8, bomLength: 0))
        #expect(EncodingDetector.detect(bom, isComplete: true) == DetectedEncoding(encoding: .utf8, bomLength: 3))
        #expect(EncodingDetector.detect(gbk, isComplete: true).encoding == .gb18030)
        for bytes in [utf8, bom, gbk] {
            let (text, _) = try decodeAll(DataByteSource(bytes))
            #expect(text == chinese)
        }
        #expect(try decodeAll(DataByteSource(gbk)).1 == .gb18030)
        #expect(try decodeAll(DataByteSource(bom)).1 == .utf8)
    }

    @Test("GBK decoding across chunk boundaries (1 to 7 byte chunks)")
    func gbkChunkBoundaries() throws {
        let text = String(repeating: "支付宝账务明细，收入金额（+元）：14989.00元；𠀀扩展字符\n", count: 20)
        // GB18030 for the 4-byte sequence of the CJK extension character; GBK covers the rest.
        let bytes = try IconvConverter.convert(Array(text.utf8), from: "UTF-8", to: "GB18030")
        for chunk in 1...7 {
            // A detection window smaller than the text forces decoding chunk by chunk.
            let (decoded, encoding) = try decodeAll(DataByteSource(bytes, chunkSize: chunk), window: 16)
            #expect(decoded == text, "chunk size \(chunk)")
            #expect(encoding == .gb18030)
        }
    }

    @Test("UTF-8 multibyte characters split across chunks")
    func utf8ChunkBoundaries() throws {
        let text = "交易时间,商品名称\n2024-01-01,测试😀商品\n"
        for chunk in 1...5 {
            let (decoded, encoding) = try decodeAll(DataByteSource(Array(text.utf8), chunkSize: chunk), window: 4)
            #expect(decoded == text)
            #expect(encoding == .utf8)
        }
    }

    @Test("an ASCII start followed by GBK switches to GB18030")
    func asciiThenGBK() throws {
        let ascii = String(repeating: "order,amount\n", count: 10)
        let bytes = Array(ascii.utf8) + Array(Samples.bytes("订单,金额\n", .gbk))
        let (decoded, encoding) = try decodeAll(DataByteSource(bytes, chunkSize: 32), window: 32)
        #expect(decoded == ascii + "订单,金额\n")
        #expect(encoding == .gb18030)
    }

    @Test("invalid UTF-8 after UTF-8 text is an error naming the offset")
    func mixedEncodings() throws {
        let bytes = Array("订单,金额\n".utf8) + [0xFF, 0xFE, 0x41]
        #expect(throws: IngestError.self) {
            _ = try decodeAll(DataByteSource(bytes, chunkSize: 4), window: 4)
        }
        do {
            _ = try decodeAll(DataByteSource(bytes, chunkSize: 4), window: 4)
        } catch let error as IngestError {
            #expect(error.code == .encoding)
            #expect(error.message.contains("byte offset 14"))
        }
    }

    @Test("a forced encoding is used as given")
    func forced() throws {
        let gbk = Array(Samples.bytes(chinese, .gbk))
        let (text, encoding) = try decodeAll(DataByteSource(gbk), encoding: .forced(.gb18030))
        #expect(text == chinese)
        #expect(encoding == .gb18030)
    }

    @Test("GBK files parse end to end with detection")
    func gbkFile() throws {
        let result = try Samples.parse("""
        订单编号,买家会员名,订单状态,总金额
        1001,张三,交易成功,12.50

        """, name: "orders.csv", encoding: .gbk, format: .taobao)
        #expect(result.report.encoding == .gb18030)
        #expect(result.records.orders.first?.buyerID == "张三")
    }

    @Test("file digests are SHA-256 of the raw bytes")
    func digest() throws {
        let url = Samples.write("abc", name: "abc.txt")
        #expect(try FileDigest.sha256(of: url) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(FileDigest.sha256(of: Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("UTF-16LE with BOM (Excel Unicode text) is converted too")
    func utf16() throws {
        let text = "Transaction Date\tType\tOrder\tAmount\tFee\tNet\tCurrency\n2024-01-15 10:23:45 -0500\tcharge\t#1001\t120.00\t3.78\t116.22\tUSD\n"
        let bytes = [0xFF, 0xFE] + (try IconvConverter.convert(Array(text.utf8), from: "UTF-8", to: "UTF-16LE"))
        let url = Samples.directory().appendingPathComponent("unicode.txt")
        try Data(bytes).write(to: url)
        let result = try Ingest.parseAll(.file(url))
        #expect(result.report.encoding == .utf16LE)
        #expect(result.report.format == .shopifyPayouts)
        #expect(result.records.transactions.first?.net == Money(minorUnits: 11_622, currency: "USD"))
    }

    @Test("tiny read chunks give the same records as 64 KiB chunks (GBK, quotes, line breaks)")
    func tinyChunksEndToEnd() throws {
        var small = ParseOptions()
        small.chunkSize = 3
        let a = try Samples.parse(AlipayTests.tradeBill, name: "a.csv", encoding: .gbk, options: small)
        let b = try Samples.parse(AlipayTests.tradeBill, name: "a.csv", encoding: .gbk)
        #expect(a.records == b.records)
        #expect(a.records.transactions.count == 3)
        let c = try Samples.parse(TaobaoTests.sample(badAmount: "1.00"), name: "t.csv", encoding: .gbk, options: small)
        let d = try Samples.parse(TaobaoTests.sample(badAmount: "1.00"), name: "t.csv", encoding: .gbk)
        #expect(c.records == d.records)
        #expect(c.records.orders.first?.sellerMemo == "第一行备注\n第二行备注")
    }
}
