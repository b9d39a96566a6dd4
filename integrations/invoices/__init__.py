"""Invoices as the buyer gets them: `pdf.render_invoice` prints a fulfil.core.invoice.Invoice as an
A4 PDF with fpdf2. Import `integrations.invoices.pdf` itself: this package loads no PDF library."""
