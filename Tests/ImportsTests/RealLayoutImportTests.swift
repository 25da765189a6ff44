import Foundation
import Imports
import Ingest
import PostgresClient
import Tenancy
import Testing

/// Real-layout sample files (FORMATS.md) loaded end to end: parse → staging COPY → merge, and
/// the rows read back from the real tables as the owner.
@Suite("Loading real-layout files into the right tables", .importsDatabase)
struct RealLayoutImportTests {
    @Test("Taobao GBK export with =\"…\" and TAB guards: basic facts, amounts, contacts and lines each in their own table")
    func taobao() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("rl-taobao")
        let s1 = String(try tenant.store("s1"))
        var first = TaobaoRow(number: "3012411101000000000")
        first.memo = "第一行备注\n第二行备注"
        var second = TaobaoRow(number: "3012411102000000000", buyer: "tb_buyer2", alipay: nil, goods: "59.90", shipping: "0.00",
                               total: "59.90", paid: "59.90", status: "买家已付款，等待卖家发货", name: "李四", address: "北京市 朝阳区",
                               mobile: nil, created: "2024/11/2 9:05", paidAt: "2024/11/2 9:06", title: "陶瓷杯", quantity: "1",
                               waybill: nil, courier: nil)
        second.equalsGuard = false
        let third = TaobaoRow(number: "3012411103000000000", buyer: "tb_buyer3", goods: "58.00", shipping: "0.00", total: "58.00",
                              paid: "0.00", status: "交易关闭", created: "2024-11-03 20:00:00", paidAt: nil, title: "帆布包",
                              quantity: "1", waybill: nil, courier: nil, sellerFee: "1.16")
        let url = try SampleFiles.write(TaobaoLayout.file([first, second, third]), name: "ExportOrderList202411.csv", encoding: .gbk)

        let summary = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        #expect(summary.format == "taobao")
        #expect(summary.rowsRead == 3)
        #expect(summary.records["orders"] == MergeCounts(read: 3, inserted: 3, updated: 0))
        #expect(summary.sha256 == (try FileDigest.sha256(of: url)))
        #expect(summary.previousImports.isEmpty)
        let importID = try #require(summary.importID)

        let orders = try await env.ownerTexts("""
            SELECT order_no, channel, status, status_raw, store_id::text AS store,
                   to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS created,
                   to_char(paid_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS paid,
                   waybill_no, courier, currency, import_id::text AS import
            FROM orders WHERE tenant_id = $1 ORDER BY order_no
            """, [tenant.id])
        #expect(orders.map { $0["order_no"] } == ["3012411101000000000", "3012411102000000000", "3012411103000000000"])
        #expect(orders.map { $0["status"] } == ["completed", "paid", "cancelled"])
        #expect(orders[1]["status_raw"] == "买家已付款，等待卖家发货")
        #expect(orders.allSatisfy { $0["channel"] == "taobao" && $0["currency"] == "CNY" && $0["import"] == String(importID) })
        #expect(orders.allSatisfy { $0["store"] == s1 })
        #expect(orders[0]["created"] == "2024-11-01 10:00:00")
        #expect(orders[0]["paid"] == "2024-11-01 10:01:02")
        #expect(orders[1]["created"] == "2024-11-02 09:05:00")
        #expect(orders[0]["waybill_no"] == "SF1234567890")  // "No:" stripped
        #expect(orders[0]["courier"] == "顺丰速运")
        #expect(orders[1]["waybill_no"] == nil)

        let money = try await env.ownerTexts("""
            SELECT o.order_no, f.currency, f.goods_amount, f.shipping_amount, f.order_amount, f.paid_amount, f.fee_amount,
                   f.refund_amount
            FROM order_financials f JOIN orders o USING (tenant_id, order_id) WHERE f.tenant_id = $1 ORDER BY o.order_no
            """, [tenant.id])
        #expect(money.count == 3)
        #expect(money[0]["goods_amount"] == "12800")
        #expect(money[0]["shipping_amount"] == "1000")
        #expect(money[0]["order_amount"] == "13800")
        #expect(money[0]["paid_amount"] == "13800")
        #expect(money[0]["fee_amount"] == "0")
        #expect(money[0]["refund_amount"] == nil)
        #expect(money[1]["order_amount"] == "5990")
        #expect(money[2]["paid_amount"] == "0")
        #expect(money[2]["fee_amount"] == "116")

