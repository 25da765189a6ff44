import Foundation
import Ingest

/// The demo merchant's two stores.
enum DemoStore: Int, CaseIterable {
    case tmall
    case miniapp

    var code: String { self == .tmall ? "tmall" : "miniapp" }
}

/// What an order is for: an ordinary one (whose lifecycle is drawn at random) or a planted case.
enum DemoRole: Equatable {
    case normal
    /// The earlier order of a planted duplicate pair (clean).
    case duplicateOriginal
    case duplicate
    case missingOnPlatform
    case overdueReceivable
    case unpaid
    case amountMismatch(high: Bool)
    case feeAnomaly
    case refundWithoutReturn
    case returnNotReceived
    case courierOvercharge
    /// Noise: the Alipay sale row has no 商户订单号 (matched by amount and time).
    case unreferencedSale
    /// Noise guaranteed at every size (ordinary orders also get these lifecycles at random).
    case partialReturn, refundBeforeShipping, cancelledUnpaid
}

/// Something that happens after an order is created, written when its time comes.
enum DemoEvent {
    case alipay(DemoRun.AlipayRow)
    case wechat(DemoRun.WeChatRow)
    case withdrawal(DemoRun.Withdrawal)
    case bank(DemoRun.BankEntry)
}

/// One generation run: the open files, the event queue and the running totals.
final class DemoRun {
    enum Files {
        static let tmallOrders = "tmall-orders.csv"
        static let alipay = "tmall-alipay.csv"
        static let miniappOrders = "miniapp-orders.csv"
        static let miniappMapping = "miniapp-orders.mapping.json"
        static let wechatTrade = "miniapp-wechat-trade.csv"
        static let wechatFund = "miniapp-wechat-fund.csv"
        static let bank = "bank-camt053.xml"
        static let courier = "courier-sf.csv"
        static let rateCard = "ratecard.csv"
        static let returns = "returns.csv"
        static let returnsMapping = "returns.mapping.json"
        static let truth = "truth.json"
    }

    static let merchant = "云帆生活旗舰店"
    static let bankAccount = "571908887710801"
    static let alipayAccount = "20886021746158320156"
    static let wechatMerchant = "1900009231"
    static let wechatAppID = "wx8d2c91a7b3e5f604"

    let options: DemoOptions
    let directory: URL
    let count: Int
    let firstDay: Int
    let endDay: Int
    let startTime: Int64
    let endTime: Int64
    /// Orders are created in [startTime + 1 h, endTime - 36 h): they are paid and settled
    /// within the month.
    let orderSpan: Double
    let yymm: String
    let yyyymm: String

    var rng: SeededGenerator
    var roles: [Int: DemoRole] = [:]
    var storeOverride: [Int: DemoStore] = [:]
    var queue = DemoEventQueue<DemoEvent>()

    // Files.
    let tmallOrders: DemoFileWriter
    let alipay: DemoFileWriter
    let miniappOrders: DemoFileWriter
    let wechatTrade: DemoFileWriter
    let wechatFund: DemoFileWriter
    let bankBody: DemoFileWriter
    let courier: DemoFileWriter
    let returns: DemoFileWriter

    // Running state.
    var alipayBalance: Int64 = 1_250_000
    var wechatBalance: Int64 = 380_000
    var alipaySeq = 0
    var alipayIncome = (count: 0, total: Int64(0))
    var alipayExpense = (count: 0, total: Int64(0))
    var wechatTradeRows = 0
    var wechatTotals = (settle: Int64(0), refund: Int64(0), feeUnits: Int64(0), order: Int64(0))
    var wechatFundRows = (count: 0, total: Int64(0))
    var fundSeq = 0
    var waybillSeq = 0
    var returnSeq = 0
    var bankSeq = 0
    var bankCredits = Int64(0)
    var bankDebits = Int64(0)
    var bankEntries = 0
    var pendingPair: [DemoStore: Int64] = [:]
    /// Amounts of orders that no sale references (and of sales without an order), kept unique
    /// so that matching by amount and time can never pair them by accident.
    var unmatchedAmounts = Set<Int64>()
    /// Payout and bank credit amounts, kept unique for the same reason.
    var moneyAmounts = Set<Int64>()
    /// Bank value dates holding split payouts: no other unmatched credit may share them.
    var specialBankDays = Set<Int>()

    var planted: [DemoTruth.Planted] = []
    var noise: [String: Int] = [:]
    var records: [String: [String: Int]] = [:]

    init(options: DemoOptions, directory: URL) throws {
        self.options = options
        self.directory = directory
        count = options.orders
        firstDay = options.period.firstDay
        endDay = options.period.endDay
        startTime = DemoCalendar.start(ofDay: firstDay)
        endTime = DemoCalendar.start(ofDay: endDay)
        orderSpan = Double(endTime - startTime - 36 * 3600 - 3600)
        let p = options.period
        yyyymm = DemoCalendar.pad4(p.year) + DemoCalendar.pad2(p.month)
        yymm = String(yyyymm.dropFirst(2))
        rng = SeededGenerator(seed: options.seed ^ 0x5EED_DA7A_0000_0001)
        func file(_ name: String, gbk: Bool = false, crlf: Bool = false) throws -> DemoFileWriter {
            try DemoFileWriter(directory.appendingPathComponent(name), gbk: gbk, lineEnding: crlf ? "\r\n" : "\n")
        }
        tmallOrders = try file(Files.tmallOrders, gbk: true, crlf: true)
        alipay = try file(Files.alipay, gbk: true, crlf: true)
        miniappOrders = try file(Files.miniappOrders)
        wechatTrade = try file(Files.wechatTrade, crlf: true)
        wechatFund = try file(Files.wechatFund, crlf: true)
        bankBody = try file(".bank-entries.tmp")
        courier = try file(Files.courier)
        returns = try file(Files.returns)
    }

