"""E-invoices: the EHF / Peppol BIS Billing 3.0 UBL of an issued document, and its checks."""
