import Foundation
@testable import Ingest
import Testing

@Suite("MT940 and camt.053 bank statements")
struct BankStatementTests {
    static let mt940 = """
    Exported by Online Banking 2011-05-25
    {1:F01BANKDEFFAXXX0000000000}{2:O9400000000000BANKDEFFAXXX00000000000000000000N}{4:
    :20:STARTUMSE
    :25:10020030/1234567
    :28C:00001/001
    :60F:C110522EUR3236,28
    :61:1105240524D9,N192NONREF
    :86:008?00DAUERAUFTRAG?100599?20Miete November?3010020030?31234567?32MUELLER?34339
    :61:1105230523C1000,N051NONREF//BANKREF1
    Supplementary details here
    :86:166?00GUTSCHRIFT?109251?20EREF+ORDER-4711 SVWZ+Rechnung 4711?21 vom 20.05.?30COBADEFFXXX?31DE
    89370400440532013000?32Max Mustermann
    :61:1105230523RC12,50NTRFREF123//BANKREF2
    :86:Ruecklastschrift unstructured text
     continued
    :62F:C110524EUR4214,78
    :64:C110524EUR4214,78
    -

    :20:STMT2
    :25:DE89370400440532013000
    :28C:2/1
    :60F:C111230EUR100,
    :61:1112300102D800,NSTONONREF//55555
    :86:/EREF/E2E-99//REMI/Invoice 99/NAME/ACME GMBH/IBAN/DE02120300000000202051
    :61:1201020102RD5,NMSCREV1
    :61:1201020102X3,00NMSCBAD
    :62F:D120102EUR695,
    -}

    """

    @Test("full MT940 grammar: envelope, two messages, entry dates across New Year, reversals, ?nn subfields")
    func mt940() throws {
        var options = ParseOptions()
        options.skipBadRows = true
        let result = try Samples.parse(Self.mt940, name: "statement.sta", options: options)
        #expect(result.report.format == .mt940)
        let lines = result.records.bankLines
        #expect(lines.count == 5)

        let standing = lines[0]
        #expect(standing.account == "10020030/1234567")
        #expect(standing.statementID == "STARTUMSE/00001/001")
        #expect(standing.valueDate == Samples.date(2011, 5, 24))
        #expect(standing.bookingDate == Samples.date(2011, 5, 24))
        #expect(standing.amount == Money(minorUnits: -900, currency: "EUR"))
        #expect(standing.direction == .debit)
        #expect(standing.transactionCode == "N192/008")
        #expect(standing.customerReference == nil)
        #expect(standing.counterpartyName == "MUELLER")
        #expect(standing.counterpartyAccount == "234567")
        #expect(standing.memo == "DAUERAUFTRAG Miete November")
        #expect(standing.position.line == 7)

        let credit = lines[1]
        #expect(credit.amount == Money(minorUnits: 100_000, currency: "EUR"))
        #expect(credit.reference == "BANKREF1")
        #expect(credit.endToEndID == "ORDER-4711")
        #expect(credit.counterpartyName == "Max Mustermann")
        #expect(credit.counterpartyAccount == "DE89370400440532013000")
        #expect(credit.memo == "Supplementary details here | GUTSCHRIFT Rechnung 4711 vom 20.05.")

        let reversal = lines[2]
        #expect(reversal.isReversal)
        #expect(reversal.direction == .debit)
        #expect(reversal.amount == Money(minorUnits: -1250, currency: "EUR"))
        #expect(reversal.customerReference == "REF123")
        #expect(reversal.memo == "Ruecklastschrift unstructured text continued")

        let newYear = lines[3]
        #expect(newYear.account == "DE89370400440532013000")
        #expect(newYear.valueDate == Samples.date(2011, 12, 30))
        #expect(newYear.bookingDate == Samples.date(2012, 1, 2))
        #expect(newYear.amount == Money(minorUnits: -80_000, currency: "EUR"))
        #expect(newYear.reference == "55555")
        #expect(newYear.transactionCode == "NSTO")
        #expect(newYear.endToEndID == "E2E-99")
        #expect(newYear.counterpartyName == "ACME GMBH")
        #expect(newYear.counterpartyAccount == "DE02120300000000202051")
        #expect(newYear.memo == "Invoice 99")

        let reversedDebit = lines[4]
        #expect(reversedDebit.isReversal)
        #expect(reversedDebit.direction == .credit)
        #expect(reversedDebit.amount == Money(minorUnits: 500, currency: "EUR"))

        #expect(result.rejected.count == 1)
        #expect(result.rejected[0].position.line == 27)
        #expect(result.rejected[0].error.column == ":61:")

        let summaries = result.records.summaries
        #expect(summaries.count == 2)
        #expect(summaries[0].openingBalance == Money(minorUnits: 323_628, currency: "EUR"))
        #expect(summaries[0].closingBalance == Money(minorUnits: 421_478, currency: "EUR"))
        #expect(summaries[0].declaredCount == 3)
        #expect(summaries[1].openingBalance == Money(minorUnits: 10_000, currency: "EUR"))
        #expect(summaries[1].closingBalance == Money(minorUnits: -69_500, currency: "EUR"))
        // Balances reconcile: opening + movements = closing.
        let movement = lines[0...2].map(\.amount).reduce(Money.zero("EUR"), +)
        #expect(summaries[0].openingBalance! + movement == summaries[0].closingBalance!)
    }

