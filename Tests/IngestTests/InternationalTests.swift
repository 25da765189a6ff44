import Foundation
@testable import Ingest
import Testing

@Suite("Shopify payouts and Amazon settlements")
struct InternationalTests {
    static let shopify = """
    Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Payout ID,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency,VAT
    2024-01-15 10:23:45 -0500,charge,#1001,visa,online,paid,2024-01-18,87654321,2024-01-18,120.00,3.78,116.22,31234567890,card,120.00,USD,USD,0.00
    2024-01-15 11:00:00 -0500,charge,#1002,mastercard,online,paid,2024-01-18,87654321,2024-01-18,"1,050.00",30.75,"1,019.25",31234567891,card,"1,050.00",USD,USD,0.00
    2024-01-16 09:12:00 -0500,refund,#1001,visa,online,paid,2024-01-18,87654321,2024-01-18,-20.00,0.00,-20.00,,card,-20.00,USD,USD,0.00
    2024-01-17 08:00:00 -0500,adjustment,,,,paid,2024-01-18,87654321,2024-01-18,-15.00,0.00,-15.00,,,,,USD,
    2024-01-19 14:30:00 -0500,charge,#1003,amex,online,pending,,,2024-01-22,60.00,2.04,57.96,31234567892,card,60.00,USD,USD,0.00
    2024-01-19 14:30:00 -0500,charge,#1004,amex,online,pending,,,2024-01-22,60.00,2.04,57.96,31234567893,card,60.00,USD,USD,0.00

    """

    @Test("Shopify payout transactions and one payout per Payout ID")
    func shopify() throws {
        let result = try Samples.parse(Self.shopify, name: "payment_transactions_export.csv")
        #expect(result.report.format == .shopifyPayouts)
        let transactions = result.records.transactions
        #expect(transactions.count == 6)
        #expect(transactions.map(\.type) == [.sale, .sale, .refund, .adjustment, .sale, .sale])
        let first = transactions[0]
        #expect(first.gross == Money(minorUnits: 12_000, currency: "USD"))
        #expect(first.fee == Money(minorUnits: 378, currency: "USD"))
        #expect(first.net == Money(minorUnits: 11_622, currency: "USD"))
        #expect(first.orderReference == "#1001")
        #expect(first.payoutID == "87654321")
        #expect(first.occurredAt?.date == Date(timeIntervalSince1970: 1_705_332_225))
        #expect(first.occurredAt?.timeZone.secondsFromGMT() == -18_000)
        #expect(transactions[1].net == Money(minorUnits: 101_925, currency: "USD"))
        #expect(transactions[4].payoutID == nil)
        #expect(Set(transactions.map(\.transactionID)).count == 6)
        let payouts = result.records.payouts
        #expect(payouts.count == 1)
        #expect(payouts[0].payoutID == "87654321")
        #expect(payouts[0].amount == Money(minorUnits: 110_047, currency: "USD"))
        #expect(payouts[0].payoutDate == Samples.date(2024, 1, 18))
        #expect(payouts[0].transactionCount == 4)
        #expect(payouts[0].status == "paid")
        // Re-parsing gives the same derived ids.
        let again = try Samples.parse(Self.shopify, name: "again.csv").records.transactions
        #expect(again.map(\.transactionID) == transactions.map(\.transactionID))
    }

    static let amazonHeader = ["settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency",
                               "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id", "marketplace-name",
                               "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date", "posted-date-time",
                               "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
                               "promotion-id"]

    static func amazonRow(_ values: [String: String]) -> String {
        Samples.csvLine(amazonHeader, values, delimiter: "\t")
    }