        let contacts = try await env.ownerTexts("""
            SELECT o.order_no, c.buyer_id, c.buyer_account, c.buyer_name, c.buyer_phone, c.buyer_address
            FROM order_contacts c JOIN orders o USING (tenant_id, order_id) WHERE c.tenant_id = $1 ORDER BY o.order_no
            """, [tenant.id])
        #expect(contacts.count == 3)
        #expect(contacts[0]["buyer_id"] == "tb_buyer")
        #expect(contacts[0]["buyer_account"] == "buyer@example.com")
        #expect(contacts[0]["buyer_name"] == "张三")
        #expect(contacts[0]["buyer_phone"] == "13800000000")
        #expect(contacts[0]["buyer_address"] == "浙江省 杭州市 西湖区 文三路 100号, 3单元")
        #expect(contacts[1]["buyer_account"] == nil)

        let lines = try await env.ownerTexts("""
            SELECT o.order_no, l.line_no, l.title, l.quantity, a.line_amount, a.unit_price
            FROM order_lines l JOIN orders o USING (tenant_id, order_id)
            LEFT JOIN order_line_amounts a ON a.tenant_id = l.tenant_id AND a.order_id = l.order_id AND a.line_no = l.line_no
            WHERE l.tenant_id = $1 ORDER BY o.order_no, l.line_no
            """, [tenant.id])
        #expect(lines.map { $0["title"] } == ["纯棉T恤,白色 XL", "陶瓷杯", "帆布包"])
        #expect(lines.map { $0["quantity"] } == ["2", "1", "1"])
        #expect(lines.map { $0["line_amount"] } == ["12800", "5990", "5800"])

