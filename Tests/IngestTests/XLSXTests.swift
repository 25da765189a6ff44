import Foundation
@testable import Ingest
import Testing

@Suite("XLSX reading")
struct XLSXTests {
    typealias C = XLSXSampleWriter.Cell

    func rows(of url: URL, sheet: String? = nil) throws -> [Row] {
        let reader = try XLSXReader(url: url)
        var rows: [Row] = []
        try reader.forEachRow(sheet: sheet) { row in
            rows.append(row)
            return true
        }
        return rows
    }

    @Test("shared and inline strings, numbers, dates, gaps between cells and rows")
    func cells() throws {
        let url = Samples.directory().appendingPathComponent("cells.xlsx")
        try XLSXSampleWriter.write(rows: [
            [.text("名称"), .text("数量"), .text("日期"), .text("时间"), .text("编号")],
            [.text("A & <B>"), .number("1.2345678901234567E+17"), .date("45352"), .dateTime("45353.75"), .inline(" 00123 ")],
            [.text("C"), .number("12.300000000000001"), .empty, .dateTime("45353.999999"), .number("-0.5")],
            [.empty, .number("1E-3")],
        ], sheetName: "数据", to: url, skipRowNumbers: [3])
        let reader = try XLSXReader(url: url)
        #expect(reader.sheetNames == ["数据"])
        let parsed = try rows(of: url)
        #expect(parsed.map(\.line) == [1, 2, 4, 5])
        #expect(parsed[0].fields == ["名称", "数量", "日期", "时间", "编号"])
        #expect(parsed[1].fields == ["A & <B>", "123456789012346000", "2024-03-01", "2024-03-02 18:00:00", "00123"])
        #expect(parsed[2].fields == ["C", "12.3", "", "2024-03-03 00:00:00", "-0.5"])
        #expect(parsed[3].fields == ["", "0.001"])
        #expect(try self.rows(of: url, sheet: "数据").count == 4)
        #expect(throws: IngestError.self) { try self.rows(of: url, sheet: "Sheet9") }
    }

    @Test("the 1904 date system")
    func date1904() throws {
        let url = Samples.directory().appendingPathComponent("mac.xlsx")
        try XLSXSampleWriter.write(rows: [[.date("0"), .date("43890")]], to: url, date1904: true)
        #expect(try rows(of: url)[0].fields == ["1904-01-01", "2024-03-01"])
    }

    @Test("number helpers")
    func helpers() {
        #expect(XLSXReader.columnIndex("A1") == 0)
        #expect(XLSXReader.columnIndex("AB7") == 27)
        #expect(XLSXReader.normalizeNumber("0.1") == "0.1")
        #expect(XLSXReader.normalizeNumber("100") == "100")
        #expect(XLSXReader.normalizeNumber("9.9999999999999999E+2") == "1000")
        #expect(XLSXReader.serialToDateText("60", date1904: false, timeOnly: false) == "1900-02-28")
        #expect(XLSXReader.serialToDateText("61", date1904: false, timeOnly: false) == "1900-03-01")
        #expect(XLSXReader.serialToDateText("0.5", date1904: false, timeOnly: true) == "12:00:00")
        #expect(XLSXReader.classifyFormat(id: 14, code: nil).isDate)
        #expect(XLSXReader.classifyFormat(id: 164, code: "yyyy\"年\"m\"月\"d\"日\"").isDate)
        #expect(!XLSXReader.classifyFormat(id: 165, code: "\"¥\"#,##0.00").isDate)
        #expect(!XLSXReader.classifyFormat(id: 166, code: "0.00%").isDate)
        #expect(XLSXReader.classifyFormat(id: 167, code: "[h]:mm:ss").timeOnly)
        #expect(XLSXReader.decodeEscapes("a_x000D_b") == "a\rb")
    }

    @Test("a Pinduoduo export as XLSX parses like the CSV")
    func pinduoduoWorkbook() throws {
        let header = ["商品", "订单号", "订单状态", "商品总价(元)", "店铺优惠折扣(元)", "平台优惠折扣(元)", "多多支付立减金额(元)", "邮费(元)",
                      "用户实付金额(元)", "商家实收金额(元)", "商品数量(件)", "订单成交时间", "发货时间", "确认收货时间", "商品id", "商品规格",
                      "样式ID", "商家编码-规格维度", "商家编码-商品维度", "商家备注", "售后状态", "快递单号", "快递公司"]
        let row: [C] = [.text("儿童保温杯, 蓝色"), .text("240301-123456789012345"), .text("已签收"), .number("59.9"), .number("5"),
                        .number("3"), .number("1"), .number("0"), .number("50.9"), .number("54.9"), .number("1"), .dateTime("45352.3333333333"),
                        .text("2024-03-01 16:00:00"), .empty, .number("123456789"), .text("蓝色 500ml"), .number("987654"),
                        .text("CUP-BLUE-500"), .text("CUP"), .empty, .text("无售后或售后取消"), .text("YT1234567890123"), .text("圆通快递")]
        let url = Samples.directory().appendingPathComponent("pdd.xlsx")
        try XLSXSampleWriter.write(rows: [header.map { C.text($0) }, row], to: url)
        let result = try Ingest.parseAll(.file(url))
        #expect(result.report.format == .pinduoduo)
        #expect(result.report.container == "xlsx")
        #expect(result.report.sha256?.count == 64)
        let order = try #require(result.records.orders.first)
        #expect(order.orderNumber == "240301-123456789012345")
        #expect(order.paidAmount == cny(5090))
        #expect(order.goodsAmount == cny(5990))
        #expect(order.createdAt?.date == Samples.shanghaiTime(2024, 3, 1, 8))
        #expect(order.lines.first?.productID == "123456789")
        #expect(order.lines.first?.sku == "CUP-BLUE-500")
        #expect(order.position.line == 2)
    }

    @Test("a damaged workbook is reported as such")
    func damaged() throws {
        let url = Samples.write("PK\u{03}\u{04}not really a zip", name: "broken.xlsx")
        let error = try #require({ () -> IngestError? in
            do { _ = try Ingest.parseAll(.file(url)); return nil } catch let e as IngestError { return e } catch { return nil }
        }())
        #expect(error.code == .structure)
        #expect(error.file == "broken.xlsx")
    }
}