    @Test("a malformed :61: fails the import by default")
    func mt940Strict() throws {
        let error = try #require(Samples.parseError(Self.mt940, name: "statement.sta", format: .mt940))
        #expect(error.line == 27)
        #expect(error.column == ":61:")
        #expect(error.description.contains("debit/credit mark"))
    }

    static let camt = """
    <?xml version="1.0" encoding="UTF-8"?>
    <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
      <BkToCstmrStmt>
        <GrpHdr><MsgId>MSG-20240320</MsgId><CreDtTm>2024-03-20T06:00:00+01:00</CreDtTm></GrpHdr>
        <Stmt>
          <Id>STMT-1</Id>
          <ElctrncSeqNb>77</ElctrncSeqNb>
          <FrToDt><FrDtTm>2024-03-19T00:00:00+01:00</FrDtTm><ToDtTm>2024-03-19T23:59:59+01:00</ToDtTm></FrToDt>
          <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy><Svcr><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></Svcr></Acct>
          <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-18</Dt></Dt></Bal>
          <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">2089.12345</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-19</Dt></Dt></Bal>
          <Ntry>
            <NtryRef>E1</NtryRef>
            <Amt Ccy="EUR">1100.47000</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <Sts><Cd>BOOK</Cd></Sts>
            <BookgDt><Dt>2024-03-19</Dt></BookgDt>
            <ValDt><Dt>2024-03-19</Dt></ValDt>
            <AcctSvcrRef>BANK-REF-1</AcctSvcrRef>
            <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
            <NtryDtls><TxDtls>
              <Refs><EndToEndId>PAYOUT-87654321</EndToEndId></Refs>
              <AmtDtls><TxAmt><Amt Ccy="EUR">1100.47</Amt></TxAmt></AmtDtls>
              <RltdPties><Dbtr><Pty><Nm>Shopify International Ltd</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>IE29AIBK93115212345678</IBAN></Id></DbtrAcct>
                <Cdtr><Pty><Nm>Our Shop GmbH</Nm></Pty></Cdtr></RltdPties>
              <RmtInf><Ustrd>SHOPIFY PAYOUT 87654321</Ustrd></RmtInf>
            </TxDtls></NtryDtls>
          </Ntry>
          <Ntry>
            <Amt Ccy="EUR">12.34567</Amt>
            <CdtDbtInd>DBIT</CdtDbtInd>
            <Sts>BOOK</Sts>
            <BookgDt><DtTm>2024-03-19T23:30:00+01:00</DtTm></BookgDt>
            <ValDt><Dt>2024-03-20</Dt></ValDt>
            <AddtlNtryInf>Kontofuehrung</AddtlNtryInf>
          </Ntry>
          <Ntry>
            <Amt Ccy="EUR">25.00</Amt>
            <CdtDbtInd>DBIT</CdtDbtInd>
            <Sts><Cd>BOOK</Cd></Sts>
            <BookgDt><Dt>2024-03-19</Dt></BookgDt>
            <NtryDtls>
              <Btch><NbOfTxs>2</NbOfTxs><TtlAmt Ccy="EUR">25.00</TtlAmt></Btch>
              <TxDtls><Refs><EndToEndId>B-1</EndToEndId></Refs><Amt Ccy="EUR">10.00</Amt>
                <RltdPties><Cdtr><Nm>SF Express</Nm></Cdtr><CdtrAcct><Id><Othr><Id>ACC-SF</Id></Othr></Id></CdtrAcct></RltdPties>
                <RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>
              <TxDtls><Refs><EndToEndId>B-2</EndToEndId></Refs><Amt Ccy="EUR">15.00</Amt>
                <RltdPties><Cdtr><Nm>ZTO</Nm></Cdtr></RltdPties><RmtInf><Ustrd>Bill 03</Ustrd></RmtInf></TxDtls>
            </NtryDtls>
          </Ntry>
        </Stmt>
        <Stmt>
          <Id>STMT-2</Id>
          <Acct><Id><Othr><Id>123456789</Id></Othr></Id></Acct>
          <Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">50.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2024-03-18</Dt></Dt></Bal>
          <Ntry>
            <Amt Ccy="CNY">30.00</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RvslInd>true</RvslInd>
            <Sts>BOOK</Sts>
            <BookgDt><Dt>2024-03-19</Dt></BookgDt>
            <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Customer</Nm></Dbtr><Cdtr><Nm>Original Payee</Nm></Cdtr></RltdPties></TxDtls></NtryDtls>
          </Ntry>
          <Ntry>
            <Amt Ccy="CNY">7.00</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <Sts>PDNG</Sts>
            <BookgDt><Dt>2024-03-19</Dt></BookgDt>
          </Ntry>
          <Ntry>
            <Amt Ccy="CNY">1,00</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <Sts>BOOK</Sts>
          </Ntry>
        </Stmt>
      </BkToCstmrStmt>
    </Document>

    """