    static var amazonEU: String {
        var lines = [amazonHeader.joined(separator: "\t")]
        lines.append(amazonRow(["settlement-id": "11617360071", "settlement-start-date": "01.03.2024 08:00:00 UTC",
                                "settlement-end-date": "15.03.2024 08:00:00 UTC", "deposit-date": "17.03.2024 08:00:00 UTC",
                                "total-amount": "1.234,56", "currency": "EUR"]))
        let order = ["settlement-id": "11617360071", "transaction-type": "Order", "order-id": "028-1234567-1234567",
                     "merchant-order-id": "028-1234567-1234567", "shipment-id": "DkVRjPBNN", "marketplace-name": "Amazon.de",
                     "fulfillment-id": "AFN", "posted-date": "05.03.2024", "posted-date-time": "05.03.2024 10:11:12 UTC",
                     "order-item-code": "12345678901234", "sku": "MUG-01", "quantity-purchased": "1"]
        lines.append(amazonRow(order.merging(["amount-type": "ItemPrice", "amount-description": "Principal", "amount": "95,00"]) { $1 }))
        lines.append(amazonRow(order.merging(["amount-type": "ItemPrice", "amount-description": "Shipping", "amount": "4,99"]) { $1 }))
        lines.append(amazonRow(order.merging(["amount-type": "ItemFees", "amount-description": "Commission", "amount": "-14,25"]) { $1 }))
        lines.append(amazonRow(order.merging(["amount-type": "ItemFees", "amount-description": "FBAPerUnitFulfillmentFee", "amount": "-3,52"]) { $1 }))
        lines.append(amazonRow(["settlement-id": "11617360071", "transaction-type": "Refund", "order-id": "028-7654321-7654321",
                                "adjustment-id": "amzn1.adj.1", "marketplace-name": "Amazon.de", "amount-type": "ItemPrice",
                                "amount-description": "Principal", "amount": "-19,99", "posted-date": "07.03.2024",
                                "posted-date-time": "07.03.2024 09:00:00 UTC", "sku": "MUG-02"]))
        lines.append(amazonRow(["settlement-id": "11617360071", "transaction-type": "other-transaction", "amount-type": "other-transaction",
                                "amount-description": "Storage Fee", "amount": "-1,20", "posted-date": "10.03.2024",
                                "posted-date-time": "10.03.2024 00:00:00 UTC"]))
        lines.append(amazonRow(["settlement-id": "11617360071", "transaction-type": "other-transaction", "amount-type": "other-transaction",
                                "amount-description": "Current Reserve Amount", "amount": "-50,00", "posted-date": "15.03.2024"]))
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("Amazon flat file V2 (EU): settlement row → payout, transactions with decimal commas")
    func amazon() throws {
        let result = try Samples.parse(Self.amazonEU, name: "settlement.txt")
        #expect(result.report.format == .amazonSettlement)
        let payout = try #require(result.records.payouts.first)
        #expect(payout.payoutID == "11617360071")
        #expect(payout.amount == Money(minorUnits: 123_456, currency: "EUR"))
        #expect(payout.payoutDate == Samples.date(2024, 3, 17))
        #expect(payout.periodStart?.date == Date(timeIntervalSince1970: 1_709_280_000))
        let transactions = result.records.transactions
        #expect(transactions.map(\.type) == [.sale, .sale, .commission, .fee, .refund, .fee, .adjustment])
        #expect(transactions.map(\.net.minorUnits) == [9500, 499, -1425, -352, -1999, -120, -5000])
        #expect(transactions.allSatisfy { $0.currency == "EUR" && $0.payoutID == "11617360071" })
        #expect(transactions[0].orderReference == "028-1234567-1234567")
        #expect(transactions[0].typeRaw == "Order/ItemPrice/Principal")
        #expect(transactions[0].occurredAt?.date == Date(timeIntervalSince1970: 1_709_633_472))
        #expect(transactions[4].relatedTransactionID == "amzn1.adj.1")
        #expect(transactions[6].occurredAt?.date == Samples.date(2024, 3, 15).startOfDay(in: Samples.shanghai))
        #expect(Set(transactions.map(\.transactionID)).count == 7)
        #expect(result.records.summaries.first?.statementID == "11617360071")
    }

    @Test("Amazon US dates are month-first")
    func amazonUS() throws {
        var lines = [Self.amazonHeader.joined(separator: "\t")]
        lines.append(Self.amazonRow(["settlement-id": "1", "settlement-start-date": "2024-03-01 08:00:00 UTC",
                                     "settlement-end-date": "2024-03-15 08:00:00 UTC", "deposit-date": "2024-03-17 08:00:00 UTC",
                                     "total-amount": "1,234.56", "currency": "USD"]))
        lines.append(Self.amazonRow(["settlement-id": "1", "transaction-type": "Order", "order-id": "111-1", "amount-type": "ItemPrice",
                                     "amount-description": "Principal", "amount": "19.99", "posted-date": "03/05/24"]))
        let result = try Samples.parse(lines.joined(separator: "\n"), name: "us.txt", format: .amazonSettlement)
        #expect(result.records.payouts.first?.amount == Money(minorUnits: 123_456, currency: "USD"))
        #expect(result.records.transactions.first?.occurredAt?.localDate == Samples.date(2024, 3, 5))
        #expect(result.records.transactions.first?.net == Money(minorUnits: 1999, currency: "USD"))
    }
}