    /// Runs the whole month and returns the truth.
    func generate() throws -> DemoTruth {
        try writeHeaders()
        planRoles()
        try scheduleWithdrawals()
        scheduleBankNoise()
        scheduleUnexplainedCredits()
        scheduleTransactionsWithoutOrder()
        var previous: DemoOrder?
        for index in 0..<count {
            let order = makeOrder(index, previous: previous)
            try drain(before: order.created)
            try emit(order)
            previous = order
        }
        try drain(before: .max)
        try finishFiles()
        return try writeTruth()
    }

    /// Writes every queued event due before `time`, in time order.
    func drain(before time: Int64) throws {
        while let (at, event) = queue.pop(before: time) {
            switch event {
            case .alipay(let row): try writeAlipay(row, at: at)
            case .wechat(let row): try writeWeChat(row, at: at)
            case .withdrawal(let w): try withdraw(w, at: at)
            case .bank(let entry): try writeBank(entry)
            }
        }
    }

    // MARK: - Planning

    /// Chooses which orders carry the planted exceptions (and the unreferenced-sale noise).
    func planRoles() {
        let k = options.plantsPerType
        let early = max(1, count / 50)
        let limit = count * 9 / 10
        func pick(_ role: DemoRole, _ store: DemoStore, upTo upper: Int, pair: Bool = false) {
            while true {
                let i = early + Int(rng.next() % UInt64(upper - early - 1))
                guard roles[i] == nil, !pair || roles[i + 1] == nil else { continue }
                if pair {
                    guard roles[i - 1] != .duplicateOriginal, roles[i + 2] != .duplicate else { continue }
                    roles[i] = .duplicateOriginal
                    roles[i + 1] = role
                    storeOverride[i] = store
                    storeOverride[i + 1] = store
                } else {
                    roles[i] = role
                    storeOverride[i] = store
                }
                return
            }
        }
        for j in 0..<k {
            let alternate: DemoStore = j % 2 == 0 ? .tmall : .miniapp
            pick(.duplicate, alternate, upTo: limit, pair: true)
            pick(.missingOnPlatform, alternate, upTo: limit)
            pick(.overdueReceivable, alternate, upTo: limit)
            pick(.unpaid, alternate, upTo: limit)
            pick(.amountMismatch(high: j % 4 >= 2), alternate, upTo: limit)
            pick(.feeAnomaly, alternate, upTo: limit)
            pick(.refundWithoutReturn, alternate, upTo: returnsLimit)
            pick(.returnNotReceived, .tmall, upTo: returnsLimit)
            pick(.courierOvercharge, .tmall, upTo: returnsLimit)
        }
        for _ in 0..<max(3, count / 300) {
            pick(.unreferencedSale, .tmall, upTo: limit)
        }
        for j in 0..<2 {
            let alternate: DemoStore = j % 2 == 0 ? .tmall : .miniapp
            pick(.partialReturn, .tmall, upTo: returnsLimit)
            pick(.refundBeforeShipping, alternate, upTo: limit)
            pick(.cancelledUnpaid, alternate, upTo: limit)
        }
    }

    // MARK: - Random helpers

    func int(_ range: ClosedRange<Int>, _ r: inout SeededGenerator) -> Int { Int.random(in: range, using: &r) }
    func int64(_ range: ClosedRange<Int64>, _ r: inout SeededGenerator) -> Int64 { Int64.random(in: range, using: &r) }

    func letters(_ n: Int, _ r: inout SeededGenerator, upper: Bool = false) -> String {
        let alphabet = Array(upper ? "ABCDEFGHJKLMNPQRSTUVWXYZ" : "abcdefghijkmnopqrstuvwxyz")
        return String((0..<n).map { _ in alphabet[Int(r.next() % UInt64(alphabet.count))] })
    }

    func record(_ kind: String, in file: String, _ n: Int = 1) {
        records[file, default: [:]][kind, default: 0] += n
    }

    func addNoise(_ kind: String, _ n: Int = 1) { noise[kind, default: 0] += n }

    func plant(_ type: String, _ store: DemoStore?, _ reference: String, amount: Int64, day: Int, expected: Int64? = nil,
               actual: Int64? = nil, twin: String? = nil) {
        planted.append(DemoTruth.Planted(type: type, store: store?.code, reference: reference, amount: amount,
                                         date: DemoCalendar.date(day), expected: expected, actual: actual, twin: twin))
    }

    /// A fresh amount near `base` not used before in `set` (moving by whole fen, never to zero).
    func unique(_ base: Int64, in set: inout Set<Int64>, oddFen: Bool = false) -> Int64 {
        var amount = max(base, 100)
        while set.contains(amount) || (oddFen && amount % 10 == 0) { amount += 1 }
        set.insert(amount)
        return amount
    }
}