        let entry = try await env.ownerTexts("""
            SELECT format, rows_read, rows_inserted, rows_updated, rows_unchanged, rows_rejected, sha256, actor,
                   store_id::text AS store, file_name, (finished_at IS NOT NULL)::text AS finished, records::text AS records
            FROM imports WHERE tenant_id = $1
            """, [tenant.id])
        #expect(entry.count == 1)
        #expect(entry.first?["format"] == "taobao")
        #expect(entry.first?["rows_read"] == "3")
        #expect(entry.first?["rows_inserted"] == "3")
        #expect(entry.first?["rows_unchanged"] == "0")
        #expect(entry.first?["sha256"] == summary.sha256)
        #expect(entry.first?["actor"] == "system:imports-tests")
        #expect(entry.first?["file_name"] == "ExportOrderList202411.csv")
        #expect(entry.first?["finished"] == "true")
        #expect(entry.first?["store"] == s1)
    }

    @Test("sales-visible and financial columns live in separate tables")
    func columnSplit() async throws {
        let env = try ImportsEnvironment.get()
        let columns = try await env.ownerTexts("""
            SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name IN ('orders', 'order_lines', 'order_financials', 'order_line_amounts', 'order_contacts')
            """)
        func names(_ table: String) -> Set<String> { Set(columns.filter { $0["t"] == table }.compactMap { $0["c"] }) }
        let basic = names("orders").union(names("order_lines"))
        let moneyWords = ["amount", "price", "fee", "discount", "receivable", "cost"]
        let contactWords = ["buyer", "phone", "address", "contact"]
        #expect(!basic.isEmpty)
        #expect(basic.filter { c in moneyWords.contains { c.contains($0) } }.isEmpty, "amount columns in a sales-visible table: \(basic)")
        #expect(basic.filter { c in contactWords.contains { c.contains($0) } }.isEmpty, "contact columns in a sales-visible table: \(basic)")
        #expect(names("order_financials").isSuperset(of: ["goods_amount", "order_amount", "paid_amount", "fee_amount"]))
        #expect(names("order_line_amounts").isSuperset(of: ["unit_price", "line_amount"]))
        #expect(names("order_contacts").isSuperset(of: ["buyer_name", "buyer_phone", "buyer_address"]))
        #expect(names("order_financials").filter { c in contactWords.contains { c.contains($0) } }.isEmpty)
    }

    @Test("JD multi-SKU export: one order per 订单号, order amounts counted once, one line per SKU row")
    func jd() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("rl-jd", channel: "jd")
        let url = try SampleFiles.write(JDLayout.file, name: "jd_orders.csv", encoding: .gbk)
        let summary = try await env.importFile(ImportRequest(file: url, format: .jd, storeCode: "s1"), tenant: tenant)
        #expect(summary.rowsRead == 4)
        #expect(summary.records["orders"] == MergeCounts(read: 2, inserted: 2, updated: 0))

        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts["orders"] == 2)
        #expect(counts["order_financials"] == 2)
        #expect(counts["order_lines"] == 4)
        #expect(counts["order_line_amounts"] == 4)
        // 218.00 repeats on the three rows of order 250000000001; it counts once.
        let total = try await env.ownerScalar(Int64.self, "SELECT sum(order_amount)::bigint FROM order_financials WHERE tenant_id = $1",
                                              [tenant.id])
        #expect(total == 21_800 + 4500)

        let money = try await env.ownerTexts("""
            SELECT o.order_no, o.status, f.order_amount, f.paid_amount, f.merchant_receivable, f.shipping_amount
            FROM orders o JOIN order_financials f USING (tenant_id, order_id) WHERE o.tenant_id = $1 ORDER BY o.order_no
            """, [tenant.id])
        #expect(money.map { $0["order_no"] } == ["250000000001", "250000000002"])
        #expect(money.map { $0["status"] } == ["completed", "paid"])
        #expect(money.map { $0["order_amount"] } == ["21800", "4500"])
        #expect(money.map { $0["paid_amount"] } == ["20800", "4500"])
        #expect(money.map { $0["merchant_receivable"] } == ["20000", "4200"])
        #expect(money.map { $0["shipping_amount"] } == ["0", "600"])

        let lines = try await env.ownerTexts("""
            SELECT l.line_no, l.product_id, l.sku, l.title, l.quantity, a.unit_price, a.line_amount
            FROM order_lines l JOIN orders o USING (tenant_id, order_id)
            JOIN order_line_amounts a ON a.tenant_id = l.tenant_id AND a.order_id = l.order_id AND a.line_no = l.line_no
            WHERE l.tenant_id = $1 AND o.order_no = '250000000001' ORDER BY l.line_no
            """, [tenant.id])
        #expect(lines.map { $0["line_no"] } == ["1", "2", "3"])
        #expect(lines.map { $0["product_id"] } == ["100001", "100002", "100004"])
        #expect(lines.map { $0["sku"] } == ["EAR-BLK", "CBL-1M", nil])
        #expect(lines.map { $0["title"] } == ["蓝牙耳机, 黑色", "充电线", "贴膜(赠品)"])
        #expect(lines.map { $0["quantity"] } == ["2", "1", "1"])
        #expect(lines.map { $0["unit_price"] } == ["9900", "2000", "0"])
        #expect(lines.map { $0["line_amount"] } == ["19800", "2000", "0"])
    }

    @Test("Alipay 账务明细 (GBK, preamble, trailer, TAB-suffixed fields): signed transactions and the 提现 payout")
    func alipayAccount() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("rl-alipay")
        let s1 = String(try tenant.store("s1"))
        let url = try SampleFiles.write(AlipayAccountLayout.file(), name: "20880211096256330156_202411_账务明细.csv", encoding: .gbk)
        let summary = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        #expect(summary.format == "alipay-account")
        #expect(summary.rowsRead == 5)
        #expect(summary.records["transactions"] == MergeCounts(read: 5, inserted: 5, updated: 0))
        #expect(summary.records["payouts"] == MergeCounts(read: 1, inserted: 1, updated: 0))

        let rows = try await env.ownerTexts("""
            SELECT provider, source_key, transaction_no, order_ref, related_no, type, type_raw, currency, gross, fee, net, balance,
                   counterparty, memo, to_char(occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS at,
                   store_id::text AS store
            FROM platform_transactions WHERE tenant_id = $1 ORDER BY transaction_no
            """, [tenant.id])
        #expect(rows.count == 5)
        #expect(rows.map { $0["transaction_no"] } == ["20241101000000000001", "20241101000000000002", "20241105000000000003",
                                                        "20241106000000000004", "20241107000000000005"])
        #expect(rows.map { $0["type"] } == ["sale", "fee", "refund", "payout", "sale"])
        #expect(rows.map { $0["type_raw"] } == ["在线支付", "服务费", "交易退款", "提现", "在线支付"])
        #expect(rows.map { $0["net"] } == ["128888", "-773", "-2005", "-1000000", "99"])
        #expect(rows.map { $0["gross"] } == ["128888", "-773", "-2005", "-1000000", "99"])
        #expect(rows.map { $0["balance"] } == ["1128888", "1128115", "1126110", "126110", "126209"])
        #expect(rows.allSatisfy { $0["provider"] == "alipay" && $0["currency"] == "CNY" && $0["store"] == s1 })
        #expect(rows[0]["source_key"] == "alipay:20241101000000000001:sale")
        #expect(rows[0]["order_ref"] == "T300001")
        #expect(rows[0]["related_no"] == "2024110111000000000001")
        #expect(rows[0]["counterparty"] == "buyer@example.com")
        #expect(rows[0]["memo"] == "连衣裙, 红色")
        #expect(rows[0]["at"] == "2024-11-01 10:00:00")
        #expect(rows[1]["memo"] == "交易服务费")
        #expect(rows.allSatisfy { row in !row.values.values.contains { $0?.contains("\t") ?? false } }, "a TAB survived: \(rows)")

        let payouts = try await env.ownerTexts("""
            SELECT provider, payout_ref, currency, amount, payout_date::text AS day, source_key FROM payouts WHERE tenant_id = $1
            """, [tenant.id])
        #expect(payouts.count == 1)
        #expect(payouts.first?["payout_ref"] == "20241106000000000004")
        #expect(payouts.first?["amount"] == "1000000")
        #expect(payouts.first?["day"] == "2024-11-06")
        #expect(payouts.first?["provider"] == "alipay")
    }

    @Test("WeChat Pay 交易账单 with backticks and summary: sales, refund, fees kept exactly, the summary not loaded as a row")
    func wechatTrade() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("rl-wechat")
        let url = try SampleFiles.write(WeChatTradeLayout.file, name: "wechat_trade_20241121.csv", encoding: .utf8BOM)
        let summary = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        #expect(summary.format == "wechat-trade")
        #expect(summary.records["transactions"] == MergeCounts(read: 3, inserted: 3, updated: 0))
        #expect(summary.records.keys.sorted() == ["transactions"])

        let rows = try await env.ownerTexts("""
            SELECT transaction_no, order_ref, related_no, type, status, gross, fee, fee_exact::text AS fee_exact,
                   (fee_exact = 0.0054)::text AS exact_match, net, fee_rate::text AS rate, memo, counterparty
            FROM platform_transactions WHERE tenant_id = $1 ORDER BY occurred_at
            """, [tenant.id])
        #expect(rows.count == 3)
        #expect(rows.map { $0["transaction_no"] } == ["4200006120241121748613220688", "4200006120241121748613220699",
                                                        "50000000012024112100000000001"])
        #expect(rows.map { $0["type"] } == ["sale", "sale", "refund"])
        #expect(rows.map { $0["gross"] } == ["90", "10000", "-1000"])
        // 0.00540 yuan = 0.54 fen: posted as 1 fen, the exact value kept beside it.
        #expect(rows.map { $0["fee"] } == ["1", "60", "-6"])
        #expect(rows[0]["exact_match"] == "true")
        #expect(rows[1]["fee_exact"] == nil)
        #expect(rows.map { $0["net"] } == ["89", "9940", "-994"])
        #expect(rows[0]["rate"].flatMap { Double($0) } == 0.6)
        #expect(rows[0]["order_ref"] == "WX-ORDER-1")
        #expect(rows[1]["memo"] == "会员年卡, 自动续费")
        #expect(rows[2]["related_no"] == "4200006120241121748613220699")
        #expect(rows[2]["status"] == "REFUND/SUCCESS")
        #expect(rows.allSatisfy { row in !row.values.values.contains { $0?.contains("`") ?? false } }, "a backtick survived: \(rows)")
    }

    @Test("camt.053 statement: lines under a bank account created on first sight, no store needed")
    func camt053() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("rl-camt")
        let url = try SampleFiles.write(BankLayout.camt, name: "camt053_20241119.xml")
        let summary = try await env.importFile(ImportRequest(file: url), tenant: tenant)
        #expect(summary.format == "camt053")
        #expect(summary.store == nil)
        #expect(summary.records["bank_lines"] == MergeCounts(read: 3, inserted: 3, updated: 0))

        let accounts = try await env.ownerTexts("SELECT bank_account_id::text AS id, account_no, currency FROM bank_accounts WHERE tenant_id = $1",
                                                [tenant.id])
        #expect(accounts.count == 1)
        #expect(accounts.first?["account_no"] == "DE89370400440532013000")
        #expect(accounts.first?["currency"] == "EUR")
        let lines = try await env.ownerTexts("""
            SELECT bank_account_id::text AS account, statement_ref, booking_date::text AS booked, value_date::text AS valued, currency,
                   amount, (amount_exact = -12.34567)::text AS exact, direction, counterparty_name, counterparty_account, reference,
                   end_to_end_id, memo
            FROM bank_statement_lines WHERE tenant_id = $1 ORDER BY amount DESC
            """, [tenant.id])
        #expect(lines.map { $0["amount"] } == ["110047", "-1235", "-2500"])
        #expect(lines.map { $0["direction"] } == ["credit", "debit", "debit"])
        #expect(lines.allSatisfy { $0["account"] == accounts.first?["id"] && $0["currency"] == "EUR" })
        #expect(lines[0]["statement_ref"] == "STMT-2024-11-19")
        #expect(lines[0]["end_to_end_id"] == "PAYOUT-87654321")
        #expect(lines[0]["counterparty_name"] == "Shopify International Ltd")
        #expect(lines[0]["counterparty_account"] == "IE29AIBK93115212345678")
        #expect(lines[0]["reference"] == "BANK-REF-1")
        #expect(lines[0]["memo"] == "SHOPIFY PAYOUT 87654321")
        #expect(lines[1]["exact"] == "true")
        #expect(lines[1]["valued"] == "2024-11-20")
        #expect(lines[1]["booked"] == "2024-11-19")
        let storeOfImport = try await env.ownerTexts("SELECT store_id::text AS store FROM imports WHERE tenant_id = $1", [tenant.id])
        #expect(storeOfImport.map { $0["store"] } == [nil])
        let others = try await env.counts(tenant: tenant.id, ["orders", "platform_transactions", "courier_bill_lines"])
        #expect(others.values.allSatisfy { $0 == 0 })
    }

    @Test("MT940 statement: lines under the :25: account, signed amounts")
    func mt940() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("rl-mt940")
        let url = try SampleFiles.write(BankLayout.mt940, name: "statement_20241130.sta")
        let summary = try await env.importFile(ImportRequest(file: url, format: .mt940), tenant: tenant)
        #expect(summary.records["bank_lines"] == MergeCounts(read: 2, inserted: 2, updated: 0))
        let lines = try await env.ownerTexts("""
            SELECT a.account_no, a.currency AS account_currency, l.currency, l.amount, l.direction, l.reference, l.memo,
                   l.value_date::text AS valued
            FROM bank_statement_lines l JOIN bank_accounts a USING (tenant_id, bank_account_id)
            WHERE l.tenant_id = $1 ORDER BY l.amount DESC
            """, [tenant.id])
        #expect(lines.map { $0["account_no"] } == ["6222020200012345678", "6222020200012345678"])
        #expect(lines.map { $0["amount"] } == ["500000", "-12050"])
        #expect(lines.map { $0["direction"] } == ["credit", "debit"])
        #expect(lines.map { $0["currency"] } == ["CNY", "CNY"])
        #expect(lines[0]["reference"] == "ALIPAY-PAYOUT-1")
        #expect(lines[0]["valued"] == "2024-11-30")
        #expect(lines[0]["memo"]?.contains("ALIPAY WITHDRAWAL") == true)
    }

    @Test("courier bill through the shipped default courier mapping: weights in grams, fee, discount, amount due")
    func courier() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("rl-courier")
        let s1 = String(try tenant.store("s1"))
        let url = try SampleFiles.write(CourierLayout.file, name: "顺丰月结对账单_202411.csv", encoding: .gbk)
        let summary = try await env.importFile(ImportRequest(file: url, format: .courier, storeCode: "s1"), tenant: tenant)
        #expect(summary.records["courier_lines"] == MergeCounts(read: 3, inserted: 3, updated: 0))
        let lines = try await env.ownerTexts("""
            SELECT waybill_no, ship_date::text AS day, origin, destination, billed_weight_g, currency, fee, discount, amount_due, memo,
                   store_id::text AS store
            FROM courier_bill_lines WHERE tenant_id = $1 ORDER BY waybill_no
            """, [tenant.id])
        #expect(lines.map { $0["waybill_no"] } == ["SF1234567890", "SF1234567891", "SF1234567892"])
        #expect(lines.map { $0["billed_weight_g"] } == ["1500", "500", "12250"])
        #expect(lines.map { $0["fee"] } == ["2300", "1200", "8880"])
        #expect(lines.map { $0["discount"] } == ["230", "0", "888"])
        #expect(lines.map { $0["amount_due"] } == ["2070", "1200", "7992"])
        #expect(lines[0]["day"] == "2024-11-02")
        #expect(lines[0]["origin"] == "杭州")
        #expect(lines[0]["destination"] == "北京")
        #expect(lines[0]["memo"] == "首重+续重")
        #expect(lines.allSatisfy { $0["currency"] == "CNY" && $0["store"] == s1 })
    }

    @Test("mapped CSV through a saved column mapping: order lines merged per order")
    func mapped() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("rl-mapped", channel: "own")
        let saved = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try MappingDirectory.create(MappedLayout.mapping, context: context, on: tx)
            }
        }
        #expect(saved.name == "own-shop-orders")
        let url = try SampleFiles.write(MappedLayout.file, name: "own-shop-export.csv")
        let summary = try await env.importFile(ImportRequest(file: url, format: .mapped, storeCode: "s1", mappingName: "own-shop-orders"),
                                               tenant: tenant)
        #expect(summary.records["orders"] == MergeCounts(read: 2, inserted: 2, updated: 0))
        let orders = try await env.ownerTexts("""
            SELECT o.order_no, o.channel, o.status, f.order_amount,
                   to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS created
            FROM orders o JOIN order_financials f USING (tenant_id, order_id) WHERE o.tenant_id = $1 ORDER BY o.order_no
            """, [tenant.id])
        #expect(orders.map { $0["order_no"] } == ["OWN-1001", "OWN-1002"])
        #expect(orders.map { $0["channel"] } == ["own", "own"])
        #expect(orders.map { $0["status"] } == ["completed", "shipped"])
        #expect(orders.map { $0["order_amount"] } == ["5980", "12000"])
        #expect(orders[0]["created"] == "2024-11-03 08:15")
        let lines = try await env.ownerTexts("""
            SELECT o.order_no, l.line_no, l.sku, l.quantity, a.unit_price, a.line_amount
            FROM order_lines l JOIN orders o USING (tenant_id, order_id)
            JOIN order_line_amounts a ON a.tenant_id = l.tenant_id AND a.order_id = l.order_id AND a.line_no = l.line_no
            WHERE l.tenant_id = $1 ORDER BY o.order_no, l.line_no
            """, [tenant.id])
        #expect(lines.map { $0["sku"] } == ["MUG-01", "TEA-01", "TEA-02"])
        #expect(lines.map { $0["line_no"] } == ["1", "1", "2"])
        #expect(lines.map { $0["unit_price"] } == ["2990", "8000", "4000"])
        #expect(lines.map { $0["line_amount"] } == ["5980", "8000", "4000"])

        // An unknown mapping name is refused before anything is read.
        let error = await expectThrows(ImportError.self) {
            try await env.importFile(ImportRequest(file: url, format: .mapped, storeCode: "s1", mappingName: "nope"), tenant: tenant)
        }
        #expect(error?.description.contains("no column mapping \"nope\"") == true)
    }
}