    @Test("camt.053: several statements, entries with one, many or no TxDtls, 5 decimals, reversals, statuses")
    func camt053() throws {
        var options = ParseOptions()
        options.skipBadRows = true
        let result = try Samples.parse(Self.camt, name: "camt053.xml", options: options)
        #expect(result.report.format == .camt053)
        let lines = result.records.bankLines
        #expect(lines.count == 4)

        let payout = lines[0]
        #expect(payout.account == "DE89370400440532013000")
        #expect(payout.statementID == "STMT-1")
        #expect(payout.amount == Money(minorUnits: 110_047, currency: "EUR"))
        #expect(payout.direction == .credit)
        #expect(payout.bookingDate == Samples.date(2024, 3, 19))
        #expect(payout.endToEndID == "PAYOUT-87654321")
        #expect(payout.counterpartyName == "Shopify International Ltd")
        #expect(payout.counterpartyAccount == "IE29AIBK93115212345678")
        #expect(payout.reference == "BANK-REF-1")
        #expect(payout.customerReference == "E1")
        #expect(payout.transactionCode == "PMNT/RCDT")
        #expect(payout.memo == "SHOPIFY PAYOUT 87654321")
        #expect(payout.details.isEmpty)
        #expect(payout.position.line == 12)

        let fee = lines[1]
        #expect(fee.amount.amount == ExactAmount(units: -1_234_567, scale: 5))
        #expect(fee.amount.minorUnits == -1235)
        #expect(fee.bookingDate == Samples.date(2024, 3, 19))  // the date as printed, whatever the offset
        #expect(fee.valueDate == Samples.date(2024, 3, 20))
        #expect(fee.memo == "Kontofuehrung")

        let batch = lines[2]
        #expect(batch.amount == Money(minorUnits: -2500, currency: "EUR"))
        #expect(batch.details.count == 2)
        #expect(batch.details[0] == BankTransactionDetail(amount: Money(minorUnits: 1000, currency: "EUR"), endToEndID: "B-1",
                                                          counterpartyName: "SF Express", counterpartyAccount: "ACC-SF",
                                                          remittance: "RF18539007547034"))
        #expect(batch.details[1].counterpartyName == "ZTO")
        #expect(batch.details[1].remittance == "Bill 03")

        let reversal = lines[3]
        #expect(reversal.account == "123456789")
        #expect(reversal.isReversal)
        #expect(reversal.direction == .credit)
        #expect(reversal.amount == Money(minorUnits: 3000, currency: "CNY"))
        #expect(reversal.counterpartyName == "Original Payee")

        #expect(result.rejected.count == 1)
        #expect(result.rejected[0].error.column == "Ntry/Amt")
        #expect(result.rejected[0].error.value == "1,00")
        #expect(result.report.warnings.contains { $0.contains("1 entries with a status other than BOOK") })

        let summaries = result.records.summaries
        #expect(summaries.map(\.statementID) == ["STMT-1", "STMT-2"])
        #expect(summaries[0].openingBalance == Money(minorUnits: 100_000, currency: "EUR"))
        #expect(summaries[0].closingBalance?.amount == ExactAmount(units: 208_912_345, scale: 5))
        #expect(summaries[0].periodStart?.date == Date(timeIntervalSince1970: 1_710_802_800))
        #expect(summaries[1].openingBalance == Money(minorUnits: -5000, currency: "CNY"))
        #expect(summaries[1].account == "123456789")
    }

    @Test("camt.053 of an older namespace with plain Sts and no TxDtls")
    func camtOldVersion() throws {
        let xml = """
        <?xml version="1.0"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr>
        <Stmt><Id>S</Id><Acct><Id><IBAN>CH9300762011623852957</IBAN></Id></Acct>
        <Ntry><Amt Ccy="CHF">5.5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2013-01-02</Dt></BookgDt></Ntry>
        </Stmt></BkToCstmrStmt></Document>
        """
        let lines = try Samples.parse(xml, name: "old.xml", format: .camt053).records.bankLines
        #expect(lines == [{
            var line = BankStatementLine(position: SourcePosition(line: 4), account: "CH9300762011623852957",
                                         amount: Money(minorUnits: 550, currency: "CHF"), direction: .credit)
            line.statementID = "S"
            line.bookingDate = Samples.date(2013, 1, 2)
            return line
        }()])
    }
}
